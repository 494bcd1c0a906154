/**
 * What `npm start` does about an empty registry, in-process (`syncWhenEmpty`, the step start() runs before
 * it listens): with every upstream emulated it links the demo population; with any real upstream configured
 * it calls nothing and only says how to run `usergraph sync`, since a sync there may take long and read
 * production data. The spawned-CLI test (start.test.ts) covers the emulated case end to end; the real-upstream
 * case lives here because spawning the CLI for it stalled (docs/architecture.md "Build notes").
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { buildPopulation } from '../../src/emulators/population';
import { openRegistry, type Registry } from '../../src/registry';
import { syncWhenEmpty } from '../../src/server/start';

describe('the first start with an empty registry', () => {
  let dir: string;
  let emulators: RunningEmulators;
  let real: http.Server;
  let realUrl: string;
  const realRequests: string[] = [];
  const population = buildPopulation({ seed: 1, people: 12 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'usergraph-first-sync-'));
    emulators = await startEmulators({ population, ports: 'ephemeral' });
    // Stands in for a real identity API: anything that reaches it is a call the start must not make.
    real = http.createServer((req, res) => {
      realRequests.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => real.listen(0, '127.0.0.1', resolve));
    realUrl = `http://127.0.0.1:${(real.address() as { port: number }).port}/api/v1`;
  });
  afterAll(async () => {
    await emulators.close();
    await new Promise<void>((resolve) => real.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(file: string, env: NodeJS.ProcessEnv, realUpstreams: UpstreamName[]): Promise<{ line: string | undefined; said: string[]; registry: Registry }> {
    const config = loadConfig({ SQLITE_PATH: path.join(dir, file), NODE_ENV: 'development', ...env });
    const registry = await openRegistry({ sqlitePath: config.sqlitePath });
    const urls = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].url ?? emulators.urls[u]!])) as Record<UpstreamName, string>;
    const tokens = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].token])) as Record<UpstreamName, string>;
    const said: string[] = [];
    const line = await syncWhenEmpty(registry, config, urls, tokens, realUpstreams.length === 0, (l = '') => said.push(l));
    return { line, said, registry };
  }

  it('with a real upstream configured, calls nothing and says how to run the sync', async () => {
    const { line, said, registry } = await run('real.db', { IDENTITY_URL: realUrl }, ['identity']);
    try {
      expect(line).toBe('the registry is empty: run `npm run sync` (usergraph sync) to link the people of your upstreams');
      expect(said).toEqual([]);
      expect(realRequests).toEqual([]);
      expect((await registry.listPeople({ first: 5 })).people).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it('with every upstream emulated, links the demo population with progress, and a second start syncs nothing', async () => {
    const first = await run('emulated.db', {}, []);
    try {
      expect(first.said[0]).toBe('first start with an empty registry: linking the demo population (usergraph sync)');
      expect(first.line).toMatch(/^first sync: \d+ people linked in \d+ ms$/);
      const linked = Number(/first sync: (\d+)/.exec(first.line!)![1]);
      expect(linked).toBeGreaterThan(0);
      expect((await first.registry.listPeople({ first: 100 })).people).toHaveLength(linked);
    } finally {
      await first.registry.close();
    }
    const again = await run('emulated.db', {}, []);
    try {
      expect(again.line).toBeUndefined();
      expect(again.said).toEqual([]);
    } finally {
      await again.registry.close();
    }
  });
});
