/**
 * The answer cache (src/upstreams/answers.ts): the memory and Redis stores on their own (Redis is the
 * machine's, 127.0.0.1:6379 or TEST_REDIS_URL, each test under a key prefix of its own that is deleted
 * afterwards), and the one HTTP client using them over real HTTP against the identity and VRM emulators,
 * whose counters say how many calls arrived.
 */
import net from 'node:net';
import Redis from 'ioredis';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createIdentityEmulator } from '../../src/emulators/identity';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson } from '../../src/emulators/population';
import { createVrmEmulator } from '../../src/emulators/vrm';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { ErrorCode, GatewayError } from '../../src/errors';
import { createMemoryAnswers, createRedisAnswers, type AnswerStore, type FreshAnswer, type RedisAnswerStore } from '../../src/upstreams/answers';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createIdentityConnector, describeIdentityError, type IdentityConnector } from '../../src/upstreams/identity/connector';
import { metricsRegistry, resetMetrics } from '../../src/upstreams/metrics';
import type { CallOptions, SharedEvent, UpstreamClient } from '../../src/upstreams/types';
import { createVrmConnector, describeVrmError, type VrmConnector } from '../../src/upstreams/vrm/connector';
import { TEST_REDIS_URL, deletePrefix, freshPrefix, redisPerTest } from '../helpers/redis';

const population = buildPopulation({ people: 40 });
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);

function answer(body: unknown, headers: Record<string, string> = {}): FreshAnswer {
  const raw = Buffer.from(JSON.stringify(body));
  return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body, raw };
}

