/**
 * `npm run bench`: the gateway against a hand-written undici fan-out server (bench/fanout-server.ts), all
 * answering the same questions side by side in one run. A benchmark, not a test: it prints requests/s,
 * p50, p99, CPU per request and errors for each target and the ratios gateway/baseline, floor/baseline and
 * gateway/floor, and fails only when it cannot run or when the targets do not answer the same.
 *
 * Two questions, each measured on its own:
 * - `person`: one person by email, with identity's names and status, ev.energy's notification groups and
 *   timesheet's role and state (three upstreams, one or two calls each);
 * - `page`: a page of 20 people (`users(first: 20, after:)`, the pages taken in turn) with fields of all
 *   five upstreams: identity's names and status, ev.energy's notification groups, VRM's sites, podero's
 *   address and timesheet's role and state. This is where the gateway's batching shows.
 *
 * A third target, the **floor** (`bench/apollo-floor.ts`): the baseline's own fan-out behind Apollo Server 5
 * with a schema of just the selected fields, asked the gateway's GraphQL. It is what Apollo Server alone
 * costs on top of the hand-written fan-out: no gateway on Apollo can go below it.
 *
 * Five processes, so that no two of the measured parts share an event loop:
 * - the emulators (`usergraph emulators --ephemeral --json`);
 * - the gateway: `createGateway` over the emulators, an in-memory SQLite registry warmed by `sync` (so
 *   every lookup is a registry hit), a JWT secret this harness generates, silent logs. It runs this same
 *   file with `serve-gateway <json>`, because the harness owns no other file to put it in. Sync cannot
 *   link VRM accounts (VRM has no user list), so before anything is measured every VRM member of the
 *   population links their own once, as a user would: `me { sites }` with their own VRM token;
 * - the baseline: `bench/fanout-server.ts`, with the same connection cap per upstream as the gateway, and
 *   for `page` the pages as the gateway's registry lists them (its own user table, in memory);
 * - this process, the load generator: one undici Pool per target with one connection per concurrent
 *   worker; each worker sends its next request as soon as the previous answer is read and checked.
 *
 * Before timing, every request of every question is asked of every target once and the answers must be
 * equal (the comparison is only fair if all do the same work), and the upstream calls one request costs
 * on each side are counted from the emulators' counters. Then each round measures, question by question,
 * the targets one after the other (the order reverses between rounds), each after its own warm-up; only
 * requests that start after the warm-up and finish before the end count.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createDevSecret, signToken } from '../src/auth/dev';
import { UPSTREAM_NAMES, type UpstreamName } from '../src/errors';
import { DEV_PODERO_ORG_ID, serviceToken } from '../src/contracts/dev-defaults';
import { buildPopulation, type Population } from '../src/emulators/population';
import { personalTokenFor } from '../src/emulators/vrm/seed';
import { formatSummary, mergeProfiles, parseProfile, summariseProfile } from './cpuprofile';
import type { BaselinePage } from './fanout-server';
import { acceptProfilerCommands, isRecord, parseNumberFlags, percentile, profileWindow, startChild, stopChild, upstreamUrls } from './lib';

interface BenchOptions {
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  connections: number;
  rounds: number;
  seed: number;
  people: number;
  /** Profile every server over their measured windows (`--profile`): a directory for the .cpuprofile files. */
  profileDir?: string;
  /** The questions to measure (`--question`); default all. */
  questions: readonly QuestionName[];
}

const QUESTIONS = ['person', 'page'] as const;
type QuestionName = (typeof QUESTIONS)[number];

const USAGE = `usage: npm run bench -- [--seconds N] [--concurrency N] [--warmup N] [--connections N] [--rounds N] [--seed N] [--people N] [--question person|page] [--profile]

  --seconds N      measured duration per target and round (default 5)
  --concurrency N  requests in flight, one connection each (default 16)
  --warmup N       seconds of load before each measurement (default 1)
  --connections N  keep-alive connections per upstream, every target alike (default 16)
  --rounds N       measure every target N times, reversing their order each round (default 1)
  --seed N         demo population seed the emulators serve (default 1)
  --people N       demo population size (default 200)
  --question Q     measure only this question: person (one person by email) or page (20 people, five
                   upstreams); default both
  --profile        CPU-profile every server over their measured windows: writes .cpuprofile files to a new
                   temporary directory and prints where each one's CPU went (the sampling costs some CPU,
                   so compare the numbers of a profiled run only with each other)
`;

