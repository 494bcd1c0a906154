/**
 * The identity connector over real HTTP: the real upstream client against the identity emulator, every
 * endpoint round-tripped into domain types, the documented failures as GatewayError codes, one request
 * per call (emulator counters), and the exact wire bodies (a recording proxy in front of the emulator).
 */
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createIdentityEmulator } from '../../src/emulators/identity';
import { asRecord, type Emulator } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson } from '../../src/emulators/population';
import { ErrorCode, GatewayError, upstreamFailureMessage } from '../../src/errors';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createIdentityConnector, describeIdentityError, type IdentityConnector } from '../../src/upstreams/identity/connector';
import { IDENTITY_EMAIL_PATTERN, type IdentityUser } from '../../src/upstreams/identity/types';
import type { CallEvent, UpstreamClient } from '../../src/upstreams/types';
import { startCanned, startRecordingProxy } from '../helpers/servers';

const population = buildPopulation({ people: 30 });
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);

let emulator: Emulator;
let client: UpstreamClient;
let identity: IdentityConnector;

beforeAll(async () => {
  emulator = createIdentityEmulator({ population, now: () => NOW });
  await emulator.listen(0);
});
afterAll(() => emulator.close());

beforeEach(() => {
  emulator.reset(true);
  // A fresh client per test, so one test's failures never open the breaker for the next.
  client = newClient(emulator.url());
  identity = createIdentityConnector({ client, token: DEV_TOKENS.identity });
});
afterEach(() => client.close());

function newClient(baseUrl: string): UpstreamClient {
  return createUpstreamClient({ upstream: 'identity', baseUrl, describeError: describeIdentityError, retryBaseDelayMs: 1, retryMaxDelayMs: 50 });
}

function person(index: number): DemoPerson {
  const p = population.people[index];
  if (!p) throw new Error(`expected person ${index} in a population of ${population.people.length}`);
  return p;
}

/** Rejects unless `promise` fails with a GatewayError; returns it for inspection. */
async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw new Error(`expected a GatewayError, but got: ${String(err)}`);
  }
  throw new Error('expected a GatewayError, but the call succeeded');
}