function person(filter: (p: DemoPerson) => boolean, nth = 0): DemoPerson {
  const found = population.people.filter(filter)[nth];
  if (!found) throw new Error(`expected a ${nth + 1}th matching person in a population of ${population.people.length}`);
  return found;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`expected the condition to hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The behaviour both stores share; `make` opens a store. */
function storeBehaviour(make: () => Promise<AnswerStore>): void {
  it('answers what was stored under a ticket, until its TTL has passed', async () => {
    const store = await make();
    const first = await store.get('identity', 'k1', 'user:1');
    expect(first.answer).toBeUndefined();
    // A TTL no loaded machine outlasts between the put and the get, and a short one for the expiry.
    store.put('identity', 'k1', 'user:1', first.ticket!, answer({ id: 1 }, { link: '<x>; rel="next"' }), 60_000);
    const hit = await store.get('identity', 'k1', 'user:1');
    expect(hit.answer).toEqual({ status: 200, headers: { 'content-type': 'application/json', link: '<x>; rel="next"' }, body: { id: 1 } });
    const short = await store.get('identity', 'k2', 'user:2');
    store.put('identity', 'k2', 'user:2', short.ticket!, answer({ id: 2 }), 100);
    await new Promise((r) => setTimeout(r, 250));
    expect((await store.get('identity', 'k2', 'user:2')).answer).toBeUndefined();
    expect((await store.get('identity', 'k1', 'user:1')).answer).toBeDefined();
  });

  it('keeps upstreams apart', async () => {
    const store = await make();
    const t = (await store.get('identity', 'k', undefined)).ticket!;
    store.put('identity', 'k', undefined, t, answer('identity'), 10_000);
    expect((await store.get('podero', 'k', undefined)).answer).toBeUndefined();
    expect((await store.get('identity', 'k', undefined)).answer?.body).toBe('identity');
  });

  it('invalidates a resource and the queries with a write to that resource, and nothing else', async () => {
    const store = await make();
    for (const [key, scope] of [['one', 'user:1'], ['two', 'user:2'], ['search', undefined]] as const) {
      const t = (await store.get('evenergy', key, scope)).ticket!;
      store.put('evenergy', key, scope, t, answer(key), 10_000);
    }
    await store.invalidate('evenergy', 'user:1');
    expect((await store.get('evenergy', 'one', 'user:1')).answer).toBeUndefined();
    expect((await store.get('evenergy', 'search', undefined)).answer).toBeUndefined();
    expect((await store.get('evenergy', 'two', 'user:2')).answer?.body).toBe('two');
  });

  it('invalidates everything of an upstream with a write that names no resource', async () => {
    const store = await make();
    for (const [key, scope] of [['one', 'user:1'], ['search', undefined]] as const) {
      const t = (await store.get('timesheet', key, scope)).ticket!;
      store.put('timesheet', key, scope, t, answer(key), 10_000);
    }
    const other = (await store.get('identity', 'kept', 'user:1')).ticket!;
    store.put('identity', 'kept', 'user:1', other, answer('kept'), 10_000);
    await store.invalidate('timesheet', undefined);
    expect((await store.get('timesheet', 'one', 'user:1')).answer).toBeUndefined();
    expect((await store.get('timesheet', 'search', undefined)).answer).toBeUndefined();
    expect((await store.get('identity', 'kept', 'user:1')).answer?.body).toBe('kept');
  });

  it('refuses an answer read before an invalidation that came while it was in flight', async () => {
    const store = await make();
    const before = (await store.get('podero', 'k', 'user:7')).ticket!;
    await store.invalidate('podero', 'user:7');
    store.put('podero', 'k', 'user:7', before, answer('stale'), 10_000);
    const after = await store.get('podero', 'k', 'user:7');
    expect(after.answer).toBeUndefined();
    store.put('podero', 'k', 'user:7', after.ticket!, answer('fresh'), 10_000);
    expect((await store.get('podero', 'k', 'user:7')).answer?.body).toBe('fresh');
  });

  it('does not keep an answer larger than 1 MiB', async () => {
    const store = await make();
    const t = (await store.get('identity', 'big', undefined)).ticket!;
    store.put('identity', 'big', undefined, t, answer('x'.repeat(1024 * 1024 + 10)), 10_000);
    expect((await store.get('identity', 'big', undefined)).answer).toBeUndefined();
  });
}

describe('memory answer store', () => {
  storeBehaviour(async () => createMemoryAnswers());

  it('freezes what it hands out, so that one request cannot change the answer of the next', async () => {
    const store = createMemoryAnswers();
    const t = (await store.get('identity', 'k', undefined)).ticket!;
    store.put('identity', 'k', undefined, t, answer({ user: { names: ['a'] } }), 10_000);
    const hit = await store.get('identity', 'k', undefined);
    expect(Object.isFrozen(hit.answer)).toBe(true);
    expect(() => {
      'use strict';
      (hit.answer!.body as { user: { names: string[] } }).user.names.push('b');
    }).toThrow(TypeError);
  });

  it('keeps at most maxEntries, dropping the least recently used first', async () => {
    const store = createMemoryAnswers({ maxEntries: 2 });
    for (const key of ['a', 'b']) store.put('identity', key, undefined, (await store.get('identity', key, undefined)).ticket!, answer(key), 10_000);
    // Reading "a" makes "b" the least recently used.
    expect((await store.get('identity', 'a', undefined)).answer?.body).toBe('a');
    store.put('identity', 'c', undefined, (await store.get('identity', 'c', undefined)).ticket!, answer('c'), 10_000);
    expect((await store.get('identity', 'b', undefined)).answer).toBeUndefined();
    expect((await store.get('identity', 'a', undefined)).answer?.body).toBe('a');
    expect((await store.get('identity', 'c', undefined)).answer?.body).toBe('c');
  });

  it('keeps at most maxBytes of answers', async () => {
    const store = createMemoryAnswers({ maxBytes: 3000 });
    for (const key of ['a', 'b', 'c']) store.put('identity', key, undefined, (await store.get('identity', key, undefined)).ticket!, answer(key.repeat(1000)), 10_000);
    expect((await store.get('identity', 'a', undefined)).answer).toBeUndefined();
    expect((await store.get('identity', 'c', undefined)).answer?.body).toBe('c'.repeat(1000));
  });

  it('stays safe when it forgets old resource versions: what was read before them is no longer answered', async () => {
    const store = createMemoryAnswers({ maxVersions: 4 });
    const t = (await store.get('identity', 'k', 'user:0')).ticket!;
    store.put('identity', 'k', 'user:0', t, answer('old'), 10_000);
    const stale = (await store.get('identity', 'late', 'user:0')).ticket!;
    await store.invalidate('identity', 'user:0');
    for (let i = 1; i < 10; i++) await store.invalidate('identity', `user:${i}`);
    expect((await store.get('identity', 'k', 'user:0')).answer).toBeUndefined();
    store.put('identity', 'late', 'user:0', stale, answer('stale'), 10_000);
    expect((await store.get('identity', 'late', 'user:0')).answer).toBeUndefined();
  });
});

describe('Redis answer store', () => {
  const redis = redisPerTest<RedisAnswerStore>('answer:');
  const open = (extra: { url?: string; log?: (m: string, f: Record<string, unknown>) => void } = {}): RedisAnswerStore => redis.track(createRedisAnswers({ url: extra.url ?? TEST_REDIS_URL, keyPrefix: redis.prefix, maxTtlMs: 10_000, log: extra.log }));

  storeBehaviour(async () => {
    const s = open();
    expect(await s.ready()).toBe(true);
    return s;
  });

  it('shares answers and invalidations between replicas, under keys that expire', async () => {
    const [a, b] = [open(), open()];
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    a.put('identity', 'k', 'user:1', (await a.get('identity', 'k', 'user:1')).ticket!, answer({ id: 1 }), 5000);
    await until(async () => (await b.get('identity', 'k', 'user:1')).answer !== undefined);
    expect((await b.get('identity', 'k', 'user:1')).answer?.body).toEqual({ id: 1 });
    const [entry] = await redis.admin.keys(`${redis.prefix}*:a:*`);
    expect(entry).toBeDefined();
    const ttl = await redis.admin.pttl(entry!);
    expect(ttl).toBeGreaterThan(4000);
    expect(ttl).toBeLessThanOrEqual(5000);
    await b.invalidate('identity', 'user:1');
    expect((await a.get('identity', 'k', 'user:1')).answer).toBeUndefined();
    for (const key of await redis.admin.keys(`${redis.prefix}*`)) expect(await redis.admin.pttl(key)).toBeGreaterThan(0);
  });

  it('answers misses, stores nothing and logs once when Redis cannot be reached', async () => {
    resetMetrics();
    const lines: string[] = [];
    // Nothing listens on port 1.
    const s = open({ url: 'redis://127.0.0.1:1', log: (m) => lines.push(m) });
    expect(await s.ready(300)).toBe(false);
    const lookup = await s.get('identity', 'k', undefined);
    expect(lookup).toEqual({});
    s.put('identity', 'k', undefined, 'whatever', answer('x'), 1000);
    await s.invalidate('identity', 'user:1');
    expect(await s.get('identity', 'k', undefined)).toEqual({});
    expect(lines).toEqual(['redis unavailable: upstream answers are not cached until it is back']);
    const metrics = await metricsRegistry().getSingleMetricAsString('usergraph_upstream_cache_store_errors_total');
    expect(metrics).toMatch(/usergraph_upstream_cache_store_errors_total\{operation="get"\} [1-9]/);
  });

  it('flushes an upstream whose invalidation was lost while Redis was away, as soon as it is back', async () => {
    // A TCP relay to Redis that this test can cut and restore.
    const sockets = new Set<net.Socket>();
    const target = new URL(TEST_REDIS_URL);
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const port = (relay.address() as net.AddressInfo).port;
    const cut = async (): Promise<void> => {
      await new Promise<void>((r) => {
        relay.close(() => r());
        for (const s of sockets) s.destroy();
      });
    };
    try {
      const cutOff = open({ url: `redis://127.0.0.1:${port}` });
      const other = open();
      expect(await cutOff.ready()).toBe(true);
      expect(await other.ready()).toBe(true);
      other.put('podero', 'k', 'user:3', (await other.get('podero', 'k', 'user:3')).ticket!, answer('before the write'), 10_000);
      await until(async () => (await other.get('podero', 'k', 'user:3')).answer !== undefined);

      await cut();
      await until(async () => cutOff.get('podero', 'k', 'user:3').then((l) => l.ticket === undefined));
      // The write this replica made could not reach Redis: the other replica still answers the old entry.
      await cutOff.invalidate('podero', 'user:3');
      expect((await other.get('podero', 'k', 'user:3')).answer?.body).toBe('before the write');

      await new Promise<void>((r) => relay.listen(port, '127.0.0.1', () => r()));
      expect(await cutOff.ready(8000)).toBe(true);
      await until(async () => (await other.get('podero', 'k', 'user:3')).answer === undefined, 8000);
    } finally {
      for (const s of sockets) s.destroy();
      if (relay.listening) await new Promise<void>((r) => relay.close(() => r()));
    }
  }, 20_000);
});