/** `person`: one person by email, three upstreams. */
const PERSON_QUERY = `query($e: EmailAddress!) { userByEmail(email: $e) { firstName lastName status notificationGroups { chargingFlow chargingIssues } role state } }`;

/** `page`: 20 people of the registry's list, fields of all five upstreams. */
const PAGE_SIZE = 20;
const PAGE_QUERY = `query($after: String) { users(first: ${PAGE_SIZE}, after: $after) { nodes { email firstName lastName status notificationGroups { chargingFlow chargingIssues } sites { siteId name } address { town country } role state } } }`;

/** What the harness reads of each page before timing, for the baseline's user table. */
const PAGE_SETUP_QUERY = `query($after: String) { users(first: ${PAGE_SIZE}, after: $after) { nodes { email accounts { upstream accountId } } pageInfo { hasNextPage endCursor } } }`;

/** How a VRM member links their VRM account, as a user would: their own person, their own VRM token. */
const LINK_VRM_QUERY = `{ me { sites { siteId } } }`;

/** First argument that makes this file serve the gateway instead of running the harness. */
const SERVE_GATEWAY = 'serve-gateway';
const JWT_SECRET_ENV = 'USERGRAPH_BENCH_JWT_SECRET';


function parseOptions(argv: string[]): BenchOptions {
  const defaults: Omit<BenchOptions, 'profileDir' | 'questions'> = { seconds: 5, warmupSeconds: 1, concurrency: 16, connections: 16, rounds: 1, seed: 1, people: 200 };
  const profile = argv.includes('--profile');
  let questions: readonly QuestionName[] = QUESTIONS;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--profile') continue;
    const named = /^--question(?:=(.*))?$/.exec(arg);
    if (!named) {
      rest.push(arg);
      continue;
    }
    const value = named[1] ?? argv[++i];
    const question = QUESTIONS.find((q) => q === value);
    if (!question) throw new Error(`--question must be one of ${QUESTIONS.join(', ')}, but got: ${JSON.stringify(value)}`);
    questions = [question];
  }
  const numbers = parseNumberFlags(
    rest,
    defaults,
    {
      seconds: { key: 'seconds', min: 0.1, max: 3600, integer: false },
      warmup: { key: 'warmupSeconds', min: 0, max: 600, integer: false },
      concurrency: { key: 'concurrency', min: 1, max: 4096, integer: true },
      connections: { key: 'connections', min: 1, max: 1024, integer: true },
      rounds: { key: 'rounds', min: 1, max: 100, integer: true },
      seed: { key: 'seed', min: 0, max: 2 ** 31 - 1, integer: true },
      people: { key: 'people', min: 1, max: 100_000, integer: true },
    },
    USAGE,
  );
  return { ...numbers, questions, ...(profile ? { profileDir: mkdtempSync(path.join(os.tmpdir(), 'usergraph-bench-profile-')) } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Child processes

function childUrl(line: unknown, name: string): string {
  const url = isRecord(line) ? line.url : undefined;
  if (typeof url !== 'string') throw new Error(`expected {"url": …} from the ${name} process, but got: ${JSON.stringify(line).slice(0, 300)}`);
  return url;
}

// ---------------------------------------------------------------------------------------------------
// The gateway child (`serve-gateway`)

/**
 * Serves the gateway over the emulators named in `raw` (`{ urls, connections }`), with an in-memory
 * registry that `sync` fills before the first request, and prints `{ url, sync }` once listening.
 */
async function serveGateway(raw: string | undefined): Promise<void> {
  const [{ openRegistry }, { sync }, { createGateway }, { createLogger }] = await Promise.all([
    import('../src/registry'),
    import('../src/registry/sync'),
    import('../src/server/gateway'),
    import('../src/lib/logger'),
  ]);
  let parsed: unknown;
  try {
    parsed = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const urls = upstreamUrls(isRecord(parsed) ? parsed.urls : undefined, 'the serve-gateway argument');
  const connections = isRecord(parsed) && typeof parsed.connections === 'number' ? parsed.connections : undefined;
  const secret = process.env[JWT_SECRET_ENV];
  if (!secret) throw new Error(`expected the JWT secret in ${JWT_SECRET_ENV}, but it is not set`);

  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const gateway = await createGateway({
    registry,
    urls,
    tokens: Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, serviceToken(u)])) as Record<UpstreamName, string>,
    poderoOrgId: process.env.PODERO_ORG_ID || DEV_PODERO_ORG_ID,
    jwt: { secret },
    logger: createLogger({ level: 'silent' }),
    client: connections === undefined ? undefined : { connections },
  });
  const report = await sync({ registry, upstreams: gateway.upstreams });
  if (report.failures.length > 0) {
    throw new Error(`expected sync to read every upstream, but: ${report.failures.map((f) => `${f.upstream} ${f.code} ${f.message}`).join('; ')}`);
  }
  const url = await gateway.listen(0);
  process.stdout.write(JSON.stringify({ url, sync: { linked: report.linked, conflicts: report.conflicts.length } }) + '\n');
  const stop = (): void => {
    gateway
      .close()
      .then(() => registry.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  acceptProfilerCommands(process.stdin);
}

// ---------------------------------------------------------------------------------------------------
// Servers, questions and load

/** One server under load. */
interface Server {
  name: TargetName;
  /** The server's process, whose CPU time is sampled around each measurement (and which `--profile` profiles). */
  child: ChildProcess;
  pid: number;
  readonly pool: Pool;
}

type Read = { ok: true; view: unknown } | { ok: false; problem: string };

type TargetName = 'gateway' | 'floor' | 'baseline';
const TARGETS: readonly TargetName[] = ['gateway', 'floor', 'baseline'];

/** How to ask one server one question: its requests (built once, before timing) and how to read an answer. */
interface Asking {
  requests: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }[];
  read(status: number, body: unknown): Read;
}

/** One question, as each server is asked it; request i of the gateway and of the baseline ask the same. */
interface Question {
  name: QuestionName;
  /** What is asked, for the report. */
  title: string;
  /** Upstreams the question touches; the others must see no calls. */
  asked: readonly UpstreamName[];
  gateway: Asking;
  /** The floor is asked exactly what the gateway is. */
  floor: Asking;
  baseline: Asking;
}

function server(name: Server['name'], url: string, child: ChildProcess, connections: number): Server {
  if (child.pid === undefined) throw new Error(`expected a pid for the ${name} process, but it has none`);
  // One connection per concurrent worker, as a fleet of clients would hold.
  return { name, child, pid: child.pid, pool: new Pool(url, { connections }) };
}

function graphqlRequest(token: string, query: string, variables: Record<string, unknown>): Asking['requests'][number] {
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  };
}

