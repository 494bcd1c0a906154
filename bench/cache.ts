/**
 * `npm run bench:cache`: what the answer cache saves, in one run and under one load. A population of
 * readers asks the gateway about people by email, most requests for a few people (a Zipf distribution
 * over the people present in identity, ev.energy and timesheet), with the cache off, in memory and in
 * Redis, one after the other, each on a fresh gateway. A benchmark, not a test: it prints upstream calls
 * per request, cache hits and coalesced reads per request, req/s, p50 and p99 per mode and the ratios
 * against "off", and fails only when it cannot run or an answer is wrong.
 *
 * Processes: the emulators (`usergraph emulators --ephemeral --json`), one gateway at a time (this same
 * file run with `serve-gateway <json>`: `createGateway` over the emulators, an in-memory SQLite registry
 * warmed by `sync`, silent logs; in Redis mode an answer store under a key prefix made for the run and
 * deleted after it), and this process, the load generator (one keep-alive connection per concurrent
 * worker; each worker sends its next request when the previous answer is read and checked).
 *
 * Before timing, the 60 most asked people are asked once of each gateway and the answers must equal
 * those of the gateway without a cache. Calls per request come from the emulators' own counters over the measured
 * window (reset when it opens, read when it closes, divided by the requests that started in it); hits and
 * coalesced reads from the gateway's `extensions` (`x-upstream-calls: true`).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Pool } from 'undici';
import { createDevSecret, signToken } from '../src/auth/dev';
import { DEV_PODERO_ORG_ID, serviceToken } from '../src/contracts/dev-defaults';
import { UPSTREAM_NAMES, type UpstreamName } from '../src/errors';
import { buildPopulation, prng } from '../src/emulators/population';
import { isRecord, parseNumberFlags, percentile, startChild, stopChild, upstreamUrls } from './lib';

interface Options {
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  people: number;
  ttl: number;
  skew: number;
  latency: number;
  seed: number;
}

const USAGE = `usage: npm run bench:cache -- [--seconds N] [--warmup N] [--concurrency N] [--people N] [--ttl N] [--skew N] [--latency N] [--seed N]

  --seconds N      measured duration per mode (default 3)
  --warmup N       seconds of load before each measurement (default 1)
  --concurrency N  requests in flight, one connection each (default 16)
  --people N       demo population size (default 300)
  --ttl N          CACHE_TTL_<UPSTREAM>_S of every upstream in the cached modes, seconds (default 2)
  --skew N         Zipf exponent s: request share of the k-th most asked person ∝ 1/k^s (default 1.1)
  --latency N      latency the emulators add to every answer, ms (default 0)
  --seed N         seed of the readers' choices (default 1)

Redis: BENCH_REDIS_URL or REDIS_URL (default redis://127.0.0.1:6379); the Redis mode is skipped when it
cannot be reached.
`;

const QUERY = `query($e: EmailAddress!) { userByEmail(email: $e) { firstName lastName status notificationGroups { chargingFlow chargingIssues } role state } }`;
const SERVE_GATEWAY = 'serve-gateway';
/** How many of the most asked people are checked against the uncached gateway's answers before timing. */
const CHECKED = 60;
/** The demo population the emulators serve (`--seed` is the readers' choices, not this). */
const POPULATION_SEED = 1;
const JWT_SECRET_ENV = 'USERGRAPH_BENCH_JWT_SECRET';
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';

type Mode = 'off' | 'memory' | 'redis';

interface GatewaySpec {
  urls: Record<UpstreamName, string>;
  mode: Mode;
  ttlS: number;
  redis?: { url: string; prefix: string };
}

function parseOptions(argv: string[]): Options {
  return parseNumberFlags(
    argv,
    { seconds: 3, warmupSeconds: 1, concurrency: 16, people: 300, ttl: 2, skew: 1.1, latency: 0, seed: 1 },
    {
      seconds: { key: 'seconds', min: 0.1, max: 3600, integer: false },
      warmup: { key: 'warmupSeconds', min: 0, max: 600, integer: false },
      concurrency: { key: 'concurrency', min: 1, max: 4096, integer: true },
      people: { key: 'people', min: 10, max: 100_000, integer: true },
      ttl: { key: 'ttl', min: 1, max: 86_400, integer: true },
      skew: { key: 'skew', min: 0, max: 5, integer: false },
      latency: { key: 'latency', min: 0, max: 5000, integer: true },
      seed: { key: 'seed', min: 0, max: 2 ** 31 - 1, integer: true },
    },
    USAGE,
  );
}

// ---------------------------------------------------------------------------------------------------
// The gateway child (`serve-gateway`)

