/**
 * One typed configuration, read once from the environment at start (DESIGN.md "Running"). Every
 * variable is listed in README.md's configuration table and in `.env.example`. A bad value fails start
 * with a message that names the variable, what was expected and what came.
 */
import path from 'node:path';
import { UPSTREAM_NAMES, type UpstreamName } from './errors';
import { DEV_PODERO_ORG_ID, DEV_TOKENS, TOKEN_ENV } from './contracts/dev-defaults';
import { DEFAULT_BUDGET } from './upstreams/budget';
import { DEFAULT_LIMITS, type OperationLimits } from './server/limits';
import type { FederationMode } from './graph/schema';

export interface UpstreamConfig {
  /** Origin plus base path. Undefined: start the embedded emulator for it. */
  url?: string;
  /** The gateway's service credential for this upstream. */
  token: string;
  /** True when the token is the documented development default. */
  devToken: boolean;
}

export interface Config {
  port: number;
  host: string;
  production: boolean;
  upstreams: Record<UpstreamName, UpstreamConfig>;
  poderoOrgId: string;
  databaseUrl?: string;
  /** PostgreSQL pool size and timeouts, in ms (DESIGN.md "Health, replicas and shutdown"). */
  databasePool: { max: number; connectTimeoutMs: number; queryTimeoutMs: number; idleTimeoutMs: number; lockTimeoutMs: number };
  sqlitePath: string;
  redisUrl?: string;
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string; maxTtlSec: number; jwksCacheMs: number };
  graphiql: boolean;
  introspection: boolean;
  /**
   * `subgraph`: the gateway also serves as an Apollo Federation 2 subgraph (`User @key(fields: "id")` and
   * `@key(fields: "personId")`, `_entities`, `_service`), for a supergraph router to compose. Default `off`.
   */
  federation: FederationMode;
  /** Seed and size of the embedded emulators' demo population. */
  emulatorSeed: number;
  emulatorPeople: number;
  /** `fixed`: the embedded emulators listen on 4101–4105; `ephemeral`: on ports the OS chooses. */
  emulatorPorts: 'fixed' | 'ephemeral';
  /** Upstream HTTP client settings. */
  upstreamTimeoutMs: number;
  upstreamConnections: number;
  /** Concurrent calls per upstream for fan-out loaders. */
  upstreamConcurrency: number;
  /** Each operation's run-time budget: upstream calls sent, deadline, response bytes read. */
  maxUpstreamCalls: number;
  operationTimeoutMs: number;
  maxResponseBytes: number;
  /** Static operation limits, checked before any upstream call (OPERATION_TOO_COMPLEX). */
  limits: OperationLimits;
  /**
   * Who may read `/metrics`: with a token, only requests bearing it; with a port, only that separate
   * listener serves it. In production with neither, `/metrics` is refused.
   */
  metrics: { token?: string; port?: number };
  /** Operations accepted in one batched request (a JSON array); 1 refuses batches. */
  maxBatch: number;
  /**
   * Origins whose pages may call `/graphql` from a browser (CORS): exact origins, or `*` (any origin,
   * development only). Undefined: no CORS headers at all, so only same-origin pages can.
   */
  corsOrigins?: '*' | string[];
  /** Shutdown (DESIGN.md "Health, replicas and shutdown"): draining before the listener stops, and the grace for in-flight requests, ms. */
  shutdown: { delayMs: number; graceMs: number };
  /** Self-healing links: a known person's unlinked upstreams are asked again at most once per this many seconds. */
  rediscoverIntervalS: number;
  /** An email no upstream knows is not asked again for this many seconds (0: never remembered). */
  discoveryMissTtlS: number;
  /**
   * The opt-in answer cache of upstream GETs: seconds each upstream's answers are kept (0: not cached),
   * and the bounds of the in-process store (with `redisUrl` the answers live in Redis instead).
   */
  cache: { ttlS: Record<UpstreamName, number>; maxEntries: number; maxMb: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

const FEDERATION_MODES: readonly FederationMode[] = ['off', 'subgraph'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const URL_ENV: Record<UpstreamName, string> = {
  evenergy: 'EVENERGY_URL',
  vrm: 'VRM_URL',
  identity: 'IDENTITY_URL',
  podero: 'PODERO_URL',
  timesheet: 'TIMESHEET_URL',
};

export const UPSTREAM_URL_ENV = URL_ENV;

/** `CACHE_TTL_IDENTITY_S` … : how long each upstream's answers are cached. */
const CACHE_TTL_ENV: Record<UpstreamName, string> = {
  evenergy: 'CACHE_TTL_EVENERGY_S',
  vrm: 'CACHE_TTL_VRM_S',
  identity: 'CACHE_TTL_IDENTITY_S',
  podero: 'CACHE_TTL_PODERO_S',
  timesheet: 'CACHE_TTL_TIMESHEET_S',
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, but got: ${JSON.stringify(raw)}`);
  }
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, but got: ${JSON.stringify(raw)}`);
}

function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, but got: ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, but got protocol ${parsed.protocol}`);
  }
  return raw.replace(/\/+$/, '');
}

/** `CORS_ORIGINS`: `*` (not in production) or comma-separated origins, each `scheme://host[:port]`. */
function corsOrigins(env: NodeJS.ProcessEnv, production: boolean): Config['corsOrigins'] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return undefined;
  if (raw === '*') {
    if (production) throw new ConfigError('CORS_ORIGINS=* lets any website call the gateway and is refused in production (NODE_ENV=production); list the origins instead');
    return '*';
  }
  const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  return origins.map((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    const bare = parsed && parsed.pathname === '/' && !parsed.search && !parsed.hash && !parsed.username && !parsed.password && !origin.includes('?') && !origin.includes('#');
    if (!parsed || !bare || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new ConfigError(`CORS_ORIGINS must be * or comma-separated origins like https://app.example.com (scheme, host and port only), but got: ${JSON.stringify(origin)}`);
    }
    return parsed.origin;
  });
}

