/**
 * The HTTP surface: GraphQL over HTTP (POST and GET, both response media types), CSRF prevention,
 * health and readiness, metrics, and the refusals a production server owes its clients.
 */
import net from 'node:net';
import { loadConfig } from '../../src/config';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { openRegistry } from '../../src/registry';
import type { Registry } from '../../src/registry/types';
import { createGateway, type Gateway } from '../../src/server/gateway';
import { createLogger } from '../../src/lib/logger';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway';

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

  it('tells caches not to store any answer, data or error (Cache-Control: no-store)', async () => {
    const post = (query: string) =>
      fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const answered = await post('{ users(first: 1) { totalCount } }');
    expect(answered.status).toBe(200);
    expect(answered.headers.get('cache-control')).toBe('no-store');
    const invalid = await post('{ users(first: 1) { noSuchField } }');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('cache-control')).toBe('no-store');
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

describe('refusals of the HTTP layer, each JSON with a code', () => {
  const codeOf = async (res: Response): Promise<unknown> => ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code;

  it('answers unknown paths with 404 NOT_FOUND', async () => {
    const res = await fetch(`${t.url}/nope`);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await codeOf(res)).toBe('NOT_FOUND');
  });

  it('answers other methods on /graphql with 405 METHOD_NOT_ALLOWED', async () => {
    const res = await fetch(`${t.url}/graphql`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(await codeOf(res)).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers bodies over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } }) });
    expect(res.status).toBe(413);
    expect(await codeOf(res)).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([['text/notjson'], ['text/plain'], ['application/x-www-form-urlencoded'], ['application/json; charset=latin1'], ['']])(
    'refuses a POST body of content-type %j with 415 UNSUPPORTED_MEDIA_TYPE',
    async (type) => {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': type }, body: '{"query":"{ __typename }"}' });
      expect(res.status).toBe(415);
      expect(await codeOf(res)).toBe('UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it.each([['application/json; charset=utf-8'], ['application/graphql-response+json'], ['Application/JSON']])('takes a POST body of content-type %j', async (type) => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': type }, body: '{"query":"{ __typename }"}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a body that is not valid UTF-8 with 400 BAD_REQUEST instead of replacing the bytes', async () => {
    const body = Buffer.concat([Buffer.from('{"query":"{ __typename }","variables":{"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(json.errors[0]).toEqual({ message: 'Request body is not valid UTF-8', extensions: { code: 'BAD_REQUEST' } });
  });

  it('refuses a query string that is not UTF-8 with 400 BAD_REQUEST', async () => {
    const res = await fetch(`${t.url}/graphql?query=%7B__typename%7D&operationName=%C3%28`, { headers: { ...auth(), 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe('BAD_REQUEST');
  });

  it('answers headers over node’s limit with 431 and a JSON body', async () => {
    const { status, headers, body } = await rawRequest(t.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(status).toBe(431);
    expect(headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(body)).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' } }] });
  });

  it('answers a request node cannot parse with 400 and a JSON body', async () => {
    const { status, body } = await rawRequest(t.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(status).toBe(400);
    expect(JSON.parse(body).errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

/** Sends bytes as they are (fetch would refuse to send what these tests need) and reads the answer. */
function rawRequest(origin: string, request: string): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (c) => (data += c.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body });
    });
  });
}

describe('production', () => {
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  let registry: Registry;
  const gateways: Gateway[] = [];
  const urls = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, 'http://127.0.0.1:9'])) as Record<UpstreamName, string>;

  async function productionGateway(metrics?: { token?: string; port?: number }): Promise<{ gateway: Gateway; url: string }> {
    const gateway = await createGateway({
      registry,
      urls,
      tokens: DEV_TOKENS,
      poderoOrgId: DEV_PODERO_ORG_ID,
      jwt: { secret: TEST_JWT_SECRET },
      logger: createLogger({ level: 'silent' }),
      introspection: loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET }).introspection,
      production: true,
      metrics,
    });
    gateways.push(gateway);
    return { gateway, url: await gateway.listen(0) };
  }

  beforeAll(async () => {
    registry = await openRegistry({ sqlitePath: ':memory:' });
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await registry.close();
  });

  const post = (url: string, query: string, variables?: unknown) =>
    fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then(async (r) => ({ status: r.status, body: JSON.stringify(await r.json()) }));

  it.each([
    ['a field', '{ users { nodess { id } } }', undefined],
    ['an argument', '{ users(frist: 1) { totalCount } }', undefined],
    ['a type', 'query($f: UserFiltr) { users(filter: $f) { totalCount } }', undefined],
    ['an enum value', 'query($u: [Upstream!]) { users(filter: { hasAccountIn: $u }) { totalCount } }', { u: ['IDENTIT'] }],
    ['an input field', '{ users(filter: { emailContain: "a" }) { totalCount } }', undefined],
  ] as const)('suggests no name for a misspelt %s', async (_kind, query, variables) => {
    const { url } = await productionGateway();
    const res = await post(url, query, variables);
    expect(res.status).toBe(400);
    expect(res.body).not.toMatch(/Did you mean|nodes"|"first|UserFilter"|IDENTITY|emailContains/);
    expect(res.body).toMatch(/"code":"(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)"/);
  });

  it('suggests the name in development', async () => {
    // The same mistake in development gets its suggestion.
    const dev = await t.query('{ users { nodess { id } } }');
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean "nodes"/);
  });

  it('answers no introspection', async () => {
    const { url } = await productionGateway();
    const res = await post(url, '{ __schema { types { name } } }');
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/GRAPHQL_VALIDATION_FAILED/);
    expect(res.body).not.toMatch(/"User"/);
  });

  it('refuses /metrics on the main port without METRICS_TOKEN or METRICS_PORT', async () => {
    const { url } = await productionGateway();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ message: expect.stringMatching(/METRICS_TOKEN or METRICS_PORT/), extensions: { code: 'FORBIDDEN' } }] });
  });

  it('serves /metrics only to the bearer of METRICS_TOKEN', async () => {
    const { url } = await productionGateway({ token: METRICS_TOKEN });
    const none = await fetch(`${url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP /m);
  });

  it('serves /metrics on METRICS_PORT and not on the main port', async () => {
    const { gateway, url } = await productionGateway({ port: 0 });
    expect(gateway.http.metricsUrl).toBeDefined();
    expect(gateway.http.metricsUrl).not.toBe(url);
    const main = await fetch(`${url}/metrics`);
    expect(main.status).toBe(404);
    const separate = await fetch(`${gateway.http.metricsUrl}/metrics`);
    expect(separate.status).toBe(200);
    expect(await separate.text()).toMatch(/^# HELP /m);
    const other = await fetch(`${gateway.http.metricsUrl}/graphql`);
    expect(other.status).toBe(404);
  });
});
