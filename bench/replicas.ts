/**
 * `npm run bench:replicas`: what sharing one PostgreSQL registry costs, in one run and under one load.
 * Three setups answer the same read query mix, one after the other:
 *
 * - `sqlite x1`: one gateway on a SQLite file (the default registry);
 * - `postgres x1`: one gateway on a fresh PostgreSQL database;
 * - `postgres x3`: three gateways on that same database, the load spread round-robin over them.
 *
 * A benchmark, not a test: it prints requests/s, p50, p99 and errors per setup and the ratios against
 * `sqlite x1`, and fails only when it cannot run or an answer is wrong. Every gateway is the real CLI
 * (`tsx src/main.ts start`) with every upstream URL pointing at one emulators process, a JWT secret made
 * for the run and `LOG_LEVEL=warn`; each registry is filled by `usergraph sync` first, so lookups are
 * registry hits. The database is created for the run and dropped after it.
 *
 * The mix, taken round-robin: a person by email with fields from identity, ev.energy and timesheet (one
 * registry read, three upstream calls), a page of people with their links (registry only), and a person
 * by id with podero's address (registry plus one upstream).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Pool } from 'undici';
import { createDevSecret, signToken } from '../src/auth/dev';
import { UPSTREAM_NAMES, type UpstreamName } from '../src/errors';
import { UPSTREAM_URL_ENV } from '../src/config';
import { buildPopulation } from '../src/emulators/population';
import { ROOT, isRecord, parseNumberFlags, percentile, startChild, stopChild } from './lib';

interface Options {
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  people: number;
}

const USAGE = `usage: npm run bench:replicas -- [--seconds N] [--warmup N] [--concurrency N] [--people N]

  --seconds N      measured duration per setup (default 5)
  --warmup N       seconds of load before each measurement (default 1)
  --concurrency N  requests in flight in total, one connection each (default 16)
  --people N       demo population size (default 200)

PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres), where a database
is created for the run and dropped after it.
`;

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

const BY_EMAIL = `query($e: EmailAddress!) { userByEmail(email: $e) { personId firstName status notificationGroups { chargingFlow } role } }`;
const PAGE = `query($after: String) { users(first: 10, after: $after) { nodes { personId email accounts { upstream accountId } } pageInfo { endCursor } } }`;
const BY_ID = `query($id: ID!) { user(id: $id) { email address { town } } }`;

interface Replica {
  child: ChildProcess;
  origin: string;
}

function startReplica(env: NodeJS.ProcessEnv): Promise<Replica> {
  const child = spawn(TSX, ['src/main.ts', 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`expected a gateway to be ready within 60 s, but it printed:\n${out}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`expected the gateway to keep running, but it exited with ${code}:\n${out}`));
    });
    child.stdout!.on('data', () => {
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out);
      if (!url) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, origin: url[1]! });
    });
  });
}

function runSync(env: NodeJS.ProcessEnv): void {
  execFileSync(TSX, ['src/main.ts', 'sync'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** One request of the mix; throws when the answer is not the expected shape. */
type Ask = (pool: Pool, n: number) => Promise<void>;

/** What the three operations of the mix answer, as far as the checks read them. */
interface MixData {
  userByEmail?: { personId: string } | null;
  users?: { nodes: unknown[] };
  user?: { email: string } | null;
}

