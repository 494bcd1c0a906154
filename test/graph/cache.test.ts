/**
 * Coalescing and the answer cache seen from GraphQL: whole gateways over the emulators (their counters
 * say what reached each upstream), with the cache in memory, in the machine's Redis (127.0.0.1:6379 or
 * REDIS_URL, under a key prefix of this file's own, deleted afterwards) shared by two gateways as two
 * replicas would share it, and with a Redis that cannot be reached.
 */
import { randomUUID } from 'node:crypto';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import type { DemoPerson } from '../../src/emulators/population';
import { createLogger } from '../../src/lib/logger';
import { createRedisAnswers, type RedisAnswerStore } from '../../src/upstreams/answers';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';
import { TEST_REDIS_URL, deletePrefix, freshPrefix } from '../helpers/redis';

const TTL_MS = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, 60_000])) as Record<UpstreamName, number>;
const REPORT = { 'x-upstream-calls': 'true' };

/** One person, fields from four upstreams: one resource read in each. */
const PERSON = `query($e: EmailAddress!) { userByEmail(email: $e) { personId firstName notificationGroups { chargingFlow } role address { town } } }`;
const RENAME = `mutation($id: ID!, $name: String!) { updateUser(id: $id, input: { firstName: $name }) { user { firstName } } }`;

interface PersonData {
  userByEmail: { personId: string; firstName: string | null; role: string | null } | null;
}

/** Someone with an account in identity, ev.energy, timesheet and podero. */
function everywhere(t: TestGateway, nth = 0): DemoPerson {
  const found = t.population.people.filter((p) => p.in.identity && p.in.evenergy && p.in.timesheet && p.in.podero)[nth];
  if (!found) throw new Error('expected a person in identity, evenergy, timesheet and podero');
  return found;
}

function sum(results: GraphQLResult<unknown>[], key: 'upstreamCalls' | 'upstreamCacheHits' | 'upstreamCoalesced'): Record<string, number> {
  const total: Record<string, number> = {};
  for (const r of results) {
    const counts = r.extensions?.[key];
    if (!counts) throw new Error(`expected extensions.${key}, but got: ${JSON.stringify(r.extensions)}`);
    for (const [u, n] of Object.entries(counts)) total[u] = (total[u] ?? 0) + (n ?? 0);
  }
  return total;
}

const ASKED: readonly UpstreamName[] = ['identity', 'evenergy', 'timesheet', 'podero'];

describe('coalescing across requests', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // A slow upstream (1.5 s): on a busy machine sixteen requests take a while to reach their calls.
    t = await startTestGateway({ clientOverrides: { headersTimeoutMs: 5000, bodyTimeoutMs: 5000 } });
  });
  afterAll(() => t.close());

  it('answers 16 concurrent requests for one person against slow upstreams with one call per resource', async () => {
    const someone = everywhere(t);
    // Linked first: what is left to count is the person's own resources.
    expect((await t.query(PERSON, { variables: { e: someone.email } })).errors).toBeUndefined();
    t.resetCounts();
    for (const u of ASKED) t.faults(u, { latencyMs: 1500 });
    const results = await Promise.all(Array.from({ length: 16 }, () => t.query<PersonData>(PERSON, { variables: { e: someone.email }, headers: REPORT })));
    for (const u of ASKED) t.faults(u, {});
    for (const r of results) expect(dataOf(r).userByEmail?.firstName).toBe(someone.firstName);
    const counts = t.counts();
    for (const u of ASKED) {
      expect(Object.keys(counts[u].byRoute)).toHaveLength(1);
      expect(Object.values(counts[u].byRoute)).toEqual([1]);
    }
    // Calls and joins, as each response reported them: one call per resource, fifteen joins of it.
    const calls = sum(results, 'upstreamCalls');
    const joined = sum(results, 'upstreamCoalesced');
    for (const u of ASKED) {
      expect(calls[u]).toBe(1);
      expect(joined[u]).toBe(15);
    }
    expect(sum(results, 'upstreamCacheHits')).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });
});

