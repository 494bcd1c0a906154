/**
 * The opt-in answer cache (DESIGN.md "Limits, budgets and failing upstreams"): 2xx answers of upstream
 * GETs kept for a per-upstream TTL (`CACHE_TTL_<UPSTREAM>_S`), in this process or, with `REDIS_URL`, in
 * Redis for every replica. The HTTP client (client.ts) is its only user: it decides what is read and what
 * is written, and names each entry by method, URL, accepted statuses and every header it sends but the
 * per-request ones, so two credentials never share an entry.
 *
 * Invalidation. Every entry has a scope: the upstream resource its request names (`UpstreamRequest.resource`,
 * such as one user and everything below it), or the upstream's *queries* (lists, searches, lookups by
 * another key, `/users/me`) when it names none. A write with a resource invalidates that resource and the
 * upstream's queries; a write without one invalidates everything of its upstream. Invalidation changes a
 * version (of the resource, of the queries, or the upstream's epoch); an entry is valid only while the
 * versions it was read under are current. The versions are read *before* the upstream call and checked
 * again when the answer is stored, so an answer that was in flight while a write ended is never stored.
 *
 * - Memory: bounded by entries and bytes (least recently used first out); values are deep-frozen, since
 *   every request that hits one shares it.
 * - Redis: one key per entry that expires with its TTL, and version keys that outlive every entry read
 *   under them; all keys of one upstream share a hash slot. A lookup is one round trip, bounded by
 *   `timeoutMs`. When Redis is unreachable or slow, lookups are misses (the upstream is called, the
 *   request never fails), nothing is stored, a metric counts it and the outage is logged once. An
 *   invalidation that could not be written flushes its whole upstream as soon as Redis answers again,
 *   before any other command of this replica.
 *
 * Values hold the upstream's status, body and response headers (without cookies, dates, hop-by-hop
 * headers or request ids): never a request header, so never a credential.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { UpstreamName } from '../errors';
import { RedisHealth, bounded, closeRedis, connectRedis, luaScript, whenReady, type RedisLog } from '../lib/redis-link';
import { recordCacheStoreError } from './metrics';
import type { AnswerStore, CachedAnswer, FreshAnswer } from './types';

export type { AnswerLookup, AnswerStore, AnswerTicket, CachedAnswer, FreshAnswer } from './types';

/** Answers larger than this are not cached: one would crowd out thousands of others. */
export const MAX_CACHED_BODY_BYTES = 1024 * 1024;

/** Response headers that belong to one exchange, not to the answer. */
const UNSHARED_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'x-request-id', 'age']);

export function shareableHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!UNSHARED_HEADERS.has(name)) out[name] = value;
  return out;
}

/** Freezes a parsed JSON value all the way down, so that one request cannot change another's answer. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Memory

export interface MemoryAnswerOptions {
  /** Entries kept at most. Default 10 000. */
  maxEntries?: number;
  /** Bytes of bodies and headers kept at most. Default 64 MiB. */
  maxBytes?: number;
  /** Resource versions remembered at most; older ones are forgotten by raising a floor (every entry read before it is stale). Default 50 000. */
  maxVersions?: number;
  now?: () => number;
}

interface MemoryEntry {
  answer: CachedAnswer;
  scope: string;
  upstream: UpstreamName;
  /** The sequence number of the lookup that preceded the call: valid while no invalidation came after it. */
  seq: number;
  expiresAt: number;
  bytes: number;
}

const QUERIES = '\u0001queries';