function readSpec(raw: string | undefined): GatewaySpec {
  let parsed: unknown;
  try {
    parsed = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) throw new Error(`expected the serve-gateway argument to be a JSON object, but got: ${String(raw).slice(0, 200)}`);
  const mode = parsed.mode;
  if (mode !== 'off' && mode !== 'memory' && mode !== 'redis') throw new Error(`expected mode off, memory or redis, but got: ${JSON.stringify(mode)}`);
  const ttlS = typeof parsed.ttlS === 'number' ? parsed.ttlS : NaN;
  const redis = isRecord(parsed.redis) && typeof parsed.redis.url === 'string' && typeof parsed.redis.prefix === 'string' ? { url: parsed.redis.url, prefix: parsed.redis.prefix } : undefined;
  if (mode === 'redis' && !redis) throw new Error('expected redis { url, prefix } in Redis mode');
  return { urls: upstreamUrls(parsed.urls, 'the serve-gateway argument'), mode, ttlS, redis };
}

async function serveGateway(raw: string | undefined): Promise<void> {
  const spec = readSpec(raw);
  const [{ openRegistry }, { sync }, { createGateway }, { createLogger }, { createRedisAnswers }] = await Promise.all([
    import('../src/registry'),
    import('../src/registry/sync'),
    import('../src/server/gateway'),
    import('../src/lib/logger'),
    import('../src/upstreams/answers'),
  ]);
  const secret = process.env[JWT_SECRET_ENV];
  if (!secret) throw new Error(`expected the JWT secret in ${JWT_SECRET_ENV}, but it is not set`);
  const ttlMs = spec.mode === 'off' ? {} : Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, spec.ttlS * 1000]));
  const answers = spec.redis ? createRedisAnswers({ url: spec.redis.url, keyPrefix: spec.redis.prefix, maxTtlMs: spec.ttlS * 1000 }) : undefined;
  if (answers && !(await answers.ready(3000))) throw new Error(`expected Redis at ${spec.redis?.url}, but it did not answer within 3 s`);

  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const gateway = await createGateway({
    registry,
    urls: spec.urls,
    tokens: Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, serviceToken(u)])) as Record<UpstreamName, string>,
    poderoOrgId: process.env.PODERO_ORG_ID || DEV_PODERO_ORG_ID,
    jwt: { secret },
    logger: createLogger({ level: 'silent' }),
    cache: { ttlMs },
    answers,
  });
  const report = await sync({ registry, upstreams: gateway.upstreams });
  if (report.failures.length > 0) throw new Error(`expected sync to read every upstream, but: ${report.failures.map((f) => `${f.upstream} ${f.code}`).join('; ')}`);
  const url = await gateway.listen(0);
  process.stdout.write(JSON.stringify({ url }) + '\n');
  const stop = (): void => {
    gateway
      .close()
      .then(() => answers?.close())
      .then(() => registry.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

// ---------------------------------------------------------------------------------------------------
// The readers

/** Cumulative Zipf weights over `n` ranks: rank k (0-based) is asked with probability ∝ 1/(k+1)^s. */
function zipfCdf(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, w) => a + w, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}

function pick(cdf: number[], u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Answer {
  ok: boolean;
  problem?: string;
  view?: string;
  calls: number;
  hits: number;
  coalesced: number;
}

const total = (value: unknown): number => (isRecord(value) ? Object.values(value).reduce<number>((a, n) => a + (typeof n === 'number' ? n : 0), 0) : NaN);

async function ask(pool: Pool, token: string, email: string): Promise<Answer> {
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, 'x-upstream-calls': 'true' },
      body: JSON.stringify({ query: QUERY, variables: { e: email } }),
    });
    const text = await res.body.text();
    const body: unknown = JSON.parse(text);
    const ext = isRecord(body) && isRecord(body.extensions) ? body.extensions : {};
    const counts = { calls: total(ext.upstreamCalls), hits: total(ext.upstreamCacheHits), coalesced: total(ext.upstreamCoalesced) };
    if (res.statusCode !== 200 || !isRecord(body) || body.errors !== undefined || !isRecord(body.data) || !isRecord(body.data.userByEmail)) {
      return { ok: false, problem: `status ${res.statusCode}: ${text.slice(0, 300)}`, ...counts };
    }
    return { ok: true, view: JSON.stringify(body.data.userByEmail), ...counts };
  } catch (err) {
    return { ok: false, problem: `request failed: ${err instanceof Error ? err.message : String(err)}`, calls: 0, hits: 0, coalesced: 0 };
  }
}

