/**
 * Budgets and failing upstreams end to end, over real HTTP against the emulators and their faults
 * (DESIGN.md "Limits, budgets and failing upstreams"): an operation stops at its upstream-call budget and
 * answers by its deadline, partial error rates stay partial, a 429 with Retry-After silences the
 * upstream for every request (and, through Redis, for every replica), and a failing upstream gives one
 * error per operation.
 */
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { UpstreamName } from '../../src/errors';
import { sync } from '../../src/registry/sync';
import { createGateway, type Gateway } from '../../src/server/gateway';
import { createLogger } from '../../src/lib/logger';
import { BREAKER_DEFAULTS } from '../../src/upstreams/breaker';
import { createRedisCooldowns, type RedisCooldownStore } from '../../src/upstreams/cooldown';
import { dataOf, startTestGateway, TEST_JWT_SECRET, type GraphQLResult, type TestGateway } from '../helpers/gateway';
import { TEST_REDIS_URL, deletePrefix, freshPrefix } from '../helpers/redis';


type Errors = NonNullable<GraphQLResult<unknown>['errors']>;
/** What `me { firstName address { town } … }` answers, as far as these tests read it. */
type MeData = { me: { email: string; firstName: string | null; address: { town: string | null } | null; role: string | null } };

const codes = (errors: Errors | undefined) => (errors ?? []).map((e) => [e.extensions?.code, e.extensions?.upstream]);

/** Runs `clients` loops of `perClient` requests each, in parallel; resolves with how many `send` called good. */
async function traffic(clients: number, perClient: number, send: () => Promise<boolean>): Promise<number> {
  let good = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) if (await send()) good++;
    }),
  );
  return good;
}

/** Runs `send` from `clients` parallel loops until `ms` have passed; resolves with the answers. */
async function trafficFor<T>(clients: number, ms: number, send: () => Promise<T>): Promise<T[]> {
  const end = Date.now() + ms;
  const answers: T[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) answers.push(await send());
    }),
  );
  return answers;
}

describe('a slow upstream', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // The production timeout per call (5 s) would let one slow upstream hold the operation for 15 s;
    // the operation's deadline is what bounds it.
    t = await startTestGateway({ people: 6, clientOverrides: { headersTimeoutMs: 5000, bodyTimeoutMs: 5000 }, budget: { timeoutMs: 1500 } });
  });
  afterAll(() => t.close());

  it('answers by the operation deadline with the other upstreams fields, the slow one null with BUDGET_EXCEEDED', async () => {
    const token = await t.tokenFor(t.population.people[0]!);
    const query = `{ me { email firstName address { town } role } }`;
    expect((await t.query(query, { token })).errors).toBeUndefined();
    t.faults('timesheet', { latencyMs: 20_000 });
    const started = Date.now();
    const res = await t.query<MeData>(query, { token });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1400);
    // The deadline plus the request's own work on a busy machine: far below one call's 5 s timeout.
    expect(took).toBeLessThan(3500);
    expect(dataOf(res).me.firstName).toBeTruthy();
    expect(dataOf(res).me.address).toBeTruthy();
    expect(dataOf(res).me.role).toBeNull();
    expect(codes(res.errors)).toEqual([['BUDGET_EXCEEDED', 'timesheet']]);
    expect(res.errors![0]!.path).toEqual(['me', 'role']);
  });
});

describe('the upstream-call budget', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ people: 40, budget: { maxCalls: 20 } });
    await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  });
  afterAll(() => t.close());
  beforeEach(() => t.resetCounts());

  it('stops an operation that needs more calls at the budget, BUDGET_EXCEEDED on the rest and the rest answered', async () => {
    const res = await t.query<{ users: { nodes: { email: string; firstName: string | null }[] } }>(`{ users(first: 30) { nodes { email firstName } } }`);
    const nodes = dataOf(res).users.nodes;
    expect(nodes).toHaveLength(30);
    // The registry answers every email; identity was called exactly as often as the budget allows.
    expect(nodes.every((n) => n.email)).toBe(true);
    expect(t.totals()).toEqual({ identity: 20, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
    expect(nodes.filter((n) => n.firstName !== null)).toHaveLength(20);
    expect(codes(res.errors)).toEqual([['BUDGET_EXCEEDED', 'identity']]);
    expect(res.errors![0]!.message).toBe('The operation stopped calling identity: its budget of 20 upstream calls is spent');
  });

  it('gives each operation a budget of its own', async () => {
    const res = await t.query(`{ users(first: 10) { nodes { firstName } } }`);
    expect(res.errors).toBeUndefined();
    expect(t.totals().identity).toBe(10);
  });
});

describe('partial error rates under light load', () => {
  const MAX_RETRIES = 2;
  let t: TestGateway;
  let token: string;
  beforeAll(async () => {
    // The breaker as deployed (not the test helper's disabled one) and the default retries.
    t = await startTestGateway({ people: 6, clientOverrides: { maxRetries: MAX_RETRIES, breakerMinimumCalls: BREAKER_DEFAULTS.minimumCalls } });
    token = await t.tokenFor(t.population.people[0]!);
    expect(dataOf(await t.query<MeData>(`{ me { firstName } }`, { token })).me.firstName).toBeTruthy();
  });
  afterAll(() => t.close());
  afterEach(() => t.emulators.reset(false));

  it.each([0.2, 0.5])('answers with identity data as often as %p errors and the retries promise', async (rate) => {
    t.faults('identity', { errorRate: rate, status: 503, routes: ['GET /users/:identifier'] });
    const clients = 4;
    const perClient = 50;
    const answered = await traffic(clients, perClient, async () => {
      const res = await t.query<MeData>(`{ me { firstName } }`, { token });
      return typeof res.data?.me?.firstName === 'string';
    });
    const n = clients * perClient;
    // Each call fails only when every attempt does; three standard deviations of slack for n requests.
    const promise = 1 - rate ** (MAX_RETRIES + 1);
    const floor = promise - 3 * Math.sqrt((promise * (1 - promise)) / n);
    const share = answered / n;
    expect(share).toBeGreaterThanOrEqual(floor);
    expect(share).toBeGreaterThanOrEqual(rate === 0.2 ? 0.95 : 0.8);
    expect(t.gateway.upstreams.clients.identity.breakerState()).toBe('closed');
  });
});