export function createMemoryAnswers(options: MemoryAnswerOptions = {}): AnswerStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxVersions = options.maxVersions ?? 50_000;
  const now = options.now ?? Date.now;
  // Insertion order is recency: a hit moves its entry to the end, eviction takes from the front.
  const entries = new Map<string, MemoryEntry>();
  // The sequence number of each scope's last invalidation, and of each upstream's last flush.
  const versions = new Map<string, number>();
  const epochs = new Map<UpstreamName, number>();
  let seq = 0;
  let floor = 0;
  let bytes = 0;

  const scopeKey = (upstream: UpstreamName, scope: string | undefined): string => `${upstream}\u0000${scope ?? QUERIES}`;
  const entryKey = (upstream: UpstreamName, key: string): string => `${upstream}\u0000${key}`;
  const current = (entry: { upstream: UpstreamName; scope: string; seq: number }): boolean =>
    entry.seq > floor && entry.seq > (epochs.get(entry.upstream) ?? 0) && entry.seq > (versions.get(entry.scope) ?? 0);
  const drop = (k: string, entry: MemoryEntry): void => {
    entries.delete(k);
    bytes -= entry.bytes;
  };
  const bump = (k: string): void => {
    versions.delete(k);
    versions.set(k, ++seq);
    for (const [oldest, version] of versions) {
      if (versions.size <= maxVersions) break;
      // Forgetting a version is safe only if nothing read before it counts any more.
      versions.delete(oldest);
      floor = Math.max(floor, version);
    }
  };

  return {
    // An entry keeps the scope it was stored under; the same key always comes with the same scope.
    async get(upstream, key, _scope) {
      const k = entryKey(upstream, key);
      const ticket = String(++seq);
      const entry = entries.get(k);
      if (!entry) return { ticket };
      if (entry.expiresAt <= now() || !current(entry)) {
        drop(k, entry);
        return { ticket };
      }
      entries.delete(k);
      entries.set(k, entry);
      return { answer: entry.answer, ticket };
    },
    put(upstream, key, scope, ticket, answer, ttlMs) {
      const read = Number(ticket);
      const sk = scopeKey(upstream, scope);
      if (!(ttlMs > 0) || !Number.isInteger(read) || !current({ upstream, scope: sk, seq: read })) return;
      const headers = shareableHeaders(answer.headers);
      const size = answer.raw.length + JSON.stringify(headers).length + 128;
      if (answer.raw.length > MAX_CACHED_BODY_BYTES || size > maxBytes) return;
      const k = entryKey(upstream, key);
      const old = entries.get(k);
      if (old) drop(k, old);
      const frozen = deepFreeze({ status: answer.status, headers, body: answer.body });
      entries.set(k, { answer: frozen, scope: sk, upstream, seq: read, expiresAt: now() + ttlMs, bytes: size });
      bytes += size;
      for (const [oldest, entry] of entries) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        drop(oldest, entry);
      }
    },
    async invalidate(upstream, resource) {
      if (resource === undefined) {
        epochs.set(upstream, ++seq);
        return;
      }
      bump(scopeKey(upstream, resource));
      bump(scopeKey(upstream, undefined));
    },
    async close() {
      entries.clear();
      versions.clear();
      epochs.clear();
      bytes = 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Redis

export interface RedisAnswerOptions {
  url: string;
  /** Prefix of every key; one per deployment (tests use one per test). Default `usergraph:answer:`. */
  keyPrefix?: string;
  /** The longest TTL of any upstream: version keys outlive every entry read under them. */
  maxTtlMs: number;
  /** Longest wait for one Redis round trip before the upstream is asked instead. Default 100 ms. */
  timeoutMs?: number;
  log?: RedisLog;
}

export interface RedisAnswerStore extends AnswerStore {
  /** Resolves true once connected (false if Redis is unreachable within `timeoutMs`). */
  ready(timeoutMs?: number): Promise<boolean>;
}

/** Versions outlive entries by more than any call can last, so a ticket never sees a version come back. */
const VERSION_MARGIN_MS = 15 * 60 * 1000;

/** KEYS: epoch, scope version, entry. Answers the stamp of the current versions, and the entry when it was stored under them. */
const getScript = luaScript(`
local stamp = (redis.call('GET', KEYS[1]) or '0') .. '|' .. (redis.call('GET', KEYS[2]) or '0') .. '|'
local value = redis.call('GET', KEYS[3])
if value and string.sub(value, 1, #stamp) == stamp then return {stamp, string.sub(value, #stamp + 1)} end
return {stamp}`);

/** KEYS: epoch, scope version, entry; ARGV: stamp, value, ttl ms. Stores only if the versions are still those of the stamp. */
const putScript = luaScript(`
local stamp = (redis.call('GET', KEYS[1]) or '0') .. '|' .. (redis.call('GET', KEYS[2]) or '0') .. '|'
if stamp ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[3], ARGV[1] .. ARGV[2], 'PX', ARGV[3])
return 1`);

export function createRedisAnswers(options: RedisAnswerOptions): RedisAnswerStore {
  const prefix = options.keyPrefix ?? 'usergraph:answer:';
  const timeoutMs = options.timeoutMs ?? 100;
  const versionTtlMs = Math.ceil(options.maxTtlMs + VERSION_MARGIN_MS);
  const redis = connectRedis(options.url);
  const health = new RedisHealth({ log: options.log, down: 'upstream answers are not cached until it is back', back: 'upstream answers are cached again' });
  health.watch(redis, 'connection');
  /** Upstreams whose invalidation could not be written: flushed before anything else once Redis answers. */
  const unflushed = new Set<UpstreamName>();

  // `{upstream}` is a hash tag: every key one script touches is in the same slot of a cluster.
  const base = (upstream: UpstreamName): string => `${prefix}{${upstream}}:`;
  const epochKey = (upstream: UpstreamName): string => `${base(upstream)}epoch`;
  const scopeKey = (upstream: UpstreamName, scope: string | undefined): string =>
    `${base(upstream)}v:${scope === undefined ? 'queries' : `r:${createHash('sha256').update(scope).digest('base64url')}`}`;
  const entryKey = (upstream: UpstreamName, key: string): string => `${base(upstream)}a:${key}`;
  const version = (): string => randomBytes(9).toString('base64url');

  const failed = (operation: 'get' | 'put' | 'invalidate', err: unknown): void => {
    recordCacheStoreError(operation);
    health.trouble(operation, err);
  };

  const flush = (upstream: UpstreamName): Promise<void> =>
    bounded(redis.set(epochKey(upstream), version(), 'PX', versionTtlMs), timeoutMs).then(
      () => undefined,
      (err: unknown) => {
        unflushed.add(upstream);
        failed('invalidate', err);
      },
    );

  /** Sends the flushes that could not be written earlier ahead of the next command. */
  const catchUp = (): void => {
    for (const upstream of [...unflushed]) {
      unflushed.delete(upstream);
      void flush(upstream);
    }
  };
  redis.on('ready', catchUp);

  const usable = (operation: 'get' | 'put' | 'invalidate'): boolean => {
    if (!health.usable(redis, operation)) {
      if (!health.closed) recordCacheStoreError(operation);
      return false;
    }
    if (unflushed.size > 0) catchUp();
    return true;
  };

  return {
    async get(upstream, key, scope) {
      if (!usable('get')) return {};
      let reply: unknown;
      try {
        reply = await bounded(getScript(redis, [epochKey(upstream), scopeKey(upstream, scope), entryKey(upstream, key)], []), timeoutMs);
      } catch (err) {
        failed('get', err);
        return {};
      }
      if (!Array.isArray(reply) || typeof reply[0] !== 'string') return {};
      const ticket = reply[0];
      const stored: unknown = reply[1];
      if (typeof stored !== 'string') return { ticket };
      const answer = decode(stored);
      return answer ? { answer, ticket } : { ticket };
    },
    put(upstream, key, scope, ticket, answer, ttlMs) {
      if (!(ttlMs > 0) || answer.raw.length > MAX_CACHED_BODY_BYTES || !usable('put')) return;
      const value = encode(answer);
      putScript(redis, [epochKey(upstream), scopeKey(upstream, scope), entryKey(upstream, key)], [ticket, value, Math.ceil(ttlMs)]).catch((err: unknown) => failed('put', err));
    },
    async invalidate(upstream, resource) {
      if (!usable('invalidate')) {
        if (!health.closed) unflushed.add(upstream);
        return;
      }
      if (resource === undefined) {
        await flush(upstream);
        return;
      }
      const write = redis.multi().set(scopeKey(upstream, resource), version(), 'PX', versionTtlMs).set(scopeKey(upstream, undefined), version(), 'PX', versionTtlMs).exec();
      try {
        await bounded(write, timeoutMs);
      } catch (err) {
        // Whether or not it landed, the upstream is flushed as soon as Redis answers again.
        unflushed.add(upstream);
        failed('invalidate', err);
      }
    },
    ready: (wait = 2000) => whenReady(redis, wait),
    async close() {
      if (health.closed) return;
      health.closed = true;
      await closeRedis(redis);
    },
  };
}

/** `{"s":status,"h":headers}` and the body as received, on two lines (JSON never holds a raw newline). */
function encode(answer: FreshAnswer): string {
  return `${JSON.stringify({ s: answer.status, h: shareableHeaders(answer.headers) })}\n${answer.raw.toString('utf8')}`;
}

function decode(value: string): CachedAnswer | undefined {
  const split = value.indexOf('\n');
  if (split < 0) return undefined;
  try {
    const meta: unknown = JSON.parse(value.slice(0, split));
    const raw = value.slice(split + 1);
    if (typeof meta !== 'object' || meta === null) return undefined;
    const status: unknown = Reflect.get(meta, 's');
    const headers: unknown = Reflect.get(meta, 'h');
    if (typeof status !== 'number' || typeof headers !== 'object' || headers === null) return undefined;
    const flat: Record<string, string> = {};
    for (const [name, v] of Object.entries(headers)) if (typeof v === 'string') flat[name] = v;
    return { status, headers: flat, body: raw === '' ? undefined : JSON.parse(raw) };
  } catch {
    // An entry this version cannot read is a miss; the next answer replaces it.
    return undefined;
  }
}
