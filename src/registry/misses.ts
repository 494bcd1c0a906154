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
import { RedisHealth, bounded, closeRedis, connectRedis, whenReady, type RedisLog } from '../lib/redis-link';

export interface MissStore {
  /** One slot per email (lower-cased by the caller): true when it was a miss within the TTL. */
  has(emails: readonly string[]): Promise<boolean[]>;
  /** Remembers the emails as misses for the TTL. Never rejects. */
  add(emails: readonly string[]): Promise<void>;
  close(): Promise<void>;
}


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
  /** Where the Redis store reports trouble (the gateway passes its logger's `warn`). */
  log?: RedisLog;
  now?: () => number;
}

export interface RedisMissStore extends MissStore {
  /** Resolves true once connected (false if Redis is unreachable within `timeoutMs`). */
  ready(timeoutMs?: number): Promise<boolean>;
}

export function createRedisMisses(options: RedisMissOptions): RedisMissStore {
  const prefix = options.keyPrefix ?? 'usergraph:miss:';
  const key = (email: string): string => `${prefix}${createHash('sha256').update(email).digest('hex')}`;
  const timeoutMs = options.timeoutMs ?? 250;
  const memory = createMemoryMisses(options);
  const redis = connectRedis(options.url);
  const health = new RedisHealth({ log: options.log, down: 'discovery misses are kept in this process only until it is back', back: 'discovery misses are shared again' });
  health.watch(redis, 'connection');

  return {
    async has(emails) {
      const known = await memory.has(emails);
      const ask = emails.filter((_, i) => !known[i]);
      if (ask.length === 0 || !health.usable(redis, 'read')) return known;
      let answers: (string | null)[];
      try {
        answers = await bounded(redis.mget(ask.map(key)), timeoutMs);
      } catch (err) {
        health.trouble('read', err);
        return known;
      }
      let k = 0;
      return known.map((hit) => hit || answers[k++] !== null);
    },
    async add(emails) {
      await memory.add(emails);
      if (emails.length === 0 || !(options.ttlMs > 0) || !health.usable(redis, 'write')) return;
      const pipeline = redis.pipeline();
      for (const email of emails) pipeline.set(key(email), '1', 'PX', Math.ceil(options.ttlMs));
      try {
        await bounded(pipeline.exec(), timeoutMs);
      } catch (err) {
        health.trouble('write', err);
      }
    },
    ready: (wait = 2000) => whenReady(redis, wait),
    async close() {
      if (health.closed) return;
      health.closed = true;
      await closeRedis(redis);
      await memory.close();
    },
  };
}
