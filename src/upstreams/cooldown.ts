/**
 * Cooldowns after a 429 (DESIGN.md "Limits, budgets and failing upstreams"): when an upstream answers
 * 429 with `Retry-After`, every request of the process (and of every replica, with Redis) stops calling
 * it until that time has passed; the HTTP client fails such calls at once with RATE_LIMITED and the
 * remaining seconds, and sends nothing.
 *
 * The client asks `remainingMs` before every attempt, so it is synchronous and answered from memory. The
 * Redis store keeps the same memory and shares it: a cooldown started here is written to Redis (a key
 * per upstream that expires with it) and published; every replica subscribes and copies what it hears,
 * and reads the keys when it (re)connects, so a replica that starts mid-cooldown knows it too. Durations
 * travel, not clock times, so replicas' clocks need not agree. When Redis fails the store carries on
 * with its memory alone (this process still cools down) and logs once per outage; requests never wait
 * for Redis.
 */
import { randomUUID } from 'node:crypto';
import { RedisHealth, closeRedis, connectRedis, type RedisLog } from '../lib/redis-link';
import { UPSTREAM_NAMES, isUpstreamName, type UpstreamName } from '../errors';

export interface CooldownStore {
  /** Milliseconds left of the upstream's cooldown, 0 when none is running. */
  remainingMs(upstream: UpstreamName): number;
  /** Starts a cooldown of `durationMs` from now; never shortens one that runs longer. */
  start(upstream: UpstreamName, durationMs: number): void;
  close(): Promise<void>;
}


export function createMemoryCooldowns(now: () => number = Date.now): CooldownStore {
  const until = new Map<UpstreamName, number>();
  return {
    remainingMs(upstream) {
      const end = until.get(upstream);
      if (end === undefined) return 0;
      const left = end - now();
      if (left > 0) return left;
      until.delete(upstream);
      return 0;
    },
    start(upstream, durationMs) {
      if (!(durationMs > 0)) return;
      const end = now() + durationMs;
      if ((until.get(upstream) ?? 0) < end) until.set(upstream, end);
    },
    async close() {
      until.clear();
    },
  };
}

export interface RedisCooldownOptions {
  url: string;
  /** Prefix of the keys and of the channel; one per deployment (tests use one per test). */
  keyPrefix?: string;
  /** Where the Redis store reports trouble (the gateway passes its logger's `warn`). */
  log?: RedisLog;
  now?: () => number;
}

export interface RedisCooldownStore extends CooldownStore {
  /** Resolves once both connections are up and the current cooldowns are read (false if Redis is unreachable within `timeoutMs`). */
  ready(timeoutMs?: number): Promise<boolean>;
}

/** Sets the key only when the new cooldown runs longer than the one stored, then tells the replicas. */
const START_SCRIPT = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[1])
  redis.call('PUBLISH', KEYS[2], ARGV[2])
end
return left`;

export function createRedisCooldowns(options: RedisCooldownOptions): RedisCooldownStore {
  const prefix = options.keyPrefix ?? 'usergraph:cooldown:';
  const channel = `${prefix}events`;
  const key = (upstream: UpstreamName): string => `${prefix}${upstream}`;
  const memory = createMemoryCooldowns(options.now);
  const self = randomUUID();
  const commands = connectRedis(options.url);
  const events = connectRedis(options.url);
  const health = new RedisHealth({ log: options.log, down: 'cooldowns are kept in this process only until it is back', back: 'cooldowns are shared again' });
  const trouble = health.trouble.bind(health);
  // The command connection says when Redis is back; the subscription's errors are trouble too.
  health.watch(commands, 'commands');
  events.on('error', (err) => trouble('subscription', err));

  /** Copies the cooldowns Redis holds (started elsewhere, perhaps before this replica started). */
  const load = async (): Promise<void> => {
    const pipeline = commands.pipeline();
    for (const u of UPSTREAM_NAMES) pipeline.pttl(key(u));
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([err, left], i) => {
      if (!err && typeof left === 'number' && left > 0) memory.start(UPSTREAM_NAMES[i]!, left);
    });
  };

  let subscribed = false;
  let loaded = false;
  const settle: (() => void)[] = [];
  const check = (): void => {
    if (subscribed && loaded) for (const done of settle.splice(0)) done();
  };
  events.on('ready', () => {
    events.subscribe(channel).then(
      () => {
        subscribed = true;
        check();
      },
      (err: unknown) => trouble('subscribe', err),
    );
  });
  commands.on('ready', () => {
    load().then(
      () => {
        loaded = true;
        check();
      },
      (err: unknown) => trouble('load', err),
    );
  });
  events.on('message', (_channel: string, text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const [upstream, ms, from]: unknown[] = ['upstream', 'ms', 'from'].map((k) => Reflect.get(message, k));
    if (from === self || typeof upstream !== 'string' || !isUpstreamName(upstream) || typeof ms !== 'number') return;
    memory.start(upstream, ms);
  });

  return {
    remainingMs: (upstream) => memory.remainingMs(upstream),
    start(upstream, durationMs) {
      memory.start(upstream, durationMs);
      const ms = Math.ceil(durationMs);
      if (!(ms > 0) || !health.usable(commands, 'start')) return;
      commands.eval(START_SCRIPT, 2, key(upstream), channel, ms, JSON.stringify({ upstream, ms, from: self })).catch((err: unknown) => trouble('start', err));
    },
    ready(timeoutMs = 2000) {
      if (subscribed && loaded) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        settle.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    async close() {
      if (health.closed) return;
      health.closed = true;
      await Promise.all([commands, events].map(closeRedis));
      await memory.close();
    },
  };
}
