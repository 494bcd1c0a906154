/**
 * Who may see whom, end to end over HTTP: a plain user reaches only their own person by every path (id,
 * email, list, node, child ids); an admin reaches anyone; bad tokens are refused before any upstream call.
 */
import { signToken } from '../../src/auth/dev';
import { sync } from '../../src/registry/sync';
import assert from 'node:assert';
import { dataOf, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway';

let t: TestGateway;
let aliceToken: string;
let bob: { id: string; personId: string; email: string };

beforeAll(async () => {
  t = await startTestGateway({ people: 20 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  aliceToken = await t.tokenFor(t.population.people[0]!);
  const res = await t.query<{ userByEmail: { id: string; personId: string; email: string } | null }>(`query($e: EmailAddress!) { userByEmail(email: $e) { id personId email } }`, {
    variables: { e: t.population.people[4]!.email },
  });
  const found = dataOf(res).userByEmail;
  assert(found, 'person 4 is found by email');
  bob = found;
});
afterAll(() => t.close());

/** What `users { totalCount nodes { email } }` answers. */
type UsersData = { users: { totalCount: number; nodes: { email: string }[] } };

function expectForbidden(res: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] }): void {
  expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
}

describe('a plain user', () => {
  it('reads their own person through me', async () => {
    const res = await t.query<{ me: { email: string; firstName: string | null } }>(`{ me { email firstName } }`, { token: aliceToken });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).me.email).toBe(t.population.people[0]!.email);
  });

  it('cannot read another person by id, by person UUID, by email or through node', async () => {
    t.resetCounts();
    expectForbidden(await t.query(`query($id: ID!) { user(id: $id) { email } }`, { token: aliceToken, variables: { id: bob.id } }));
    expectForbidden(await t.query(`query($id: ID!) { user(id: $id) { email } }`, { token: aliceToken, variables: { id: bob.personId } }));
    expectForbidden(await t.query(`query($e: EmailAddress!) { userByEmail(email: $e) { email } }`, { token: aliceToken, variables: { e: bob.email } }));
    expectForbidden(await t.query(`query($id: ID!) { node(id: $id) { id } }`, { token: aliceToken, variables: { id: bob.id } }));
    // No upstream was asked on the way to the refusal.
    expect(Object.values(t.totals()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('sees only themselves in the users list, whatever the filter says', async () => {
    const all = await t.query<UsersData>(`{ users(first: 100) { totalCount nodes { email } } }`, { token: aliceToken });
    expect(all.errors).toBeUndefined();
    expect(dataOf(all).users.nodes.map((n) => n.email)).toEqual([t.population.people[0]!.email]);
    const other = await t.query<UsersData>(`query($e: EmailAddress!) { users(first: 10, filter: { email: $e }) { totalCount nodes { email } } }`, {
      token: aliceToken,
      variables: { e: bob.email },
    });
    expect(dataOf(other).users.totalCount).toBe(0);
  });

  it('cannot reach another person through the global id of one of their objects', async () => {
    const admin = await t.query<{ user: { subscription: { id: string } | null; devices: { id: string }[] | null } }>(`query($id: ID!) { user(id: $id) { subscription { id } devices { id } } }`, { variables: { id: bob.id } });
    const childIds = [dataOf(admin).user.subscription?.id, ...(dataOf(admin).user.devices ?? []).map((d) => d.id)].filter(Boolean);
    expect(childIds.length).toBeGreaterThan(0);
    for (const id of childIds) expectForbidden(await t.query(`query($id: ID!) { node(id: $id) { id } }`, { token: aliceToken, variables: { id } }));
  });
});

describe('an admin', () => {
  it('reads anyone by id, email, list and node', async () => {
    const res = await t.query<{ user: { email: string }; userByEmail: { personId: string }; node: { email: string }; users: { totalCount: number } }>(
      `query($id: ID!, $e: EmailAddress!) { user(id: $id) { email } userByEmail(email: $e) { personId } node(id: $id) { ... on User { email } } users(first: 100) { totalCount } }`,
      { variables: { id: bob.id, e: bob.email } },
    );
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).user.email).toBe(bob.email);
    expect(dataOf(res).userByEmail.personId).toBe(bob.personId);
    expect(dataOf(res).node.email).toBe(bob.email);
    expect(dataOf(res).users.totalCount).toBeGreaterThan(1);
  });
});

describe('credentials', () => {
  const expired = () => signToken(TEST_JWT_SECRET, { sub: 'x', email: 'x@example.com', expiresIn: '-1m' });
  const wrongKey = () => signToken('another-secret-that-is-long-enough-0123456789abcdef', { sub: 'x', email: 'x@example.com' });
  it.each([
    ['malformed', async () => 'not-a-jwt'],
    ['expired', expired],
    ['wrongly signed', wrongKey],
  ])('refuses a %s token with UNAUTHENTICATED and HTTP 401', async (_label, make) => {
    const res = await t.query(`{ me { email } }`, { token: await make() });
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers me without a token with null and no error, as the schema documents', async () => {
    t.resetCounts();
    const res = await t.query<{ me: { email: string } | null }>(`{ me { email } }`, { token: null });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: null });
    expect(Object.values(t.totals()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('still refuses every other root field without a token', async () => {
    const res = await t.query(`{ users(first: 1) { totalCount } }`, { token: null });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