/** A GraphQL answer's `data.<field>`, picked by `pick`, when it came without errors. */
function readGraphql(pick: (data: Record<string, unknown>) => unknown, what: string) {
  return (status: number, body: unknown): Read => {
    if (status !== 200) return { ok: false, problem: `status ${status}: ${JSON.stringify(body).slice(0, 300)}` };
    if (!isRecord(body)) return { ok: false, problem: `a body that is not a JSON object: ${JSON.stringify(body).slice(0, 300)}` };
    if (body.errors !== undefined) return { ok: false, problem: `errors: ${JSON.stringify(body.errors).slice(0, 300)}` };
    const view = isRecord(body.data) ? pick(body.data) : undefined;
    if (view === undefined || view === null) return { ok: false, problem: `no ${what}: ${JSON.stringify(body).slice(0, 300)}` };
    return { ok: true, view };
  };
}

function readBaseline(status: number, body: unknown): Read {
  if (status !== 200) return { ok: false, problem: `status ${status}: ${JSON.stringify(body).slice(0, 300)}` };
  if (!isRecord(body)) return { ok: false, problem: `a body that is not a JSON object: ${JSON.stringify(body).slice(0, 300)}` };
  return { ok: true, view: body };
}

function sameAsGateway(asking: Asking): Pick<Question, 'gateway' | 'floor'> {
  return { gateway: asking, floor: asking };
}

