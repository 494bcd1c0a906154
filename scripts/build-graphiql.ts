/**
 * Builds the GraphiQL bundle into `.graphiql/` ahead of time (`npm run build:graphiql`), so the first
 * start of the gateway does not build it. `--if-stale` builds only when the bundle there is missing or was
 * built from other sources; without it the bundle is always rebuilt.
 */
import path from 'node:path';
import { buildGraphiqlBundle, DEFAULT_BUNDLE_DIR, staleness, writeGraphiqlBundle } from '../src/server/graphiql-build';

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--if-stale');
  if (unknown.length > 0) throw new Error(`build-graphiql takes only --if-stale, but got: ${unknown.join(' ')}`);
  const where = path.relative(process.cwd(), DEFAULT_BUNDLE_DIR) || '.';
  if (argv.includes('--if-stale')) {
    const current = await staleness(DEFAULT_BUNDLE_DIR);
    if ('bundle' in current) {
      process.stdout.write(`GraphiQL bundle in ${where} is up to date (built ${current.bundle.manifest.builtAt})\n`);
      return;
    }
    process.stdout.write(`GraphiQL bundle in ${where} needs a build: ${current.reason}\n`);
  }
  const started = performance.now();
  const bundle = await buildGraphiqlBundle();
  await writeGraphiqlBundle(bundle, DEFAULT_BUNDLE_DIR);
  const bytes = bundle.files.reduce((sum, f) => sum + f.body.length, 0);
  process.stdout.write(
    `GraphiQL bundle written to ${where}: ${bundle.files.length} files, ${Math.round(bytes / 1024)} KiB, in ${Math.round(performance.now() - started)} ms\n`,
  );
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`build-graphiql failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
