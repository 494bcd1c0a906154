/**
 * The HTTP surface: GraphQL over HTTP (POST and GET, both response media types), CSRF prevention,
 * health and readiness, metrics, and the refusals a production server owes its clients.
 */
import { startTestGateway, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ people: 8 });
});
afterAll(() => t.close());

const auth = () => ({ authorization: `Bearer ${t.adminToken}` });

describe('GraphQL over HTTP', () => {
  it('answers POST with application/graphql-response+json when the client accepts it', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/graphql-response+json');
    expect(await res.json()).toEqual({ data: { users: { totalCount: 0 } } });
  });

  it('answers GET queries with application/json when asked, given the CSRF preflight header', async () => {
    const q = encodeURIComponent('{ users(first: 1) { totalCount } }');
    const res = await fetch(`${t.url}/graphql?query=${q}`, { headers: { ...auth(), accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('refuses a simple GET without a preflight header (CSRF prevention)', async () => {
    const q = encodeURIComponent('{ users(first: 1) { totalCount } }');
    const res = await fetch(`${t.url}/graphql?query=${q}`, { headers: { ...auth(), accept: 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('refuses mutations over GET', async () => {
    const q = encodeURIComponent('mutation { revokeAllAccessTokens { revokedCount } }');
    const res = await fetch(`${t.url}/graphql?query=${q}`, { headers: { ...auth(), 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
  });

  it('refuses malformed JSON bodies with 400 and a clear message', async () => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/not valid JSON/);
  });

  it('refuses bodies over the size limit with 413', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(1_100_000) } }),
    });
    expect(res.status).toBe(413);
  });

  it('reports syntax and validation errors with their codes', async () => {
    const parse = await t.query('{ users(first: 1 { totalCount } }');
    expect(parse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await t.query('{ users(first: 1) { nope } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses operations deeper than the limit and with too many aliases', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: users(first: 1) { totalCount }`).join(' ');
    const res = await t.query(`{ ${aliases} }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/31 aliases .*the aliases limit is 15/);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'aliases', cost: 31, max: 15 });
    // No schema path is 10 fields deep; `__type` (unlike `__schema`, GraphiQL's) counts.
    const deep = await t.query('{ __type(name: "User") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }');
    expect(deep.status).toBe(400);
    expect(deep.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'depth', cost: 11, max: 10 });
  });

  it('refuses bad arguments with BAD_USER_INPUT and the field path', async () => {
    const res = await t.query('{ users(first: 500) { totalCount } }');
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['first'] }] });
    const email = await t.query('{ userByEmail(email: "not-an-email") { email } }');
    expect(email.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    const id = await t.query('{ user(id: "!!") { email } }');
    expect(id.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('echoes a valid X-Request-Id and makes one when none is sent', async () => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', 'x-request-id': 'req-123' }, body: '{"query":"{ __typename }"}' });
    expect(res.headers.get('x-request-id')).toBe('req-123');
    const other = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health, readiness and metrics', () => {
  it('says the process is up at /healthz', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports the registry and each upstream breaker at /readyz', async () => {
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      registry: { dialect: 'sqlite', reachable: true },
      upstreams: { identity: 'closed', evenergy: 'closed', vrm: 'closed', podero: 'closed', timesheet: 'closed' },
    });
  });

  it('serves Prometheus metrics with upstream call counters', async () => {
    await t.query(`query($e: EmailAddress!) { userByEmail(email: $e) { firstName } }`, { variables: { e: t.population.people[0]!.email } });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/usergraph_upstream_requests_total\{[^}]*upstream="identity"/);
  });

  it('answers unknown paths with 404 and a pointer to /graphql', async () => {
    const res = await fetch(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('/graphql');
  });
});
