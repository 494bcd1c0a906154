/**
 * A whole gateway for tests: the five emulators on ephemeral ports, an in-memory SQLite registry, a
 * known JWT secret, and helpers to query over real HTTP and to read the emulators' call counters.
 */
import { signToken } from '../../src/auth/dev';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Faults, RequestCounts } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson, type Population } from '../../src/emulators/population';
import { openRegistry } from '../../src/registry';
import type { Registry } from '../../src/registry/types';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway';
import { createLogger, type Logger } from '../../src/lib/logger';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  emulators: RunningEmulators;
  registry: Registry;
  population: Population;
  logLines: string[];
  adminToken: string;
  tokenFor(person: DemoPerson | { email: string; sub?: string }, roles?: string[]): Promise<string>;
  /** Sends an operation over HTTP; `TData` is the shape the operation selects (what `data` holds when it is not null). */
  query<TData = unknown>(query: string, options?: QueryOptions): Promise<GraphQLResult<TData>>;
  /** The registry's person id of demo person `index` (after sync or a lookup); fails loudly when unknown. */
  personId(index: number): Promise<string>;
  /** Call counts at each emulator since the last reset. */
  counts(): Record<UpstreamName, RequestCounts>;
  /** Total calls per upstream since the last reset. */
  totals(): Record<UpstreamName, number>;
  resetCounts(): void;
  faults(upstream: UpstreamName, faults: Faults): void;
  close(): Promise<void>;
}

export interface QueryOptions {
  /** The gateway JWT; default the admin's, `null` sends none. */
  token?: string | null;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** What the gateway puts in `extensions` of an error (DESIGN.md "Errors"); other keys are the error's own. */
export interface GraphQLErrorExtensions {
  code?: string;
  upstream?: string;
  retryAfter?: number;
  reason?: string;
  fieldErrors?: { path: string[]; message: string }[];
  [key: string]: unknown;
}

export interface GraphQLResultError {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: GraphQLErrorExtensions;
}

export interface GraphQLResult<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLResultError[];
  extensions?: {
    /** Calls per upstream this operation cost, when asked for with `x-upstream-calls: true`. */
    upstreamCalls?: Partial<Record<string, number>>;
    /** Reads answered from the answer cache, by upstream (asked for the same way). */
    upstreamCacheHits?: Partial<Record<string, number>>;
    /** Reads answered by joining another request's call in flight, by upstream. */
    upstreamCoalesced?: Partial<Record<string, number>>;
    [key: string]: unknown;
  };
}

/**
 * The `data` of a result, failing with the result's errors when there is none, so a test reads the
 * selection it asked for without casting (`dataOf(res).me.email`).
 */
export function dataOf<TData>(res: { data?: TData | null; errors?: GraphQLResultError[] }): TData {
  if (res.data === null || res.data === undefined) {
    throw new Error(`expected data, got ${res.data === null ? 'null' : 'none'} with errors ${JSON.stringify(res.errors ?? [])}`);
  }
  return res.data;
}

/** The outcome for `upstream` among a mutation payload's `outcomes`, failing when there is none. */
export function outcomeOf<TOutcome extends { upstream: string }>(outcomes: TOutcome[], upstream: string): TOutcome {
  const found = outcomes.find((o) => o.upstream === upstream);
  if (!found) throw new Error(`no outcome for ${upstream} among ${JSON.stringify(outcomes)}`);
  return found;
}

export async function startTestGateway(
  options: {
    people?: number;
    clientOverrides?: GatewayOptions['client'];
    logger?: Logger;
    budget?: GatewayOptions['budget'];
    cooldowns?: GatewayOptions['cooldowns'];
    /** CORS_ORIGINS of this gateway; unset: none. */
    corsOrigins?: GatewayOptions['corsOrigins'];
    /** Where the gateway calls each upstream instead of its emulator (a fake server in front of it, say). */
    urlFor?: (upstream: UpstreamName, emulatorUrl: string) => string | Promise<string>;
  } & Pick<GatewayOptions, 'misses' | 'discoveryMissTtlMs' | 'rediscoverIntervalMs' | 'federation' | 'introspection' | 'limits' | 'cache' | 'answers' | 'redisUrl'> = {},
): Promise<TestGateway> {
  const population = buildPopulation({ people: options.people ?? 60 });
  const emulators = await startEmulators({ population, ports: 'ephemeral' });
  const emulatorUrls = emulators.urls as Record<UpstreamName, string>;
  const urls = { ...emulatorUrls };
  if (options.urlFor) for (const u of UPSTREAM_NAMES) urls[u] = await options.urlFor(u, emulatorUrls[u]);
  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const logLines: string[] = [];
  const logger = options.logger ?? createLogger({ level: 'debug', destination: { write: (l) => logLines.push(l) } });
  const gateway = await createGateway({
    registry,
    urls,
    tokens: DEV_TOKENS,
    poderoOrgId: DEV_PODERO_ORG_ID,
    jwt: { secret: TEST_JWT_SECRET },
    logger,
    client: { headersTimeoutMs: 1000, bodyTimeoutMs: 1000, retryBaseDelayMs: 5, retryMaxDelayMs: 50, breakerMinimumCalls: 1000, ...options.clientOverrides },
    budget: options.budget,
    cooldowns: options.cooldowns,
    corsOrigins: options.corsOrigins,
    misses: options.misses,
    discoveryMissTtlMs: options.discoveryMissTtlMs,
    rediscoverIntervalMs: options.rediscoverIntervalMs,
    federation: options.federation,
    introspection: options.introspection,
    limits: options.limits,
    cache: options.cache,
    answers: options.answers,
    redisUrl: options.redisUrl,
  });
  const url = await gateway.listen(0);
  const adminToken = await signToken(TEST_JWT_SECRET, { sub: 'test-admin', email: 'admin@usergraph.test', roles: ['admin'] });

  return {
    url,
    gateway,
    emulators,
    registry,
    population,
    logLines,
    adminToken,
    tokenFor(person, roles = []) {
      return signToken(TEST_JWT_SECRET, { sub: 'sub' in person && person.sub ? person.sub : `user-${person.email}`, email: person.email, roles });
    },
    async query<TData>(query: string, opts: QueryOptions = {}): Promise<GraphQLResult<TData>> {
      const token = opts.token === undefined ? adminToken : opts.token;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
        body: JSON.stringify({ query, variables: opts.variables }),
      });
      // The body is the gateway's JSON answer; its `data` has the shape the operation selected.
      const body: Omit<GraphQLResult<TData>, 'status'> = await res.json();
      return { status: res.status, ...body };
    },
    async personId(index) {
      const demo = population.people[index];
      if (!demo) throw new Error(`the test population has no person ${index}`);
      const [person] = await registry.getPeopleByEmail([demo.email]);
      if (!person) throw new Error(`person ${index} is not in the registry`);
      return person.id;
    },
    counts() {
      return Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, emulators.emulators[u]!.counts()])) as Record<UpstreamName, RequestCounts>;
    },
    totals() {
      return Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, emulators.emulators[u]!.counts().total])) as Record<UpstreamName, number>;
    },
    resetCounts() {
      emulators.reset(false);
    },
    faults(upstream, faults) {
      emulators.emulators[upstream]!.setFaults(faults);
    },
    async close() {
      await gateway.close();
      await emulators.close();
      await registry.close();
    },
  };
}
