#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's own command line, as `npm start` does, so `usergraph
// start|emulators|sync` works without a build step: tsx runs src/main.ts in a child with both its
// CommonJS and ESM hooks (main.ts loads its commands with import()) and relays signals to it.
const path = require('node:path');
process.argv.splice(1, 1, require.resolve('tsx/cli'), path.join(__dirname, '..', 'src', 'main.ts'));
import('tsx/cli');
