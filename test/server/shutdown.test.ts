/**
 * Graceful shutdown of the real CLI (DESIGN.md "Health, replicas and shutdown"), in a child process with
 * its embedded emulators on ephemeral ports and a SQLite file: on SIGTERM `/readyz` turns 503 at once
 * while requests are still served for SHUTDOWN_DELAY_MS, then the listener stops accepting and in-flight
 * requests and mutations finish before the process exits 0. The emulators live in the child, so their
 * faults are set over HTTP (`POST /__emulator/faults`) at the URLs its start banner prints. Also here:
 * LOG_LEVEL=debug logs every registry SQL statement.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signToken } from '../../src/auth/dev';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const JWT_SECRET = 'shutdown-test-secret-that-is-long-enough-for-hs256-01';

interface Started {
  child: ChildProcess;
  output: () => string;
  origin: string;
  /** Emulator origins by upstream name, from the start banner. */
  emulators: Record<string, string>;
  exited: Promise<number | null>;
}

let dir: string;
let runs = 0;

function startGateway(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(TSX, ['src/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      EMULATOR_PORTS: 'ephemeral',
      EMULATOR_PEOPLE: '20',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      JWT_SECRET,
      SQLITE_PATH: path.join(dir, `run-${++runs}.db`),
      SHUTDOWN_GRACE_MS: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway was not ready within 40 s; it printed:\n${out}`));
    }, 40_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before it was ready; it printed:\n${out}`));
    });
    const onData = (): void => {
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out);
      const emulatorLine = /emulators (.*)\n/.exec(out);
      if (!url || !emulatorLine) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const emulators = Object.fromEntries([...emulatorLine[1]!.matchAll(/(\w+) (http:\/\/[^/\s,]+)/g)].map((m) => [m[1]!, m[2]!]));
      resolve({ child, output: () => out, origin: url[1]!, emulators, exited });
    };
    child.stdout!.on('data', onData);
  });
}

/** Kills a child a failed test left running. */
function cleanUp(s: Started | undefined): void {
  if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}

async function setFaults(s: Started, upstream: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${s.emulators[upstream]}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  expect(res.status).toBe(200);
}

const adminToken = (): Promise<string> => signToken(JWT_SECRET, { sub: 'shutdown-admin', email: 'admin@usergraph.test', roles: ['admin'] });

