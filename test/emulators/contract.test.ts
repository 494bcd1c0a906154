/**
 * The contract every emulator keeps through the kit (src/emulators/kit.ts), checked once per emulator
 * over real HTTP: credentials, unknown routes and methods, fault injection, request counters, reset, and
 * the OpenAPI document, against which the answers are validated (ajv, draft 2020-12). What each API
 * answers in these cases is its own (specs.ts); what is particular to one API is in its own suite.
 */
import type { Emulator, Faults } from '../../src/emulators/kit';
import { buildPopulation } from '../../src/emulators/population';
import { send, type Reply, type SendInit } from '../helpers/http';
import { isRecord, record } from '../helpers/json';
import { loadOpenApi, type OpenApi } from '../helpers/openapi';
import { SPECS, type Call, type EmulatorSpec, type Expected } from './specs';

const population = buildPopulation({ people: 30 });
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function expectAnswer(reply: Reply, expected: Expected): void {
  expect({ status: reply.status, contentType: reply.headers.get('content-type') }).toEqual({ status: expected.status, contentType: expected.contentType });
  if (expected.body !== undefined) expect(reply.body).toEqual(expected.body);
  if (expected.text !== undefined) expect(reply.text).toBe(expected.text);
  if (expected.contains !== undefined) expect(reply.text).toContain(expected.contains);
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    if (typeof value === 'string') expect(reply.headers.get(name)).toBe(value);
    else expect(reply.headers.get(name)).toMatch(value);
  }
}

/** The route key the kit counts for an OpenAPI operation: `GET /users/{id}` → `GET /users/:id`. */
const routeKey = (operation: string): string => operation.replace(/\{(\w+)\}/g, ':$1');

