/**
 * What browsers and mobile apps meet at the HTTP layer (DESIGN.md "Browser and mobile clients",
 * "Errors"): CORS preflights and headers per `CORS_ORIGINS`, br/gzip compression over 1 KiB,
 * `WWW-Authenticate: Bearer` on 401, and Apollo's own request errors with their own codes. Raw
 * node:http so that what is on the wire (compressed bytes, every header) is what is checked.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { ApolloServer } from '@apollo/server';
import { formatError } from '../../src/server/apollo';
import { chooseEncoding, COMPRESS_MIN_BYTES, CORS_ALLOW_HEADERS, createHttpServer } from '../../src/server/http';
import { createLogger } from '../../src/lib/logger';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as sent (still compressed when it was). */
  bytes: Buffer;
}

function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawReply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The body as JSON, decoded per its Content-Encoding. */
function decoded(reply: RawReply): unknown {
  const encoding = reply.headers['content-encoding'];
  const bytes = encoding === 'br' ? zlib.brotliDecompressSync(reply.bytes) : encoding === 'gzip' ? zlib.gunzipSync(reply.bytes) : reply.bytes;
  return JSON.parse(bytes.toString('utf8'));
}

const APP = 'http://app.usergraph.test:5173';
const OTHER = 'http://evil.usergraph.test';

let plain: TestGateway;
let cors: TestGateway;
beforeAll(async () => {
  [plain, cors] = await Promise.all([startTestGateway({ people: 4 }), startTestGateway({ people: 4, corsOrigins: [APP] })]);
});
afterAll(() => Promise.all([plain?.close(), cors?.close()]));

const post = (t: TestGateway, body: unknown, headers: Record<string, string> = {}): Promise<RawReply> =>
  request(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}`, ...headers }, body: JSON.stringify(body) });

/** An answer well over 1 KiB without any upstream call. */
const BIG = { query: '{ __schema { types { name description } } }' };
const TINY = { query: '{ __typename }' };

describe('response compression', () => {
  it.each([
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip;q=1', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['gzip;q=0, *;q=0.1', 'br'],
    ['x-gzip', 'gzip'],
  ])('answers Accept-Encoding %j with %s, which decodes to the answer', async (accept, coding) => {
    const reply = await post(plain, BIG, { 'accept-encoding': accept });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBe(coding);
    expect(reply.headers.vary).toMatch(/Accept-Encoding/);
    expect(Number(reply.headers['content-length'])).toBe(reply.bytes.length);
    const body = decoded(reply) as { data: { __schema: { types: { name: string }[] } } };
    expect(body.data.__schema.types.map((t) => t.name)).toContain('IdentitySubscription');
    const identity = await post(plain, BIG, { 'accept-encoding': 'identity' });
    // Compressed, the same answer is a fraction of its size.
    expect(reply.bytes.length).toBeLessThan(identity.bytes.length / 2);
    expect(decoded(reply)).toEqual(decoded(identity));
  });

  it.each([[''], ['identity'], ['deflate'], ['br;q=0, gzip;q=0'], ['*;q=0']])('sends the body as it is for Accept-Encoding %j', async (accept) => {
    const reply = await post(plain, BIG, accept ? { 'accept-encoding': accept } : {});
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.headers.vary).toMatch(/Accept-Encoding/);
    expect(reply.bytes.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    expect(decoded(reply)).toMatchObject({ data: { __schema: {} } });
  });

  it('never compresses a body of 1 KiB or less', async () => {
    const reply = await post(plain, TINY, { 'accept-encoding': 'br, gzip' });
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.headers.vary).toMatch(/Accept-Encoding/);
    expect(reply.bytes.length).toBeLessThanOrEqual(COMPRESS_MIN_BYTES);
    expect(JSON.parse(reply.bytes.toString())).toEqual({ data: { __typename: 'Query' } });
  });

  it('compresses GET answers and error answers too', async () => {
    const q = encodeURIComponent(BIG.query);
    const get = await request(`${plain.url}/graphql?query=${q}`, { headers: { authorization: `Bearer ${plain.adminToken}`, 'apollo-require-preflight': 'true', 'accept-encoding': 'gzip' } });
    expect(get.headers['content-encoding']).toBe('gzip');
    expect(decoded(get)).toMatchObject({ data: { __schema: {} } });
    // Thirty unknown fields: thirty validation errors, over 1 KiB together.
    const fields = Array.from({ length: 30 }, (_, i) => `unknownField${i}`).join(' ');
    const invalid = await post(plain, { query: `{ ${fields} }` }, { 'accept-encoding': 'br' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['content-encoding']).toBe('br');
    const { errors } = decoded(invalid) as { errors: { extensions: { code: string } }[] };
    expect(errors.map((e) => e.extensions.code)).toEqual(Array(30).fill('GRAPHQL_VALIDATION_FAILED'));
  });

  it('chooses by q-value, br on a tie, and nothing for unknown or refused codings', () => {
    expect(chooseEncoding(undefined)).toBeUndefined();
    expect(chooseEncoding('gzip;q=0.8, br;q=0.8')).toBe('br');
    expect(chooseEncoding('gzip;q=0.9, br;q=0.8')).toBe('gzip');
    expect(chooseEncoding('GZIP')).toBe('gzip');
    expect(chooseEncoding('br;q=abc, gzip;q=0.1')).toBe('gzip');
    expect(chooseEncoding('compress, deflate')).toBeUndefined();
  });
});

describe('WWW-Authenticate on 401', () => {
  it('challenges with Bearer and error="invalid_token" when the token is refused', async () => {
    for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', `Bearer ${plain.adminToken}x`]) {
      const reply = await post(plain, TINY, { authorization });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer realm="usergraph", error="invalid_token"');
      expect(decoded(reply)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  });

  it('challenges with Bearer alone when what was refused is not the bearer token', async () => {
    const reply = await post(plain, TINY, { 'x-vrm-authorization': 'garbage' });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="usergraph"');
  });

  it('sends no challenge when the request is answered', async () => {
    const anonymous = await request(`${plain.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TINY) });
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['www-authenticate']).toBeUndefined();
  });
});

