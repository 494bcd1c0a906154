/**
 * Several gateway replicas on one PostgreSQL registry, as a load balancer would see them (DESIGN.md
 * "Health, replicas and shutdown"): one set of emulators in the test process on ephemeral ports, a fresh
 * PostgreSQL database (created here, dropped by `close`), and N gateway processes spawned as the real
 * CLI (`tsx src/main.ts start`) with `DATABASE_URL`, every upstream URL pointing at the emulators,
 * `JWT_SECRET` set (so tokens are signed here), `PORT=0` and `LOG_LEVEL=warn`.
 *
 * With every upstream URL set, `start` does not run its first sync: people are found by discovery (or by
 * the test running `sync` itself). Account counts are read from the emulators: POSTs from their request
 * counters, accounts by asking each upstream for the email over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { signToken } from '../../src/auth/dev';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import type { Faults } from '../../src/emulators/kit';
import { buildPopulation, type Population } from '../../src/emulators/population';
import { createUpstreams, type Upstreams } from '../../src/upstreams';
import { UPSTREAM_URL_ENV } from '../../src/config';
import { createTestDatabase, dropTestDatabase } from '../registry/postgresTarget';
import type { GraphQLResult } from './gateway';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export const REPLICA_JWT_SECRET = 'replica-test-secret-that-is-long-enough-for-hs256-0123';

export interface Replica {
  index: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

/** The upstreams the gateway can create accounts in, with their account count for one email. */
export type AccountCounts = Record<Exclude<UpstreamName, 'vrm'>, number>;

/** What `/readyz` answers in JSON (a plain-text answer is passed on as a string). */
export interface ReadyzBody {
  status: string;
  upstreams: Record<string, string>;
  [key: string]: unknown;
}

export interface ReplicaSet {
  replicas: Replica[];
  emulators: RunningEmulators;
  population: Population;
  database: { name: string; url: string };
  adminToken: string;
  /** A GraphQL request to one replica (by index), as the admin unless `token` says otherwise. */
  query<T = unknown>(replica: number, query: string, options?: { variables?: Record<string, unknown>; token?: string | null }): Promise<GraphQLResult<T>>;
  /** `GET /readyz` of one replica. */
  readyz(replica: number): Promise<{ status: number; body: ReadyzBody | string }>;
  /** POSTs that created users, per upstream, since the last `resetCounts` (from the emulators' counters). */
  userPosts(): AccountCounts;
  /** How many accounts each upstream holds whose email equals `email`, ignoring case. */
  accounts(email: string): Promise<AccountCounts>;
  resetCounts(): void;
  faults(upstream: UpstreamName, faults: Faults): void;
  /** Starts one more replica on the same database and emulators. */
  addReplica(): Promise<Replica>;
  /** Stops one replica (SIGINT) and waits for it to exit. */
  stop(replica: number): Promise<number | null>;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  count?: number;
  /** Demo population size of the emulators. Default 20. */
  people?: number;
  /** More environment for every replica. */
  env?: NodeJS.ProcessEnv;
}

function spawnReplica(index: number, env: NodeJS.ProcessEnv): Promise<Replica> {
  const child = spawn(TSX, ['src/main.ts', 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${index} was not ready within 60 s; it printed:\n${out}`));
    }, 60_000);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited with ${code} before it was ready; it printed:\n${out}`));
    };
    child.once('exit', onExit);
    const onData = (): void => {
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out);
      if (!url) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      resolve({ index, origin: url[1]!.replace('localhost', '127.0.0.1'), child, output: () => out });
    };
    child.stdout!.on('data', onData);
  });
}

function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGINT');
  });
}

/** Route keys of user creation at each emulator (`POST /users`, podero's `POST /org/:org_id/users` …). */
function isUserPost(route: string): boolean {
  return /^POST \S*\/users\/?$/.test(route);
}

