/**
 * The one HTTP client over real HTTP: a tiny emulator built with the shared kit (its faults and counters
 * make retries, timeouts and the breaker observable from the server side) and, where the kit cannot
 * misbehave in the needed way (a stalled body, a chunked oversized body, an HTTP-date Retry-After), a
 * plain node:http server.
 */
import assert from 'node:assert';
import http from 'node:http';
import { ErrorCode, GatewayError, upstreamFailureMessage } from '../../src/errors';
import { createEmulator, type Emulator, type EmulatorResponse } from '../../src/emulators/kit';
import { OperationBudget, type BudgetLimits } from '../../src/upstreams/budget';
import { USER_AGENT, createUpstreamClient, parseRetryAfter } from '../../src/upstreams/client';
import { createMemoryCooldowns } from '../../src/upstreams/cooldown';
import { metricsRegistry, resetMetrics } from '../../src/upstreams/metrics';
import type { CallEvent, CallOptions, ErrorDescription, UpstreamClient, UpstreamClientOptions } from '../../src/upstreams/types';

const TOKEN = 'secret-token-5f1e9c';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const errorBody = (status: number, error: string): EmulatorResponse => ({ status, body: { error } });

/** Error bodies for the table of statuses; 401 echoes the credential it got, as careless real APIs do. */
function statusAnswer(code: number, authorization: string | undefined): EmulatorResponse {
  switch (code) {
    case 401:
      return errorBody(401, `token ${authorization ?? ''} is not valid`);
    case 422:
      return { status: 422, body: { error: 'Validation failed', fields: { email: 'is not an email' }, reason: 'invalid_email' } };
    case 429:
      return { status: 429, body: { error: 'Slow down' }, headers: { 'retry-after': '7' } };
    default:
      return errorBody(code, `status ${code}`);
  }
}

function testEmulator(): Emulator {
  return createEmulator<string>({
    name: 'test',
    basePath: '/api/v1',
    authenticate(headers) {
      if (headers.authorization === AUTH.authorization) return { ok: true, caller: 'service' };
      return { ok: false, response: errorBody(401, 'unauthorized') };
    },
    errors: {
      unauthorized: () => errorBody(401, 'unauthorized'),
      notFound: () => errorBody(404, 'not found'),
      methodNotAllowed: () => errorBody(405, 'method not allowed'),
      malformedJson: () => errorBody(400, 'malformed json'),
      notObject: () => errorBody(400, 'not an object'),
      unsupportedMediaType: () => errorBody(415, 'unsupported media type'),
      tooLarge: () => errorBody(413, 'too large'),
      forStatus: (status) => errorBody(status, `injected ${status}`),
    },
    routes: [
      { method: 'GET', path: '/things/:id', handler: (ctx) => ({ status: 200, body: { id: ctx.params.id } }) },
      { method: 'PUT', path: '/things/:id', handler: (ctx) => ({ status: 200, body: { id: ctx.params.id } }) },
      { method: 'DELETE', path: '/things/:id', handler: () => ({ status: 204 }) },
      { method: 'POST', path: '/things', handler: () => ({ status: 201, body: { id: 'new' } }) },
      {
        method: 'POST',
        path: '/echo',
        handler: (ctx) => ({ status: 200, body: { headers: ctx.headers, query: [...ctx.query.entries()], body: ctx.body } }),
      },
      { method: 'GET', path: '/status/:code', handler: (ctx) => statusAnswer(Number(ctx.params.code), ctx.headers.authorization) },
      { method: 'GET', path: '/sized/:bytes', handler: (ctx) => ({ status: 200, rawBody: JSON.stringify('x'.repeat(Number(ctx.params.bytes) - 2)) }) },
      { method: 'GET', path: '/html', handler: () => ({ status: 200, rawBody: '<html><body>Sign in</body></html>', contentType: 'text/html' }) },
    ],
    resetData: () => undefined,
    openapi: () => ({}),
  });
}

/** Reads `{ error, fields, reason }` bodies as a connector's describer would: the error text only as the log-only detail. */
function describeTestError(_status: number, body: unknown): ErrorDescription {
  if (typeof body !== 'object' || body === null || !('error' in body) || typeof body.error !== 'string') return {};
  const description: ErrorDescription = { detail: body.error };
  if ('fields' in body && typeof body.fields === 'object' && body.fields !== null) {
    description.fieldErrors = Object.entries(body.fields).map(([field, message]) => ({ path: [field], message: String(message) }));
  }
  if ('reason' in body && typeof body.reason === 'string') description.reason = body.reason;
  return description;
}

/** A plain node:http server for misbehaviour the kit does not offer. */
async function rawServer(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert(address !== null && typeof address === 'object', 'expected the test server to listen on a TCP port');
  return { url: `http://127.0.0.1:${address.port}/api/v1`, server };
}

let emulator: Emulator;
const clients: UpstreamClient[] = [];
const servers: http.Server[] = [];