describe('the answer cache in memory', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ cache: { ttlMs: TTL_MS } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.resetCounts());

  it('answers a person asked for again from the cache, and extensions tell the hits from the calls', async () => {
    const someone = everywhere(t, 1);
    const first = await t.query<PersonData>(PERSON, { variables: { e: someone.email }, headers: REPORT });
    expect(first.errors).toBeUndefined();
    t.resetCounts();
    const again = await t.query<PersonData>(PERSON, { variables: { e: someone.email }, headers: REPORT });
    expect(dataOf(again)).toEqual(dataOf(first));
    expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
    expect(again.extensions?.upstreamCalls).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
    expect(again.extensions?.upstreamCacheHits).toEqual({ identity: 1, evenergy: 1, vrm: 0, podero: 1, timesheet: 1 });
  });

  it('shows a change made through the gateway at once: the write invalidated what it changed', async () => {
    const someone = everywhere(t, 2);
    const before = dataOf(await t.query<PersonData>(PERSON, { variables: { e: someone.email } })).userByEmail!;
    const renamed = await t.query<{ updateUser: { user: { firstName: string } } }>(RENAME, { variables: { id: before.personId, name: 'Cachebuster' } });
    expect(dataOf(renamed).updateUser.user.firstName).toBe('Cachebuster');
    t.resetCounts();
    const after = dataOf(await t.query<PersonData>(PERSON, { variables: { e: someone.email } })).userByEmail!;
    expect(after.firstName).toBe('Cachebuster');
    // The rename wrote identity, timesheet and podero (which hold names): those are read again; ev.energy was not written.
    expect(t.totals().identity).toBe(1);
    expect(t.totals().evenergy).toBe(0);
  });

  it('reads the upstreams afresh for a mutation\'s checks: an email taken outside the gateway since it was cached is refused', async () => {
    // Without an identity account, so that the email may change.
    const created = await t.query<{ createUser: { user: { personId: string } } }>(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { personId } } }`,
      { variables: { input: { email: `mover.${randomUUID().slice(0, 8)}@example.com`, firstName: 'Temp', lastName: 'Person', upstreams: ['EVENERGY', 'TIMESHEET'] } } },
    );
    const person = dataOf(created).createUser.user;
    const wanted = `taken.${randomUUID().slice(0, 8)}@example.com`;
    // Asked once through the gateway: every upstream's answer "nobody has it" is now cached.
    expect(dataOf(await t.query<{ userByEmail: null }>(PERSON, { variables: { e: wanted } })).userByEmail).toBeNull();
    const outside = await fetch(`${t.emulators.urls.evenergy}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_TOKENS.evenergy}` },
      body: JSON.stringify({ email: wanted }),
    });
    expect(outside.status).toBe(201);
    const res = await t.query(`mutation($id: ID!, $e: EmailAddress!) { updateUser(id: $id, input: { email: $e }) { user { email } } }`, {
      variables: { id: person.personId, e: wanted },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(res.errors?.[0]?.extensions?.fieldErrors).toEqual([{ path: ['input', 'email'], message: 'already held by another evenergy account' }]);
  });
});

describe('the answer cache in Redis, shared by two replicas', () => {
  const prefix = freshPrefix('answer:');
  const stores: RedisAnswerStore[] = [];
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    stores.push(createRedisAnswers({ url: TEST_REDIS_URL, keyPrefix: prefix, maxTtlMs: 60_000 }), createRedisAnswers({ url: TEST_REDIS_URL, keyPrefix: prefix, maxTtlMs: 60_000 }));
    for (const s of stores) expect(await s.ready()).toBe(true);
    a = await startTestGateway({ cache: { ttlMs: TTL_MS }, answers: stores[0] });
    // The second replica calls the first one's emulators: one set of upstreams, as in production.
    b = await startTestGateway({ cache: { ttlMs: TTL_MS }, answers: stores[1], urlFor: (u) => a.emulators.urls[u]! });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await Promise.all(stores.map((s) => s.close()));
    await deletePrefix(prefix);
  });

  it('lets one replica answer from what the other read, and shows a write made through either at once on both', async () => {
    const someone = everywhere(a, 3);
    const first = dataOf(await a.query<PersonData>(PERSON, { variables: { e: someone.email } })).userByEmail!;
    a.resetCounts();
    const fromB = await b.query<PersonData>(PERSON, { variables: { e: someone.email }, headers: REPORT });
    expect(dataOf(fromB).userByEmail?.firstName).toBe(someone.firstName);
    // B links the person by email (its registry is its own here) and reads the person's resources: all
    // of it from what A read, in Redis.
    expect(fromB.extensions?.upstreamCalls).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
    for (const u of ASKED) expect(fromB.extensions?.upstreamCacheHits?.[u]).toBeGreaterThanOrEqual(1);
    expect(a.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });

    const renamed = await a.query<{ updateUser: { user: { firstName: string } } }>(RENAME, { variables: { id: first.personId, name: 'Replicated' } });
    expect(dataOf(renamed).updateUser.user.firstName).toBe('Replicated');
    const afterOnB = dataOf(await b.query<PersonData>(PERSON, { variables: { e: someone.email } })).userByEmail!;
    expect(afterOnB.firstName).toBe('Replicated');

    const again = dataOf(await b.query<{ userByEmail: { personId: string } }>(PERSON, { variables: { e: someone.email } })).userByEmail;
    const renamedOnB = await b.query<{ updateUser: { user: { firstName: string } } }>(RENAME, { variables: { id: again.personId, name: 'Backagain' } });
    expect(dataOf(renamedOnB).updateUser.user.firstName).toBe('Backagain');
    expect(dataOf(await a.query<PersonData>(PERSON, { variables: { e: someone.email } })).userByEmail?.firstName).toBe('Backagain');
  });
});

describe('the answer cache with a Redis that cannot be reached', () => {
  it('keeps answering every request from the upstreams, and logs the outage', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l) => lines.push(l) } });
    // Nothing listens on port 1.
    const t = await startTestGateway({ cache: { ttlMs: TTL_MS }, redisUrl: 'redis://127.0.0.1:1', logger });
    try {
      const someone = everywhere(t);
      for (let i = 0; i < 3; i++) {
        t.resetCounts();
        const res = await t.query<PersonData>(PERSON, { variables: { e: someone.email } });
        expect(res.errors).toBeUndefined();
        expect(dataOf(res).userByEmail?.firstName).toBe(someone.firstName);
        // Every time from identity itself: nothing was cached while Redis was away.
        expect(t.counts().identity.total).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await t.close();
    }
    expect(lines.some((l) => l.includes('redis unavailable: upstream answers are not cached until it is back'))).toBe(true);
  });
});
