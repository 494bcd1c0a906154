/**
 * `npm start` as a newcomer runs it: the real CLI in a child process, embedded emulators, a SQLite file.
 * The first start with an empty registry links the demo population before it listens, so the first
 * `users` query lists people; a second start on the same file does not sync again; with a real upstream
 * configured it only says how to run the sync.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Started {
  child: ChildProcess;
  output: () => string;
  graphqlUrl: string;
  adminToken: string;
}

function startGateway(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(TSX, ['src/main.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', EMULATOR_PORTS: 'ephemeral', LOG_LEVEL: 'warn', NODE_ENV: 'development', SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway was not ready within 60 s; it printed:\n${out}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before it was ready; it printed:\n${out}`));
    });
    child.stdout!.on('data', () => {
      const url = /GraphQL\s+(http:\/\/\S+\/graphql)/.exec(out);
      const token = /admin token\s+Authorization: Bearer (\S+)/.exec(out);
      if (url && token) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, output: () => out, graphqlUrl: url[1]!, adminToken: token[1]! });
      }
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

async function countUsers(s: Started): Promise<number> {
  const res = await fetch(s.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.adminToken}` },
    body: JSON.stringify({ query: '{ users(first: 5) { totalCount nodes { id email } } }' }),
  });
  const body = (await res.json()) as { data?: { users: { totalCount: number; nodes: { email: string }[] } }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data!.users.nodes.length).toBe(5);
  return body.data!.users.totalCount;
}

describe('npm start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'usergraph-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('links the demo population on a first start, so the first users query lists people', async () => {
    const s = await startGateway({ SQLITE_PATH: path.join(dir, 'first.db'), EMULATOR_PEOPLE: '60' });
    try {
      expect(s.output()).toContain('first start with an empty registry');
      expect(s.output()).toMatch(/sync: linking \d+\/\d+ done/);
      expect(s.output()).toMatch(/first sync: \d+ people linked in \d+ ms/);
      const linked = Number(/first sync: (\d+) people linked/.exec(s.output())![1]);
      expect(linked).toBeGreaterThan(30);
      expect(await countUsers(s)).toBe(linked);
    } finally {
      expect(await stop(s.child)).toBe(0);
    }

    // The registry is no longer empty: the second start serves at once and syncs nothing.
    const again = await startGateway({ SQLITE_PATH: path.join(dir, 'first.db'), EMULATOR_PEOPLE: '60' });
    try {
      expect(again.output()).not.toContain('first start with an empty registry');
      expect(again.output()).not.toContain('first sync');
      await countUsers(again);
    } finally {
      expect(await stop(again.child)).toBe(0);
    }
  }, 150_000);

  it('only says how to sync when an upstream is real, since a sync there may take long and read production data', async () => {
    // Nothing listens on this port: the gateway must not call it while starting.
    const s = await startGateway({ SQLITE_PATH: path.join(dir, 'real.db'), IDENTITY_URL: 'http://127.0.0.1:9/api/v1' });
    try {
      expect(s.output()).not.toContain('first start with an empty registry');
      expect(s.output()).toContain('the registry is empty: run `npm run sync`');
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  }, 120_000);
});