/** DATABASE_URL: a postgres:// or postgresql:// URL; the error never repeats it, since it holds a password. */
function databaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL;
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user:password@host:5432/database, but it does not parse as a URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, but it starts with ${parsed.protocol}//`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new ConfigError('DATABASE_URL must name a host (postgres://user:password@host:5432/database)');
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const upstreams = {} as Record<UpstreamName, UpstreamConfig>;
  for (const name of UPSTREAM_NAMES) {
    const u = url(env, URL_ENV[name]);
    const token = env[TOKEN_ENV[name]];
    if (u && !token && production) {
      throw new ConfigError(`${TOKEN_ENV[name]} must be set when ${URL_ENV[name]} points at a real upstream in production`);
    }
    upstreams[name] = { url: u, token: token || DEV_TOKENS[name], devToken: !token };
  }
  const jwt = {
    secret: env.JWT_SECRET || undefined,
    jwksUrl: url(env, 'JWT_JWKS_URL'),
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    maxTtlSec: int(env, 'JWT_MAX_TTL_S', 86_400, 60, 31 * 86_400),
    jwksCacheMs: int(env, 'JWKS_CACHE_MS', 300_000, 1000, 86_400_000),
  };
  if (jwt.secret && jwt.secret.length < 32) {
    throw new ConfigError(`JWT_SECRET must be at least 32 characters, but got ${jwt.secret.length}`);
  }
  if (production && !jwt.secret && !jwt.jwksUrl) {
    throw new ConfigError('JWT_SECRET or JWT_JWKS_URL must be set in production (NODE_ENV=production)');
  }
  const emulatorPorts = (env.EMULATOR_PORTS || 'fixed') as Config['emulatorPorts'];
  if (emulatorPorts !== 'fixed' && emulatorPorts !== 'ephemeral') {
    throw new ConfigError(`EMULATOR_PORTS must be fixed or ephemeral, but got: ${JSON.stringify(env.EMULATOR_PORTS)}`);
  }
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError(`METRICS_TOKEN must be at least 16 characters without spaces, but got ${metricsToken.length} characters`);
  }
  const port = int(env, 'PORT', 4000, 0, 65535);
  const metricsPort = env.METRICS_PORT ? int(env, 'METRICS_PORT', 0, 1, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort === port) {
    throw new ConfigError(`METRICS_PORT must differ from PORT, but both are ${port}`);
  }
  const federation = (env.FEDERATION || 'off') as FederationMode;
  if (!FEDERATION_MODES.includes(federation)) {
    throw new ConfigError(`FEDERATION must be off or subgraph, but got: ${JSON.stringify(env.FEDERATION)}`);
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, silent, but got: ${JSON.stringify(env.LOG_LEVEL)}`);
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    production,
    upstreams,
    poderoOrgId: env.PODERO_ORG_ID || DEV_PODERO_ORG_ID,
    databaseUrl: databaseUrl(env),
    databasePool: {
      max: int(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
      connectTimeoutMs: int(env, 'DATABASE_CONNECT_TIMEOUT_MS', 3000, 100, 120_000),
      queryTimeoutMs: int(env, 'DATABASE_QUERY_TIMEOUT_MS', 5000, 100, 600_000),
      idleTimeoutMs: int(env, 'DATABASE_IDLE_TIMEOUT_MS', 30_000, 1000, 3_600_000),
      lockTimeoutMs: int(env, 'DATABASE_LOCK_TIMEOUT_MS', 15_000, 100, 600_000),
    },
    sqlitePath: env.SQLITE_PATH || path.join('data', 'usergraph.db'),
    redisUrl: env.REDIS_URL || undefined,
    jwt,
    graphiql: bool(env, 'GRAPHIQL', !production),
    introspection: bool(env, 'INTROSPECTION', !production),
    federation,
    emulatorSeed: int(env, 'EMULATOR_SEED', 1, 0, 2 ** 31 - 1),
    emulatorPeople: int(env, 'EMULATOR_PEOPLE', 200, 1, 100_000),
    emulatorPorts,
    upstreamTimeoutMs: int(env, 'UPSTREAM_TIMEOUT_MS', 5000, 50, 120_000),
    upstreamConnections: int(env, 'UPSTREAM_CONNECTIONS', 16, 1, 1024),
    upstreamConcurrency: int(env, 'UPSTREAM_CONCURRENCY', 8, 1, 256),
    maxUpstreamCalls: int(env, 'MAX_UPSTREAM_CALLS', DEFAULT_BUDGET.maxCalls, 1, 1_000_000),
    operationTimeoutMs: int(env, 'OPERATION_TIMEOUT_MS', DEFAULT_BUDGET.timeoutMs, 100, 600_000),
    maxResponseBytes: int(env, 'MAX_RESPONSE_BYTES', DEFAULT_BUDGET.maxBytes, 1024, 2 ** 31 - 1),
    limits: {
      depth: int(env, 'MAX_DEPTH', DEFAULT_LIMITS.depth, 2, 100),
      aliases: int(env, 'MAX_ALIASES', DEFAULT_LIMITS.aliases, 0, 1000),
      tokens: int(env, 'MAX_TOKENS', DEFAULT_LIMITS.tokens, 100, 100_000),
      directives: int(env, 'MAX_DIRECTIVES', DEFAULT_LIMITS.directives, 0, 1000),
      cost: int(env, 'MAX_COST', DEFAULT_LIMITS.cost, 10, 100_000),
      entities: int(env, 'MAX_ENTITIES', DEFAULT_LIMITS.entities, 1, 10_000),
    },
    metrics: { token: metricsToken, port: metricsPort },
    maxBatch: int(env, 'MAX_BATCH', 10, 1, 100),
    corsOrigins: corsOrigins(env, production),
    shutdown: { delayMs: int(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 600_000), graceMs: int(env, 'SHUTDOWN_GRACE_MS', 15_000, 0, 600_000) },
    rediscoverIntervalS: int(env, 'REDISCOVER_INTERVAL_S', 300, 0, 86_400),
    discoveryMissTtlS: int(env, 'DISCOVERY_MISS_TTL_S', 60, 0, 86_400),
    cache: {
      ttlS: Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, int(env, CACHE_TTL_ENV[u], 0, 0, 86_400)])) as Record<UpstreamName, number>,
      maxEntries: int(env, 'CACHE_MAX_ENTRIES', 10_000, 1, 10_000_000),
      maxMb: int(env, 'CACHE_MAX_MB', 64, 1, 65_536),
    },
    logLevel,
  };
}