export async function startReplicas(options: ReplicaOptions = {}): Promise<ReplicaSet> {
  const population = buildPopulation({ people: options.people ?? 20 });
  const emulators = await startEmulators({ population, ports: 'ephemeral' });
  const database = await createTestDatabase();
  const urls = emulators.urls as Record<UpstreamName, string>;
  const upstreams: Upstreams = createUpstreams({ urls, tokens: DEV_TOKENS, poderoOrgId: DEV_PODERO_ORG_ID, client: { maxRetries: 0, breakerMinimumCalls: 100_000 } });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Stopping a replica in a test need not wait for a load balancer.
    SHUTDOWN_DELAY_MS: '0',
    DATABASE_URL: database.url,
    JWT_SECRET: REPLICA_JWT_SECRET,
    PODERO_ORG_ID: DEV_PODERO_ORG_ID,
    ...Object.fromEntries(UPSTREAM_NAMES.map((u) => [UPSTREAM_URL_ENV[u], urls[u]])),
    ...options.env,
  };
  const replicas: Replica[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => stopChild(r.child)));
    await upstreams.close();
    await emulators.close();
    await dropTestDatabase(database.name);
  };
  try {
    // One first, so its migrations are done before the others start (they would wait on the lock anyway).
    replicas.push(await spawnReplica(0, env));
    replicas.push(...(await Promise.all(Array.from({ length: (options.count ?? 3) - 1 }, (_, i) => spawnReplica(i + 1, env)))));
  } catch (err) {
    await cleanup();
    throw err;
  }
  const adminToken = await signToken(REPLICA_JWT_SECRET, { sub: 'replica-admin', email: 'admin@usergraph.test', roles: ['admin'] });

  return {
    replicas,
    emulators,
    population,
    database,
    adminToken,
    async query<T>(replica: number, query: string, opts: { variables?: Record<string, unknown>; token?: string | null } = {}): Promise<GraphQLResult<T>> {
      const target = replicas[replica];
      if (!target) throw new Error(`there is no replica ${replica}`);
      const token = opts.token === undefined ? adminToken : opts.token;
      const res = await fetch(`${target.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables: opts.variables }),
      });
      const text = await res.text();
      let body: Omit<GraphQLResult<T>, 'status'>;
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`replica ${replica} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
      }
      return { status: res.status, ...body };
    },
    async readyz(replica) {
      const res = await fetch(`${replicas[replica]!.origin}/readyz`);
      const text = await res.text();
      let body: ReadyzBody | string = text;
      try {
        body = JSON.parse(text);
      } catch {
        // A plain-text answer is kept as it is.
      }
      return { status: res.status, body };
    },
    userPosts() {
      const posts = (u: UpstreamName): number =>
        Object.entries(emulators.emulators[u]!.counts().byRoute)
          .filter(([route]) => isUserPost(route))
          .reduce((sum, [, n]) => sum + n, 0);
      return { identity: posts('identity'), evenergy: posts('evenergy'), podero: posts('podero'), timesheet: posts('timesheet') };
    },
    async accounts(email) {
      const wanted = email.toLowerCase();
      const [identity, evenergy, podero, timesheet] = await Promise.all([
        upstreams.identity.getUser(wanted).then((user) => (user && user.email.toLowerCase() === wanted ? 1 : 0)),
        upstreams.evenergy.findUsersByEmail(wanted).then((users) => users.length),
        upstreams.podero.listUsers({}).then((users) => users.filter((u) => u.email.toLowerCase() === wanted).length),
        upstreams.timesheet.findUsersByEmail(wanted).then((users) => users.length),
      ]);
      return { identity, evenergy, podero, timesheet };
    },
    resetCounts() {
      emulators.reset(false);
    },
    faults(upstream, faults) {
      emulators.emulators[upstream]!.setFaults(faults);
    },
    async addReplica() {
      const replica = await spawnReplica(replicas.length, env);
      replicas.push(replica);
      return replica;
    },
    stop(replica) {
      return stopChild(replicas[replica]!.child);
    },
    close: cleanup,
  };
}
