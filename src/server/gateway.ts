/**
 * Assembles one gateway from its parts: registry, upstream clients and connectors, linker, auth, schema,
 * Apollo and the HTTP surface. `start.ts` uses it for `npm start`; tests and benchmarks use it with
 * emulators on ephemeral ports and an in-memory registry.
 */
import { createJwtVerifier, type JwtVerifierOptions } from '../auth/jwt';
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { createContextFactory, type GatewayDeps } from '../graph/context';
import { buildSchema, type FederationMode } from '../graph/schema';
import { createLinker } from '../registry/linker';
import { createMemoryMisses, createRedisMisses, type MissStore } from '../registry/misses';
import type { Registry } from '../registry/types';
import { createUpstreams, type Upstreams } from '../upstreams';
import { createMemoryAnswers, createRedisAnswers, type AnswerStore } from '../upstreams/answers';
import { DEFAULT_BUDGET, type BudgetLimits } from '../upstreams/budget';
import { createMemoryCooldowns, createRedisCooldowns, type CooldownStore } from '../upstreams/cooldown';
import { metricsRegistry } from '../upstreams/metrics';
import type { UpstreamClientOptions } from '../upstreams/types';
import { createApollo } from './apollo';
import { createHttpServer, type HttpServer } from './http';
import type { OperationLimits } from './limits';
import type { Logger } from '../lib/logger';

export interface GatewayOptions {
  registry: Registry;
  urls: Record<UpstreamName, string>;
  tokens: Record<UpstreamName, string>;
  poderoOrgId: string;
  jwt: JwtVerifierOptions;
  logger: Logger;
  introspection?: boolean;
  /** FEDERATION: `subgraph` serves the schema as an Apollo Federation subgraph too; default `off`. */
  federation?: FederationMode;
  concurrency?: number;
  client?: Omit<UpstreamClientOptions, 'upstream' | 'baseUrl' | 'describeError' | 'cooldowns' | 'answers' | 'cacheTtlMs'>;
  /** Each operation's upstream calls, deadline and response bytes; defaults `DEFAULT_BUDGET`. */
  budget?: Partial<BudgetLimits>;
  /** Shares 429 cooldowns with every replica when set (`REDIS_URL`); otherwise they live in this process. */
  redisUrl?: string;
  /** Where cooldowns are kept, instead of the store `redisUrl` chooses (tests). The caller closes it. */
  cooldowns?: CooldownStore;
  /** Where discovery misses are kept, instead of the store `redisUrl` chooses (tests). The caller closes it. */
  misses?: MissStore;
  /**
   * The opt-in answer cache: each upstream's TTL in ms (CACHE_TTL_<UPSTREAM>_S; absent or 0: not cached)
   * and the bounds of the memory store (CACHE_MAX_ENTRIES, CACHE_MAX_MB). With `redisUrl` the answers
   * live in Redis, shared by every replica. Off when no TTL is above 0.
   */
  cache?: { ttlMs?: Partial<Record<UpstreamName, number>>; maxEntries?: number; maxBytes?: number };
  /** Where answers are cached, instead of the store `redisUrl` chooses (tests, benchmarks). The caller closes it. */
  answers?: AnswerStore;
  /** How long an email no upstream knows is remembered (DISCOVERY_MISS_TTL_S); default 60 s, 0 never. */
  discoveryMissTtlMs?: number;
  /** A known person's unlinked upstreams are asked again at most once per this (REDISCOVER_INTERVAL_S); default 5 min. */
  rediscoverIntervalMs?: number;
  /** Static operation limits; each omitted one takes its default. */
  limits?: Partial<OperationLimits>;
  /** Production: no "Did you mean" in validation errors, and /metrics only with a token or on its own port. */
  production?: boolean;
  /** `/metrics` access: a bearer token, and/or a separate port (0: any free port). */
  metrics?: { token?: string; port?: number };
  /** Operations per batched request (MAX_BATCH). Default 10. */
  maxBatch?: number;
  /** Origins whose pages may call `/graphql` (CORS_ORIGINS); unset: no CORS headers. */
  corsOrigins?: '*' | readonly string[];
  graphiql?: (path: string) => Promise<{ contentType: string; body: string | Buffer; headers?: Record<string, string> } | undefined>;
  /** More secrets to mask in client messages, besides the service tokens and the JWT secret (start.ts's list). */
  secrets?: readonly string[];
}

