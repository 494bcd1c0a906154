/**
 * The import rule (../shared/DESIGN.md "Layout"), checked by `npm run lint:deps` and CI:
 *   server → graph → auth / registry → upstreams → contracts / lib
 *   emulators → contracts / lib
 * `errors.ts` (the error codes) and `generated/` sit at the bottom beside lib; `config.ts` is read by the
 * entry points only. Nothing but the entry points imports the emulators.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules in src/ must not import each other in a cycle.', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'emulators-only-from-entry-points',
      severity: 'error',
      comment: 'Only src/main.ts and src/server/start.ts start emulators; everything else must work against a real upstream.',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/server/start\\.ts$', '^src/emulators/'] },
      to: { path: '^src/emulators/' },
    },
    {
      name: 'emulators-stand-alone',
      severity: 'error',
      comment: 'An emulator serves the documented API; it shares only contracts/ and lib/ with the gateway.',
      from: { path: '^src/emulators/' },
      to: { path: '^src/(upstreams|graph|registry|auth|server)/|^src/config\\.ts$' },
    },
    {
      name: 'lib-knows-no-project',
      severity: 'error',
      comment: 'src/lib/ holds small tools with no project knowledge.',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'contracts-below-everything',
      severity: 'error',
      comment: 'contracts/ say what an API documents; they import only each other, lib/ and the error codes.',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: ['^src/contracts/', '^src/lib/', '^src/errors\\.ts$'] },
    },
    {
      name: 'errors-at-the-bottom',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/lib/', '^src/errors\\.ts$'] },
    },
    {
      name: 'upstreams-below-graph',
      severity: 'error',
      comment: 'Connectors and the HTTP client know nothing of the graph, the registry, auth or the server.',
      from: { path: '^src/upstreams/' },
      to: { path: '^src/(graph|registry|auth|server|generated)/|^src/config\\.ts$' },
    },
    {
      name: 'registry-and-auth-below-graph',
      severity: 'error',
      from: { path: '^src/(registry|auth)/' },
      to: { path: '^src/(graph|server)/' },
    },
    {
      name: 'schema-types-below-graph',
      severity: 'error',
      comment: 'Below the graph layer, schema field names come from src/generated/schema-types.ts, which imports nothing of the graph.',
      from: { path: '^src/(auth|registry|upstreams|lib|contracts)/' },
      to: { path: '^src/generated/', pathNot: '^src/generated/schema-types\\.ts$' },
    },
    {
      name: 'graph-below-server',
      severity: 'error',
      from: { path: '^src/graph/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'config-from-entry-points',
      severity: 'error',
      comment: 'The configuration is read once at start and passed down as options.',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/server/', '^src/registry/sync-command\\.ts$', '^src/graph/context\\.ts$', '^src/config\\.ts$'] },
      to: { path: '^src/config\\.ts$' },
    },
  ],
  options: {
    // Generated resolver types import the graph's context and models by design (codegen's mappers): they are
    // checked as targets of imports, not followed, so that type-only loop is not reported as a cycle.
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
