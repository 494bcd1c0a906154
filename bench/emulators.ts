/**
 * How many requests per second one emulator serves on a typical GET: identity `GET /api/v1/users/:id`
 * with the ids of the seeded population (`npm run bench:emulators -- --seconds 5 --concurrency 32`).
 * A benchmark, not a test: it prints requests/s, p50, p99 and the error count, and fails only when it
 * cannot run.
 *
 * The emulators run in a child process (`usergraph emulators --ephemeral --json`), so the load generator
 * here does not share their event loop. Load comes from one undici Pool with one connection per
 * concurrent worker; each worker sends its next request as soon as the previous answer is read. A short
 * warm-up (JIT, connection setup) is not counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { Pool } from 'undici';
import { serviceToken } from '../src/emulators/defaults';
import { buildPopulation } from '../src/emulators/population';

interface BenchOptions {
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  seed: number;
  people: number;
}

const USAGE = `usage: npm run bench:emulators -- [--seconds N] [--concurrency N] [--warmup N] [--seed N] [--people N]

  --seconds N      measured duration (default 5)
  --concurrency N  requests in flight, one connection each (default 32)
  --warmup N       seconds of load before measuring (default 1)
  --seed N         demo population seed the emulators serve (default 1)
  --people N       demo population size (default 200)
`;

const ROOT = path.resolve(__dirname, '..');

function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = { seconds: 5, warmupSeconds: 1, concurrency: 32, seed: 1, people: 200 };
  const limits: Record<string, { key: keyof BenchOptions; min: number; max: number; integer: boolean }> = {
    seconds: { key: 'seconds', min: 0.1, max: 3600, integer: false },
    warmup: { key: 'warmupSeconds', min: 0, max: 600, integer: false },
    concurrency: { key: 'concurrency', min: 1, max: 4096, integer: true },
    seed: { key: 'seed', min: 0, max: 2 ** 31 - 1, integer: true },
    people: { key: 'people', min: 1, max: 100_000, integer: true },
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const limit = match ? limits[match[1]!] : undefined;
    if (!match || !limit) throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    const raw = match[2] ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < limit.min || value > limit.max || (limit.integer && !Number.isInteger(value))) {
      throw new Error(`--${match[1]} must be ${limit.integer ? 'an integer' : 'a number'} from ${limit.min} to ${limit.max}, but got: ${JSON.stringify(raw)}`);
    }
    options[limit.key] = value;
  }
  return options;
}

/** Starts the emulators in a child process and resolves with the identity URL from its first stdout line. */
async function startEmulators(options: BenchOptions): Promise<{ child: ChildProcess; identityUrl: string }> {
  const args = [require.resolve('tsx/cli'), 'src/main.ts', 'emulators', '--ephemeral', '--json', '--seed', String(options.seed), '--people', String(options.people)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = child.stdout;
  if (!stdout) throw new Error('expected a stdout pipe from the emulator process, but got none');
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: stdout });
    const timer = setTimeout(() => reject(new Error('expected the emulators to print their URLs within 60 s, but they printed nothing')), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      // Keep draining so the child never blocks on a full pipe.
      stdout.resume();
      resolve(line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`expected the emulators to keep running, but their process exited (${signal ?? `code ${code}`}) before printing their URLs`));
    });
  });
  let urls: unknown;
  try {
    urls = JSON.parse(firstLine);
  } catch {
    await stopEmulators(child);
    throw new Error(`expected one line of JSON {upstream: url} from the emulators, but got: ${firstLine.slice(0, 200)}`);
  }
  const identityUrl = typeof urls === 'object' && urls !== null && 'identity' in urls ? urls.identity : undefined;
  if (typeof identityUrl !== 'string') {
    await stopEmulators(child);
    throw new Error(`expected an identity URL in the emulators' JSON line, but got: ${firstLine.slice(0, 200)}`);
  }
  return { child, identityUrl };
}

async function stopEmulators(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(forced);
}

/** Looks up each person's identity id by email, once, before anything is timed. */
async function lookUpIds(pool: Pool, basePath: string, headers: Record<string, string>, emails: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const email of emails) {
    const res = await pool.request({ method: 'GET', path: `${basePath}/users/${encodeURIComponent(email)}`, headers });
    const body: unknown = await res.body.json();
    const user = typeof body === 'object' && body !== null && 'data' in body && typeof body.data === 'object' && body.data !== null && 'user' in body.data ? body.data.user : undefined;
    const id = typeof user === 'object' && user !== null && 'id' in user ? user.id : undefined;
    if (res.statusCode !== 200 || typeof id !== 'string') {
      throw new Error(`expected 200 with data.user.id for ${email}, but got ${res.statusCode}: ${JSON.stringify(body).slice(0, 200)}`);
    }
    ids.push(id);
  }
  return ids;
}

interface RunResult {
  latenciesMs: number[];
  errors: number;
  elapsedMs: number;
}

/** Runs `concurrency` back-to-back workers until `until`; records only requests started after `measureFrom`. */
async function load(pool: Pool, paths: string[], headers: Record<string, string>, concurrency: number, measureFrom: number, until: number): Promise<RunResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const requestPath = paths[next++ % paths.length]!;
      const started = performance.now();
      let ok = false;
      try {
        const res = await pool.request({ method: 'GET', path: requestPath, headers });
        await res.body.arrayBuffer();
        ok = res.statusCode === 200;
      } catch {
        ok = false;
      }
      const ended = performance.now();
      if (started < measureFrom || ended > until) continue;
      latenciesMs.push(ended - started);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latenciesMs, errors, elapsedMs: until - measureFrom };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { child, identityUrl } = await startEmulators(options);
  const stopOnSignal = (): void => {
    stopEmulators(child).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  try {
    const url = new URL(identityUrl);
    const pool = new Pool(url.origin, { connections: options.concurrency, pipelining: 1 });
    try {
      const headers = { authorization: `Bearer ${serviceToken('identity')}`, accept: 'application/json', 'user-agent': 'usergraph-bench/1' };
      const population = buildPopulation({ seed: options.seed, people: options.people });
      const ids = await lookUpIds(pool, url.pathname, headers, population.people.map((p) => p.email));
      const paths = ids.map((id) => `${url.pathname}/users/${encodeURIComponent(id)}`);

      const start = performance.now();
      const measureFrom = start + options.warmupSeconds * 1000;
      const result = await load(pool, paths, headers, options.concurrency, measureFrom, measureFrom + options.seconds * 1000);
      const sorted = [...result.latenciesMs].sort((a, b) => a - b);
      const total = sorted.length;
      const lines = [
        `identity emulator, GET /api/v1/users/:id over ${ids.length} seeded ids`,
        `concurrency ${options.concurrency}, ${options.seconds} s measured after ${options.warmupSeconds} s warm-up, emulators in pid ${child.pid}`,
        `requests/s  ${((total / result.elapsedMs) * 1000).toFixed(0)}`,
        `p50         ${percentile(sorted, 50).toFixed(2)} ms`,
        `p99         ${percentile(sorted, 99).toFixed(2)} ms`,
        `errors      ${result.errors} of ${total}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    } finally {
      await pool.close();
    }
  } finally {
    process.off('SIGINT', stopOnSignal);
    await stopEmulators(child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:emulators: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
