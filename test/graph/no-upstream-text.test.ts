/**
 * DESIGN.md "Errors": no text of an upstream response (message, detail, field-error text, stack, host,
 * URL, token) ever reaches a client, not even sanitised. Each upstream sits behind a small node:http
 * server that passes requests on to its emulator until a test makes it answer every call with one error
 * body in that upstream's documented shape (400/404/409/422/500), the free-text fields holding the
 * gateway's own service tokens, a database host, a stack trace and SQL. Over real HTTP the client's whole
 * response body must hold none of it, and every error naming that upstream must carry the gateway's code
 * and the gateway's message. The emulators' own error texts ("A server error occurred.") must not pass
 * either.
 */
import http from 'node:http';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { codeForUpstreamStatus, ErrorCode, UPSTREAM_NAMES, upstreamFailureMessage, type UpstreamName } from '../../src/errors';
import { hexFor, membership } from '../../src/emulators/population';
import { sync } from '../../src/registry/sync';
import { startTestGateway, TEST_JWT_SECRET, type GraphQLResultError, type TestGateway } from '../helpers/gateway';

/** One canned answer, or `null` to pass requests on to the emulator. */
type Answer = { status: number; body: string } | null;

interface Fake {
  url: string;
  answer: Answer;
  calls: number;
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding']);

/** A fake upstream in front of `target` (the emulator's URL, base path included). */
async function startFake(target: string): Promise<Fake> {
  const base = new URL(target);
  const fake: Fake = { url: '', answer: null, calls: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = fake.answer;
      if (answer) {
        fake.calls++;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !HOP_HEADERS.has(name)) headers[name] = value;
      const body = Buffer.concat(chunks);
      fetch(base.origin + (req.url ?? ''), { method: req.method, headers, body: body.length ? body : undefined })
        .then(async (upstream) => {
          const out: Record<string, string> = {};
          upstream.headers.forEach((value, name) => {
            if (!HOP_HEADERS.has(name)) out[name] = value;
          });
          const text = Buffer.from(await upstream.arrayBuffer());
          res.writeHead(upstream.status, out);
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  fake.url = `http://127.0.0.1:${address.port}${base.pathname.replace(/\/$/, '')}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

const HOST = 'db-prod-01.internal:5432';
const STACK = 'at Object.handler (/srv/identity/src/users.js:88:13)';
const SQL = "SELECT id, email, password_hash FROM users WHERE email = 'x' FOR UPDATE";
const TOKENS = [...Object.values(DEV_TOKENS), TEST_JWT_SECRET];
/** Free text as a failing upstream might send it: the gateway's own credentials, a host, a stack, SQL. */
const POISON = `connect ECONNREFUSED host=${HOST} token=${DEV_TOKENS.podero} Bearer ${DEV_TOKENS.identity} ${DEV_TOKENS.vrm} ${DEV_TOKENS.timesheet} ${DEV_TOKENS.evenergy} ${TEST_JWT_SECRET}\n    ${STACK}\n${SQL}`;
const FIELD = `${HOST} ${SQL}`;
const URL_IN_BODY = `https://${HOST}/internal/problems/x/?token=${DEV_TOKENS.evenergy}`;

/** Each upstream's documented error shape for a status, every free-text place holding the poison. */
function errorBody(upstream: UpstreamName, status: number): unknown {
  switch (upstream) {
    case 'identity':
      return {
        succeeded: false,
        message: POISON,
        data: status === 422 || status === 400 ? { fields: [{ field: 'first_name', value: POISON, msg: POISON }, { field: FIELD, value: POISON, msg: `invalid json (pattern, ${POISON})` }] } : undefined,
      };
    case 'evenergy':
      return {
        type: URL_IN_BODY,
        status,
        title: POISON,
        detail: POISON,
        instance: URL_IN_BODY,
        ...(status === 400 || status === 422 ? { field_errors: { email: [POISON], [FIELD]: [POISON], 'default_location.postal_code': [STACK] } } : {}),
      };
    case 'vrm':
      return { success: false, errors: status === 400 || status === 422 ? { name: POISON, [FIELD]: POISON } : POISON, error_code: POISON };
    case 'podero':
      return status === 422
        ? { detail: [{ type: POISON, loc: ['body', 'payload', FIELD], msg: POISON }, { type: 'missing', loc: ['body', 'payload', 'email'], msg: POISON, ctx: { error: POISON } }] }
        : { detail: POISON };
    case 'timesheet':
      return {
        message: POISON,
        errors: [
          { resource: POISON, field: FIELD, code: POISON },
          { resource: 'User', field: 'email', code: 'already_exists', message: POISON },
          { resource: 'User', field: 'base', code: 'not_pending', message: POISON },
        ],
      };
  }
}

/** Machine-readable words the bodies above carry on purpose: the envelopes' keys, documented codes and field names. */
const MACHINE_WORDS = new Set([
  ...['succeeded', 'message', 'data', 'fields', 'field', 'value', 'msg', 'status', 'title', 'detail', 'instance', 'field_errors', 'type'],
  ...['success', 'errors', 'error_code', 'loc', 'ctx', 'error', 'resource', 'code'],
  ...['first_name', 'email', 'name', 'missing', 'already_exists', 'not_pending', 'User', 'default_location.postal_code', 'body', 'payload'],
]);

/** Every string of a JSON value (keys included) that is free text: what must not reach a client. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (!MACHINE_WORDS.has(value) && value.length >= 6) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) texts(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      texts(k, out);
      texts(v, out);
    }
  }
  return out;
}

/** Pieces that must not appear, whatever the redactor or a describer made of the whole text. */
const PIECES = [...TOKENS, 'db-prod-01', '5432', 'Object.handler', '/srv/identity', 'users.js', 'SELECT', 'password_hash', 'ECONNREFUSED', 'internal/problems'];

function assertNoUpstreamText(response: string, body: unknown, where: string): void {
  for (const piece of [...PIECES, ...texts(body)]) {
    if (response.includes(piece)) throw new Error(`${where}: the client's response holds upstream text ${JSON.stringify(piece.slice(0, 60))}: ${response.slice(0, 600)}`);
  }
}

let t: TestGateway;
const fakes = {} as Record<UpstreamName, Fake>;
/** A demo person in every upstream, and their own VRM token. */
let personIndex = -1;
let userToken = '';
let vrmHeaders: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestGateway({
    people: 12,
    clientOverrides: { maxRetries: 0 },
    urlFor: async (upstream, emulatorUrl) => {
      fakes[upstream] = await startFake(emulatorUrl);
      return fakes[upstream].url;
    },
  });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  personIndex = t.population.people.findIndex((p) => UPSTREAM_NAMES.every((u) => membership(p.index)[u]));
  if (personIndex < 0) throw new Error('expected a demo person in all five upstreams');
  userToken = await t.tokenFor(t.population.people[personIndex]!);
  vrmHeaders = { 'x-vrm-authorization': `Token ${hexFor(`vrm-token:${t.population.seed}:${personIndex}`)}` };
});
afterAll(async () => {
  await t.close();
  for (const fake of Object.values(fakes)) await fake.close();
});
afterEach(() => {
  for (const fake of Object.values(fakes)) fake.answer = null;
  t.emulators.reset(false);
});

const EVERYTHING = `{ me { email firstName subscription { id } notificationGroups { groups { name } } payoutMethod { wallet } accessTokens { name } sites { name } address { town } devices { deviceId } role entries(first: 5) { nodes { minutes } } } }`;
const CREATE = `mutation ($input: CreateUserInput!) { createUser(input: $input) { user { personId } outcomes { upstream status error { code message reason fieldPath } } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { outcomes { upstream status error { code message reason fieldPath } } } }`;
const CREATE_TOKEN = `mutation { createAccessToken(name: "leak-check") { token } }`;
const ADD_SITE = `mutation { addSite(installationIdentifier: "c0ffee000001") { siteId } }`;
const RESEND = `mutation ($id: ID!) { resendInvitation(userId: $id) { personId } }`;
const PAYOUT = `mutation ($id: ID!) { setPayoutMethod(userId: $id, input: { wallet: PAYPAL, receiver: "pay@example.com" }) { payoutMethod { wallet } } }`;

/** Runs the operations that reach `upstream`, answering each client's whole response text and its errors. */
async function exercise(upstream: UpstreamName, n: number): Promise<{ text: string; errors: GraphQLResultError[]; outcomeErrors: { code: string; message: string }[] }> {
  const personId = await t.personId(personIndex);
  const runs = [
    t.query(EVERYTHING, { token: userToken, headers: vrmHeaders }),
    t.query(CREATE, { variables: { input: { email: `leak-${upstream}-${n}@example.com`, firstName: 'Leak', lastName: 'Check' } } }),
    t.query(UPDATE, { variables: { id: personId, input: { firstName: 'Renamed' } } }),
    ...(upstream === 'vrm' ? [t.query(CREATE_TOKEN, { token: userToken, headers: vrmHeaders }), t.query(ADD_SITE, { token: userToken, headers: vrmHeaders })] : []),
    ...(upstream === 'timesheet' ? [t.query(RESEND, { variables: { id: personId } })] : []),
    ...(upstream === 'evenergy' ? [t.query(PAYOUT, { variables: { id: personId } })] : []),
  ];
  const results = await Promise.all(runs);
  const outcomeErrors = results.flatMap((r) => {
    const data = (r.data ?? {}) as Record<string, { outcomes?: { upstream: string; error: { code: string; message: string } | null }[] } | null>;
    return Object.values(data).flatMap((payload) => (payload?.outcomes ?? []).filter((o) => o.upstream === upstream.toUpperCase() && o.error).map((o) => o.error!));
  });
  return { text: results.map((r) => JSON.stringify(r)).join('\n'), errors: results.flatMap((r) => r.errors ?? []), outcomeErrors };
}

/** Messages the gateway writes for an upstream's failure besides `upstreamFailureMessage` (its own checks and re-wordings). */
const OWN_WORDS = [/^The VRM credential passed by the caller /, /^VRM knows no installation with the identifier "c0ffee000001"$/];

const STATUSES = [400, 404, 409, 422, 500] as const;
const cases = UPSTREAM_NAMES.flatMap((upstream) => STATUSES.map((status) => [upstream, status] as const));

describe.each(cases)('%s answering %i with its own text in every field', (upstream, status) => {
  it('sends the client nothing of the body, and the gateway\'s own code and message', async () => {
    const body = errorBody(upstream, status);
    fakes[upstream].answer = { status, body: JSON.stringify(body) };
    const { text, errors, outcomeErrors } = await exercise(upstream, status);
    expect(fakes[upstream].calls).toBeGreaterThan(0);
    assertNoUpstreamText(text, body, `${upstream} ${status}`);

    const code = codeForUpstreamStatus(status);
    const mine = errors.filter((e) => e.extensions?.upstream === upstream);
    expect(mine.length + outcomeErrors.length).toBeGreaterThan(0);
    for (const error of [...mine.map((e) => ({ code: e.extensions?.code, message: e.message })), ...outcomeErrors]) {
      const own = error.message === upstreamFailureMessage(upstream, code, status) || OWN_WORDS.some((w) => w.test(error.message));
      if (!own) throw new Error(`${upstream} ${status}: expected the gateway's message, but got ${JSON.stringify(error)}`);
      // A 404 on a looked-up account is "no such account" to the gateway, never an unknown code.
      expect([code, ErrorCode.NOT_FOUND, ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN]).toContain(error.code);
    }
    // Field errors are the gateway's paths and words: no free text of the body (checked above) and a known reason.
    for (const e of mine) {
      const reason = e.extensions?.reason;
      if (reason !== undefined) expect(reason).toMatch(/^[a-z][a-z0-9_-]{0,63}$/);
    }
  });
});

describe.each(UPSTREAM_NAMES)('the %s emulator\'s own 500', (upstream) => {
  it('does not reach the client either', async () => {
    t.faults(upstream, { status: 500 });
    // What the emulator itself answers with the fault: its words must not pass.
    const probe = await fetch(`${t.emulators.urls[upstream]}/`);
    const body: unknown = JSON.parse((await probe.text()) || 'null');
    const { text, errors } = await exercise(upstream, 500 + UPSTREAM_NAMES.indexOf(upstream));
    expect(text).not.toContain('A server error occurred.');
    assertNoUpstreamText(text, body, `${upstream} emulator 500`);
    const mine = errors.filter((e) => e.extensions?.upstream === upstream);
    expect(mine.length).toBeGreaterThan(0);
    for (const e of mine) expect(e.message).toBe(upstreamFailureMessage(upstream, ErrorCode.UPSTREAM_UNAVAILABLE, 500));
  });
});

describe('the second guard', () => {
  it('masks a configured secret in every message a client is sent, even one graphql-js writes', async () => {
    // graphql-js echoes a bad variable's value in its message and the gateway reads field errors from it.
    const res = await t.query('query ($n: Int) { users(first: $n) { nodes { id } } }', { variables: { n: DEV_TOKENS.podero } });
    const text = JSON.stringify(res);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(text).toContain('[redacted]');
    for (const secret of TOKENS) expect(text).not.toContain(secret);
  });
});