/** The user exactly as the API sends it, read with plain fetch (the reference for mapping checks). */
async function wireUser(identifier: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${emulator.url()}/users/${encodeURIComponent(identifier)}`, {
    headers: { authorization: `Bearer ${DEV_TOKENS.identity}` },
  });
  expect(res.status).toBe(200);
  return asRecord(asRecord(asRecord(await res.json()).data).user);
}

/** The domain value a wire user should map to, derived field by field from the documented mapping. */
function expectedDomain(wire: Record<string, unknown>): IdentityUser {
  const upper = (v: unknown) => String(v).toUpperCase();
  const date = (v: unknown) => new Date(String(v));
  const sub = wire.subscription === null ? null : asRecord(wire.subscription);
  const accounts = sub && Array.isArray(sub.accounts) ? sub.accounts.map(asRecord) : [];
  const status = upper(wire.status);
  const subStatus = sub ? upper(sub.status) : '';
  if (status !== 'ACTIVE' && status !== 'INACTIVE' && status !== 'PENDING') throw new Error(`unexpected wire status ${status}`);
  if (sub && subStatus !== 'ACTIVE' && subStatus !== 'INACTIVE') throw new Error(`unexpected subscription status ${subStatus}`);
  return {
    id: String(wire.id),
    firstName: String(wire.first_name),
    lastName: String(wire.last_name),
    email: String(wire.email),
    status,
    internal: wire.internal === true,
    createdAt: date(wire.created_at),
    updatedAt: date(wire.updated_at),
    subscription:
      sub === null || (subStatus !== 'ACTIVE' && subStatus !== 'INACTIVE')
        ? null
        : {
            id: String(sub.id),
            status: subStatus,
            createdAt: date(sub.created_at),
            updatedAt: date(sub.updated_at),
            accounts: accounts.map((a) => {
              const s = upper(a.status);
              if (s !== 'ACTIVE' && s !== 'INACTIVE') throw new Error(`unexpected account status ${s}`);
              return { id: String(a.id), identifier: String(a.identifier), status: s, createdAt: date(a.created_at), updatedAt: date(a.updated_at) };
            }),
          },
  };
}

describe('getUser', () => {
  it('maps a user with a two-account subscription into domain types', async () => {
    const user = await identity.getUser(person(3).email);
    expect(user).toEqual(expectedDomain(await wireUser(person(3).email)));
    expect(user?.createdAt).toBeInstanceOf(Date);
    expect(user?.subscription?.accounts).toHaveLength(2);
    expect(user?.subscription?.accounts[1]?.status).toBe('INACTIVE');
  });

  it('finds the same user by id as by email', async () => {
    const byEmail = await identity.getUser(person(0).email);
    expect(byEmail).not.toBeNull();
    expect(await identity.getUser(byEmail?.id ?? '')).toEqual(byEmail);
  });

  it('maps every status, internal users, missing subscriptions and empty ones', async () => {
    const [pending, inactive, internal, none, empty] = await Promise.all([8, 9, 7, 2, 17].map((i) => identity.getUser(person(i).email)));
    expect(pending?.status).toBe('PENDING');
    expect(inactive?.status).toBe('INACTIVE');
    expect(inactive?.subscription?.status).toBe('INACTIVE');
    expect(internal?.internal).toBe(true);
    expect(none?.subscription).toBeNull();
    expect(empty?.subscription?.accounts).toEqual([]);
    for (const [i, user] of [[8, pending], [9, inactive], [7, internal], [2, none], [17, empty]] as const) {
      expect(user).toEqual(expectedDomain(await wireUser(person(i).email)));
    }
  });

  it('makes exactly one GET /users/:identifier per call and reports it to onCall', async () => {
    const events: CallEvent[] = [];
    await identity.getUser(person(1).email, { onCall: (e) => events.push(e) });
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 1 });
    expect(events).toEqual([expect.objectContaining({ upstream: 'identity', method: 'GET', route: '/users/:identifier', status: 200, attempt: 1 })]);
  });

  it('returns null for an unknown id or email, after one request', async () => {
    expect(await identity.getUser('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await identity.getUser('nobody@example.com')).toBeNull();
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 2 });
    expect(emulator.counts().byStatus).toEqual({ '404': 2 });
  });

  it('encodes identifiers into one path segment', async () => {
    expect(await identity.getUser('a/b?c#d')).toBeNull();
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 1 });
  });

  it('refuses an empty identifier without calling the API', async () => {
    const error = await failure(identity.getUser('  '));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fieldErrors).toEqual([{ path: ['identifier'], message: 'expected a user id or email, but got an empty string' }]);
    expect(emulator.counts().total).toBe(0);
  });
});

describe('createUser', () => {
  it('creates a pending user without a subscription and maps the answer', async () => {
    const user = await identity.createUser({ firstName: 'Mary', lastName: 'Jackson', email: 'mary.jackson@example.org' });
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      firstName: 'Mary',
      lastName: 'Jackson',
      email: 'mary.jackson@example.org',
      status: 'PENDING',
      internal: false,
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW),
      subscription: null,
    });
    expect(emulator.counts().byRoute).toEqual({ 'POST /users': 1 });
    expect(await identity.getUser(user.id)).toEqual(user);
  });

  it('creates a subscription with the account when an account identifier is given', async () => {
    const user = await identity.createUser({ firstName: 'Mary', lastName: 'Jackson', email: 'mary.jackson@example.org', internal: true, accountIdentifier: 'mjackson' });
    expect(user.internal).toBe(true);
    expect(user.subscription).toEqual({
      id: expect.any(String),
      status: 'ACTIVE',
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW),
      accounts: [{ id: expect.any(String), identifier: 'mjackson', status: 'ACTIVE', createdAt: new Date(NOW), updatedAt: new Date(NOW) }],
    });
  });

  it('answers CONFLICT user_exists for a registered email, with one request and no retry', async () => {
    const error = await failure(identity.createUser({ firstName: 'A', lastName: 'B', email: person(4).email }));
    expect(error).toMatchObject({ code: ErrorCode.CONFLICT, upstream: 'identity', reason: 'user_exists', status: 409 });
    expect(error.fieldErrors).toEqual([{ path: ['email'], message: 'is already registered' }]);
    expect(emulator.counts().byRoute).toEqual({ 'POST /users': 1 });
  });

  it('answers CONFLICT account_exists for an account identifier in use', async () => {
    const error = await failure(identity.createUser({ firstName: 'A', lastName: 'B', email: 'ab@example.org', accountIdentifier: person(0).email }));
    expect(error).toMatchObject({ code: ErrorCode.CONFLICT, reason: 'account_exists' });
    expect(error.fieldErrors).toEqual([{ path: ['accountIdentifier'], message: 'is already in use' }]);
  });

  it('answers BAD_USER_INPUT with the input field paths for what the API refuses, never echoing values', async () => {
    const error = await failure(identity.createUser({ firstName: '', lastName: 'x'.repeat(300), email: 'Secret.Value@Example.org' }));
    expect(error).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, upstream: 'identity', reason: 'validation_failed', status: 422 });
    expect(error.fieldErrors).toEqual([
      { path: ['firstName'], message: 'must not be empty' },
      { path: ['lastName'], message: 'must be at most 255 characters long' },
      { path: ['email'], message: 'is not in the expected format' },
    ]);
    expect(error.message).toBe(upstreamFailureMessage('identity', ErrorCode.BAD_USER_INPUT, 422));
    expect(JSON.stringify({ message: error.message, ext: error.toExtensions() })).not.toContain('Secret.Value');
  });

  it('exports the email rule the API applies, for validation before the call', () => {
    expect(IDENTITY_EMAIL_PATTERN.test('mary.jackson@example.org')).toBe(true);
    expect(IDENTITY_EMAIL_PATTERN.test('Mary@example.org')).toBe(false);
    expect(IDENTITY_EMAIL_PATTERN.test('x mary@example.org')).toBe(false);
  });
});

describe('updateUser', () => {
  it('changes only the given name and maps the updated user', async () => {
    const before = await identity.getUser(person(0).email);
    const after = await identity.updateUser(person(0).email, { firstName: 'Augusta' });
    expect(after).toEqual({ ...before, firstName: 'Augusta', updatedAt: new Date(NOW) });
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 1, 'PATCH /users/:identifier': 1 });
  });

  it('addresses the user by id as well', async () => {
    const before = await identity.getUser(person(1).email);
    const after = await identity.updateUser(before?.id ?? '', { firstName: 'Ada', lastName: 'Byron' });
    expect(after).toMatchObject({ id: before?.id, firstName: 'Ada', lastName: 'Byron' });
  });

  it('sends null for a name set to null, which the API refuses as BAD_USER_INPUT, changing nothing', async () => {
    const before = await identity.getUser(person(0).email);
    const error = await failure(identity.updateUser(person(0).email, { firstName: 'Augusta', lastName: null }));
    expect(error).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, reason: 'validation_failed' });
    expect(error.fieldErrors).toEqual([{ path: ['lastName'], message: 'must be a string' }]);
    expect(await identity.getUser(person(0).email)).toEqual(before);
  });

  it('refuses a patch with no names without calling the API', async () => {
    const error = await failure(identity.updateUser(person(0).email, {}));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.message).toBe('An identity user update needs at least one of firstName, lastName, but got neither');
    expect(emulator.counts().total).toBe(0);
  });

  it('answers NOT_FOUND for an unknown user', async () => {
    const error = await failure(identity.updateUser('nobody@example.com', { firstName: 'X' }));
    expect(error).toMatchObject({ code: ErrorCode.NOT_FOUND, upstream: 'identity', reason: 'user_not_found' });
  });
});

describe('deleteUser', () => {
  it('deletes with one DELETE, after which the user is gone', async () => {
    await expect(identity.deleteUser(person(0).email)).resolves.toBeUndefined();
    expect(emulator.counts().byRoute).toEqual({ 'DELETE /users/:identifier': 1 });
    expect(await identity.getUser(person(0).email)).toBeNull();
  });

  it('answers CONFLICT subscribed_to_other_platforms for a user on other platforms, who stays', async () => {
    const error = await failure(identity.deleteUser(person(5).email));
    expect(error).toMatchObject({ code: ErrorCode.CONFLICT, upstream: 'identity', reason: 'subscribed_to_other_platforms' });
    expect(error.message).toBe(upstreamFailureMessage('identity', ErrorCode.CONFLICT, 409));
    expect(error.reason).toBe('subscribed_to_other_platforms');
    expect(await identity.getUser(person(5).email)).not.toBeNull();
  });

  it('answers NOT_FOUND for an unknown user', async () => {
    const error = await failure(identity.deleteUser('00000000-0000-4000-8000-000000000000'));
    expect(error).toMatchObject({ code: ErrorCode.NOT_FOUND, reason: 'user_not_found' });
  });
});

describe('wire format', () => {
  let recorder: Awaited<ReturnType<typeof startRecordingProxy>>;
  let recordedClient: UpstreamClient;
  let recorded: IdentityConnector;

  beforeEach(async () => {
    recorder = await startRecordingProxy(emulator.origin(), '/api/v1');
    recordedClient = newClient(recorder.baseUrl);
    recorded = createIdentityConnector({ client: recordedClient, token: DEV_TOKENS.identity });
  });
  afterEach(async () => {
    await recordedClient.close();
    await recorder.close();
  });

  const bodies = () => recorder.requests.map((r) => (r.body ? JSON.parse(r.body) : undefined));

  it('sends the bearer token, Accept: application/json and the request id on every call', async () => {
    await recorded.getUser(person(0).email, { requestId: 'req-identity-1' });
    const [request] = recorder.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${DEV_TOKENS.identity}`);
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['x-request-id']).toBe('req-identity-1');
    expect(request?.path).toBe(`/api/v1/users/${encodeURIComponent(person(0).email)}`);
  });

  it('sends only the required create fields when the optional ones are omitted', async () => {
    await recorded.createUser({ firstName: 'Mary', lastName: 'Jackson', email: 'mary.jackson@example.org' });
    expect(recorder.requests[0]?.headers['content-type']).toMatch(/^application\/json/);
    expect(bodies()).toEqual([{ first_name: 'Mary', last_name: 'Jackson', email: 'mary.jackson@example.org' }]);
  });

  it('sends internal and the nested account identifier when given, and a null identifier as null', async () => {
    await recorded.createUser({ firstName: 'A', lastName: 'B', email: 'a@example.org', internal: false, accountIdentifier: 'ab' });
    const user = await recorded.createUser({ firstName: 'C', lastName: 'D', email: 'c@example.org', accountIdentifier: null });
    expect(bodies()).toEqual([
      { first_name: 'A', last_name: 'B', email: 'a@example.org', internal: false, account: { identifier: 'ab' } },
      { first_name: 'C', last_name: 'D', email: 'c@example.org', account: { identifier: null } },
    ]);
    expect(user.subscription).toBeNull();
  });

  it('sends only the provided names in a PATCH, and null as null', async () => {
    await recorded.updateUser(person(0).email, { lastName: 'King' });
    await failure(recorded.updateUser(person(0).email, { firstName: null, lastName: undefined }));
    expect(bodies()).toEqual([{ last_name: 'King' }, { first_name: null }]);
    expect(recorder.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH']);
  });

  it('sends no body with GET and DELETE', async () => {
    await recorded.getUser(person(0).email);
    await recorded.deleteUser(person(0).email);
    expect(recorder.requests.map((r) => [r.method, r.body])).toEqual([
      ['GET', ''],
      ['DELETE', ''],
    ]);
  });
});