describe('the HTTP client with an answer cache', () => {
  let identityEmulator: Emulator;
  let vrmEmulator: Emulator;
  let clock = 0;
  let store: AnswerStore;
  const clients: UpstreamClient[] = [];
  let identity: IdentityConnector;
  let vrm: VrmConnector;

  const connect = (answers: AnswerStore, ttlMs = 30_000): { identity: IdentityConnector; vrm: VrmConnector } => {
    const ic = createUpstreamClient({ upstream: 'identity', baseUrl: identityEmulator.url(), describeError: describeIdentityError, retryBaseDelayMs: 1, answers, cacheTtlMs: ttlMs });
    const vc = createUpstreamClient({ upstream: 'vrm', baseUrl: vrmEmulator.url(), describeError: describeVrmError, retryBaseDelayMs: 1, answers, cacheTtlMs: ttlMs });
    clients.push(ic, vc);
    return { identity: createIdentityConnector({ client: ic, token: DEV_TOKENS.identity }), vrm: createVrmConnector({ client: vc, token: DEV_TOKENS.vrm }) };
  };

  beforeAll(async () => {
    identityEmulator = createIdentityEmulator({ population, now: () => NOW });
    vrmEmulator = createVrmEmulator({ population, now: () => NOW });
    await Promise.all([identityEmulator.listen(0), vrmEmulator.listen(0)]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([identityEmulator.close(), vrmEmulator.close()]);
  });
  beforeEach(() => {
    identityEmulator.reset(true);
    vrmEmulator.reset(true);
    store = createMemoryAnswers({ now: () => Date.now() + clock });
    ({ identity, vrm } = connect(store));
  });

  const caller = (): CallOptions & { shared: SharedEvent[]; sent: number } => {
    const c = { shared: [] as SharedEvent[], sent: 0, onShared: (e: SharedEvent) => c.shared.push(e), onCall: () => void c.sent++ };
    return c;
  };

  it('answers a repeated read from the cache without a call, and says so, until the TTL has passed', async () => {
    const someone = person(() => true);
    await identity.getUser(someone.email);
    const again = caller();
    expect((await identity.getUser(someone.email, again))?.email).toBe(someone.email);
    expect(again.sent).toBe(0);
    expect(again.shared).toEqual([{ upstream: 'identity', method: 'GET', route: '/users/:identifier', source: 'cache' }]);
    expect(identityEmulator.counts().total).toBe(1);
    clock += 31_000;
    await identity.getUser(someone.email);
    expect(identityEmulator.counts().total).toBe(2);
  });

  it('serves a cached answer while the upstream is down', async () => {
    const someone = person(() => true);
    await identity.getUser(someone.email);
    identityEmulator.setFaults({ down: true });
    expect((await identity.getUser(someone.email))?.email).toBe(someone.email);
  });

  it('invalidates, with a write to a user, the cached reads of that user by id and by email, and not another user\'s', async () => {
    const [a, b] = [person(() => true, 0), person(() => true, 1)];
    const userA = await identity.getUser(a.email);
    await identity.getUser(userA!.id);
    const userB = await identity.getUser(b.email);
    await identity.getUser(userB!.id);
    identityEmulator.reset(false);
    await identity.updateUser(userA!.id, { firstName: 'Renamed' });
    expect((await identity.getUser(userA!.id))?.firstName).toBe('Renamed');
    expect((await identity.getUser(a.email))?.firstName).toBe('Renamed');
    // B's read by id is kept; its read by email is a lookup by another key, filed with the queries.
    await identity.getUser(userB!.id);
    expect(identityEmulator.counts().byRoute).toEqual({ 'PATCH /users/:identifier': 1, 'GET /users/:identifier': 2 });
  });

  it('invalidates even when the write failed, since it may have happened', async () => {
    const someone = person(() => true);
    const user = await identity.getUser(someone.email);
    identityEmulator.setFaults({ status: 503, afterHandler: true, routes: ['PATCH /users/:identifier'] });
    const failed = await identity.updateUser(user!.id, { firstName: 'Written' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(GatewayError);
    expect((await identity.getUser(someone.email))?.firstName).toBe('Written');
  });

  it('never caches an error or an accepted 404', async () => {
    identityEmulator.setFaults({ status: 500, count: 1 });
    const failed = await identity.getUser(person(() => true).email).catch((e: unknown) => e);
    expect(failed instanceof GatewayError && failed.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    await identity.getUser(person(() => true).email);
    expect(await identity.getUser('nobody@example.com')).toBeNull();
    expect(await identity.getUser('nobody@example.com')).toBeNull();
    expect(identityEmulator.counts().total).toBe(4);
  });

  it('keeps the reads of each VRM token to that token, and drops them all with any VRM write', async () => {
    const [a, b] = [person((p) => p.in.vrm, 0), person((p) => p.in.vrm, 1)];
    const [ta, tb] = [a, b].map((p) => ({ kind: 'token' as const, value: personalTokenFor(population.seed, p.index) }));
    const meA = await vrm.getMe(ta);
    expect(meA.email).toBe(a.email);
    expect((await vrm.getMe(tb)).email).toBe(b.email);
    expect((await vrm.getMe(ta)).email).toBe(a.email);
    await vrm.listAccessTokens(meA.id, ta);
    await vrm.listAccessTokens(meA.id, ta);
    expect(vrmEmulator.counts().byRoute).toEqual({ 'GET /users/me': 2, 'GET /users/:idUser/accesstokens/list': 1 });
    await vrm.createAccessToken(meA.id, { name: 'cached-then-created' }, ta);
    const tokens = await vrm.listAccessTokens(meA.id, ta);
    expect(tokens.map((t) => t.name)).toContain('cached-then-created');
    await vrm.getMe(tb);
    expect(vrmEmulator.counts().byRoute).toEqual({ 'GET /users/me': 3, 'GET /users/:idUser/accesstokens/list': 2, 'POST /users/:idUser/accesstokens/create': 1 });
  });

  it('keeps no credential in the cache: entries are named by a hash, and hold only what the upstream answered', async () => {
    const prefix = freshPrefix('answer:');
    const redis = createRedisAnswers({ url: TEST_REDIS_URL, keyPrefix: prefix, maxTtlMs: 30_000 });
    const admin = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.ready()).toBe(true);
      const cached = connect(redis);
      const owner = person((p) => p.in.vrm);
      const token = personalTokenFor(population.seed, owner.index);
      await cached.vrm.getMe({ kind: 'token', value: token });
      await cached.identity.getUser(owner.email);
      await until(async () => (await admin.keys(`${prefix}*:a:*`)).length === 2);
      for (const key of await admin.keys(`${prefix}*`)) {
        expect(key).not.toContain(token);
        expect(key).not.toContain(DEV_TOKENS.identity);
        expect(key).not.toContain(owner.email);
        const value = (await admin.get(key)) ?? '';
        for (const secret of [token, DEV_TOKENS.identity, DEV_TOKENS.vrm]) expect(value).not.toContain(secret);
      }
    } finally {
      await deletePrefix(prefix, admin);
      await admin.quit();
      await redis.close();
    }
  });

  it('calls the upstream when Redis cannot be reached, and counts it', async () => {
    resetMetrics();
    const down = createRedisAnswers({ url: 'redis://127.0.0.1:1', maxTtlMs: 30_000 });
    try {
      const uncached = connect(down);
      const someone = person(() => true);
      for (let i = 0; i < 3; i++) expect((await uncached.identity.getUser(someone.email))?.email).toBe(someone.email);
      expect(identityEmulator.counts().total).toBe(3);
      const metrics = await metricsRegistry().getSingleMetricAsString('usergraph_upstream_cache_lookups_total');
      expect(metrics).toContain('usergraph_upstream_cache_lookups_total{upstream="identity",result="unavailable"} 3');
    } finally {
      await down.close();
    }
  });
});