describe('a 429 with Retry-After', () => {
  let t: TestGateway;
  let token: string;
  const query = `{ me { firstName address { town } } }`;
  beforeAll(async () => {
    t = await startTestGateway({ people: 6 });
    token = await t.tokenFor(t.population.people[0]!);
    expect((await t.query(query, { token })).errors).toBeUndefined();
  });
  afterAll(() => t.close());

  it('silences the upstream for every request until it ends, each answering RATE_LIMITED with the seconds left', async () => {
    t.resetCounts();
    t.faults('podero', { status: 429, retryAfter: 30 });
    // A 30 s cooldown treats every moment of it alike, so 2 s of traffic show what 10 s would.
    const answers = await trafficFor(4, 2000, () => t.query<MeData>(query, { token }));
    expect(answers.length).toBeGreaterThan(10);
    // The calls in flight when the first 429 arrived, at most one per client; nothing after.
    expect(t.totals().podero).toBeLessThanOrEqual(4);
    for (const res of answers) {
      expect(dataOf(res).me.firstName).toBeTruthy();
      expect(dataOf(res).me.address).toBeNull();
      expect(codes(res.errors)).toEqual([['RATE_LIMITED', 'podero']]);
      const retryAfter = res.errors![0]!.extensions!.retryAfter;
      expect(retryAfter).toBeGreaterThanOrEqual(27);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
  });
});

describe('a 429 with Retry-After across two gateway instances sharing Redis', () => {
  let t: TestGateway;
  let second: Gateway;
  let secondUrl: string;
  let prefix: string;
  const stores: RedisCooldownStore[] = [];
  beforeAll(async () => {
    prefix = freshPrefix();
    const [a, b] = [createRedisCooldowns({ url: TEST_REDIS_URL, keyPrefix: prefix }), createRedisCooldowns({ url: TEST_REDIS_URL, keyPrefix: prefix })];
    stores.push(a, b);
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    t = await startTestGateway({ people: 6, cooldowns: a });
    // A second replica: the same upstreams and registry, a gateway process of its own.
    second = await createGateway({
      registry: t.registry,
      urls: t.emulators.urls as Record<UpstreamName, string>,
      tokens: DEV_TOKENS,
      poderoOrgId: DEV_PODERO_ORG_ID,
      jwt: { secret: TEST_JWT_SECRET },
      logger: createLogger({ level: 'silent' }),
      client: { retryMaxDelayMs: 50 },
      cooldowns: b,
    });
    secondUrl = await second.listen(0);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
    await Promise.all(stores.map((s) => s.close()));
    await deletePrefix(prefix);
  });

  it('keeps the other replica from calling the upstream too', async () => {
    const token = await t.tokenFor(t.population.people[0]!);
    const query = `{ me { firstName address { town } } }`;
    const onSecond = async () => {
      const res = await fetch(`${secondUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as GraphQLResult<{ me: { firstName: string | null } }>;
    };
    expect((await onSecond()).errors).toBeUndefined();
    t.resetCounts();
    t.faults('podero', { status: 429, retryAfter: 30 });
    const first = await t.query(query, { token });
    expect(codes(first.errors)).toEqual([['RATE_LIMITED', 'podero']]);
    expect(t.totals().podero).toBe(1);
    // Published through Redis: the second replica hears of it within moments.
    const started = Date.now();
    while (stores[1]!.remainingMs('podero') === 0 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 10; i++) {
      const res = await onSecond();
      expect(res.data?.me.firstName).toBeTruthy();
      expect(codes(res.errors)).toEqual([['RATE_LIMITED', 'podero']]);
    }
    expect(t.totals().podero).toBe(1);
  });
});

describe('one error per failing upstream', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ people: 6, clientOverrides: { maxRetries: 0 } });
    await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  });
  afterAll(() => t.close());

  it('reports the first failure of an upstream and nulls its other fields silently, whichever call they made', async () => {
    const ids = dataOf(await t.query<{ users: { nodes: { id: string }[] } }>(`{ users(first: 3) { nodes { id } } }`)).users.nodes.map((n) => n.id);
    t.resetCounts();
    t.faults('identity', { status: 503 });
    type Row = { email?: string; firstName?: string | null; lastName?: string | null };
    const res = await t.query<{ a: Row; b: Row; c: Row }>(`query($a: ID!, $b: ID!, $c: ID!) { a: user(id: $a) { email firstName } b: user(id: $b) { firstName } c: user(id: $c) { lastName } }`, {
      variables: { a: ids[0], b: ids[1], c: ids[2] },
    });
    // Three identity calls failed, one error says so.
    expect(t.totals().identity).toBe(3);
    expect([dataOf(res).a.firstName, dataOf(res).b.firstName, dataOf(res).c.lastName]).toEqual([null, null, null]);
    expect(dataOf(res).a.email).toBeTruthy();
    expect(codes(res.errors)).toEqual([['UPSTREAM_UNAVAILABLE', 'identity']]);
  });
});
