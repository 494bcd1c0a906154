/**
 * The batched read path, proven with the emulators' own request counters: one upstream call per user and
 * resource present, repeats in one operation cost nothing more, and unasked fields cost nothing.
 */
import { UPSTREAM_NAMES } from '../../src/errors';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { sync } from '../../src/registry/sync';
import { dataOf, startTestGateway, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ people: 60 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
});
afterAll(() => t.close());
beforeEach(() => t.resetCounts());

async function linkedCount(personIds: string[], upstream: string): Promise<number> {
  const links = await t.registry.linksFor(personIds);
  return personIds.filter((id) => (links.get(id) ?? []).some((l) => l.upstream === upstream)).length;
}

describe('batching', () => {
  it('users(first: 50) with notificationGroups, payoutMethod and subscription makes one call per user and resource present', async () => {
    const res = await t.query<{ users: { nodes: { personId: string }[] } }>(`{
      users(first: 50) { nodes { personId email notificationGroups { groups { name enabled } } payoutMethod { wallet } subscription { status } } }
    }`);
    expect(res.errors).toBeUndefined();
    const nodes = dataOf(res).users.nodes;
    expect(nodes).toHaveLength(50);
    const ids = nodes.map((n) => n.personId);
    const withEv = await linkedCount(ids, 'evenergy');
    const withIdentity = await linkedCount(ids, 'identity');
    expect(withEv).toBeGreaterThan(0);
    const counts = t.counts();
    expect(counts.evenergy.byRoute).toEqual({
      'GET /users/:user_id/notification_preferences': withEv,
      'GET /users/:user_id/payout_method': withEv,
    });
    expect(counts.identity.total).toBe(withIdentity);
    expect(counts.vrm.total + counts.podero.total + counts.timesheet.total).toBe(0);
  });

  it('costs one call per resource when the same person is reached by aliases, node, user and me', async () => {
    const person = t.population.people[0]!;
    const token = await t.tokenFor(person);
    const first = await t.query<{ me: { id: string; personId: string } }>(`{ me { id personId } }`, { token });
    expect(first.errors).toBeUndefined();
    const { id, personId } = dataOf(first).me;
    t.resetCounts();
    const res = await t.query<{ a: { firstName: string | null } }>(
      `query($id: ID!, $pid: ID!) {
        a: user(id: $id) { firstName payoutMethod { wallet } }
        b: user(id: $pid) { lastName payoutMethod { receiver } }
        me { status payoutMethod { wallet } }
        node(id: $id) { ... on User { email firstName } }
      }`,
      { token, variables: { id, pid: personId } },
    );
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).a.firstName).toBe(person.firstName);
    const counts = t.counts();
    expect(counts.identity.total).toBe(1);
    expect(counts.evenergy.byRoute).toEqual({ 'GET /users/:user_id/payout_method': 1 });
  });

  it('links a VRM account with one /users/me however many VRM fields the request asks for', async () => {
    const person = t.population.people[3]!; // a VRM member that sync cannot link (VRM has no user list)
    const token = await t.tokenFor(person);
    const headers = { 'x-vrm-authorization': `Token ${personalTokenFor(t.population.seed, 3)}` };
    const res = await t.query<{ me: { accounts: { upstream: string }[] } }>(`{ me { accounts { upstream } accessTokens { tokenId } sites { siteId } } }`, { token, headers });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).me.accounts.map((a) => a.upstream)).toContain('VRM');
    expect(t.counts().vrm.byRoute).toEqual({
      'GET /users/me': 1,
      'GET /users/:idUser/accesstokens/list': 1,
      'GET /users/:idUser/installations': 1,
    });
  });

  it('makes no upstream call for fields that are not asked for', async () => {
    const res = await t.query(`{ users(first: 20) { nodes { email personId accounts { upstream accountId } } } }`);
    expect(res.errors).toBeUndefined();
    expect(Object.values(t.totals()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('reports upstreamCalls in extensions when asked, matching the emulator counters', async () => {
    const person = t.population.people[0]!;
    const res = await t.query(`query($e: EmailAddress!) { userByEmail(email: $e) { firstName notificationGroups { chargingFlow } devices { deviceId } role } }`, {
      variables: { e: person.email },
      headers: { 'x-upstream-calls': 'true' },
    });
    expect(res.errors).toBeUndefined();
    const reported = res.extensions?.upstreamCalls;
    if (!reported) throw new Error(`expected extensions.upstreamCalls, but got: ${JSON.stringify(res.extensions)}`);
    for (const u of UPSTREAM_NAMES) expect(reported[u]).toBe(t.totals()[u]);
  });
});
