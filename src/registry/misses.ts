/**
 * Discovery misses (DESIGN.md "One person, many accounts"): an email that no upstream knows costs the
 * four lookups (podero's whole user list among them) once per TTL, not on every request. The linker asks
 * the store before discovering and tells it of every email that came back with nobody (never of one an
 * upstream could not be asked about: that is an error, not a miss).
 *
 * In memory, the store is bounded (the oldest entries go first). With Redis (`REDIS_URL`), misses are
 * shared by every replica: one key per email, named by the email's SHA-256 (no address in Redis), that
 * expires with the TTL. The Redis store keeps the same memory: a miss seen here is answered from it, and
 * when Redis fails or is slow the store carries on with its memory alone and logs once per outage;
 * requests never fail, and never wait for Redis longer than `timeoutMs`.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';

export interface MissStore {
  /** One slot per email (lower-cased by the caller): true when it was a miss within the TTL. */
  has(emails: readonly string[]): Promise<boolean[]>;
  /** Remembers the emails as misses for the TTL. Never rejects. */
  add(emails: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Where the Redis store reports trouble (the gateway passes its logger's `warn`). */
export type MissLog = (message: string, fields: Record<string, unknown>) => void;

export interface MemoryMissOptions {
  ttlMs: number;
  /** Emails remembered at most; the oldest are forgotten first. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

export function createMemoryMisses(options: MemoryMissOptions): MissStore {
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? 10_000;
  // Insertion order is expiry order (one TTL for all), so the first entries are the oldest.
  const until = new Map<string, number>();
  const fresh = (email: string): boolean => {
    const end = until.get(email);
    if (end === undefined) return false;
    if (end > now()) return true;
    until.delete(email);
    return false;
  };
  return {
    async has(emails) {
      return emails.map(fresh);
    },
    async add(emails) {
      if (!(options.ttlMs > 0)) return;
      for (const email of emails) {
        until.delete(email);
        until.set(email, now() + options.ttlMs);
      }
      for (const oldest of until.keys()) {
        if (until.size <= max) break;
        until.delete(oldest);
      }
    },
    async close() {
      until.clear();
    },
  };
}

export interface RedisMissOptions {
  url: string;
  ttlMs: number;
  /** Prefix of the keys; one per deployment (tests use one per test). Default `usergraph:miss:`. */
  keyPrefix?: string;
  /** Longest wait for one Redis round trip before the memory answers alone. Default 250 ms. */
  timeoutMs?: number;
  maxEntries?: number;
  log?: MissLog;
  now?: () => number;
}

export interface RedisMissStore extends MissStore {
  /** Resolves true once connected (false if Redis is unreachable within `timeoutMs`). */
  ready(timeoutMs?: number): Promise<boolean>;
}

export function createRedisMisses(options: RedisMissOptions): RedisMissStore {
  const prefix = options.keyPrefix ?? 'usergraph:miss:';
  const key = (email: string): string => `${prefix}${createHash('sha256').update(email).digest('hex')}`;
  const log: MissLog = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 250;
  const memory = createMemoryMisses(options);
  // No offline queue: while Redis is away, commands fail at once instead of piling up behind requests.
  const redis = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, disconnectTimeout: 200, retryStrategy: (n: number) => Math.min(n * 250, 5000) });
  let healthy = true;
  let closed = false;

  const trouble = (what: string, err: unknown): void => {
    if (!healthy || closed) return;
    healthy = false;
    log('redis unavailable: discovery misses are kept in this process only until it is back', { what, error: err instanceof Error ? err.message : String(err) });
  };
  redis.on('error', (err) => trouble('connection', err));
  redis.on('ready', () => {
    if (!healthy) log('redis is back: discovery misses are shared again', {});
    healthy = true;
  });

  /** The command's answer, or a rejection after `timeoutMs`. */
  const bounded = <T>(command: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([command, late]).finally(() => clearTimeout(timer));
  };

  return {
    async has(emails) {
      const known = await memory.has(emails);
      const ask = emails.filter((_, i) => !known[i]);
      if (ask.length === 0 || closed) return known;
      if (redis.status !== 'ready') {
        trouble('read', new Error(`connection is ${redis.status}`));
        return known;
      }
      let answers: (string | null)[];
      try {
        answers = await bounded(redis.mget(ask.map(key)));
      } catch (err) {
        trouble('read', err);
        return known;
      }
      let k = 0;
      return known.map((hit) => hit || answers[k++] !== null);
    },
    async add(emails) {
      await memory.add(emails);
      if (emails.length === 0 || !(options.ttlMs > 0) || closed) return;
      if (redis.status !== 'ready') {
        trouble('write', new Error(`connection is ${redis.status}`));
        return;
      }
      const pipeline = redis.pipeline();
      for (const email of emails) pipeline.set(key(email), '1', 'PX', Math.ceil(options.ttlMs));
      try {
        await bounded(pipeline.exec());
      } catch (err) {
        trouble('write', err);
      }
    },
    ready(wait = 2000) {
      if (redis.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          resolve(false);
        }, wait);
        const onReady = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await (redis.status === 'ready' ? redis.quit().then(() => undefined, () => redis.disconnect()) : Promise.resolve(redis.disconnect()));
      await memory.close();
    },
  };
}