describe('upstream failures', () => {
  it('answers UPSTREAM_AUTH_FAILED for a token the API refuses, without the token in the error', async () => {
    const refused = createIdentityConnector({ client, token: 'stale-token-0123' });
    const error = await failure(refused.getUser(person(0).email));
    expect(error).toMatchObject({ code: ErrorCode.UPSTREAM_AUTH_FAILED, upstream: 'identity', status: 401 });
    expect(error.message).toBe("identity refused the gateway's own credentials; an operator must check the gateway's identity token.");
    expect(JSON.stringify({ m: error.message, e: error.toExtensions() })).not.toContain('stale-token');
  });

  it('sends each connector’s own token though they share one client', async () => {
    const refused = createIdentityConnector({ client, token: 'other-platform' });
    const [a, b] = await Promise.allSettled([identity.getUser(person(0).email), refused.getUser(person(0).email)]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
  });

  it('retries a lookup after a transient 503 and succeeds', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    expect(await identity.getUser(person(0).email)).not.toBeNull();
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 2 });
  });

  it('does not retry a create and answers UPSTREAM_UNAVAILABLE for a 503', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    const error = await failure(identity.createUser({ firstName: 'A', lastName: 'B', email: 'ab@example.org' }));
    expect(error).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, upstream: 'identity', status: 503 });
    expect(emulator.counts().byRoute).toEqual({ 'POST /users': 1 });
  });

  it('answers RATE_LIMITED with the seconds to wait for a 429', async () => {
    emulator.setFaults({ status: 429, retryAfter: 7, count: 1 });
    const error = await failure(identity.createUser({ firstName: 'A', lastName: 'B', email: 'ab@example.org' }));
    expect(error).toMatchObject({ code: ErrorCode.RATE_LIMITED, retryAfter: 7 });
  });

  it('answers UPSTREAM_UNAVAILABLE for a body that is not JSON', async () => {
    emulator.setFaults({ malformed: true, count: 1 });
    const error = await failure(identity.deleteUser(person(0).email));
    expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
  });
});

