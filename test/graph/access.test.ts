/**
 * Who may see whom, end to end over HTTP: a plain user reaches only their own person by every path (id,
 * email, list, node, child ids); an admin reaches anyone; bad tokens are refused before any upstream call.
 */
import { signToken } from '../../src/auth/dev';
import { sync } from '../../src/registry/sync';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway';

let t: TestGateway;
let aliceToken: string;
let bob: { id: string; personId: string; email: string };

beforeAll(async () => {
  t = await startTestGateway({ people: 20 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  aliceToken = await t.tokenFor(t.population.people[0]!);
  const res = await t.query(`query($e: EmailAddress!) { userByEmail(email: $e) { id personId email } }`, { variables: { e: t.population.people[4]!.email } });
  bob = res.data.userByEmail;
});
afterAll(() => t.close());

function expectForbidden(res: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] }): void {
  expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
}

describe('a plain user', () => {
  it('reads their own person through me', async () => {
    const res = await t.query(`{ me { email firstName } }`, { token: aliceToken });
    expect(res.errors).toBeUndefined();
    expect(res.data.me.email).toBe(t.population.people[0]!.email);
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
    const all = await t.query(`{ users(first: 100) { totalCount nodes { email } } }`, { token: aliceToken });
    expect(all.errors).toBeUndefined();
    expect(all.data.users.nodes.map((n: { email: string }) => n.email)).toEqual([t.population.people[0]!.email]);
    const other = await t.query(`query($e: EmailAddress!) { users(first: 10, filter: { email: $e }) { totalCount nodes { email } } }`, {
      token: aliceToken,
      variables: { e: bob.email },
    });
    expect(other.data.users.totalCount).toBe(0);
  });

  it('cannot reach another person through the global id of one of their objects', async () => {
    const admin = await t.query(`query($id: ID!) { user(id: $id) { subscription { id } devices { id } } }`, { variables: { id: bob.id } });
    const childIds = [admin.data.user.subscription?.id, ...(admin.data.user.devices ?? []).map((d: { id: string }) => d.id)].filter(Boolean);
    expect(childIds.length).toBeGreaterThan(0);
    for (const id of childIds) expectForbidden(await t.query(`query($id: ID!) { node(id: $id) { id } }`, { token: aliceToken, variables: { id } }));
  });
});

describe('an admin', () => {
  it('reads anyone by id, email, list and node', async () => {
    const res = await t.query(
      `query($id: ID!, $e: EmailAddress!) { user(id: $id) { email } userByEmail(email: $e) { personId } node(id: $id) { ... on User { email } } users(first: 100) { totalCount } }`,
      { variables: { id: bob.id, e: bob.email } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.user.email).toBe(bob.email);
    expect(res.data.userByEmail.personId).toBe(bob.personId);
    expect(res.data.node.email).toBe(bob.email);
    expect(res.data.users.totalCount).toBeGreaterThan(1);
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

  it('refuses me without a token', async () => {
    const res = await t.query(`{ me { email } }`, { token: null });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