describe.each(SPECS)('the $name emulator', (spec: EmulatorSpec) => {
  let emulator: Emulator;
  let api: OpenApi;

  /** A call below the base path with the service credential; `token: null` sends none. */
  const call = (what: Call | string, init: Omit<SendInit, 'json'> & { token?: string | null } = {}, root?: string): Promise<Reply> => {
    const { method, path, body } = typeof what === 'string' ? { method: 'GET', path: what, body: undefined } : what;
    const token = init.token === undefined ? spec.token : init.token;
    const headers = { ...spec.headers, ...(token === null ? {} : spec.credentials(token)), ...init.headers };
    return send(`${root ?? emulator.url()}${path}`, { method: init.method ?? method, json: body, raw: init.raw, contentType: init.contentType, headers });
  };
  const setFaults = async (faults: unknown): Promise<Reply> => send(`${emulator.origin()}/__emulator/faults`, { method: 'POST', json: faults });
  const hook = (path: string, method = 'GET'): Promise<Reply> => send(`${emulator.origin()}/__emulator/${path}`, { method });

  beforeAll(async () => {
    emulator = spec.create({ population });
    await emulator.listen(0);
    api = await loadOpenApi(emulator.origin());
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset(true));

  describe('credentials', () => {
    it('answers the read with the service credential, as its OpenAPI document describes', async () => {
      const reply = await call(spec.read);
      expect(reply.status).toBe(spec.read.status);
      api.expectResponse(spec.read.operation, spec.read.method, spec.read.status, reply.body);
    });

    it('refuses a request without credentials with its documented 401', async () => {
      const reply = await call(spec.read, { token: null });
      expectAnswer(reply, spec.answers.missingCredential);
      api.expectResponse(spec.read.operation, spec.read.method, 401, reply.body);
    });

    it('refuses a wrong credential with its documented 401', async () => {
      const reply = await call(spec.read, { token: 'f'.repeat(64) });
      expectAnswer(reply, spec.answers.wrongCredential);
      api.expectResponse(spec.read.operation, spec.read.method, 401, reply.body);
    });

    it('refuses a write without credentials and changes nothing', async () => {
      const before = await call(spec.write.shows);
      expect((await call(spec.write, { token: null })).status).toBe(401);
      expect((await call(spec.write.shows)).body).toEqual(before.body);
    });

    it('accepts the credential given in its options instead of the development one', async () => {
      const custom = spec.create({ population, token: 'c'.repeat(64) });
      const root = await custom.listen(0);
      try {
        expect((await call(spec.read, { token: 'c'.repeat(64) }, root)).status).toBe(spec.read.status);
        expect((await call(spec.read, {}, root)).status).toBe(401);
      } finally {
        await custom.close();
      }
    });
  });

  describe('routing', () => {
    it.each(spec.unknownPaths)('answers the unknown path %s with its 404', async (path) => {
      expectAnswer(await call(path), spec.answers.notFound);
    });

    it('answers a path outside the base path with the same 404', async () => {
      expectAnswer(await call('/elsewhere', {}, emulator.origin()), spec.answers.notFound);
    });

    it.each(spec.wrongMethods.map((c) => [`${c.method} ${c.path}`, c] as const))('answers %s with its 405', async (_name, wrong) => {
      expectAnswer(await call(wrong), spec.answers.methodNotAllowed);
    });
  });

  describe('faults', () => {
    it.each([500, 503, 429] as const)('answers an injected %d with its own body, once when count is 1', async (status) => {
      emulator.setFaults({ status, count: 1 });
      const failed = await call(spec.read);
      expectAnswer(failed, spec.answers.fault[status]);
      if (api.hasResponse(spec.read.operation, spec.read.method, status)) api.expectResponse(spec.read.operation, spec.read.method, status, failed.body);
      expect((await call(spec.read)).status).toBe(spec.read.status);
    });

    it('sends Retry-After with injected failures when asked', async () => {
      emulator.setFaults({ status: 429, retryAfter: 7 });
      expect((await call(spec.read)).headers.get('retry-after')).toBe('7');
      emulator.setFaults({ status: 503, retryAfter: 0, count: 1 });
      expect((await call(spec.read)).headers.get('retry-after')).toBe('0');
    });

    it('injects 500 when only errorRate is set, and only that fraction of requests', async () => {
      emulator.setFaults({ errorRate: 1 });
      expectAnswer(await call(spec.read), spec.answers.fault[500]);
      emulator.setFaults({ errorRate: 0.5 });
      const statuses = await Promise.all(Array.from({ length: 40 }, () => call(spec.read).then((r) => r.status)));
      const failed = statuses.filter((s) => s === 500).length;
      expect(failed).toBeGreaterThan(8);
      expect(failed).toBeLessThan(32);
      expect(failed + statuses.filter((s) => s === spec.read.status).length).toBe(40);
    });

    it('fails only the routes listed', async () => {
      emulator.setFaults({ status: 503, routes: [spec.write.route] });
      expect((await call(spec.read)).status).toBe(spec.read.status);
      expectAnswer(await call(spec.write), spec.answers.fault[503]);
    });

    it('clears itself after count failures', async () => {
      emulator.setFaults({ status: 503, count: 2 });
      expect([(await call(spec.read)).status, (await call(spec.read)).status, (await call(spec.read)).status]).toEqual([503, 503, spec.read.status]);
    });

    it('delays answers by latencyMs', async () => {
      emulator.setFaults({ latencyMs: 150 });
      const started = Date.now();
      expect((await call(spec.read)).status).toBe(spec.read.status);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('closes the connection without answering when down, counting status 0', async () => {
      emulator.reset();
      emulator.setFaults({ down: true, count: 1 });
      await expect(call(spec.read)).rejects.toThrow();
      expect(emulator.counts().byStatus).toEqual({ '0': 1 });
      expect((await call(spec.read)).status).toBe(spec.read.status);
    });

    it('answers 200 with a body that is not JSON when malformed', async () => {
      emulator.setFaults({ malformed: true, count: 1 });
      const reply = await call(spec.read);
      expect([reply.status, reply.headers.get('content-type')]).toEqual([200, 'application/json']);
      expect(() => JSON.parse(reply.text)).toThrow(SyntaxError);
    });

    it('runs the write before failing with afterHandler', async () => {
      const before = await call(spec.write.shows);
      emulator.setFaults({ status: 503, afterHandler: true, routes: [spec.write.route], count: 1 });
      expectAnswer(await call(spec.write), spec.answers.fault[503]);
      expect((await call(spec.write.shows)).body).not.toEqual(before.body);
    });

    it('is set over HTTP, and cleared by an empty object and by reset', async () => {
      const faults: Faults = { status: 503, routes: [spec.read.route] };
      const set = await setFaults(faults);
      expect([set.status, set.body]).toEqual([200, { ok: true, faults }]);
      expect((await call(spec.read)).status).toBe(503);
      expect((await setFaults({})).status).toBe(200);
      expect((await call(spec.read)).status).toBe(spec.read.status);
      emulator.setFaults({ status: 503 });
      emulator.reset();
      expect((await call(spec.read)).status).toBe(spec.read.status);
    });

    it.each([
      [{ statuss: 500 }, 'unknown fault "statuss"; expected one of latencyMs, errorRate, status, down, malformed, afterHandler, routes, count, retryAfter'],
      [{ errorRate: 2 }, 'errorRate must be a number from 0 to 1, but got: 2'],
      [{ status: '500' }, 'status must be a number from 100 to 599, but got: "500"'],
      [{ down: 'yes' }, 'down must be a boolean, but got: "yes"'],
      [{ routes: 'GET /users' }, 'routes must be an array of route keys such as "POST /users"'],
      [[], 'faults must be a JSON object'],
    ])('refuses the faults %j with 400 saying why, and setFaults throws', async (faults, problem) => {
      const reply = await setFaults(faults);
      expect([reply.status, reply.body]).toEqual([400, { error: problem }]);
      expect(() => emulator.setFaults(faults as Faults)).toThrow(problem);
      expect((await call(spec.read)).status).toBe(spec.read.status);
    });
  });

  describe('counters', () => {
    it('counts by route template and status, unmatched paths apart, and serves them at /__emulator/requests', async () => {
      emulator.reset();
      await call(spec.read);
      await call(spec.read);
      await call(spec.read, { token: null });
      await call(spec.unknownPaths[0]!);
      const counts = emulator.counts();
      expect(counts).toEqual({ total: 4, byRoute: { [spec.read.route]: 3, 'GET (unmatched)': 1 }, byStatus: { [String(spec.read.status)]: 2, '401': 1, '404': 1 } });
      const served = await hook('requests');
      expect([served.status, served.body]).toEqual([200, counts]);
    });

    it('does not count the test hooks or the OpenAPI document', async () => {
      emulator.reset();
      await hook('requests');
      await send(`${emulator.origin()}/openapi.json`);
      await setFaults({});
      expect(emulator.counts().total).toBe(0);
    });

    it('clears the counters on reset, keeping the data', async () => {
      expect((await call(spec.write)).status).toBe(spec.write.status);
      const written = await call(spec.write.shows);
      const reset = await hook('reset', 'POST');
      expect([reset.status, reset.body]).toEqual([200, { ok: true }]);
      expect(emulator.counts()).toEqual({ total: 0, byRoute: {}, byStatus: {} });
      expect((await call(spec.write.shows)).body).toEqual(written.body);
    });
  });

  describe('reset with data', () => {
    it('restores the seeded data', async () => {
      const seeded = await call(spec.write.shows);
      const written = await call(spec.write);
      expect(written.status).toBe(spec.write.status);
      api.expectResponse(spec.write.operation, spec.write.method, spec.write.status, written.body);
      expect((await call(spec.write.shows)).body).not.toEqual(seeded.body);
      const reset = await hook('reset?data=true', 'POST');
      expect([reset.status, reset.body]).toEqual([200, { ok: true }]);
      expect((await call(spec.write.shows)).body).toEqual(seeded.body);
    });
  });

  describe('OpenAPI document', () => {
    it('is OpenAPI 3.1 with the real base path as its server, served at both locations', async () => {
      expect(api.document.openapi).toBe('3.1.0');
      expect(api.document.servers).toEqual([expect.objectContaining({ url: spec.basePath })]);
      const under = await send(`${emulator.url()}/openapi.json`);
      expect([under.status, under.body]).toEqual([200, api.document]);
    });

    it('documents exactly the operations of the seed document', () => {
      expect(api.operations().sort()).toEqual([...spec.operations].sort());
    });

    it('serves every documented operation under its route template, with a documented status', async () => {
      const values = spec.pathValues ?? {};
      for (const operation of api.operations()) {
        const [method = '', path = ''] = operation.split(' ');
        emulator.reset(true);
        const reply = await call({ method: method as Call['method'], path: path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '1'), body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        const responses = record(record(record(record(api.document.paths)[path])[method.toLowerCase()]).responses);
        expect({ operation, counted: Object.keys(emulator.counts().byRoute), documented: String(reply.status) in responses }).toEqual({
          operation,
          counted: [routeKey(operation)],
          documented: true,
        });
      }
    });

    it('answers every method a documented path does not document with its 405', async () => {
      const values = spec.pathValues ?? {};
      for (const [path, item] of Object.entries(record(api.document.paths))) {
        for (const method of METHODS.filter((m) => !(m.toLowerCase() in record(item)))) {
          const reply = await call({ method, path: path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '1'), body: method === 'GET' || method === 'DELETE' ? undefined : {} });
          expect([method, path, reply.status]).toEqual([method, path, 405]);
        }
      }
    });

    it('compiles as JSON Schema, and its checks catch an answer with an undocumented key', async () => {
      const reply = await call(spec.read);
      const body: unknown = reply.body;
      const spoiled = Array.isArray(body) ? [{ ...record(body[0]), undocumented: true }, ...body.slice(1)] : { ...record(body), undocumented: true };
      expect(api.responseProblems(spec.read.operation, spec.read.method, spec.read.status, spoiled)).toEqual([expect.stringContaining('undocumented is not described')]);
      expect(api.responseProblems(spec.read.operation, spec.read.method, spec.read.status, isRecord(body) ? [] : {}).length).toBeGreaterThan(0);
    });
  });
});
