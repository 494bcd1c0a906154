/**
 * `npm run bench:soak`: is memory flat under load? The real CLI (`usergraph start`: embedded emulators on
 * ephemeral ports, a fresh SQLite registry linked by the first sync, a JWT secret this harness sets) serves
 * a mixed load for `--minutes` (default 3): reads of random people across all five upstreams, and
 * `updateUser` writes that rename them and name them back. Every 10 s it prints the gateway process's RSS
 * (read from /proc, so it is the server's own memory, not this load generator's), and at the end the
 * slope of RSS over the second half (a least-squares line) as a share of the mean RSS per minute. FAIL
 * when that slope exceeds 1% per minute: memory that still grows after warm-up is a leak, not a cache.
 *
 * A benchmark, not a test: it exits 1 on FAIL or when it cannot run, 0 otherwise.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { signToken } from '../src/auth/dev';
import { buildPopulation } from '../src/emulators/population';
import { parseNumberFlags, ROOT } from './lib';

interface SoakOptions {
  minutes: number;
  concurrency: number;
  writes: number;
  people: number;
}

const USAGE = `usage: npm run bench:soak -- [--minutes N] [--concurrency N] [--writes PERCENT] [--people N]

  --minutes N      how long to drive load (default 3)
  --concurrency N  requests in flight (default 8)
  --writes N       share of requests that are updateUser writes, in percent (default 10)
  --people N       demo population size (default 200)
`;

const SAMPLE_EVERY_MS = 10_000;
const FAIL_SLOPE_PERCENT_PER_MIN = 1;
const SECRET = 'soak-benchmark-secret-0123456789abcdef-01234567';

const READ = `query($e: EmailAddress!) { userByEmail(email: $e) { id firstName lastName status notificationGroups { chargingFlow } address { town } devices { id } role state } }`;
const WRITE = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id firstName } outcomes { upstream status } } }`;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`expected VmRSS in /proc/${pid}/status, but found none`);
  return Number(kb[1]) * 1024;
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<number> {
  const options = parseNumberFlags<SoakOptions>(
    process.argv.slice(2),
    { minutes: 3, concurrency: 8, writes: 10, people: 200 },
    {
      minutes: { key: 'minutes', min: 0.5, max: 120, integer: false },
      concurrency: { key: 'concurrency', min: 1, max: 256, integer: true },
      writes: { key: 'writes', min: 0, max: 100, integer: false },
      people: { key: 'people', min: 10, max: 10_000, integer: true },
    },
    USAGE,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'usergraph-soak-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      EMULATOR_PORTS: 'ephemeral',
      EMULATOR_PEOPLE: String(options.people),
      SQLITE_PATH: path.join(dir, 'soak.db'),
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'error',
      GRAPHIQL: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const origin = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the gateway did not start within 60 s; it printed:\n${out}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /GraphQL\s+(http:\/\/[^/\s]+)\/graphql/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before it was ready:\n${out}`)));
    });
    const population = buildPopulation({ people: options.people });
    const admin = await signToken(SECRET, { sub: 'soak-admin', roles: ['admin'], expiresIn: '12h' });
    const pool = new Pool(origin, { connections: options.concurrency });
    const post = async (query: string, variables: Record<string, unknown>): Promise<{ data?: Record<string, unknown> | null; errors?: unknown[] }> => {
      const res = await pool.request({
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.body.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    };

    const ids = new Map<string, string>();
    let requests = 0;
    let failures = 0;
    const end = Date.now() + options.minutes * 60_000;
    const worker = async (w: number): Promise<void> => {
      for (let i = w; Date.now() < end; i += options.concurrency) {
        const person = population.people[(i * 7919) % population.people.length]!;
        const write = (i % 100) < options.writes && ids.has(person.email);
        try {
          const body = write
            ? await post(WRITE, { id: ids.get(person.email), input: { firstName: i % 2 ? `${person.firstName}x` : person.firstName } })
            : await post(READ, { e: person.email });
          const user = (body.data?.userByEmail ?? null) as { id?: string } | null;
          if (user?.id) ids.set(person.email, user.id);
          if (body.errors) failures++;
        } catch {
          failures++;
        }
        requests++;
      }
    };

    const samples: { x: number; y: number }[] = [];
    const started = Date.now();
    const sample = (): void => {
      const rss = rssBytes(child.pid!);
      const t = (Date.now() - started) / 60_000;
      samples.push({ x: t, y: rss });
      process.stdout.write(`t=${(t * 60).toFixed(0).padStart(4)} s  rss=${(rss / 2 ** 20).toFixed(1).padStart(7)} MiB  requests=${requests}  with errors=${failures}\n`);
    };
    sample();
    const timer = setInterval(sample, SAMPLE_EVERY_MS);
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
    clearInterval(timer);
    sample();
    await pool.close();

    const secondHalf = samples.filter((s) => s.x >= options.minutes / 2);
    const mean = secondHalf.reduce((a, s) => a + s.y, 0) / secondHalf.length;
    const perMin = secondHalf.length >= 3 ? (slope(secondHalf) / mean) * 100 : NaN;
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`\n${requests} requests in ${seconds.toFixed(0)} s (${(requests / seconds).toFixed(0)} req/s), ${failures} with errors\n`);
    if (!Number.isFinite(perMin)) {
      process.stdout.write('too few samples in the second half for a slope: run longer (--minutes 1 or more)\n');
      return 1;
    }
    const verdict = perMin > FAIL_SLOPE_PERCENT_PER_MIN ? 'FAIL' : 'PASS';
    process.stdout.write(`RSS slope over the second half: ${perMin >= 0 ? '+' : ''}${perMin.toFixed(2)}% of the mean per minute (limit ${FAIL_SLOPE_PERCENT_PER_MIN}%): ${verdict}\n`);
    return verdict === 'PASS' ? 0 : 1;
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:soak could not run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