describe('answers that break the contract', () => {
  const user = {
    id: 'da2d3e9a-e84e-11e6-bf01-fe55135034f3',
    first_name: 'First',
    last_name: 'Last',
    email: 'me@here.com',
    status: 'active',
    internal: false,
    created_at: '2016-12-01T00:55:47Z',
    updated_at: '2016-12-01T00:55:47Z',
    subscription: null,
  };

  async function against(status: number, body: string, contentType?: string): Promise<{ connector: IdentityConnector; close(): Promise<void> }> {
    const canned = await startCanned('/api/v1', status, body, contentType);
    const cannedClient = newClient(canned.baseUrl);
    return {
      connector: createIdentityConnector({ client: cannedClient, token: 't' }),
      close: async () => {
        await cannedClient.close();
        await canned.close();
      },
    };
  }

  it('reads the documented example user', async () => {
    const server = await against(200, JSON.stringify({ succeeded: true, message: 'User found: me@here.com', data: { user } }));
    try {
      expect(await server.connector.getUser('me@here.com')).toMatchObject({ id: user.id, status: 'ACTIVE', createdAt: new Date('2016-12-01T00:55:47Z') });
    } finally {
      await server.close();
    }
  });

  const breaches: [string, unknown, string][] = [
    ['an unknown status word', { ...user, status: 'orphaned' }, 'expected body.data.user.status to be one of active, inactive, pending, but got a string'],
    ['a timestamp that is not one', { ...user, created_at: 'yesterday' }, 'expected body.data.user.created_at to be an ISO-8601 timestamp'],
    ['a numeric id', { ...user, id: 42 }, 'expected body.data.user.id to be a string, but got a number'],
    ['accounts that are not an array', { ...user, subscription: { id: 's', status: 'active', created_at: user.created_at, updated_at: user.created_at, accounts: {} } }, 'expected body.data.user.subscription.accounts to be an array, but got an object'],
  ];
  it.each(breaches)('answers UPSTREAM_UNAVAILABLE for %s, naming the field', async (_, body, message) => {
    const server = await against(200, JSON.stringify({ succeeded: true, message: 'ok', data: { user: body } }));
    try {
      const error = await failure(server.connector.getUser('me@here.com'));
      expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      expect(error.message).toContain(message);
    } finally {
      await server.close();
    }
  });

  it('answers UPSTREAM_UNAVAILABLE for a success without data.user', async () => {
    const server = await against(201, JSON.stringify({ succeeded: true, message: 'User created' }));
    try {
      const error = await failure(server.connector.createUser({ firstName: 'A', lastName: 'B', email: 'a@b.co' }));
      expect(error.message).toBe('identity sent a malformed answer to POST /users: expected body.data to be an object, but got nothing');
    } finally {
      await server.close();
    }
  });

  it('answers UPSTREAM_UNAVAILABLE, not null, for a 404 that is not the API’s own', async () => {
    const server = await against(404, '<html>Not Found</html>', 'text/html');
    try {
      const error = await failure(server.connector.getUser('me@here.com'));
      expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    } finally {
      await server.close();
    }
  });

  it('answers UPSTREAM_UNAVAILABLE for a 200 delete that says it did not succeed', async () => {
    const server = await against(200, JSON.stringify({ succeeded: false, message: 'nope' }));
    try {
      expect((await failure(server.connector.deleteUser('me@here.com'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    } finally {
      await server.close();
    }
  });
});

describe('describeIdentityError', () => {
  it('reads validation fields into input paths and words, leaving out the received values', () => {
    const description = describeIdentityError(422, {
      succeeded: false,
      message: 'RAML validation error',
      data: {
        fields: [
          { field: 'first_name', value: 'null', msg: 'invalid json (required, true)' },
          { field: 'account.identifier', value: 'top-secret', msg: 'invalid json (type, string)' },
          { field: 'nick_name', value: 'x', msg: 'invalid json (additionalProperties, false)' },
          { field: 'body', value: '{}', msg: 'invalid json (minProperties, 1)' },
        ],
      },
    });
    expect(description.fieldErrors).toEqual([
      { path: ['firstName'], message: 'is required' },
      { path: ['accountIdentifier'], message: 'must be a string' },
      { path: [], message: 'is not accepted here' },
      { path: [], message: 'needs at least one field to change' },
    ]);
    expect(description.reason).toBe('validation_failed');
    expect(JSON.stringify(description)).not.toContain('top-secret');
  });

  it('keeps an unrecognised message only in the log-only detail, without URLs or credentials, bounded in length', () => {
    const description = describeIdentityError(500, {
      succeeded: false,
      message: `Upstream https://db.internal:5432/users?password=x failed for Bearer abc.def.ghi; the token is bad\n${'z'.repeat(500)}`,
    });
    expect(Object.keys(description)).toEqual(['detail']);
    expect(description.detail).not.toMatch(/db\.internal|password|abc\.def/);
    expect(description.detail).toMatch(/^Upstream \[url\] failed for Bearer \[redacted\]; the token is bad z+…$/);
    expect(description.detail?.length).toBeLessThanOrEqual(201);
  });

  it.each([undefined, null, 'Service Unavailable', ['x'], { error: 'x' }])('says nothing for %j, a body that is not the API’s envelope', (body) => {
    expect(describeIdentityError(503, body)).toEqual({});
  });
});