function client(overrides: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const c = createUpstreamClient({
    upstream: 'identity',
    baseUrl: emulator.url(),
    headersTimeoutMs: 2000,
    bodyTimeoutMs: 2000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 2000,
    breakerMinimumCalls: 1000,
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    assert(err instanceof GatewayError, `expected a GatewayError, but got: ${String(err)}`);
    return err;
  }
  throw new Error('expected the request to fail, but it succeeded');
}

/** A GET with the service credential; `/things/7` is counted under the route `/things/:id`. */
const get = (c: UpstreamClient, path: string, extra: { call?: CallOptions } = {}) =>
  c.request({ method: 'GET', path, route: path.replace(/^(\/[^/]+)\/[^/]+$/, '$1/:id'), headers: AUTH, ...extra });

beforeEach(async () => {
  resetMetrics();
  emulator = testEmulator();
  await emulator.listen(0);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await emulator.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

describe('request shape', () => {
  it('sends a JSON body with Accept, User-Agent, Content-Type and the caller request id', async () => {
    const res = await client().request<{ headers: Record<string, string>; body: unknown }>({
      method: 'POST',
      path: '/echo',
      route: '/echo',
      headers: AUTH,
      body: { name: 'Ada', tags: ['a'] },
      call: { requestId: 'req-42' },
    });
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ name: 'Ada', tags: ['a'] });
    expect(res.body.headers).toMatchObject({
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'content-type': 'application/json',
      'x-request-id': 'req-42',
    });
    expect(USER_AGENT).toMatch(/^usergraph\/\d+\.\d+\.\d+/);
  });

  it('leaves out undefined and null query values and repeats array keys', async () => {
    const res = await client().request<{ query: [string, string][] }>({
      method: 'POST',
      path: '/echo',
      route: '/echo',
      headers: AUTH,
      idempotent: true,
      query: { email: 'a+b@example.com', page: 2, active: true, gone: undefined, empty: null, ids: ['x', 7] },
    });
    expect(res.body.query).toEqual([
      ['email', 'a+b@example.com'],
      ['page', '2'],
      ['active', 'true'],
      ['ids', 'x'],
      ['ids', '7'],
    ]);
  });

  it('sends default headers, which per-request headers override', async () => {
    const c = client({ defaultHeaders: { 'X-Tenant': 'one', 'User-Agent': 'custom/1' } });
    const res = await c.request<{ headers: Record<string, string> }>({
      method: 'POST',
      path: '/echo',
      route: '/echo',
      headers: { ...AUTH, 'x-tenant': 'two' },
    });
    expect(res.body.headers['x-tenant']).toBe('two');
    expect(res.body.headers['user-agent']).toBe('custom/1');
  });

  it('resolves a 204 with an undefined body and lower-case headers', async () => {
    const res = await client().request({ method: 'DELETE', path: '/things/1', route: '/things/:id', headers: AUTH });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(Object.keys(res.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('refuses a path that carries its own query string', async () => {
    await expect(client().request({ method: 'GET', path: '/things?id=1', route: '/things' })).rejects.toThrow(TypeError);
  });
});

describe('error mapping', () => {
  it.each([
    [400, ErrorCode.BAD_USER_INPUT],
    [422, ErrorCode.BAD_USER_INPUT],
    [401, ErrorCode.UPSTREAM_AUTH_FAILED],
    [403, ErrorCode.UPSTREAM_AUTH_FAILED],
    [404, ErrorCode.NOT_FOUND],
    [409, ErrorCode.CONFLICT],
    [429, ErrorCode.RATE_LIMITED],
    [500, ErrorCode.UPSTREAM_UNAVAILABLE],
    [503, ErrorCode.UPSTREAM_UNAVAILABLE],
  ])('maps an upstream %i to %s with the upstream and status', async (status, code) => {
    const err = await failure(get(client({ maxRetries: 0 }), `/status/${status}`));
    expect(err.code).toBe(code);
    expect(err.upstream).toBe('identity');
    expect(err.status).toBe(status);
  });

  it('says which upstream answered what when no describer is given', async () => {
    const err = await failure(get(client(), '/status/404'));
    expect(err.message).toBe('identity has no record with this identifier.');
    expect(err.message).toBe(upstreamFailureMessage('identity', ErrorCode.NOT_FOUND, 404));
    expect(err.detail).toBe('identity answered 404 Not Found');
  });

  it('carries the field errors and reason the describer reads from the body, its text only in the log-only detail', async () => {
    const err = await failure(get(client({ describeError: describeTestError }), '/status/422'));
    expect(err.message).toBe(upstreamFailureMessage('identity', ErrorCode.BAD_USER_INPUT, 422));
    expect(err.message).not.toContain('Validation failed');
    expect(err.detail).toBe('identity answered 422 Unprocessable Entity: Validation failed');
    expect(err.fieldErrors).toEqual([{ path: ['email'], message: 'is not an email' }]);
    expect(err.reason).toBe('invalid_email');
    expect(err.toExtensions()).toEqual({
      code: 'BAD_USER_INPUT',
      upstream: 'identity',
      fieldErrors: [{ path: ['email'], message: 'is not an email' }],
      reason: 'invalid_email',
    });
  });

  it('falls back to the generic message when the describer throws', async () => {
    const throwing = (): ErrorDescription => {
      throw new Error('unexpected body');
    };
    const err = await failure(get(client({ describeError: throwing }), '/status/409'));
    expect(err.code).toBe(ErrorCode.CONFLICT);
    expect(err.message).toBe(upstreamFailureMessage('identity', ErrorCode.CONFLICT, 409));
    expect(err.detail).toBe('identity answered 409 Conflict');
  });

  it('gives RATE_LIMITED with the Retry-After seconds', async () => {
    const err = await failure(get(client({ maxRetries: 0 }), '/status/429'));
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
    expect(err.retryAfter).toBe(7);
    expect(err.toExtensions()).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 7 });
  });

  it('resolves an accepted status as an answer with its parsed body', async () => {
    const res = await client().request({ method: 'GET', path: '/status/404', route: '/status/:code', headers: AUTH, acceptStatus: [404] });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'status 404' });
  });
});

describe('malformed and oversized responses', () => {
  it('turns a 2xx body that is not JSON into UPSTREAM_UNAVAILABLE without retrying', async () => {
    emulator.setFaults({ malformed: true });
    const err = await failure(get(client(), '/things/1'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('identity sent a malformed response: expected a JSON body with status 200, but it did not parse');
    expect(emulator.counts().total).toBe(1);
  });

  it('treats an HTML page answered with 200 as malformed', async () => {
    const err = await failure(get(client(), '/html'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toContain('malformed response');
  });

  it('accepts a body of exactly the size limit', async () => {
    const res = await get(client({ maxResponseBytes: 1000 }), '/sized/1000');
    expect(typeof res.body === 'string' && res.body.length).toBe(998);
  });

  it('aborts a body over the size limit that declares its length', async () => {
    const err = await failure(get(client({ maxResponseBytes: 1000 }), '/sized/1001'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('identity sent a response larger than the 1000-byte limit');
  });

  it('aborts a chunked body once it grows over the size limit', async () => {
    let finished = false;
    const { url, server } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('["');
      const timer = setInterval(() => {
        if (res.destroyed) {
          clearInterval(timer);
          return;
        }
        res.write('x'.repeat(512));
      }, 1);
      res.on('close', () => {
        clearInterval(timer);
        finished = !res.writableFinished;
      });
    });
    servers.push(server);
    const err = await failure(get(client({ baseUrl: url, maxResponseBytes: 4096 }), '/things/1'));
    expect(err.message).toBe('identity sent a response larger than the 4096-byte limit');
    await new Promise((r) => setTimeout(r, 50));
    expect(finished).toBe(true);
  });
});

describe('timeouts and connection errors', () => {
  it('turns a response that comes too late into UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ latencyMs: 300 });
    const started = Date.now();
    const err = await failure(get(client({ headersTimeoutMs: 50, maxRetries: 0 }), '/things/1'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('identity did not answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(290);
  });

  it('turns a body that stalls into UPSTREAM_UNAVAILABLE', async () => {
    const { url, server } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
    });
    servers.push(server);
    const err = await failure(get(client({ baseUrl: url, bodyTimeoutMs: 50, maxRetries: 0 }), '/things/1'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('identity stopped sending its response for 50 ms');
  });

  it('turns a refused connection into UPSTREAM_UNAVAILABLE', async () => {
    const { url, server } = await rawServer(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await failure(get(client({ baseUrl: url, maxRetries: 1 }), '/things/1'));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('Expected an HTTP answer from identity, but the connection failed (ECONNREFUSED)');
  });
});

describe('retries', () => {
  it('retries a GET on 503 until it succeeds and reports every attempt', async () => {
    emulator.setFaults({ status: 503, count: 2 });
    const events: CallEvent[] = [];
    const res = await get(client(), '/things/7', { call: { onCall: (e) => events.push(e) } });
    expect(res.body).toEqual({ id: '7' });
    expect(emulator.counts().total).toBe(3);
    expect(events.map((e) => [e.attempt, e.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(events.every((e) => e.upstream === 'identity' && e.method === 'GET' && e.route === '/things/:id')).toBe(true);
  });

  it('retries a GET whose connection was dropped without an answer', async () => {
    emulator.setFaults({ down: true, count: 1 });
    const res = await get(client(), '/things/8');
    expect(res.body).toEqual({ id: '8' });
    expect(emulator.counts().byStatus).toEqual({ '0': 1, '200': 1 });
  });

  it('retries PUT and DELETE, which are idempotent by default', async () => {
    const c = client();
    emulator.setFaults({ status: 502, count: 1 });
    await c.request({ method: 'PUT', path: '/things/1', route: '/things/:id', headers: AUTH, body: {} });
    emulator.setFaults({ status: 502, count: 1 });
    await c.request({ method: 'DELETE', path: '/things/1', route: '/things/:id', headers: AUTH });
    expect(emulator.counts().byRoute).toEqual({ 'PUT /things/:id': 2, 'DELETE /things/:id': 2 });
  });

  it('never retries a POST', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    const err = await failure(client().request({ method: 'POST', path: '/things', route: '/things', headers: AUTH, body: {} }));
    expect(err.status).toBe(503);
    expect(emulator.counts().total).toBe(1);
  });

  it('never retries a POST whose connection dropped', async () => {
    emulator.setFaults({ down: true, count: 1 });
    const err = await failure(client().request({ method: 'POST', path: '/things', route: '/things', headers: AUTH, body: {} }));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(emulator.counts().total).toBe(1);
  });

  it('retries a POST marked idempotent', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    const res = await client().request({ method: 'POST', path: '/things', route: '/things', headers: AUTH, body: {}, idempotent: true });
    expect(res.status).toBe(201);
    expect(emulator.counts().total).toBe(2);
  });

  it('does not retry a GET marked not idempotent', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    await failure(client().request({ method: 'GET', path: '/things/1', route: '/things/:id', headers: AUTH, idempotent: false }));
    expect(emulator.counts().total).toBe(1);
  });

  it('does not retry a 500, which is not a transient status', async () => {
    emulator.setFaults({ status: 500, count: 1 });
    await failure(get(client(), '/things/1'));
    expect(emulator.counts().total).toBe(1);
  });

  it('gives up after maxRetries and throws the last answer', async () => {
    emulator.setFaults({ status: 504 });
    const err = await failure(get(client({ maxRetries: 3 }), '/things/1'));
    expect(err.status).toBe(504);
    expect(emulator.counts().total).toBe(4);
  });

  it('keeps backoff waits within retryMaxDelayMs', async () => {
    emulator.setFaults({ status: 503, count: 2 });
    const started = Date.now();
    await get(client({ retryBaseDelayMs: 60_000, retryMaxDelayMs: 40 }), '/things/1');
    expect(emulator.counts().total).toBe(3);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('Retry-After', () => {
  it('waits at least the seconds a 429 asks for before retrying', async () => {
    emulator.setFaults({ status: 429, count: 1, retryAfter: 1 });
    const events: CallEvent[] = [];
    const started = Date.now();
    await get(client(), '/things/1', { call: { onCall: (e) => events.push(e) } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(events.map((e) => e.status)).toEqual([429, 200]);
  });

  it('waits until an HTTP-date Retry-After before retrying', async () => {
    const arrivals: number[] = [];
    let retryAt = 0;
    const { url, server } = await rawServer((_req, res) => {
      arrivals.push(Date.now());
      if (arrivals.length === 1) {
        // HTTP dates have whole seconds: a date at least 1 s ahead, at most 2 s.
        retryAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
        res.writeHead(503, { 'retry-after': new Date(retryAt).toUTCString(), 'content-length': '0' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    servers.push(server);
    const res = await get(client({ baseUrl: url, retryMaxDelayMs: 3000 }), '/things/1');
    expect(res.body).toEqual({ ok: true });
    expect(arrivals).toHaveLength(2);
    // Timer and clock granularity allow a few ms of slack.
    expect(arrivals[1]!).toBeGreaterThanOrEqual(retryAt - 5);
  });

  it('answers at once with the 429 when the upstream asks for longer than retryMaxDelayMs', async () => {
    emulator.setFaults({ status: 429, retryAfter: 30 });
    const started = Date.now();
    const err = await failure(get(client({ retryMaxDelayMs: 500 }), '/things/1'));
    expect(Date.now() - started).toBeLessThan(400);
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
    expect(err.retryAfter).toBe(30);
    expect(emulator.counts().total).toBe(1);
  });

  it('reads delta-seconds and HTTP dates and ignores anything else', () => {
    const now = Date.UTC(2024, 0, 15, 10, 30, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 10:30:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 10:29:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('circuit breaker', () => {
  // Opens at half of at least 3 calls failing; one probe when half-open.
  const breakerOptions = { maxRetries: 0, breakerMinimumCalls: 3, breakerOpenMs: 150, breakerProbes: 1 };

  it('opens once enough calls in its window have failed and then fails fast without reaching the upstream', async () => {
    const c = client(breakerOptions);
    emulator.setFaults({ status: 500 });
    for (let i = 0; i < 3; i++) expect((await failure(get(c, '/things/1'))).status).toBe(500);
    expect(c.breakerState()).toBe('open');

    const events: CallEvent[] = [];
    const started = Date.now();
    const err = await failure(get(c, '/things/1', { call: { onCall: (e) => events.push(e) } }));
    expect(Date.now() - started).toBeLessThan(50);
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('identity is unavailable: its circuit breaker is open after repeated failures');
    expect(events).toEqual([expect.objectContaining({ status: 0, attempt: 1 })]);
    expect(emulator.counts().total).toBe(3);
  });

  it('counts timeouts and dropped connections as failures', async () => {
    const c = client({ ...breakerOptions, headersTimeoutMs: 30, breakerMinimumCalls: 2 });
    emulator.setFaults({ down: true, count: 1 });
    await failure(get(c, '/things/1'));
    emulator.setFaults({ latencyMs: 200, count: 1 });
    await failure(get(c, '/things/1'));
    expect(c.breakerState()).toBe('open');
  });

  it('is not opened by 4xx answers', async () => {
    const c = client(breakerOptions);
    for (let i = 0; i < 5; i++) await failure(get(c, '/status/404'));
    expect(c.breakerState()).toBe('closed');
  });

  it('closes after a successful half-open probe', async () => {
    const c = client(breakerOptions);
    emulator.setFaults({ status: 503 });
    for (let i = 0; i < 3; i++) await failure(get(c, '/things/1'));
    emulator.setFaults({});
    await new Promise((r) => setTimeout(r, 160));
    expect(c.breakerState()).toBe('half-open');
    expect((await get(c, '/things/1')).body).toEqual({ id: '1' });
    expect(c.breakerState()).toBe('closed');
    expect(emulator.counts().total).toBe(4);
  });

  it('re-opens when the half-open probe fails', async () => {
    const c = client(breakerOptions);
    emulator.setFaults({ status: 503 });
    for (let i = 0; i < 3; i++) await failure(get(c, '/things/1'));
    await new Promise((r) => setTimeout(r, 160));
    expect((await failure(get(c, '/things/1'))).status).toBe(503);
    expect(c.breakerState()).toBe('open');
    await failure(get(c, '/things/1'));
    expect(emulator.counts().total).toBe(4);
  });

  it('lets only one probe through while half-open', async () => {
    const c = client(breakerOptions);
    emulator.setFaults({ status: 503 });
    for (let i = 0; i < 3; i++) await failure(get(c, '/things/1'));
    emulator.setFaults({ latencyMs: 50 });
    await new Promise((r) => setTimeout(r, 160));
    const results = await Promise.allSettled([get(c, '/things/1'), get(c, '/things/2'), get(c, '/things/3')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(emulator.counts().total).toBe(4);
    expect(c.breakerState()).toBe('closed');
  });

  it('lets breakerProbes probes through while half-open and closes when they all succeed', async () => {
    const c = client({ ...breakerOptions, breakerProbes: 3 });
    emulator.setFaults({ status: 503 });
    for (let i = 0; i < 3; i++) await failure(get(c, '/things/1'));
    emulator.setFaults({ latencyMs: 50 });
    await new Promise((r) => setTimeout(r, 160));
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => get(c, `/things/${i}`)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(c.breakerState()).toBe('closed');
  });

  it('counts a call and its retries as one call', async () => {
    const c = client({ maxRetries: 5, breakerMinimumCalls: 2, breakerOpenMs: 10_000 });
    emulator.setFaults({ status: 503 });
    expect((await failure(get(c, '/things/1'))).status).toBe(503);
    expect(emulator.counts().total).toBe(6);
    // Six failed attempts, one failed call: below the two calls the breaker needs to judge.
    expect(c.breakerState()).toBe('closed');
    await failure(get(c, '/things/1'));
    expect(c.breakerState()).toBe('open');
  });

  it('stops retrying when other calls open the breaker and throws the last real answer', async () => {
    const c = client({ maxRetries: 5, breakerMinimumCalls: 2, breakerOpenMs: 10_000 });
    // The first call waits out Retry-After: 1 before its retry; two calls that may not retry open the breaker meanwhile.
    emulator.setFaults({ status: 503, retryAfter: 1 });
    const waiting = failure(get(c, '/things/1'));
    await new Promise((r) => setTimeout(r, 50));
    for (const id of ['2', '3']) await failure(c.request({ method: 'GET', path: `/things/${id}`, route: '/things/:id', headers: AUTH, idempotent: false }));
    expect(c.breakerState()).toBe('open');
    const err = await waiting;
    expect(err.status).toBe(503);
    expect(emulator.counts().total).toBe(3);
  });
});

describe('operation budget', () => {
  const budget = (limits: Partial<BudgetLimits>): OperationBudget => new OperationBudget({ maxCalls: 100, timeoutMs: 10_000, maxBytes: 1_000_000, ...limits });

  it('sends no more calls than the budget holds and fails the rest with BUDGET_EXCEEDED', async () => {
    const c = client();
    const call = { budget: budget({ maxCalls: 3 }) };
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => get(c, `/things/${i}`, { call })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(refused.map((e) => (e instanceof GatewayError ? [e.code, e.upstream, e.message] : e))).toEqual(
      Array(2).fill([ErrorCode.BUDGET_EXCEEDED, 'identity', 'The operation stopped calling identity: its budget of 3 upstream calls is spent']),
    );
    expect(emulator.counts().total).toBe(3);
    expect(call.budget.calls()).toBe(3);
  });

  it('counts every attempt, retries included, and throws the last real answer when it refuses a retry', async () => {
    const c = client({ maxRetries: 5 });
    emulator.setFaults({ status: 503 });
    const call = { budget: budget({ maxCalls: 2 }) };
    expect((await failure(get(c, '/things/1', { call }))).status).toBe(503);
    expect(emulator.counts().total).toBe(2);
    expect((await failure(get(c, '/things/1', { call }))).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(emulator.counts().total).toBe(2);
  });

  it('cuts an attempt short at the deadline, however long the client would wait', async () => {
    emulator.setFaults({ latencyMs: 3000 });
    const c = client({ headersTimeoutMs: 5000, breakerMinimumCalls: 1 });
    const started = Date.now();
    const err = await failure(get(c, '/things/1', { call: { budget: budget({ timeoutMs: 200 }) } }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(700);
    expect(err.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(err.message).toBe('The operation stopped calling identity: its deadline of 200 ms has passed');
    // The operation ran out of time, which says nothing about the upstream.
    expect(c.breakerState()).toBe('closed');
  });

  it('does not start a retry whose backoff would end past the deadline', async () => {
    emulator.setFaults({ status: 503, retryAfter: 1 });
    const started = Date.now();
    const err = await failure(get(client(), '/things/1', { call: { budget: budget({ timeoutMs: 500 }) } }));
    expect(Date.now() - started).toBeLessThan(300);
    expect(err.status).toBe(503);
    expect(emulator.counts().total).toBe(1);
  });

  it('sends nothing once the deadline has passed', async () => {
    const call = { budget: budget({ timeoutMs: 20 }) };
    await new Promise((r) => setTimeout(r, 30));
    expect((await failure(get(client(), '/things/1', { call }))).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(emulator.counts().total).toBe(0);
  });

  it('caps the response bytes an operation reads, all calls together', async () => {
    const c = client();
    const call = { budget: budget({ maxBytes: 1500 }) };
    expect((await get(c, '/sized/1000', { call })).status).toBe(200);
    const err = await failure(get(c, '/sized/1000', { call }));
    expect(err.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(err.message).toBe('The operation stopped calling identity: its cap of 1500 response bytes is reached');
    // Another operation has its own budget.
    expect((await get(c, '/sized/1000', { call: { budget: budget({ maxBytes: 1500 }) } })).status).toBe(200);
  });
});

describe('cooldown after a 429', () => {
  it('fails later calls at once with RATE_LIMITED and the remaining seconds, sending nothing', async () => {
    emulator.setFaults({ status: 429, retryAfter: 30, count: 1 });
    const c = client({ retryMaxDelayMs: 500 });
    const first = await failure(get(c, '/things/1'));
    expect([first.code, first.retryAfter, first.status]).toEqual([ErrorCode.RATE_LIMITED, 30, 429]);
    const events: CallEvent[] = [];
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const err = await failure(get(c, `/things/${i}`, { call: { onCall: (e) => events.push(e) } }));
      expect([err.code, err.upstream, err.status]).toEqual([ErrorCode.RATE_LIMITED, 'identity', undefined]);
      expect(err.retryAfter).toBe(30);
      expect(err.message).toBe('identity asked the gateway to slow down; calls to it resume in 30 s');
    }
    expect(Date.now() - started).toBeLessThan(100);
    expect(events.every((e) => e.status === 0)).toBe(true);
    expect(emulator.counts().total).toBe(1);
  });

  it('is shared by every client given the same store', async () => {
    emulator.setFaults({ status: 429, retryAfter: 30, count: 1 });
    const cooldowns = createMemoryCooldowns();
    const [a, b] = [client({ cooldowns, retryMaxDelayMs: 500 }), client({ cooldowns, retryMaxDelayMs: 500 })];
    await failure(get(a, '/things/1'));
    expect((await failure(get(b, '/things/1'))).code).toBe(ErrorCode.RATE_LIMITED);
    expect(emulator.counts().total).toBe(1);
  });

  it('counts down the remaining seconds and calls again once it is over', async () => {
    let now = 1_000_000;
    const cooldowns = createMemoryCooldowns(() => now);
    emulator.setFaults({ status: 429, retryAfter: 10, count: 1 });
    const c = client({ cooldowns, retryMaxDelayMs: 500 });
    await failure(get(c, '/things/1'));
    now += 7500;
    expect((await failure(get(c, '/things/1'))).retryAfter).toBe(3);
    now += 2500;
    expect((await get(c, '/things/1')).body).toEqual({ id: '1' });
    expect(emulator.counts().total).toBe(2);
  });

  it('starts no cooldown for a 429 without Retry-After', async () => {
    emulator.setFaults({ status: 429, count: 1 });
    const c = client({ maxRetries: 0 });
    expect((await failure(get(c, '/things/1'))).retryAfter).toBeUndefined();
    expect((await get(c, '/things/1')).body).toEqual({ id: '1' });
  });
});

describe('cancellation', () => {
  it('sends nothing when the signal is already aborted', async () => {
    const err = await failure(get(client(), '/things/1', { call: { signal: AbortSignal.abort() } }));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('The identity call was cancelled before it completed');
    expect(emulator.counts().total).toBe(0);
  });

  it('abandons a call in flight and does not hold it against the upstream', async () => {
    emulator.setFaults({ latencyMs: 500 });
    const c = client({ breakerMinimumCalls: 1 });
    const started = Date.now();
    const err = await failure(get(c, '/things/1', { call: { signal: AbortSignal.timeout(30) } }));
    expect(Date.now() - started).toBeLessThan(400);
    expect(err.message).toBe('The identity call was cancelled before it completed');
    expect(c.breakerState()).toBe('closed');
  });

  it('stops waiting for a retry when cancelled', async () => {
    emulator.setFaults({ status: 503, retryAfter: 1 });
    const started = Date.now();
    const err = await failure(get(client(), '/things/1', { call: { signal: AbortSignal.timeout(50) } }));
    expect(Date.now() - started).toBeLessThan(500);
    expect(err.message).toBe('The identity call was cancelled before it completed');
    expect(emulator.counts().total).toBe(1);
  });
});

describe('the exchange with the upstream (one attempt, exchange.ts)', () => {
  it('reads headers named like Object.prototype members as headers, repeated ones joined', async () => {
    const { url, server } = await rawServer((_req, res) => {
      res.setHeader('constructor', 'c');
      res.setHeader('__proto__', 'p');
      res.setHeader('tostring', 't');
      res.setHeader('x-many', ['a', 'b']);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    servers.push(server);
    const res = await get(client({ baseUrl: url }), '/things/1');
    expect(res.body).toEqual({ ok: true });
    expect(Object.getPrototypeOf(res.headers)).toBe(Object.prototype);
    expect(Object.hasOwn(res.headers, 'constructor') && res.headers.constructor).toBe('c');
    expect({ ...res.headers }).toMatchObject({ tostring: 't', 'x-many': 'a, b' });
    // A key no plain object can hold as its own is dropped, as the answer cache drops it.
    expect(Object.keys(res.headers)).not.toContain('__proto__');
  });

  it('keeps the keep-alive connection a request cancelled while queued would have used', async () => {
    let connections = 0;
    emulator.server.on('connection', () => connections++);
    emulator.setFaults({ latencyMs: 100, count: 1 });
    const c = client({ connections: 1 });
    const first = get(c, '/things/1');
    const controllers = Array.from({ length: 10 }, () => new AbortController());
    const queued = controllers.map((ctl, i) => failure(get(c, `/things/q${i}`, { call: { signal: ctl.signal } })));
    setTimeout(() => controllers.forEach((ctl) => ctl.abort()), 20);
    await Promise.all(queued);
    await first;
    for (let i = 0; i < 5; i++) await get(c, `/things/after${i}`);
    expect(emulator.counts().total).toBe(6);
    expect(connections).toBe(1);
  });

  it('reads the answer that follows an informational 103', async () => {
    const { url, server } = await rawServer((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}'), 20);
    });
    servers.push(server);
    const res = await get(client({ baseUrl: url }), '/things/1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: '1' });
  });

  it('times the body between chunks: a slow body that keeps coming is read whole', async () => {
    const { url, server } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const parts = ['[', '1,', '2,', '3,', '4,', '5', ']'];
      const timer = setInterval(() => {
        const part = parts.shift();
        if (part === undefined) {
          clearInterval(timer);
          res.end();
        } else res.write(part);
      }, 40);
    });
    servers.push(server);
    // Seven chunks 40 ms apart: 280 ms in all, never 150 ms without one.
    const res = await get(client({ baseUrl: url, bodyTimeoutMs: 150, maxRetries: 0 }), '/things/1');
    expect(res.body).toEqual([1, 2, 3, 4, 5]);
  });

  it('ends a body that keeps coming at the operation deadline', async () => {
    const { url, server } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('1,')), 20);
      res.on('close', () => clearInterval(timer));
    });
    servers.push(server);
    const started = Date.now();
    const budget = new OperationBudget({ maxCalls: 10, timeoutMs: 200, maxBytes: 1_000_000 });
    const err = await failure(get(client({ baseUrl: url, bodyTimeoutMs: 1000 }), '/things/1', { call: { budget } }));
    expect(err.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(err.message).toBe('The operation stopped calling identity: its deadline of 200 ms has passed');
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('starts the headers timeout when the request is sent, not while it queues for a connection', async () => {
    let served = 0;
    const { url, server } = await rawServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (served > 1) return void res.end('{"n":2}');
      // The first answer holds the only connection for 300 ms, sending a chunk every 50 ms.
      res.write('[');
      let left = 6;
      const timer = setInterval(() => {
        if (--left > 0) return void res.write('1,');
        clearInterval(timer);
        res.end('1]');
      }, 50);
    });
    servers.push(server);
    const c = client({ baseUrl: url, connections: 1, headersTimeoutMs: 150, bodyTimeoutMs: 150, maxRetries: 0, breakerMinimumCalls: 1 });
    const first = get(c, '/things/1');
    await new Promise((r) => setTimeout(r, 10));
    // Queued for 300 ms behind the first, twice its headers timeout: the upstream then answers at once.
    const second = await get(c, '/things/2');
    expect(second.body).toEqual({ n: 2 });
    expect((await first).body).toEqual([1, 1, 1, 1, 1, 1]);
    expect(c.breakerState()).toBe('closed');
  });

  it('never sends a call cancelled while it waited for a connection', async () => {
    emulator.setFaults({ latencyMs: 150, count: 1 });
    const c = client({ connections: 1 });
    const first = get(c, '/things/1');
    const controller = new AbortController();
    const second = failure(get(c, '/things/2', { call: { signal: controller.signal } }));
    setTimeout(() => controller.abort(), 30);
    expect((await second).message).toBe('The identity call was cancelled before it completed');
    expect((await first).body).toEqual({ id: '1' });
    // The queued request's turn came after the first answer: it must not have been sent then.
    await new Promise((r) => setTimeout(r, 50));
    expect(emulator.counts().total).toBe(1);
    expect((await get(c, '/things/3')).body).toEqual({ id: '3' });
  });

  it('never sends a call whose operation deadline passed while it waited for a connection', async () => {
    emulator.setFaults({ latencyMs: 200, count: 1 });
    const c = client({ connections: 1, headersTimeoutMs: 300, maxRetries: 0 });
    const first = get(c, '/things/1');
    await new Promise((r) => setTimeout(r, 20));
    const second = failure(get(c, '/things/2', { call: { budget: new OperationBudget({ maxCalls: 10, timeoutMs: 100, maxBytes: 1_000_000 }) } }));
    expect((await second).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    await first;
    await new Promise((r) => setTimeout(r, 50));
    expect(emulator.counts().total).toBe(1);
  });
});

describe('secrecy', () => {
  it('puts no token, URL, path, query or body into error messages or extensions', async () => {
    const secrets = [TOKEN, '127.0.0.1', new URL(emulator.origin()).port, '/api/v1', 'private-query', 'private-body'];
    const c = client({ maxRetries: 0, breakerMinimumCalls: 6, headersTimeoutMs: 50 });
    const call = (path: string) => c.request({ method: 'GET', path, route: '/x', headers: AUTH, query: { q: 'private-query' }, body: 'private-body', idempotent: true });
    const errors: GatewayError[] = [];
    errors.push(await failure(call('/status/401')));
    errors.push(await failure(call('/status/404')));
    emulator.setFaults({ malformed: true, count: 1 });
    errors.push(await failure(call('/things/1')));
    emulator.setFaults({ latencyMs: 200, count: 1 });
    errors.push(await failure(call('/things/1')));
    emulator.setFaults({ down: true });
    errors.push(await failure(call('/things/1')));
    errors.push(await failure(call('/things/1')));
    errors.push(await failure(call('/things/1')));
    expect(c.breakerState()).toBe('open');
    errors.push(await failure(call('/things/1')));
    expect(new Set(errors.map((e) => e.message)).size).toBeGreaterThanOrEqual(6);
    for (const err of errors) {
      const shown = `${err.message} ${JSON.stringify(err.toExtensions())}`;
      for (const secret of secrets) expect(shown).not.toContain(secret);
    }
  });
});

describe('connection pooling', () => {
  it('keeps 1,000 sequential requests within the connection cap', async () => {
    let connections = 0;
    emulator.server.on('connection', () => connections++);
    const c = client({ connections: 2 });
    for (let i = 0; i < 1000; i++) await get(c, `/things/${i}`);
    expect(emulator.counts().total).toBe(1000);
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('queues concurrent requests beyond the cap instead of opening more connections', async () => {
    let connections = 0;
    emulator.server.on('connection', () => connections++);
    emulator.setFaults({ latencyMs: 20 });
    const c = client({ connections: 4 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => get(c, `/things/${i}`)));
    expect(emulator.counts().total).toBe(40);
    expect(connections).toBe(4);
  });
});

describe('metrics', () => {
  it('counts every attempt by upstream, method, route and status or failure kind', async () => {
    const c = client({ breakerMinimumCalls: 2, breakerOpenMs: 10_000, maxRetries: 1 });
    await get(c, '/things/1');
    emulator.setFaults({ status: 503 });
    await failure(get(c, '/things/1'));
    await failure(get(c, '/things/1'));
    const metric = metricsRegistry().getSingleMetric('usergraph_upstream_requests_total');
    assert(metric, 'expected usergraph_upstream_requests_total to be registered');
    const values = (await metric.get()).values.map((v) => [v.labels.status, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['200', 1],
        ['503', 2],
        ['breaker_open', 1],
      ]),
    );
    expect((await metric.get()).values[0]!.labels).toMatchObject({ upstream: 'identity', method: 'GET', route: '/things/:id' });
  });

  it('observes attempt durations', async () => {
    await get(client(), '/things/1');
    const text = await metricsRegistry().getSingleMetricAsString('usergraph_upstream_request_duration_seconds');
    expect(text).toContain('usergraph_upstream_request_duration_seconds_count{upstream="identity",method="GET",route="/things/:id"} 1');
  });

  it('reports the breaker state of a live client at scrape time', async () => {
    const c = client({ maxRetries: 0, breakerMinimumCalls: 1, breakerOpenMs: 100 });
    const gauge = async (): Promise<string> => metricsRegistry().getSingleMetricAsString('usergraph_upstream_breaker_state');
    expect(await gauge()).toContain('usergraph_upstream_breaker_state{upstream="identity"} 0');
    emulator.setFaults({ status: 500, count: 1 });
    await failure(get(c, '/things/1'));
    expect(await gauge()).toContain('usergraph_upstream_breaker_state{upstream="identity"} 2');
    await new Promise((r) => setTimeout(r, 110));
    expect(await gauge()).toContain('usergraph_upstream_breaker_state{upstream="identity"} 1');
    await c.close();
    expect(await gauge()).not.toContain('upstream="identity"');
  });
});

describe('close', () => {
  it('rejects requests after close and may be called twice', async () => {
    const c = client();
    await get(c, '/things/1');
    await c.close();
    await c.close();
    const err = await failure(get(c, '/things/1'));
    expect(err.message).toBe('The identity client is closed');
    expect(emulator.counts().total).toBe(1);
  });
});
