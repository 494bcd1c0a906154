/**
 * Jest runs the TypeScript sources directly through SWC; `npm run typecheck` does the type checking.
 * `jose` ships only ES modules, which jest on Node 20 cannot `require`: SWC turns it into CommonJS too.
 */
const swc = (syntax) => ['@swc/jest', { jsc: { target: 'es2022', parser: syntax === 'typescript' ? { syntax, tsx: true } : { syntax } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': swc('typescript'),
    '^.+\\.m?js$': swc('ecmascript'),
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 30000,
  maxWorkers: 2,
};
