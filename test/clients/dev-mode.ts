/**
 * Apollo Client prints its warnings only in development builds. Jest resolves the package's `require`
 * entry, whose `__DEV__` is `globalThis.__DEV__ === true`: set it before any Apollo module loads (import
 * this file first), and load the messages so that a warning says what it means.
 */
Object.assign(globalThis, { __DEV__: true });
