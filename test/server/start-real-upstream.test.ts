/**
 * `npm start` with a real upstream configured: the real CLI in a child process, the other upstreams
 * emulated. With an empty registry it does not sync by itself (a sync against real upstreams may take long
 * and read production data): it only says how to run one. (Its own file, apart from the first-start test.)
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

/**
 * Stops the gateway: SIGTERM, and SIGKILL if it is still there 15 s later. The exit code of a graceful
 * shutdown is asserted in shutdown.test.ts; here the tsx wrapper sometimes outlives the server's own exit
 * (see docs/architecture.md "Build notes"), which says nothing about first-start behaviour.
 */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe('npm start with a real upstream', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'usergraph-start-real-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('only says how to sync when an upstream is real, since a sync there may take long and read production data', async () => {
    // Nothing listens on this port: the gateway must not call it while starting.
    const s = await startGateway({ SQLITE_PATH: path.join(dir, 'real.db'), IDENTITY_URL: 'http://127.0.0.1:9/api/v1' });
    try {
      expect(s.output()).not.toContain('first start with an empty registry');
      expect(s.output()).toContain('the registry is empty: run `npm run sync`');
    } finally {
      await stop(s.child);
    }
  }, 120_000);
});
