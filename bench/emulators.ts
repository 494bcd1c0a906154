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
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { serviceToken } from '../src/contracts/dev-defaults';
import { buildPopulation } from '../src/emulators/population';
import { isRecord, parseNumberFlags, percentile, startChild, stopChild } from './lib';

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

function parseOptions(argv: string[]): BenchOptions {
  return parseNumberFlags(
    argv,
    { seconds: 5, warmupSeconds: 1, concurrency: 32, seed: 1, people: 200 },
    {
      seconds: { key: 'seconds', min: 0.1, max: 3600, integer: false },
      warmup: { key: 'warmupSeconds', min: 0, max: 600, integer: false },
      concurrency: { key: 'concurrency', min: 1, max: 4096, integer: true },
      seed: { key: 'seed', min: 0, max: 2 ** 31 - 1, integer: true },
      people: { key: 'people', min: 1, max: 100_000, integer: true },
    },
    USAGE,
  );
}

/** Starts the emulators in a child process and resolves with the identity URL from its first stdout line. */
async function startEmulators(options: BenchOptions): Promise<{ child: ChildProcess; identityUrl: string }> {
  const { child, line } = await startChild('emulators', ['src/main.ts', 'emulators', '--ephemeral', '--json', '--seed', String(options.seed), '--people', String(options.people)], {
    stdin: 'ignore',
  });
  const identityUrl = isRecord(line) ? line.identity : undefined;
  if (typeof identityUrl !== 'string') {
    await stopChild(child);
    throw new Error(`expected an identity URL in the emulators' JSON line, but got: ${JSON.stringify(line).slice(0, 200)}`);
  }
  return { child, identityUrl };
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { child, identityUrl } = await startEmulators(options);
  const stopOnSignal = (): void => {
    stopChild(child).finally(() => process.exit(130));
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
    await stopChild(child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:emulators: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
