/**
 * Cooldown stores: the memory one, and the Redis one against the machine's Redis (127.0.0.1:6379, or
 * REDIS_URL), each test under a key prefix of its own that is deleted afterwards.
 */
import { createMemoryCooldowns, createRedisCooldowns, type RedisCooldownStore } from '../../src/upstreams/cooldown';
import { TEST_REDIS_URL, redisPerTest } from '../helpers/redis';


async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`expected the condition to hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('memory cooldowns', () => {
  it('counts down and ends', () => {
    let now = 0;
    const store = createMemoryCooldowns(() => now);
    expect(store.remainingMs('podero')).toBe(0);
    store.start('podero', 3000);
    now = 1000;
    expect(store.remainingMs('podero')).toBe(2000);
    expect(store.remainingMs('identity')).toBe(0);
    now = 3000;
    expect(store.remainingMs('podero')).toBe(0);
  });

  it('never shortens a cooldown that runs longer', () => {
    const store = createMemoryCooldowns(() => 0);
    store.start('podero', 30_000);
    store.start('podero', 1000);
    expect(store.remainingMs('podero')).toBe(30_000);
    store.start('podero', 40_000);
    expect(store.remainingMs('podero')).toBe(40_000);
  });
});

describe('Redis cooldowns', () => {
  const redis = redisPerTest<RedisCooldownStore>('');
  const store = (extra: { url?: string; log?: (m: string, f: Record<string, unknown>) => void } = {}): RedisCooldownStore => redis.track(createRedisCooldowns({ url: extra.url ?? TEST_REDIS_URL, keyPrefix: redis.prefix, log: extra.log }));

  it('shares a cooldown started on one replica with every other at once', async () => {
    const [a, b] = [store(), store()];
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    a.start('podero', 30_000);
    expect(a.remainingMs('podero')).toBeGreaterThan(29_000);
    await until(() => b.remainingMs('podero') > 0);
    expect(b.remainingMs('podero')).toBeGreaterThan(29_000);
    expect(b.remainingMs('identity')).toBe(0);
    const ttl = await redis.admin.pttl(`${redis.prefix}podero`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('tells a replica that connects mid-cooldown about it', async () => {
    const a = store();
    expect(await a.ready()).toBe(true);
    a.start('timesheet', 20_000);
    await new Promise((r) => setTimeout(r, 50));
    const late = store();
    expect(await late.ready()).toBe(true);
    expect(late.remainingMs('timesheet')).toBeGreaterThan(19_000);
  });

  it('keeps the longer cooldown in Redis when a shorter one comes later', async () => {
    const a = store();
    expect(await a.ready()).toBe(true);
    a.start('vrm', 30_000);
    a.start('vrm', 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.admin.pttl(`${redis.prefix}vrm`)).toBeGreaterThan(29_000);
  });

  it('keeps working from memory and logs once when Redis cannot be reached', async () => {
    const lines: string[] = [];
    // Nothing listens on port 1.
    const s = store({ url: 'redis://127.0.0.1:1', log: (m) => lines.push(m) });
    expect(await s.ready(300)).toBe(false);
    s.start('evenergy', 5000);
    s.start('evenergy', 5000);
    expect(s.remainingMs('evenergy')).toBeGreaterThan(4000);
    expect(lines).toEqual(['redis unavailable: cooldowns are kept in this process only until it is back']);
  });
});