function personQuestion(token: string, emails: string[]): Question {
  return {
    name: 'person',
    title: 'userByEmail { firstName lastName status notificationGroups { chargingFlow chargingIssues } role state }; baseline GET /person?email=',
    asked: ['identity', 'evenergy', 'timesheet'],
    ...sameAsGateway({
      requests: emails.map((e) => graphqlRequest(token, PERSON_QUERY, { e })),
      read: readGraphql((data) => (isRecord(data.userByEmail) ? data.userByEmail : undefined), 'data.userByEmail'),
    }),
    baseline: {
      requests: emails.map((e) => ({ method: 'GET', path: `/person?${new URLSearchParams({ email: e })}`, headers: { accept: 'application/json' } })),
      read: readBaseline,
    },
  };
}

function pageQuestion(token: string, pages: BaselinePage[]): Question {
  return {
    name: 'page',
    title: `users(first: ${PAGE_SIZE}) { nodes { email firstName lastName status notificationGroups { … } sites { siteId name } address { town country } role state } }, ${pages.length} pages in turn; baseline GET /page?n=`,
    asked: UPSTREAM_NAMES,
    ...sameAsGateway({
      requests: pages.map((p) => graphqlRequest(token, PAGE_QUERY, { after: p.after })),
      read: readGraphql((data) => (isRecord(data.users) && Array.isArray(data.users.nodes) ? { nodes: data.users.nodes } : undefined), 'data.users.nodes'),
    }),
    baseline: {
      requests: pages.map((_, n) => ({ method: 'GET', path: `/page?n=${n}`, headers: { accept: 'application/json' } })),
      read: readBaseline,
    },
  };
}

/** Sends one request and reads its answer; a transport failure is a problem like any other. */
async function ask(server: Server, asking: Asking, index: number): Promise<Read> {
  const req = asking.requests[index % asking.requests.length]!;
  try {
    const res = await server.pool.request(req);
    const text = await res.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return asking.read(res.statusCode, body);
  } catch (err) {
    return { ok: false, problem: `request failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Asks every server every request of the question, sequentially, and fails unless they all answer alike. */
async function checkSameAnswers(question: Question, servers: Record<TargetName, Server>): Promise<void> {
  const n = question.gateway.requests.length;
  for (const name of TARGETS) {
    if (question[name].requests.length !== n) throw new Error(`expected as many ${name} requests as gateway requests for ${question.name}, but got ${question[name].requests.length} and ${n}`);
  }
  for (let i = 0; i < n; i++) {
    let expected: { name: TargetName; view: string } | undefined;
    for (const name of TARGETS) {
      const answer = await ask(servers[name], question[name], i);
      if (!answer.ok) throw new Error(`expected the ${name} to answer ${question.name} request ${i}, but got ${answer.problem}`);
      const view = JSON.stringify(answer.view);
      if (expected && view !== expected.view) {
        throw new Error(`expected the ${expected.name} and the ${name} to answer ${question.name} request ${i} alike, but the ${expected.name} said ${expected.view.slice(0, 2000)} and the ${name} ${view.slice(0, 2000)}`);
      }
      expected ??= { name, view };
    }
  }
}

type CallsPerRequest = Record<UpstreamName, { total: number; byRoute: Record<string, number> }>;

/** Upstream calls per request for one server: counters reset, every request asked once, counters read. */
async function countCalls(server: Server, asking: Asking, emulatorOrigins: Record<UpstreamName, string>): Promise<CallsPerRequest> {
  await Promise.all(UPSTREAM_NAMES.map(async (u) => {
    const res = await fetch(`${emulatorOrigins[u]}/__emulator/reset`, { method: 'POST' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`expected 200 from the ${u} emulator's reset, but got ${res.status}`);
  }));
  const n = asking.requests.length;
  for (let i = 0; i < n; i++) {
    const answer = await ask(server, asking, i);
    if (!answer.ok) throw new Error(`expected the ${server.name} to answer request ${i}, but got ${answer.problem}`);
  }
  const out = {} as CallsPerRequest;
  for (const u of UPSTREAM_NAMES) {
    const res = await fetch(`${emulatorOrigins[u]}/__emulator/requests`);
    const body: unknown = await res.json();
    const total = isRecord(body) ? body.total : undefined;
    const byRoute = isRecord(body) && isRecord(body.byRoute) ? body.byRoute : undefined;
    if (typeof total !== 'number' || !byRoute) throw new Error(`expected {total, byRoute} from the ${u} emulator's counters, but got: ${JSON.stringify(body).slice(0, 200)}`);
    const routes: Record<string, number> = {};
    for (const [route, calls] of Object.entries(byRoute)) if (typeof calls === 'number') routes[route] = calls / n;
    out[u] = { total: total / n, byRoute: routes };
  }
  return out;
}