describe('CORS', () => {
  const preflight = (t: TestGateway, origin: string, requestHeaders = 'authorization, content-type') =>
    request(`${t.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders } });

  it('answers a preflight from an allowed origin with 204 and what it may send', async () => {
    const reply = await preflight(cors, APP, 'authorization, content-type, x-vrm-authorization');
    expect(reply.status).toBe(204);
    expect(reply.bytes.length).toBe(0);
    expect(reply.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST',
      'access-control-max-age': '600',
    });
    expect(reply.headers.vary).toMatch(/Origin/);
    const allowed = String(reply.headers['access-control-allow-headers']).split(', ');
    expect(allowed).toEqual(CORS_ALLOW_HEADERS);
    for (const h of ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-vrm-authorization', 'x-request-id', 'x-upstream-calls', 'traceparent']) {
      expect(allowed).toContain(h);
    }
  });

  it('gives a disallowed origin no Access-Control-* header, in preflight or answer', async () => {
    const pre = await preflight(cors, OTHER);
    expect(pre.status).toBe(204);
    expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(pre.headers.vary).toMatch(/Origin/);
    const answer = await post(cors, TINY, { origin: OTHER });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    // Origins match exactly: another port or scheme is another origin.
    for (const near of ['http://app.usergraph.test', 'https://app.usergraph.test:5173', `${APP}/`]) {
      expect((await preflight(cors, near)).headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('lets an allowed origin read the answer and its X-Request-Id, errors included', async () => {
    const answer = await post(cors, TINY, { origin: APP, 'x-request-id': 'cors-1' });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(APP);
    expect(answer.headers['access-control-expose-headers']).toBe('x-request-id');
    expect(answer.headers['x-request-id']).toBe('cors-1');
    expect(answer.headers.vary).toMatch(/Origin/);
    expect(answer.headers.vary).toMatch(/Accept-Encoding/);
    const refused = await request(`${cors.url}/graphql`, { method: 'POST', headers: { origin: APP, 'content-type': 'text/plain' }, body: '{}' });
    expect(refused.status).toBe(415);
    expect(refused.headers['access-control-allow-origin']).toBe(APP);
    const unauthenticated = await post(cors, TINY, { origin: APP, authorization: 'Bearer nope' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['access-control-allow-origin']).toBe(APP);
  });

  it('sends no CORS header at all without CORS_ORIGINS, and answers OPTIONS with 405', async () => {
    const pre = await preflight(plain, APP);
    expect(pre.status).toBe(405);
    expect(pre.headers.allow).toBe('GET, POST');
    expect(decoded(pre)).toMatchObject({ errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
    const answer = await post(plain, TINY, { origin: APP });
    for (const reply of [pre, answer]) {
      expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(reply.headers.vary ?? '').not.toMatch(/Origin/);
    }
  });

  it('with CORS_ORIGINS=* echoes any origin', async () => {
    const any = await startTestGateway({ people: 1, corsOrigins: '*' });
    try {
      for (const origin of [APP, OTHER]) {
        const reply = await preflight(any, origin);
        expect(reply.status).toBe(204);
        expect(reply.headers['access-control-allow-origin']).toBe(origin);
      }
      expect((await post(any, TINY, { origin: OTHER })).headers['access-control-allow-origin']).toBe(OTHER);
    } finally {
      await any.close();
    }
  });
});

describe("Apollo's own request errors keep their codes", () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const errorOf = (reply: RawReply) => (decoded(reply) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;

  it('an APQ hash that is not the query’s: 400 BAD_REQUEST', async () => {
    const reply = await post(plain, { query: TINY.query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } } });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toEqual({ message: "The persisted query's sha256Hash is not the SHA-256 of its query", extensions: { code: 'BAD_REQUEST' } });
  });

  it('an unsupported APQ version: 400 BAD_REQUEST, with or without the query', async () => {
    for (const body of [
      { query: TINY.query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(TINY.query) } } },
      { extensions: { persistedQuery: { version: 3, sha256Hash: sha256(TINY.query) } } },
    ]) {
      const reply = await post(plain, body);
      expect(reply.status).toBe(400);
      expect(errorOf(reply)).toEqual({ message: expect.stringMatching(/^Unsupported persisted query version/), extensions: { code: 'BAD_REQUEST' } });
    }
  });

  it('an unknown APQ hash: PERSISTED_QUERY_NOT_FOUND, then the registered query runs by hash', async () => {
    const query = '{ __typename pq: __typename }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const miss = await post(plain, { extensions: ext });
    expect(errorOf(miss).extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(plain, { query, extensions: ext })).status).toBe(200);
    expect(decoded(await post(plain, { extensions: ext }))).toEqual({ data: { __typename: 'Query', pq: 'Query' } });
  });

  it.each([
    ['a query that is not a string', 'BAD_REQUEST', { query: 5 }],
    ['an empty body object', 'BAD_REQUEST', {}],
    ['variables that are not an object', 'BAD_REQUEST', { query: TINY.query, variables: 3 }],
    ['extensions that are not an object', 'BAD_REQUEST', { query: TINY.query, extensions: 'x' }],
    ['a syntax error', 'GRAPHQL_PARSE_FAILED', { query: '{ users(' }],
    ['an unknown field', 'GRAPHQL_VALIDATION_FAILED', { query: '{ nope }' }],
    ['an unknown operation name', 'OPERATION_RESOLUTION_FAILURE', { query: TINY.query, operationName: 'Missing' }],
  ])('%s: 400 %s', async (_what, code, body) => {
    const reply = await post(plain, body);
    expect(reply.status).toBe(400);
    expect(errorOf(reply).extensions.code).toBe(code);
  });

  it('APQ switched off: PERSISTED_QUERY_NOT_SUPPORTED, through the gateway\'s formatError and HTTP layer', async () => {
    // The gateway keeps APQ on; an Apollo Server without it shows that this code, too, passes through.
    const apollo = new ApolloServer({ typeDefs: 'type Query { a: Int }', persistedQueries: false, formatError: formatError() });
    await apollo.start();
    const server = createHttpServer({
      apollo,
      context: async () => ({}),
      logger: createLogger({ level: 'silent' }),
      readiness: async () => ({ ready: true, body: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
    });
    const url = await server.listen(0, '127.0.0.1');
    try {
      const reply = await request(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ a }') } } }),
      });
      expect(errorOf(reply).extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    } finally {
      await server.close();
      await apollo.stop();
    }
  });

  it('nothing of these is logged as an internal error', async () => {
    plain.logLines.length = 0;
    await post(plain, { query: TINY.query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } } });
    await post(plain, { query: TINY.query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(TINY.query) } } });
    expect(plain.logLines.join('\n')).not.toMatch(/internal error/);
  });
});
