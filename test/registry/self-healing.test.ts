/**
 * Links that heal by themselves and discovery misses that are remembered (src/registry/linker.ts,
 * src/registry/misses.ts), over real HTTP: a gateway on the five emulators, the cost of each lookup read
 * from the emulators' own request counters. The Redis store runs against the machine's Redis
 * (127.0.0.1:6379, or REDIS_URL), each test under a key prefix of its own that is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { UpstreamName } from '../../src/errors';
import type { DemoPerson } from '../../src/emulators/population';
import { createMemoryMisses, createRedisMisses, type RedisMissStore } from '../../src/registry/misses';
import { dataOf, startTestGateway, type TestGateway } from '../helpers/gateway';
import { TEST_REDIS_URL, redisPerTest } from '../helpers/redis';

const LOOKUP_UPSTREAMS: UpstreamName[] = ['identity', 'evenergy', 'podero', 'timesheet'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const BY_EMAIL = 'query($e: EmailAddress!) { userByEmail(email: $e) { personId email accounts { upstream accountId } } }';

interface ByEmail {
  userByEmail: { personId: string; email: string; accounts: { upstream: string; accountId: string }[] };
}

/** Calls per lookup upstream (and VRM) since the last reset. */
function lookupCalls(t: TestGateway): Record<string, number> {
  const totals = t.totals();
  return { identity: totals.identity, evenergy: totals.evenergy, podero: totals.podero, timesheet: totals.timesheet, vrm: totals.vrm };
}

async function linkedUpstreams(t: TestGateway, email: string): Promise<string[]> {
  const res = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
  expect(res.errors).toBeUndefined();
  return (dataOf(res).userByEmail.accounts).map((a) => a.upstream).sort();
}

describe('discovery misses', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ discoveryMissTtlMs: 800 });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.resetCounts();
    t.faults('identity', {});
  });

  it('asks the upstreams about an email nobody knows once per TTL, not on every request', async () => {
    const email = `nobody.${randomUUID()}@example.com`;
    const first = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
    expect(first.errors).toBeUndefined();
    expect(dataOf(first).userByEmail).toBeNull();
    for (const u of LOOKUP_UPSTREAMS) expect(t.totals()[u]).toBeGreaterThanOrEqual(1);

    t.resetCounts();
    const again = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email.toUpperCase() } });
    expect(dataOf(again).userByEmail).toBeNull();
    expect(lookupCalls(t)).toEqual({ identity: 0, evenergy: 0, podero: 0, timesheet: 0, vrm: 0 });

    // Once the TTL has passed the email is asked again.
    await sleep(900);
    t.resetCounts();
    await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
    for (const u of LOOKUP_UPSTREAMS) expect(t.totals()[u]).toBeGreaterThanOrEqual(1);
  });

  it('does not remember an email an upstream could not be asked about', async () => {
    const email = `nobody.${randomUUID()}@example.com`;
    t.faults('identity', { status: 500 });
    const first = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
    expect(first.errors?.[0]?.extensions?.upstream).toBe('identity');
    t.faults('identity', {});
    t.resetCounts();
    const again = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
    expect(again.errors).toBeUndefined();
    expect(dataOf(again).userByEmail).toBeNull();
    for (const u of LOOKUP_UPSTREAMS) expect(t.totals()[u]).toBeGreaterThanOrEqual(1);
  });
});

describe('self-healing links', () => {
  let t: TestGateway;
  // A person every lookup upstream holds one account of, so a healed person has all four.
  let demo: DemoPerson;
  beforeAll(async () => {
    t = await startTestGateway({ rediscoverIntervalMs: 600 });
    demo = t.population.people.find((p) => p.in.identity && p.in.evenergy && p.in.timesheet && p.index !== 42)!;
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.resetCounts();
    t.faults('identity', {});
  });

  it('links identity to a person created while identity was down, on a lookup after the interval', async () => {
    t.faults('identity', { status: 503 });
    const first = await t.query<ByEmail>(BY_EMAIL, { variables: { e: demo.email } });
    expect(dataOf(first).userByEmail.email).toBe(demo.email);
    const without = (dataOf(first).userByEmail.accounts).map((a) => a.upstream);
    expect(without).not.toContain('IDENTITY');
    expect(without).toContain('EVENERGY');
    t.faults('identity', {});

    // Within the interval: the registry answers and identity is not asked.
    t.resetCounts();
    expect(await linkedUpstreams(t, demo.email)).not.toContain('IDENTITY');
    expect(t.counts().identity.byRoute['GET /users/:identifier'] ?? 0).toBe(0);

    // After it: identity alone (of the upstreams already linked) is asked, once, and linked.
    await sleep(700);
    t.resetCounts();
    expect(await linkedUpstreams(t, demo.email)).toContain('IDENTITY');
    expect(t.counts().identity.byRoute['GET /users/:identifier']).toBe(1);
    expect(t.counts().evenergy.byRoute['GET /users'] ?? 0).toBe(0);
    expect(t.totals().vrm).toBe(0);

    // Healed: the next lookup costs nothing more than the registry.
    t.resetCounts();
    expect(await linkedUpstreams(t, demo.email)).toContain('IDENTITY');
    expect(t.totals().identity).toBe(0);
  });

  it('heals a person left with no links at all (a crash between create and link), once per interval', async () => {
    const other = t.population.people.find((p) => p !== demo && p.in.identity && p.in.evenergy && p.index !== 42)!;
    await t.registry.createPerson(other.email);
    expect(await linkedUpstreams(t, other.email)).toEqual([]);
    await sleep(700);
    t.resetCounts();
    const healed = await linkedUpstreams(t, other.email);
    expect(healed).toEqual(expect.arrayContaining(['IDENTITY', 'EVENERGY']));
    expect(healed).not.toContain('VRM');
    expect(t.totals().vrm).toBe(0);
    const healingCalls = t.totals();
    expect(healingCalls.identity).toBe(1);

    // Asked again within the interval, nothing is asked again, even for upstreams still unlinked.
    t.resetCounts();
    await linkedUpstreams(t, other.email);
    expect(lookupCalls(t)).toEqual({ identity: 0, evenergy: 0, podero: 0, timesheet: 0, vrm: 0 });
  });
});