/** Posts one GraphQL operation to the gateway before timing; its data, or a failure that says what came. */
async function gatewaySetup(pool: Pool, headers: Record<string, string>, query: string, variables: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
  const res = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (res.statusCode !== 200 || !isRecord(body) || body.errors !== undefined || !isRecord(body.data)) {
    throw new Error(`expected the gateway to answer ${what} with data and no errors, but got status ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return body.data;
}

/**
 * Links every VRM member's VRM account the way a person does (sync cannot: VRM has no user list): their
 * own gateway token, their own VRM token, `me { sites }`. Returns how many were linked.
 */
async function linkVrmAccounts(pool: Pool, secret: string, population: Population): Promise<number> {
  let linked = 0;
  for (const person of population.people.filter((p) => p.in.vrm)) {
    const token = await signToken(secret, { sub: `bench-vrm-owner-${person.index}`, email: person.email, expiresIn: '1h' });
    const headers = { authorization: `Bearer ${token}`, 'x-vrm-authorization': `Token ${personalTokenFor(population.seed, person.index)}` };
    const data = await gatewaySetup(pool, headers, LINK_VRM_QUERY, {}, `${LINK_VRM_QUERY} for ${person.email}`);
    if (isRecord(data.me) && Array.isArray(data.me.sites)) linked++;
  }
  return linked;
}

/** Every page of `users(first: PAGE_SIZE)` as the registry lists them: the cursor that asks for it, and its people's accounts. */
async function readPages(pool: Pool, token: string): Promise<BaselinePage[]> {
  const pages: BaselinePage[] = [];
  let after: string | null = null;
  for (;;) {
    const data = await gatewaySetup(pool, { authorization: `Bearer ${token}` }, PAGE_SETUP_QUERY, { after }, `page ${pages.length + 1} of users`);
    const users = isRecord(data.users) ? data.users : {};
    const nodes = Array.isArray(users.nodes) ? users.nodes : [];
    const people = nodes.map((node: unknown) => {
      const email = isRecord(node) && typeof node.email === 'string' ? node.email : undefined;
      const accounts: BaselinePage['people'][number]['accounts'] = {};
      for (const a of isRecord(node) && Array.isArray(node.accounts) ? node.accounts : []) {
        const upstream = isRecord(a) && typeof a.upstream === 'string' ? UPSTREAM_NAMES.find((u) => u.toUpperCase() === a.upstream) : undefined;
        if (upstream && isRecord(a) && typeof a.accountId === 'string') accounts[upstream] = a.accountId;
      }
      if (!email) throw new Error(`expected every listed user to have an email, but got: ${JSON.stringify(node).slice(0, 200)}`);
      return { email, accounts };
    });
    if (people.length === 0) break;
    pages.push({ after, people });
    const info = isRecord(users.pageInfo) ? users.pageInfo : {};
    if (info.hasNextPage !== true || typeof info.endCursor !== 'string') break;
    after = info.endCursor;
  }
  if (pages.length === 0) throw new Error('expected the registry to list at least one person after sync, but it lists none');
  return pages;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ); 100 on every common Linux. */
const CLOCK_TICKS = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; undefined where there is
 * no /proc (macOS, Windows), and the CPU columns then say n/a.
 */
function cpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name start at field 3 (state); utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
}

interface RunResult {
  latenciesMs: number[];
  errors: number;
  firstProblem?: string;
  elapsedMs: number;
  /** CPU the server and the emulators used during the measured window, ms. */
  serverCpuMs?: number;
  emulatorsCpuMs?: number;
  /** The server's CPU profile of the measured window, with `--profile`. */
  profileFile?: string;
}

/** CPU of each pid between two samples, or undefined when a sample is missing. */
function cpuBetween(before: (number | undefined)[], after: (number | undefined)[]): (number | undefined)[] {
  return before.map((b, i) => {
    const a = after[i];
    return a === undefined || b === undefined ? undefined : a - b;
  });
}

/**
 * Runs `concurrency` back-to-back workers for warm-up plus measurement; records measured requests only,
 * and samples the CPU time of the server and the emulators when the measured window opens and closes.
 */
async function load(target: Server, asking: Asking, emulatorsPid: number, options: BenchOptions, profileFile?: string): Promise<RunResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstProblem: string | undefined;
  let next = 0;
  const measureFrom = performance.now() + options.warmupSeconds * 1000;
  const until = measureFrom + options.seconds * 1000;
  const pids = [target.pid, emulatorsPid];
  let cpuAtStart: (number | undefined)[] = pids.map(() => undefined);
  let cpuAtEnd: (number | undefined)[] = pids.map(() => undefined);
  let profiling: ReturnType<typeof profileWindow> | undefined;
  const startTimer = setTimeout(() => {
    cpuAtStart = pids.map(cpuMs);
    if (profileFile) profiling = profileWindow(target.child, profileFile);
  }, measureFrom - performance.now());
  const endTimer = setTimeout(() => (cpuAtEnd = pids.map(cpuMs)), until - performance.now());
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const index = next++;
      const started = performance.now();
      const answer = await ask(target, asking, index);
      const ended = performance.now();
      if (started < measureFrom || ended > until) continue;
      latenciesMs.push(ended - started);
      if (!answer.ok) {
        errors++;
        firstProblem ??= answer.problem;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  // The last request may end a little after `until`; the end sample is due by then.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - performance.now())));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  const [serverCpuMs, emulatorsCpuMs] = cpuBetween(cpuAtStart, cpuAtEnd);
  const written = profiling ? await profiling.stop() : undefined;
  return { latenciesMs, errors, firstProblem, elapsedMs: until - measureFrom, serverCpuMs, emulatorsCpuMs, profileFile: written };
}

interface Summary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
  /** CPU ms per measured request in the server and in the emulators; undefined without /proc. */
  serverCpuPerRequest?: number;
  emulatorsCpuPerRequest?: number;
  firstProblem?: string;
}

function summarise(runs: RunResult[]): Summary {
  const sorted = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const elapsedMs = runs.reduce((sum, r) => sum + r.elapsedMs, 0);
  const perRequest = (pick: (r: RunResult) => number | undefined): number | undefined => {
    const values = runs.map(pick);
    return values.every((v): v is number => v !== undefined) ? values.reduce((a, v) => a + v, 0) / sorted.length : undefined;
  };
  return {
    requestsPerSecond: (sorted.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    total: sorted.length,
    serverCpuPerRequest: perRequest((r) => r.serverCpuMs),
    emulatorsCpuPerRequest: perRequest((r) => r.emulatorsCpuMs),
    firstProblem: runs.find((r) => r.firstProblem)?.firstProblem,
  };
}

function formatCalls(calls: CallsPerRequest, asked: readonly UpstreamName[]): string {
  const parts = asked.map((u) => {
    const routes = Object.entries(calls[u].byRoute).map(([route, n]) => `${route} ×${+n.toFixed(2)}`);
    return `${u} ${+calls[u].total.toFixed(2)} (${routes.join(', ') || 'none'})`;
  });
  const others = UPSTREAM_NAMES.filter((u) => !asked.includes(u) && calls[u].total > 0).map((u) => `${u} ${+calls[u].total.toFixed(2)}`);
  const total = UPSTREAM_NAMES.reduce((sum, u) => sum + calls[u].total, 0);
  return `${+total.toFixed(2)} = ${[...parts, ...others].join(', ')}`;
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() || 'unknown CPU';
  return `${model}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}, node ${process.version}`;
}

// ---------------------------------------------------------------------------------------------------
// The harness

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Other work on the machine moves these numbers more than anything measured here: show how busy it was.
  const loadBefore = os.loadavg()[0]!;
  const children: ChildProcess[] = [];
  const stopAll = (): Promise<void> => Promise.all(children.map(stopChild)).then(() => undefined);
  const onSignal = (): void => {
    stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pools: Pool[] = [];
  let setupDir: string | undefined;
  try {
    const emulators = await startChild('emulators', ['src/main.ts', 'emulators', '--ephemeral', '--json', '--seed', String(options.seed), '--people', String(options.people)], { stdin: 'ignore' });
    children.push(emulators.child);
    const urls = upstreamUrls(emulators.line, 'the emulators');
    const emulatorOrigins = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, new URL(urls[u]).origin])) as Record<UpstreamName, string>;

    const secret = createDevSecret();
    const gatewayChild = await startChild('gateway', ['bench/gateway.ts', SERVE_GATEWAY, JSON.stringify({ urls, connections: options.connections })], {
      stdin: 'pipe',
      env: { ...process.env, [JWT_SECRET_ENV]: secret },
    });
    children.push(gatewayChild.child);
    const syncLine = isRecord(gatewayChild.line) ? JSON.stringify(gatewayChild.line.sync) : '?';
    const gateway = server('gateway', childUrl(gatewayChild.line, 'gateway'), gatewayChild.child, options.concurrency);
    pools.push(gateway.pool);

    const population = buildPopulation({ seed: options.seed, people: options.people });
    const token = await signToken(secret, { sub: 'bench-admin', email: 'admin@usergraph.bench', roles: ['admin'], expiresIn: '24h' });
    // Before the baseline starts: the VRM links and the pages it serves from its own table.
    const vrmLinked = await linkVrmAccounts(gateway.pool, secret, population);
    const pages = await readPages(gateway.pool, token);
    setupDir = mkdtempSync(path.join(os.tmpdir(), 'usergraph-bench-'));
    const pagesFile = path.join(setupDir, 'pages.json');
    writeFileSync(pagesFile, JSON.stringify(pages));
    const baselineChild = await startChild('baseline', ['bench/fanout-server.ts', JSON.stringify({ urls, connections: options.connections, pagesFile })], { stdin: 'pipe' });
    children.push(baselineChild.child);
    const baseline = server('baseline', childUrl(baselineChild.line, 'baseline'), baselineChild.child, options.concurrency);
    pools.push(baseline.pool);
    const floorChild = await startChild('floor', ['bench/apollo-floor.ts', JSON.stringify({ urls, connections: options.connections, pagesFile })], { stdin: 'pipe' });
    children.push(floorChild.child);
    const floor = server('floor', childUrl(floorChild.line, 'floor'), floorChild.child, options.concurrency);
    pools.push(floor.pool);
    const servers: Record<TargetName, Server> = { gateway, floor, baseline };
    const emulatorsPid = emulators.child.pid;
    if (emulatorsPid === undefined) throw new Error('expected a pid for the emulators process, but it has none');

    const emails = population.people.filter((p) => p.in.identity && p.in.evenergy && p.in.timesheet).map((p) => p.email);
    if (emails.length === 0) throw new Error(`expected people in identity, evenergy and timesheet among ${options.people}, but there are none; raise --people`);
    const questions = [personQuestion(token, emails), pageQuestion(token, pages)].filter((q) => options.questions.includes(q.name));

    const calls = new Map<QuestionName, Record<TargetName, CallsPerRequest>>();
    for (const q of questions) {
      await checkSameAnswers(q, servers);
      const counted = {} as Record<TargetName, CallsPerRequest>;
      for (const name of TARGETS) counted[name] = await countCalls(servers[name], q[name], emulatorOrigins);
      calls.set(q.name, counted);
    }

    const runs = new Map(questions.map((q) => [q.name, { gateway: [] as RunResult[], floor: [] as RunResult[], baseline: [] as RunResult[] }]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? [baseline, floor, gateway] : [gateway, floor, baseline];
      for (const q of questions) {
        for (const target of order) {
          process.stderr.write(`bench: round ${round + 1}/${options.rounds}, ${q.name}, ${target.name}…\n`);
          const profileFile = options.profileDir ? path.join(options.profileDir, `${q.name}-${target.name}-round${round + 1}.cpuprofile`) : undefined;
          runs.get(q.name)![target.name].push(await load(target, q[target.name], emulatorsPid, options, profileFile));
        }
      }
    }

    const cpu = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms.toFixed(3));
    const row = (name: string, s: Summary): string =>
      `${name.padEnd(26)}${s.requestsPerSecond.toFixed(0).padStart(10)}${s.p50.toFixed(2).padStart(10)}${s.p99.toFixed(2).padStart(10)}` +
      `${cpu(s.serverCpuPerRequest).padStart(14)}${cpu(s.emulatorsCpuPerRequest).padStart(14)}   ${s.errors} of ${s.total}`;
    const ratio = (a: number | undefined, c: number | undefined): string => (a === undefined || c === undefined ? 'n/a' : `${(a / c).toFixed(2)}x`);
    const lines = [
      `usergraph bench: each question asked of the gateway, of the hand-written baseline, and of the baseline behind Apollo Server (the floor)`,
      ...questions.map((q) => `  ${q.name.padEnd(7)}${q.title}`),
      `  gateway = createGateway, registry warmed by sync ${syncLine}, ${vrmLinked} VRM accounts linked by their owners`,
      `  baseline = bench/fanout-server.ts (plain node:http + undici Pools; for page, the registry's pages in memory)`,
      `  floor    = bench/apollo-floor.ts (the baseline's fan-out in two resolvers of Apollo Server 5, asked the gateway's GraphQL)`,
      `machine    ${machine()}, 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after`,
      `load       concurrency ${options.concurrency}, ${options.seconds} s measured after ${options.warmupSeconds} s warm-up per target and question, ${options.rounds} round(s), ${emails.length} emails (people in identity, evenergy and timesheet), ${pages.length} pages, ${options.connections} connections per upstream`,
      `processes  load generator ${process.pid}, emulators ${emulatorsPid}, gateway ${gateway.pid}, floor ${floor.pid}, baseline ${baseline.pid}`,
      `upstream calls per request (emulator counters, one pass over the requests):`,
      ...questions.flatMap((q) => [
        `  ${q.name.padEnd(7)}gateway  ${formatCalls(calls.get(q.name)!.gateway, q.asked)}`,
        `  ${''.padEnd(7)}floor    ${formatCalls(calls.get(q.name)!.floor, q.asked)}`,
        `  ${''.padEnd(7)}baseline ${formatCalls(calls.get(q.name)!.baseline, q.asked)}`,
      ]),
      ``,
      `${''.padEnd(26)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'server CPU'.padStart(14)}${'emulator CPU'.padStart(14)}   errors`,
      `${''.padEnd(56)}${'ms/req'.padStart(14)}${'ms/req'.padStart(14)}`,
    ];
    const problems: string[] = [];
    for (const q of questions) {
      const g = summarise(runs.get(q.name)!.gateway);
      const f = summarise(runs.get(q.name)!.floor);
      const b = summarise(runs.get(q.name)!.baseline);
      const ratios = (name: string, x: Summary, y: Summary): string =>
        `${`${''.padEnd(7)}${name}`.padEnd(26)}${ratio(x.requestsPerSecond, y.requestsPerSecond).padStart(10)}${ratio(x.p50, y.p50).padStart(10)}${ratio(x.p99, y.p99).padStart(10)}` +
        `${ratio(x.serverCpuPerRequest, y.serverCpuPerRequest).padStart(14)}${ratio(x.emulatorsCpuPerRequest, y.emulatorsCpuPerRequest).padStart(14)}`;
      lines.push(
        row(`${q.name.padEnd(7)}gateway`, g),
        row(`${''.padEnd(7)}floor`, f),
        row(`${''.padEnd(7)}baseline`, b),
        ratios('gateway/baseline', g, b),
        ratios('floor/baseline', f, b),
        ratios('gateway/floor', g, f),
      );
      for (const [name, s] of [['gateway', g], ['floor', f], ['baseline', b]] as const) {
        if (s.firstProblem) problems.push(`first ${q.name} ${name} error: ${s.firstProblem}`);
      }
    }
    lines.push(...problems);
    if (options.profileDir) {
      lines.push('', `CPU profiles of the measured windows (profiling costs CPU: compare these numbers only with each other), in ${options.profileDir}:`);
      for (const q of questions) {
        for (const name of TARGETS) {
          const profiled = runs.get(q.name)![name].filter((r) => r.profileFile);
          const merged = mergeProfiles(profiled.map((r) => parseProfile(readFileSync(r.profileFile!, 'utf8'), r.profileFile!)));
          const requests = profiled.reduce((n, r) => n + r.latenciesMs.length, 0);
          lines.push('', formatSummary(`${q.name} ${name}`, summariseProfile(merged), requests));
        }
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(pools.map((p) => p.close()));
    await stopAll();
    if (setupDir) rmSync(setupDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === SERVE_GATEWAY) {
  serveGateway(process.argv[3]).catch((err: unknown) => {
    process.stderr.write(`bench gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