/** One GraphQL request on a connection of its own (no keep-alive pool shared between requests). */
async function graphql<T>(s: Started, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: { data?: T; errors?: { message: string }[] } }> {
  const res = await request(s, '/graphql', { method: 'POST', body: JSON.stringify({ query, variables }), headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` } });
  // The gateway's JSON answer; `data` has the shape the operation selected.
  const body: { data?: T; errors?: { message: string }[] } = JSON.parse(res.body);
  return { status: res.status, body };
}

interface ByEmail {
  userByEmail: { email: string; firstName: string | null };
}
interface Created {
  createUser: { user: { personId: string; email: string }; outcomes: { upstream: string; status: string; accountId: string | null }[] };
}

/** A request over a new TCP connection (`agent: false`), so a refused connection shows as a rejection. */
function request(s: Started, pathname: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${s.origin}${pathname}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A demo person's email: the first one the registry lists (the first start linked the population). */
async function someEmail(s: Started): Promise<string> {
  const res = await graphql<{ users: { nodes: { email: string }[] } }>(s, '{ users(first: 1) { nodes { email } } }');
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.users.nodes[0]!.email;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'usergraph-shutdown-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('graceful shutdown', () => {
  it('finishes a slow request started before SIGTERM, refuses new connections once the delay is over, and exits 0', async () => {
    let s: Started | undefined;
    try {
      s = await startGateway({ SHUTDOWN_DELAY_MS: '200' });
      const email = await someEmail(s);
      await setFaults(s, 'identity', { latencyMs: 2000 });
      const started = Date.now();
      const slow = graphql<ByEmail>(s, 'query($e: EmailAddress!) { userByEmail(email: $e) { email firstName lastName } }', { e: email });
      await sleep(300);
      s.child.kill('SIGTERM');
      // Past the delay, the listener is closed: a new connection is refused while the slow request runs.
      await sleep(700);
      await expect(request(s, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
      const res = await slow;
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.userByEmail.email).toBe(email);
      expect(typeof res.body.data!.userByEmail.firstName).toBe('string');
      expect(await s.exited).toBe(0);
    } finally {
      cleanUp(s);
    }
  }, 60_000);

  it('finishes a createUser in flight in every upstream before it exits 0', async () => {
    let s: Started | undefined;
    try {
      s = await startGateway({ SHUTDOWN_DELAY_MS: '100' });
      await setFaults(s, 'timesheet', { latencyMs: 1500 });
      const email = `shutdown.create.${Date.now()}@example.com`;
      const mutation = graphql<Created>(
        s,
        'mutation($input: CreateUserInput!) { createUser(input: $input) { user { personId email } outcomes { upstream status accountId error { code message } } } }',
        { input: { email, firstName: 'Shut', lastName: 'Down', identity: { accountIdentifier: email }, timesheet: { role: 'MEMBER' } } },
      );
      await sleep(400);
      s.child.kill('SIGTERM');
      const res = await mutation;
      expect(res.body.errors).toBeUndefined();
      const { outcomes, user } = res.body.data!.createUser;
      expect(Object.fromEntries(outcomes.map((o) => [o.upstream, o.status]))).toEqual({ IDENTITY: 'CREATED', EVENERGY: 'CREATED', VRM: 'SKIPPED', PODERO: 'CREATED', TIMESHEET: 'CREATED' });
      for (const o of outcomes) if (o.status === 'CREATED') expect(o.accountId).toEqual(expect.any(String));
      expect(user.email).toBe(email);
      expect(await s.exited).toBe(0);
    } finally {
      cleanUp(s);
    }
  }, 60_000);

  it('answers /readyz 503 (draining) during the delay while queries are still served, and logs SQL at debug level', async () => {
    let s: Started | undefined;
    try {
      s = await startGateway({ SHUTDOWN_DELAY_MS: '3000', LOG_LEVEL: 'debug' });
      const email = await someEmail(s);
      expect((await request(s, '/readyz')).status).toBe(200);
      const signalled = Date.now();
      s.child.kill('SIGTERM');
      await sleep(300);
      const ready = await request(s, '/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'draining', registry: { reachable: true } });
      expect((await request(s, '/healthz')).status).toBe(200);
      const res = await graphql<ByEmail>(s, 'query($e: EmailAddress!) { userByEmail(email: $e) { email firstName } }', { e: email });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.userByEmail.email).toBe(email);
      expect(await s.exited).toBe(0);
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(3000);

      // Every registry statement at debug level: the first sync's inserts and the lookups' selects.
      const queries = s
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string; sql?: string })
        .filter((l) => l.msg === 'registry query');
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) expect(q.level).toBe('debug');
      expect(queries.some((q) => /^\s*SELECT/i.test(q.sql ?? ''))).toBe(true);
      expect(queries.some((q) => /^\s*INSERT/i.test(q.sql ?? ''))).toBe(true);
    } finally {
      cleanUp(s);
    }
  }, 60_000);

  it('logs no SQL above debug level', async () => {
    let s: Started | undefined;
    try {
      s = await startGateway({ SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'info' });
      await someEmail(s);
      s.child.kill('SIGINT');
      expect(await s.exited).toBe(0);
      expect(s.output()).toContain('"msg":"shutting down: draining"');
      expect(s.output()).not.toContain('registry query');
    } finally {
      cleanUp(s);
    }
  }, 60_000);

  it('exits at once, with 143, on a second SIGTERM during the shutdown', async () => {
    let s: Started | undefined;
    try {
      s = await startGateway({ SHUTDOWN_DELAY_MS: '20000' });
      s.child.kill('SIGTERM');
      await sleep(300);
      expect((await request(s, '/readyz')).status).toBe(503);
      const second = Date.now();
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(143);
      expect(Date.now() - second).toBeLessThan(3000);
    } finally {
      cleanUp(s);
    }
  }, 60_000);
});
