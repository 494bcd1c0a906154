/**
 * Where the registry tests find PostgreSQL, and what they do when it is not there: skip with a clear
 * message on a developer machine, fail under CI (where a server is part of the contract).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type Reachability = { ok: true } | { ok: false; reason: string };

/**
 * Synchronous (a short child process) because jest decides which describe blocks exist while the test
 * file loads, before any async code can run.
 */
export function probePostgres(url = TEST_DATABASE_URL): Reachability {
  const script = `
    const { Client } = require('pg');
    const c = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(
      () => process.exit(0),
      (e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });`;
  const probe = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, PROBE_URL: url },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.status === 0) return { ok: true };
  return { ok: false, reason: probe.stderr.trim() || probe.error?.message || `probe exited with ${probe.status}` };
}

/** Where the URL points, without its password, for messages. */
export function describeTarget(url = TEST_DATABASE_URL): string {
  const u = new URL(url);
  return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
}

export function freshSchemaName(): string {
  return `ug_test_${randomBytes(6).toString('hex')}`;
}

/** Drops test schemas (and everything in them); names come from `freshSchemaName` only. */
export async function dropSchemas(schemas: readonly string[], url = TEST_DATABASE_URL): Promise<void> {
  if (schemas.length === 0) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) {
      if (!/^ug_test_[0-9a-f]{12}$/.test(schema)) throw new Error(`Refusing to drop ${JSON.stringify(schema)}: not a test schema`);
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Registers what stands in for the PostgreSQL tests when the server is unreachable: under CI a failing
 * test (CI provides a server, so its absence is a broken build); elsewhere a skipped test whose name says
 * why, plus a note on stderr.
 */
export function reportPostgresUnreachable(suite: string, reason: string): void {
  const message = `PostgreSQL is not reachable at ${describeTarget()} (${reason}); set TEST_DATABASE_URL to run the PostgreSQL ${suite} tests`;
  if (process.env.CI) {
    describe(`${suite} on PostgreSQL`, () => {
      it('reaches the PostgreSQL server that CI provides', () => {
        throw new Error(message);
      });
    });
    return;
  }
  process.stderr.write(`\n[skipped] ${message}\n`);
  describe(`${suite} on PostgreSQL`, () => {
    it.skip(`is skipped: ${message}`, () => undefined);
  });
}

/**
 * A database of its own for tests that change database-wide settings (refusing connections) or run several
 * gateway processes: created empty, returned with its URL; drop it with `dropTestDatabase`.
 */
export async function createTestDatabase(url = TEST_DATABASE_URL): Promise<{ name: string; url: string }> {
  const name = `ug_test_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}

/** Runs SQL on the administrative connection (the `TEST_DATABASE_URL` database), e.g. to refuse connections. */
export async function adminQuery(sql: string, url = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropTestDatabase(name: string, url = TEST_DATABASE_URL): Promise<void> {
  if (!/^ug_test_[0-9a-f]{12}$/.test(name)) throw new Error(`Refusing to drop ${JSON.stringify(name)}: not a test database`);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, url);
}