async function emulatorCall(origin: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${origin}/__emulator/${path}`, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer: unknown = await res.json();
  if (res.status !== 200) throw new Error(`expected 200 from ${origin}/__emulator/${path}, but got ${res.status}`);
  return answer;
}

/** Clears the counters (the reset also clears faults, so the latency is set again). */
async function resetEmulators(origins: Record<UpstreamName, string>, latencyMs: number): Promise<void> {
  await Promise.all(
    UPSTREAM_NAMES.map(async (u) => {
      await emulatorCall(origins[u], 'reset', {});
      if (latencyMs > 0) await emulatorCall(origins[u], 'faults', { latencyMs });
    }),
  );
}

async function emulatorCalls(origins: Record<UpstreamName, string>): Promise<number> {
  const totals = await Promise.all(
    UPSTREAM_NAMES.map(async (u) => {
      const body = await emulatorCall(origins[u], 'requests');
      const n = isRecord(body) ? body.total : undefined;
      if (typeof n !== 'number') throw new Error(`expected {total} from the ${u} emulator's counters, but got: ${JSON.stringify(body).slice(0, 200)}`);
      return n;
    }),
  );
  return totals.reduce((a, n) => a + n, 0);
}

interface Result {
  mode: Mode;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  firstProblem?: string;
  /** Emulator counters over the window, per request that started in it. */
  callsPerRequest: number;
  /** What the gateway reported, per measured request. */
  reportedCalls: number;
  hits: number;
  coalesced: number;
}

async function measure(mode: Mode, pool: Pool, token: string, emails: string[], cdf: number[], origins: Record<UpstreamName, string>, options: Options): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let firstProblem: string | undefined;
  let started = 0;
  let calls = 0;
  let hits = 0;
  let coalesced = 0;
  const warmUntil = performance.now() + options.warmupSeconds * 1000;
  let measureFrom = Infinity;
  let until = Infinity;
  const opened = (async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, warmUntil - performance.now())));
    await resetEmulators(origins, options.latency);
    measureFrom = performance.now();
    until = measureFrom + options.seconds * 1000;
  })();
  const worker = async (w: number): Promise<void> => {
    const random = prng(options.seed * 7919 + w);
    while (performance.now() < until) {
      const email = emails[pick(cdf, random())]!;
      const t0 = performance.now();
      const inWindow = t0 >= measureFrom;
      if (inWindow) started++;
      const answer = await ask(pool, token, email);
      if (!inWindow) continue;
      latencies.push(performance.now() - t0);
      calls += answer.calls;
      hits += answer.hits;
      coalesced += answer.coalesced;
      if (!answer.ok) {
        errors++;
        firstProblem ??= answer.problem;
      }
    }
  };
  await Promise.all([opened, ...Array.from({ length: options.concurrency }, (_, w) => worker(w))]);
  const counted = await emulatorCalls(origins);
  const elapsed = performance.now() - measureFrom;
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return {
    mode,
    requests: n,
    requestsPerSecond: (n / elapsed) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    firstProblem,
    callsPerRequest: counted / Math.max(1, started),
    reportedCalls: calls / Math.max(1, n),
    hits: hits / Math.max(1, n),
    coalesced: coalesced / Math.max(1, n),
  };
}

