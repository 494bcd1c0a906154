/**
 * `npm run bench:adversarial`: how the gateway refuses hostile operations. A benchmark, not a test: for
 * each operation it prints how long the answer took (p50, max), what it was answered with, and the
 * event-loop delay while it was being answered (perf_hooks monitorEventLoopDelay, p99 and max), next to a
 * plain `{ me { id } }` measured in the same run, with the ratios hostile/baseline. It fails only when it
 * cannot run, or when an operation is answered with another code than expected.
 *
 * One process: the emulators, an in-memory SQLite registry, the gateway with its default limits and this
 * load generator share one event loop, so any time the gateway spends blocking shows as loop delay. The
 * requests of one operation are sent one after another, so each measures the refusal alone.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { signToken } from '../src/auth/dev';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../src/contracts/dev-defaults';
import { startEmulators } from '../src/emulators';
import { buildPopulation } from '../src/emulators/population';
import type { UpstreamName } from '../src/errors';
import { openRegistry } from '../src/registry';
import { createGateway } from '../src/server/gateway';
import { createLogger } from '../src/lib/logger';
import { isRecord, parseNumberFlags, percentile } from './lib';

const USAGE = `usage: npm run bench:adversarial -- [--requests N]

  --requests N   requests per operation, one after another (default 20)
`;

interface Hostile {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The code the answer must carry; undefined: answered with data. */
  code?: string;
}

function fragmentBomb(n: number, leaf: string): string {
  let q = '{ me { ...F0 } }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }\n`;
  return `${q}fragment F${n} on User { ${leaf} }`;
}

const projectsOf100 = 'users(first: 100) { nodes { participatingProjects(first: 100) { nodes { name } } } }';
const tenAliases = `fragment A on User { ${Array.from({ length: 10 }, (_, i) => `a${i}: id`).join(' ')} }`;

const OPERATIONS: Hostile[] = [
  { name: '26 fragments, each spreading the next twice', query: fragmentBomb(26, 'id') },
  { name: 'the same with an alias at the end (2^26 aliases)', query: fragmentBomb(26, 'a: id'), code: 'OPERATION_TOO_COMPLEX' },
  { name: '10 aliases spread 20 times', query: `{ me { ${'...A '.repeat(20)}} } ${tenAliases}`, code: 'OPERATION_TOO_COMPLEX' },
  { name: '10,000 tokens', query: `{ me { ${'id '.repeat(10_000)}} }`, code: 'OPERATION_TOO_COMPLEX' },
  { name: '10 × users(100) × participatingProjects(100)', query: `{ ${Array.from({ length: 10 }, (_, i) => `p${i}: ${projectsOf100}`).join(' ')} }`, code: 'OPERATION_TOO_COMPLEX' },
  { name: '31 × users(100) × participatingProjects(100)', query: `{ ${Array.from({ length: 31 }, (_, i) => `p${i}: ${projectsOf100}`).join(' ')} }`, code: 'OPERATION_TOO_COMPLEX' },
  { name: '1,000 × me { id }', query: `{ ${'me { id } '.repeat(1000)}}`, code: 'OPERATION_TOO_COMPLEX' },
  { name: '1,000 anonymous operations', query: '{ me { id } } '.repeat(1000), code: 'OPERATION_TOO_COMPLEX' },
  { name: 'a bad 500 KB variable', query: 'query($n: Int) { users(first: $n) { totalCount } }', variables: { n: 'x'.repeat(500_000) }, code: 'BAD_USER_INPUT' },
  { name: 'emailContains of 500 KB', query: 'query($s: String) { users(filter: { emailContains: $s }) { totalCount } }', variables: { s: 'x'.repeat(500_000) }, code: 'BAD_USER_INPUT' },
];

interface Measured {
  name: string;
  answer: string;
  bytes: number;
  p50: number;
  max: number;
  loopP99: number;
  loopMax: number;
}

async function main(): Promise<void> {
  const { requests } = parseNumberFlags(process.argv.slice(2), { requests: 20 }, { requests: { key: 'requests', min: 1, max: 10_000, integer: true } }, USAGE);
  const population = buildPopulation({ people: 200 });
  const emulators = await startEmulators({ population, ports: 'ephemeral' });
  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const secret = 'bench-secret-that-is-long-enough-for-hs256-0123';
  const gateway = await createGateway({
    registry,
    urls: emulators.urls as Record<UpstreamName, string>,
    tokens: DEV_TOKENS,
    poderoOrgId: DEV_PODERO_ORG_ID,
    jwt: { secret },
    logger: createLogger({ level: 'silent' }),
  });
  const url = await gateway.listen(0);
  const person = population.people[0]!;
  const token = await signToken(secret, { sub: 'bench-user', email: person.email, roles: ['admin'] });

  const send = async (op: Hostile): Promise<{ answer: string; bytes: number }> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: op.query, variables: op.variables }),
    });
    const text = await res.text();
    const body: unknown = JSON.parse(text);
    const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors : [];
    const first: unknown = errors[0];
    const ext = isRecord(first) && isRecord(first.extensions) ? first.extensions : {};
    const code = typeof ext.code === 'string' ? ext.code : undefined;
    if (code !== op.code) throw new Error(`expected "${op.name}" to be answered with ${op.code ?? 'data'}, but got ${code ?? 'data'} (HTTP ${res.status})`);
    const answer = code === undefined ? `${res.status} data` : `${res.status} ${code}${typeof ext.limit === 'string' ? ` ${ext.limit} ${String(ext.cost)}/${String(ext.max)}` : ''}`;
    return { answer, bytes: Buffer.byteLength(text) };
  };

  const measure = async (op: Hostile): Promise<Measured> => {
    await send(op); // warm-up: the first answer links the person, compiles code paths
    const times: number[] = [];
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    let last = { answer: '', bytes: 0 };
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      last = await send(op);
      times.push(performance.now() - started);
    }
    loop.disable();
    times.sort((a, b) => a - b);
    return { name: op.name, ...last, p50: percentile(times, 50), max: times[times.length - 1]!, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
  };

  try {
    const baseline = await measure({ name: 'baseline: { me { id } }', query: '{ me { id } }' });
    const rows = [baseline];
    for (const op of OPERATIONS) rows.push(await measure(op));
    const f = (n: number): string => n.toFixed(1);
    const r = (n: number, base: number): string => `${(n / base).toFixed(1)}×`;
    process.stdout.write(`gateway with default limits, ${requests} requests per operation, one at a time (node ${process.version})\n\n`);
    process.stdout.write('| operation | answer | bytes | p50 ms | max ms | p50 / baseline | loop delay p99 ms | loop delay max ms | loop max / baseline |\n|---|---|---|---|---|---|---|---|---|\n');
    for (const row of rows) {
      process.stdout.write(`| ${row.name} | ${row.answer} | ${row.bytes} | ${f(row.p50)} | ${f(row.max)} | ${r(row.p50, baseline.p50)} | ${f(row.loopP99)} | ${f(row.loopMax)} | ${r(row.loopMax, baseline.loopMax)} |\n`);
    }
  } finally {
    await gateway.close();
    await emulators.close();
    await registry.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