function makeAsk(token: string, emails: string[], ids: string[]): Ask {
  const post = async (pool: Pool, query: string, variables: Record<string, unknown>): Promise<MixData> => {
    const res = await pool.request({
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.body.json()) as { data?: MixData | null; errors?: unknown[] };
    if (res.statusCode !== 200 || body.errors || !body.data) throw new Error(`expected 200 with data, but got ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
    return body.data;
  };
  return async (pool, n) => {
    const kind = n % 3;
    if (kind === 0) {
      const data = await post(pool, BY_EMAIL, { e: emails[n % emails.length] });
      if (!data.userByEmail?.personId) throw new Error('expected the person by email');
    } else if (kind === 1) {
      const data = await post(pool, PAGE, {});
      if (data.users?.nodes.length !== 10) throw new Error('expected a page of 10 people');
    } else {
      const data = await post(pool, BY_ID, { id: ids[n % ids.length] });
      if (!data.user?.email) throw new Error('expected the person by id');
    }
  };
}

async function measure(name: string, origins: string[], ask: Ask, options: Options): Promise<Result> {
  const pools = origins.map((o) => new Pool(o, { connections: options.concurrency, pipelining: 1 }));
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const measureFrom = started + options.warmupSeconds * 1000;
  const end = measureFrom + options.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const n = next++;
      const t0 = performance.now();
      let ok = true;
      try {
        await ask(pools[n % pools.length]!, n);
      } catch {
        ok = false;
      }
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        if (ok) latencies.push(t1 - t0);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await Promise.all(pools.map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  return { name, requests: latencies.length, errors, rps: latencies.length / options.seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const options = parseNumberFlags<Options>(
    process.argv.slice(2),
    { seconds: 5, warmupSeconds: 1, concurrency: 16, people: 200 },
    {
      seconds: { key: 'seconds', min: 1, max: 600, integer: false },
      warmup: { key: 'warmupSeconds', min: 0, max: 60, integer: false },
      concurrency: { key: 'concurrency', min: 1, max: 512, integer: true },
      people: { key: 'people', min: 10, max: 10_000, integer: true },
    },
    USAGE,
  );
  const children: ChildProcess[] = [];
  const database = `ug_bench_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usergraph-bench-replicas-'));
  let created = false;
  try {
    const emulators = await startChild('emulators', ['src/main.ts', 'emulators', '--ephemeral', '--json', '--people', String(options.people)], { stdin: 'ignore' });
    children.push(emulators.child);
    const line = emulators.line;
    if (!isRecord(line) || UPSTREAM_NAMES.some((u) => typeof line[u] !== 'string')) throw new Error(`expected the emulators' URLs, but got ${JSON.stringify(line).slice(0, 300)}`);
    const urls = line as Record<UpstreamName, string>;

    await adminQuery(`CREATE DATABASE "${database}"`);
    created = true;
    const databaseUrl = new URL(ADMIN_URL);
    databaseUrl.pathname = `/${database}`;

    const secret = createDevSecret();
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: secret,
      ...Object.fromEntries(UPSTREAM_NAMES.map((u) => [UPSTREAM_URL_ENV[u], urls[u]])),
    };
    delete base.DATABASE_URL;
    const sqliteEnv = { ...base, SQLITE_PATH: path.join(dir, 'bench.db') };
    const postgresEnv = { ...base, DATABASE_URL: databaseUrl.toString() };
    runSync(sqliteEnv);
    runSync(postgresEnv);

    const token = await signToken(secret, { sub: 'bench-admin', email: 'admin@usergraph.test', roles: ['admin'] });
    const population = buildPopulation({ people: options.people });
    const emails = population.people.filter((p) => p.in.identity && p.in.evenergy && p.in.timesheet).map((p) => p.email);
    const sqlite = await startReplica(sqliteEnv);
    children.push(sqlite.child);
    const poderoEmails = population.people.filter((p) => p.in.podero).slice(0, 50).map((p) => p.email);
    if (emails.length === 0 || poderoEmails.length === 0) throw new Error(`expected people in every upstream among ${options.people}; raise --people`);
    // The by-id question needs each registry's own person ids (they differ between registries).
    const idsIn = async (origin: string): Promise<string[]> =>
      Promise.all(
        poderoEmails.map(async (email) => {
          const res = await fetch(`${origin}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: 'query($e: EmailAddress!) { userByEmail(email: $e) { id } }', variables: { e: email } }),
          });
          const body = (await res.json()) as { data: { userByEmail: { id: string } } };
          return body.data.userByEmail.id;
        }),
      );

    const results: Result[] = [];
    results.push(await measure('sqlite x1', [sqlite.origin], makeAsk(token, emails, await idsIn(sqlite.origin)), options));
    await stopChild(sqlite.child);

    const pg = [await startReplica(postgresEnv)];
    children.push(pg[0]!.child);
    const pgIds = await idsIn(pg[0]!.origin);
    results.push(await measure('postgres x1', [pg[0]!.origin], makeAsk(token, emails, pgIds), options));
    pg.push(...(await Promise.all([startReplica(postgresEnv), startReplica(postgresEnv)])));
    for (const r of pg.slice(1)) children.push(r.child);
    results.push(await measure('postgres x3', pg.map((r) => r.origin), makeAsk(token, emails, pgIds), options));

    const baseline = results[0]!;
    const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
    console.log(`\nusergraph bench:replicas  ${os.cpus().length} CPUs, node ${process.version}, ${options.concurrency} in flight, ${options.seconds} s per setup after ${options.warmupSeconds} s warm-up, ${options.people} people`);
    console.log('mix: userByEmail (identity+ev.energy+timesheet) / users page with links (registry) / user by id with podero address\n');
    console.log('setup         req/s     p50 ms   p99 ms   errors   req/s vs sqlite x1   p99 vs sqlite x1');
    for (const r of results) {
      console.log(
        `${r.name.padEnd(12)} ${f(r.rps).padStart(7)}  ${f(r.p50, 2).padStart(8)} ${f(r.p99, 2).padStart(8)}  ${String(r.errors).padStart(7)}   ${f(r.rps / baseline.rps, 2).padStart(18)}   ${f(r.p99 / baseline.p99, 2).padStart(16)}`,
      );
    }
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    if (created) await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:replicas failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
