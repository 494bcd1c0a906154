/**
 * What every small Redis-backed store of the gateway shares (cooldowns, discovery misses, the answer
 * cache): one way to connect that never queues commands behind requests, one health flag that logs an
 * outage once and its end once, a bound on how long any request waits for Redis, and a close that never
 * hangs. The stores keep their own memory and decide what to do without Redis; this module only says
 * whether Redis may be asked now.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';

/** Where a store reports trouble (the gateway passes its logger's `warn`). */
export type RedisLog = (message: string, fields: Record<string, unknown>) => void;

/**
 * No offline queue: while Redis is away, commands fail at once instead of piling up behind requests.
 * One retry per command, a short connect timeout, and reconnection attempts that back off to 5 s.
 */
const REDIS_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  disconnectTimeout: 200,
  retryStrategy: (n: number) => Math.min(n * 250, 5000),
} as const;

export interface RedisHealthOptions {
  log?: RedisLog;
  /** Logged once when Redis first fails: `redis unavailable: <down>`. */
  down: string;
  /** Logged once when it answers again after an outage: `redis is back: <back>`. */
  back: string;
}

/**
 * The health of one store's connections: `trouble` logs the first failure of an outage and nothing
 * after it until `recovered`; `closed` silences both (a store being closed is not an outage).
 */
export class RedisHealth {
  private healthy = true;
  closed = false;
  private readonly log: RedisLog;

  constructor(private readonly options: RedisHealthOptions) {
    this.log = options.log ?? (() => undefined);
  }

  trouble(what: string, err: unknown): void {
    if (!this.healthy || this.closed) return;
    this.healthy = false;
    this.log(`redis unavailable: ${this.options.down}`, { what, error: err instanceof Error ? err.message : String(err) });
  }

  recovered(): void {
    if (!this.healthy && !this.closed) this.log(`redis is back: ${this.options.back}`, {});
    this.healthy = true;
  }

  /** Watches a connection: its errors are trouble, its `ready` the end of an outage. */
  watch(redis: Redis, what: string): void {
    redis.on('error', (err) => this.trouble(what, err));
    redis.on('ready', () => this.recovered());
  }

  /** Whether a command may be sent on `redis` now; when not, that is trouble (logged once). */
  usable(redis: Redis, what: string): boolean {
    if (this.closed) return false;
    if (redis.status === 'ready') return true;
    this.trouble(what, new Error(`connection is ${redis.status}`));
    return false;
  }
}

export function connectRedis(url: string): Redis {
  return new Redis(url, REDIS_CLIENT_OPTIONS);
}

/** The command's answer, or a rejection after `timeoutMs` (the command itself is not cancelled). */
export function bounded<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([command, late]).finally(() => clearTimeout(timer));
}

/** Resolves true once `redis` is connected, false if it is not within `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** Quits politely when connected, otherwise drops the connection; never rejects. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().then(
      () => undefined,
      () => redis.disconnect(),
    );
  } else {
    redis.disconnect();
  }
}

/** Runs a Lua script by its SHA-1 (EVALSHA), sending the whole script only when Redis does not know it yet. */
export function luaScript(lua: string): (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown> {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(lua, keys.length, ...keys, ...args);
      throw err;
    }
  };
}