describe('memory miss store', () => {
  it('forgets after the TTL and keeps at most maxEntries, the oldest going first', async () => {
    let now = 0;
    const store = createMemoryMisses({ ttlMs: 1000, maxEntries: 2, now: () => now });
    await store.add(['a@x.io', 'b@x.io']);
    expect(await store.has(['a@x.io', 'b@x.io', 'c@x.io'])).toEqual([true, true, false]);
    await store.add(['c@x.io']);
    expect(await store.has(['a@x.io', 'b@x.io', 'c@x.io'])).toEqual([false, true, true]);
    now = 1000;
    expect(await store.has(['b@x.io', 'c@x.io'])).toEqual([false, false]);
  });
});

describe('Redis miss store', () => {
  const redis = redisPerTest<RedisMissStore>('miss:');
  const store = (extra: { url?: string; ttlMs?: number; log?: (m: string, f: Record<string, unknown>) => void } = {}): RedisMissStore => redis.track(createRedisMisses({ url: extra.url ?? TEST_REDIS_URL, ttlMs: extra.ttlMs ?? 30_000, keyPrefix: redis.prefix, log: extra.log }));

  it('shares a miss remembered by one replica with every other, under a key that expires and names no email', async () => {
    const [a, b] = [store(), store()];
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    await a.add(['nobody@example.com']);
    expect(await b.has(['nobody@example.com', 'somebody@example.com'])).toEqual([true, false]);
    const keys = await redis.admin.keys(`${redis.prefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('nobody');
    const ttl = await redis.admin.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('serves a gateway: a miss remembered through Redis costs the next gateway no upstream call', async () => {
    const email = `nobody.${randomUUID()}@example.com`;
    const [a, b] = [store(), store()];
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    const first = await startTestGateway({ misses: a });
    try {
      await first.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
      for (const u of LOOKUP_UPSTREAMS) expect(first.totals()[u]).toBeGreaterThanOrEqual(1);
    } finally {
      await first.close();
    }
    const second = await startTestGateway({ misses: b });
    try {
      const res = await second.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
      expect(res.errors).toBeUndefined();
      expect(dataOf(res).userByEmail).toBeNull();
      expect(lookupCalls(second)).toEqual({ identity: 0, evenergy: 0, podero: 0, timesheet: 0, vrm: 0 });
    } finally {
      await second.close();
    }
  }, 30_000);

  it('falls back to memory when Redis cannot be reached: requests never fail, and the outage is logged once', async () => {
    const logged: string[] = [];
    // Nothing listens on port 1.
    const s = store({ url: 'redis://127.0.0.1:1', log: (m) => logged.push(m) });
    expect(await s.ready(300)).toBe(false);
    const t = await startTestGateway({ misses: s });
    try {
      const email = `nobody.${randomUUID()}@example.com`;
      const first = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
      expect(first.errors).toBeUndefined();
      expect(dataOf(first).userByEmail).toBeNull();
      t.resetCounts();
      const again = await t.query<ByEmail>(BY_EMAIL, { variables: { e: email } });
      expect(again.errors).toBeUndefined();
      expect(lookupCalls(t)).toEqual({ identity: 0, evenergy: 0, podero: 0, timesheet: 0, vrm: 0 });
    } finally {
      await t.close();
    }
    expect(logged.filter((m) => m.startsWith('redis unavailable'))).toHaveLength(1);
  }, 30_000);
});