// ---------------------------------------------------------------------------------------------------
// The harness

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function row(label: string, cells: string[]): string {
  return label.padEnd(14) + cells.map((c, i) => c.padStart(i === cells.length - 1 ? 16 : 11)).join('');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadBefore = os.loadavg()[0]!;
  const children: ChildProcess[] = [];
  const onSignal = (): void => {
    Promise.all(children.map(stopChild)).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const prefix = `usergraph-bench:${randomUUID()}:answer:`;
  const withRedis = await redisReachable(REDIS_URL);
  try {
    const emulators = await startChild('emulators', ['src/main.ts', 'emulators', '--ephemeral', '--json', '--seed', String(POPULATION_SEED), '--people', String(options.people)], { stdin: 'ignore' });
    children.push(emulators.child);
    const urls = upstreamUrls(emulators.line, 'the emulators');
    const origins = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, new URL(urls[u]).origin])) as Record<UpstreamName, string>;

    const population = buildPopulation({ seed: POPULATION_SEED, people: options.people });
    const emails = population.people.filter((p) => p.in.identity && p.in.evenergy && p.in.timesheet).map((p) => p.email);
    // Who is popular is decided by a shuffle of the seed, not by the population's order.
    const shuffle = prng(options.seed);
    for (let i = emails.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [emails[i], emails[j]] = [emails[j]!, emails[i]!];
    }
    const cdf = zipfCdf(emails.length, options.skew);
    const top10 = cdf[Math.min(9, cdf.length - 1)]!;
    const secret = createDevSecret();
    const token = await signToken(secret, { sub: 'bench-admin', email: 'admin@usergraph.bench', roles: ['admin'], expiresIn: '1h' });

    const modes: Mode[] = withRedis ? ['off', 'memory', 'redis'] : ['off', 'memory'];
    // The gateways start (and sync) side by side; they are measured one after the other, the others idle.
    const gateways = await Promise.all(
      modes.map(async (mode) => {
        const spec: GatewaySpec = { urls, mode, ttlS: options.ttl, redis: mode === 'redis' ? { url: REDIS_URL, prefix } : undefined };
        const started = await startChild(`gateway (${mode})`, ['bench/cache.ts', SERVE_GATEWAY, JSON.stringify(spec)], { stdin: 'pipe', env: { ...process.env, [JWT_SECRET_ENV]: secret } });
        children.push(started.child);
        const url = isRecord(started.line) && typeof started.line.url === 'string' ? started.line.url : undefined;
        if (!url) throw new Error(`expected {"url": …} from the ${mode} gateway, but got: ${JSON.stringify(started.line).slice(0, 200)}`);
        return { mode, url, child: started.child };
      }),
    );
    let reference: Map<string, string> | undefined;
    const results: Result[] = [];
    for (const { mode, url, child } of gateways) {
      const pool = new Pool(url, { connections: options.concurrency });
      try {
        await resetEmulators(origins, options.latency);
        // The answers about the most asked people must be the ones the gateway without a cache gives.
        const views = new Map<string, string>();
        for (const email of emails.slice(0, CHECKED)) {
          const answer = await ask(pool, token, email);
          if (!answer.ok || answer.view === undefined) throw new Error(`expected the ${mode} gateway to answer for ${email}, but got ${answer.problem}`);
          views.set(email, answer.view);
          const expected = reference?.get(email);
          if (expected !== undefined && expected !== answer.view) throw new Error(`expected the ${mode} gateway to answer for ${email} as the uncached one did (${expected}), but it said ${answer.view}`);
        }
        reference ??= views;
        results.push(await measure(mode, pool, token, emails, cdf, origins, options));
      } finally {
        await pool.close();
        await stopChild(child);
      }
    }

    const cpus = os.cpus();
    process.stdout.write(`usergraph bench:cache: ${QUERY.replace(/^query\(\$e: EmailAddress!\) /, '')}\n`);
    process.stdout.write(`machine    ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}, node ${process.version}, 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n`);
    process.stdout.write(
      `readers    ${options.concurrency} in flight, ${options.seconds} s measured after ${options.warmupSeconds} s warm-up per mode, ${emails.length} people (in identity, evenergy and timesheet) ` +
        `of ${options.people}, Zipf s=${options.skew}: the 10 most asked get ${(top10 * 100).toFixed(0)} % of requests\n`,
    );
    process.stdout.write(`cache      CACHE_TTL_*_S=${options.ttl} for every upstream in "memory" and "redis"; upstream latency ${options.latency} ms\n`);
    if (!withRedis) process.stdout.write(`redis      skipped: nothing answers at ${REDIS_URL}\n`);
    process.stdout.write('\n');
    process.stdout.write(row('', ['req/s', 'p50 ms', 'p99 ms', 'calls/req', 'hits/req', 'joined/req', 'errors']) + '\n');
    for (const r of results) {
      process.stdout.write(
        row(r.mode === 'off' ? 'cache off' : r.mode, [
          r.requestsPerSecond.toFixed(0),
          r.p50.toFixed(2),
          r.p99.toFixed(2),
          r.callsPerRequest.toFixed(3),
          r.hits.toFixed(3),
          r.coalesced.toFixed(3),
          `${r.errors} of ${r.requests}`,
        ]) + '\n',
      );
    }
    const off = results[0]!;
    for (const r of results.slice(1)) {
      const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
      process.stdout.write(row(`${r.mode}/off`, [x(r.requestsPerSecond, off.requestsPerSecond), x(r.p50, off.p50), x(r.p99, off.p99), x(r.callsPerRequest, off.callsPerRequest), '', '', '']) + '\n');
    }
    process.stdout.write(`\ncalls/req: the emulators' counters over the window per request started in it (the gateway's own report: ${results.map((r) => `${r.mode} ${r.reportedCalls.toFixed(3)}`).join(', ')})\n`);
    const problems = results.filter((r) => r.errors > 0);
    for (const r of problems) process.stdout.write(`first error (${r.mode}): ${r.firstProblem}\n`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await Promise.all(children.map(stopChild));
    if (withRedis) {
      const admin = new Redis(REDIS_URL);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length) await admin.del(...keys);
      await admin.quit();
    }
  }
}

if (process.argv[2] === SERVE_GATEWAY) {
  serveGateway(process.argv[3]).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