export interface Gateway {
  http: HttpServer;
  deps: GatewayDeps;
  upstreams: Upstreams;
  listen(port: number, host?: string): Promise<string>;
  /** From now on `/readyz` answers 503 (`draining`) while requests are still served: the first step of shutdown. */
  drain(): void;
  /**
   * Stops the listener, lets in-flight requests finish for `graceMs` (default 0: cut at once; `http.close`),
   * then stops Apollo and closes the upstream pools and the stores this gateway opened.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { registry, logger } = options;
  // One cooldown store for the five clients: a 429 silences its upstream for every request of the process.
  const cooldowns: CooldownStore =
    options.cooldowns ??
    (options.redisUrl ? createRedisCooldowns({ url: options.redisUrl, log: (message, fields) => logger.warn(fields ?? {}, message) }) : createMemoryCooldowns());
  const ttlMs = options.cache?.ttlMs ?? {};
  const maxTtlMs = Math.max(0, ...Object.values(ttlMs).map((ms) => ms ?? 0));
  const answers: AnswerStore | undefined =
    maxTtlMs <= 0
      ? undefined
      : (options.answers ??
        (options.redisUrl
          ? createRedisAnswers({ url: options.redisUrl, maxTtlMs, log: (message, fields) => logger.warn(fields, message) })
          : createMemoryAnswers({ maxEntries: options.cache?.maxEntries, maxBytes: options.cache?.maxBytes })));
  const upstreams = createUpstreams({
    urls: options.urls,
    tokens: options.tokens,
    poderoOrgId: options.poderoOrgId,
    client: { ...options.client, cooldowns },
    cache: answers ? { store: answers, ttlMs } : undefined,
  });
  const concurrency = options.concurrency ?? 8;
  // Emails no upstream knows, remembered for a short TTL: shared by every replica with Redis.
  const missTtlMs = options.discoveryMissTtlMs ?? 60_000;
  const misses: MissStore =
    options.misses ??
    (options.redisUrl ? createRedisMisses({ url: options.redisUrl, ttlMs: missTtlMs, log: (message, fields) => logger.warn(fields, message) }) : createMemoryMisses({ ttlMs: missTtlMs }));
  const deps: GatewayDeps = {
    registry,
    upstreams,
    linker: createLinker({ registry, upstreams, logger, concurrency, misses, rediscoverIntervalMs: options.rediscoverIntervalMs }),
    logger,
    verifier: createJwtVerifier(options.jwt),
    concurrency,
    budget: { ...DEFAULT_BUDGET, ...options.budget },
  };
  const introspection = options.introspection ?? true;
  const apollo = createApollo({
    // A subgraph's `_service` (its SDL) is as public as introspection.
    schema: buildSchema({ federation: options.federation, schemaPublic: introspection }),
    logger,
    introspection,
    limits: options.limits,
    production: options.production,
    maxBatch: options.maxBatch ?? 10,
    // The second guard of "no upstream text reaches a client": these never leave in a message.
    secrets: [...Object.values(options.tokens), options.jwt.secret ?? '', ...(options.secrets ?? [])].filter(Boolean),
  });
  await apollo.start();
  let draining = false;
  const http = createHttpServer({
    apollo,
    context: createContextFactory(deps),
    logger,
    graphiql: options.graphiql,
    maxBatch: options.maxBatch ?? 10,
    corsOrigins: options.corsOrigins,
    production: options.production,
    metricsToken: options.metrics?.token,
    metricsPort: options.metrics?.port,
    // Ready means "this process can serve" (DESIGN.md "Health, replicas and shutdown"): the registry
    // answers a real query within 1 s and the process is not draining. Breakers and cooldowns are in the
    // body for operators but never make it 503: partial answers are the product, and one upstream's
    // outage must not take every replica out of rotation.
    async readiness() {
      let registryError: string | undefined;
      try {
        await registry.ping(1000);
      } catch (err) {
        registryError = err instanceof Error ? err.message : String(err);
      }
      const upstreamState = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, upstreams.clients[u].breakerState()]));
      const ready = !registryError && !draining;
      const status = draining ? 'draining' : registryError ? 'registry unavailable' : 'ready';
      return {
        ready,
        body: { status, registry: { dialect: registry.dialect, reachable: !registryError }, upstreams: upstreamState },
      };
    },
    async metrics() {
      const reg = metricsRegistry();
      return { contentType: reg.contentType, body: await reg.metrics() };
    },
  });
  return {
    http,
    deps,
    upstreams,
    listen: (port, host = '127.0.0.1') => http.listen(port, host),
    drain() {
      draining = true;
    },
    async close(closeOptions) {
      await http.close(closeOptions);
      await apollo.stop();
      await upstreams.close();
      if (cooldowns !== options.cooldowns) await cooldowns.close();
      if (misses !== options.misses) await misses.close();
      if (answers && answers !== options.answers) await answers.close();
    },
  };
}
