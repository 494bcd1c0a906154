/**
 * The identity emulator over real HTTP: every endpoint of the seed document (002) with its documented
 * answers, every failure, bad input, and the seeded population's documented rules (README.md beside the
 * emulator).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createIdentityEmulator } from '../../src/emulators/identity';
import { seedIdentityUsers } from '../../src/emulators/identity/seed';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson } from '../../src/emulators/population';
import { send, type Reply, type SendInit } from '../helpers/http';
import { record, recordAt } from '../helpers/json';

const population = buildPopulation({ people: 30 });
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const NOW_TEXT = '2024-06-01T12:00:00Z';
const TOKEN = DEV_TOKENS.identity;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let emulator: Emulator;
let url: string;

beforeAll(async () => {
  emulator = createIdentityEmulator({ population, now: () => NOW });
  url = await emulator.listen(0);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset(true));

type Answer = Reply;

interface CallInit extends Pick<SendInit, 'raw' | 'headers'> {
  /** Sent as JSON. */
  body?: unknown;
  /** `null`: send no Authorization header. */
  token?: string | null;
}

function call(method: string, path: string, init: CallInit = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const contentType = init.body !== undefined || init.raw !== undefined ? 'application/json' : undefined;
  return send(url + path, { method, json: init.body, raw: init.raw, contentType, headers: { ...headers, ...init.headers } });
}

/** The object at `key` of an object (the value itself without a key), failing the test when it is not one. */
function obj(value: unknown, key?: string): Record<string, unknown> {
  return key === undefined ? record(value) : recordAt(value, key);
}

function userOf(answer: Answer): Record<string, unknown> {
  return obj(obj(answer.body, 'data'), 'user');
}

function person(index: number): DemoPerson {
  const p = population.people[index];
  if (!p) throw new Error(`expected person ${index} in a population of ${population.people.length}`);
  return p;
}

const get = (identifier: string) => call('GET', `/users/${encodeURIComponent(identifier)}`);

function validation(fields: { field: string; value: string; msg: string }[]) {
  return { succeeded: false, message: 'RAML validation error', data: { fields } };
}

describe('seeded population', () => {
  it('holds one user per population person, with the person’s names and email', async () => {
    for (const p of population.people) {
      const answer = await get(p.email);
      expect(answer.status).toBe(200);
      expect(userOf(answer)).toMatchObject({ first_name: p.firstName, last_name: p.lastName, email: p.email });
    }
  });

  it('follows the documented rules for status, internal, subscriptions and accounts', async () => {
    for (const p of population.people) {
      const i = p.index;
      const user = userOf(await get(p.email));
      expect(user.status).toBe(i % 10 === 8 ? 'pending' : i % 10 === 9 ? 'inactive' : 'active');
      expect(user.internal).toBe(i % 15 === 7);
      if (i % 4 === 2) {
        expect(user.subscription).toBeNull();
        continue;
      }
      const subscription = obj(user.subscription);
      expect(subscription.status).toBe(i % 10 === 9 ? 'inactive' : 'active');
      const accounts = subscription.accounts;
      if (!Array.isArray(accounts)) throw new Error(`expected accounts to be an array, but got: ${JSON.stringify(accounts)}`);
      const expected = i % 20 === 17 ? 0 : i % 8 === 3 ? 2 : 1;
      expect(accounts).toHaveLength(expected);
      if (expected > 0) expect(obj(accounts[0])).toMatchObject({ identifier: p.email, status: 'active' });
      if (expected > 1) expect(obj(accounts[1])).toMatchObject({ identifier: `${p.firstName}${p.lastName}${i}`.toLowerCase(), status: 'inactive' });
    }
  });

  it('gives every user, subscription and account a distinct UUID and second-precision UTC timestamps', async () => {
    const ids = new Set<string>();
    let count = 0;
    const collect = (record: Record<string, unknown>): void => {
      expect(record.id).toMatch(UUID);
      expect(record.created_at).toMatch(TIMESTAMP);
      expect(record.updated_at).toMatch(TIMESTAMP);
      expect(Date.parse(String(record.updated_at))).toBeGreaterThanOrEqual(Date.parse(String(record.created_at)));
      ids.add(String(record.id));
      count++;
    };
    for (const p of population.people) {
      const user = userOf(await get(p.email));
      collect(user);
      if (user.subscription === null) continue;
      const subscription = obj(user.subscription);
      collect(subscription);
      const accounts = subscription.accounts;
      if (Array.isArray(accounts)) for (const a of accounts) collect(obj(a));
    }
    expect(ids.size).toBe(count);
  });

  it('serves the same data for the same seed and different names for another seed', async () => {
    const twin = createIdentityEmulator({ population: buildPopulation({ people: 30 }) });
    const other = createIdentityEmulator({ population: buildPopulation({ people: 30, seed: 2 }) });
    const twinUrl = await twin.listen(0);
    const otherUrl = await other.listen(0);
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const ours = await get(person(3).email);
      const theirs = await fetch(`${twinUrl}/users/${encodeURIComponent(person(3).email)}`, { headers });
      expect(await theirs.json()).toEqual(ours.body);
      const otherPerson = buildPopulation({ people: 30, seed: 2 }).people[3]!;
      const otherAnswer = await fetch(`${otherUrl}/users/${encodeURIComponent(otherPerson.email)}`, { headers });
      const otherUser = obj(obj(await otherAnswer.json(), 'data'), 'user');
      expect(otherUser.id).not.toBe(userOf(ours).id);
      expect(otherUser.email).toBe(otherPerson.email);
    } finally {
      await Promise.all([twin.close(), other.close()]);
    }
  });
});

describe('README', () => {
  const readme = readFileSync(path.join(__dirname, '../../src/emulators/identity/README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (\d+) \| `([^`]+)` \| `([^`]+)` \| (\w+) \| (yes)? *\| ([^|]+) \| ([^|]*) \|$/gm)].map((m) => m.slice(1));
  const seeded = seedIdentityUsers(buildPopulation());

  it('lists at least ten of the default population’s users', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows)('lists person %s (%s) as the emulator seeds them', (index, email, id, status, internal, subscription, others) => {
    const record = seeded[Number(index)];
    if (!record) throw new Error(`README lists person ${String(index)}, who is not in the default population`);
    const { user } = record;
    expect({ index, email, id, status, internal: internal === 'yes' }).toEqual({ index, email: user.email, id: user.id, status: user.status, internal: user.internal });
    const accounts = user.subscription?.accounts.length;
    const described = subscription?.trim() ?? '';
    if (accounts === undefined) expect(described).toBe('none');
    else expect(described).toMatch(new RegExp(`^${user.subscription?.status ?? ''}, ${accounts === 0 ? 'no accounts' : accounts === 1 ? '1 account' : `${accounts} accounts`}`));
    expect((others ?? '').trim() === '').toBe(record.otherPlatforms.length === 0);
    for (const platform of record.otherPlatforms) expect(others).toContain(platform);
  });
});

describe('GET /api/v1 (hello)', () => {
  it.each([
    ['without', ''],
    ['with', '/'],
  ])('answers the documented greeting %s a trailing slash', async (_with, path) => {
    const answer = await call('GET', path);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ succeeded: true, message: 'Hello from 1MT resource server' });
  });

  it('requires the access token like every other call', async () => {
    expect((await call('GET', '', { token: null })).status).toBe(401);
  });
});

describe('GET /users/:identifier', () => {
  it('finds a user by email with the documented envelope and message', async () => {
    const answer = await get(person(0).email);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({ succeeded: true, message: `User found: ${person(0).email}` });
    expect(Object.keys(userOf(answer)).sort()).toEqual(
      ['created_at', 'email', 'first_name', 'id', 'internal', 'last_name', 'status', 'subscription', 'updated_at'].sort(),
    );
  });

  it('finds the same user by id, with the id in the message', async () => {
    const byEmail = userOf(await get(person(4).email));
    const answer = await get(String(byEmail.id));
    expect(answer.body).toEqual({ succeeded: true, message: `User found: ${String(byEmail.id)}`, data: { user: byEmail } });
  });

  it('accepts an unencoded @ and matches email and id case-insensitively', async () => {
    const user = userOf(await get(person(6).email));
    expect(userOf(await call('GET', `/users/${person(6).email}`)).id).toBe(user.id);
    expect(userOf(await get(person(6).email.toUpperCase())).id).toBe(user.id);
    expect(userOf(await get(String(user.id).toUpperCase())).id).toBe(user.id);
  });

  it('matches an email exactly, never as a substring of another', async () => {
    // Person 11's email is "re." + person 10's.
    expect(person(11).email).toBe(`re.${person(10).email}`);
    expect(userOf(await get(person(10).email)).email).toBe(person(10).email);
    expect(userOf(await get(person(11).email)).email).toBe(person(11).email);
  });

  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
    ['an unknown email', 'nobody@example.com'],
    ['a malformed identifier', 'not an id'],
  ])('answers 404 with the identifier for %s', async (_case, identifier) => {
    const answer = await get(identifier);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ succeeded: false, message: `User not found: ${identifier}` });
  });
});

describe('POST /users', () => {
  const newUser = { first_name: 'Mary', last_name: 'Jackson', email: 'mary.jackson@example.org' };

  it('creates a pending, non-internal user without a subscription and answers 201 with its id', async () => {
    const answer = await call('POST', '/users', { body: newUser });
    expect(answer.status).toBe(201);
    const user = userOf(answer);
    expect(user.id).toMatch(UUID);
    expect(answer.body).toMatchObject({ succeeded: true, message: `User created: ${String(user.id)}` });
    expect(user).toEqual({
      id: user.id,
      ...newUser,
      status: 'pending',
      internal: false,
      created_at: NOW_TEXT,
      updated_at: NOW_TEXT,
      subscription: null,
    });
    expect(userOf(await get(String(user.id)))).toEqual(user);
    expect(userOf(await get(newUser.email))).toEqual(user);
  });

  it('creates an active subscription with one active account when account.identifier is given', async () => {
    const user = userOf(await call('POST', '/users', { body: { ...newUser, internal: true, account: { identifier: 'mjackson' } } }));
    expect(user.internal).toBe(true);
    const subscription = obj(user.subscription);
    expect(subscription).toMatchObject({ status: 'active', created_at: NOW_TEXT, updated_at: NOW_TEXT });
    expect(subscription.id).toMatch(UUID);
    expect(subscription.accounts).toEqual([
      { id: expect.stringMatching(UUID), identifier: 'mjackson', status: 'active', created_at: NOW_TEXT, updated_at: NOW_TEXT },
    ]);
  });

  it('treats a null account or account identifier as the documented default: no subscription', async () => {
    const a = userOf(await call('POST', '/users', { body: { ...newUser, account: null } }));
    const b = userOf(await call('POST', '/users', { body: { ...newUser, email: 'b@example.org', account: { identifier: null } } }));
    expect(a.subscription).toBeNull();
    expect(b.subscription).toBeNull();
  });

  it('hands out ids that collide neither with seeded ids nor with ids handed out before a reset', async () => {
    const seeded = new Set<string>();
    for (const p of population.people) seeded.add(String(userOf(await get(p.email)).id));
    const first = userOf(await call('POST', '/users', { body: { ...newUser, account: { identifier: 'x1' } } }));
    emulator.reset(true);
    const second = userOf(await call('POST', '/users', { body: { ...newUser, account: { identifier: 'x1' } } }));
    const ids = [first, second].flatMap((u) => [u.id, obj(u.subscription).id]);
    for (const id of ids) expect(seeded.has(String(id))).toBe(false);
    expect(new Set(ids).size).toBe(4);
  });

  it('refuses a registered email with 409 User already exists and leaves the user untouched', async () => {
    const before = await get(person(1).email);
    const answer = await call('POST', '/users', { body: { ...newUser, email: person(1).email } });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ succeeded: false, message: `User already exists: ${person(1).email}` });
    expect((await get(person(1).email)).body).toEqual(before.body);
  });

  it('refuses an account identifier already in use with 409 and creates nothing', async () => {
    const answer = await call('POST', '/users', { body: { ...newUser, account: { identifier: person(0).email } } });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ succeeded: false, message: `Account already exists: ${person(0).email}` });
    expect((await get(newUser.email)).status).toBe(404);
  });

  describe('validation (422 RAML validation error)', () => {
    it.each([
      ['an empty object', { body: {} }],
      ['no body at all', {}],
    ])('reports every missing required field for %s', async (_case, init) => {
      const missing = validation(
        ['first_name', 'last_name', 'email'].map((field) => ({ field, value: 'null', msg: 'invalid json (required, true)' })),
      );
      const answer = await call('POST', '/users', init);
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual(missing);
    });

    it('treats null like a missing required field', async () => {
      const answer = await call('POST', '/users', { body: { ...newUser, first_name: null } });
      expect(answer.body).toEqual(validation([{ field: 'first_name', value: 'null', msg: 'invalid json (required, true)' }]));
    });

    it('reports wrong types with the received value as text', async () => {
      const answer = await call('POST', '/users', {
        body: { first_name: 7, last_name: ['x'], email: newUser.email, internal: 'yes', account: 'mjackson' },
      });
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual(
        validation([
          { field: 'first_name', value: '7', msg: 'invalid json (type, string)' },
          { field: 'last_name', value: '["x"]', msg: 'invalid json (type, string)' },
          { field: 'internal', value: 'yes', msg: 'invalid json (type, boolean)' },
          { field: 'account', value: 'mjackson', msg: 'invalid json (type, object)' },
        ]),
      );
    });

    it('refuses empty and overlong strings', async () => {
      const answer = await call('POST', '/users', {
        body: { ...newUser, first_name: '', last_name: 'x'.repeat(256), account: { identifier: '' } },
      });
      expect(answer.body).toEqual(
        validation([
          { field: 'first_name', value: '', msg: 'invalid json (minLength, 1)' },
          { field: 'last_name', value: `${'x'.repeat(256)}`, msg: 'invalid json (maxLength, 255)' },
          { field: 'account.identifier', value: '', msg: 'invalid json (minLength, 1)' },
        ]),
      );
    });

    it('truncates a long echoed value', async () => {
      const answer = await call('POST', '/users', { body: { ...newUser, first_name: 'y'.repeat(1000) } });
      expect(answer.body).toEqual(validation([{ field: 'first_name', value: `${'y'.repeat(256)}…`, msg: 'invalid json (maxLength, 255)' }]));
    });

    it.each(['Mary@example.org', 'mary@example', 'mary@example.o', 'x mary@example.org', 'mary@example.org ', 'mary.example.org'])(
      'holds the email to the documented lower-case pattern, matched in full: refuses %j',
      async (email) => {
        const answer = await call('POST', '/users', { body: { ...newUser, email } });
        expect(answer.status).toBe(422);
        expect(answer.body).toEqual(
          validation([{ field: 'email', value: email, msg: 'invalid json (pattern, [a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,})' }]),
        );
      },
    );

    it('accepts an email with every character the pattern allows', async () => {
      expect((await call('POST', '/users', { body: { ...newUser, email: 'm.j+x_1%y-z@sub.example-1.org' } })).status).toBe(201);
    });

    it('refuses keys it does not know, including a flat "account.identifier" and a status', async () => {
      const answer = await call('POST', '/users', {
        body: { ...newUser, status: 'active', 'account.identifier': 'mj', account: { identifier: 'mj', name: 'Mary' } },
      });
      expect(answer.body).toEqual(
        validation([
          { field: 'status', value: 'active', msg: 'invalid json (additionalProperties, false)' },
          { field: 'account.identifier', value: 'mj', msg: 'invalid json (additionalProperties, false)' },
          { field: 'account.name', value: 'Mary', msg: 'invalid json (additionalProperties, false)' },
        ]),
      );
    });

    it('creates nothing when validation fails', async () => {
      await call('POST', '/users', { body: { ...newUser, internal: 'yes' } });
      expect((await get(newUser.email)).status).toBe(404);
    });
  });

  describe('bad requests', () => {
    it('answers 400 for malformed JSON', async () => {
      const malformed = await call('POST', '/users', { raw: '{"first_name": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({ succeeded: false, message: 'Bad request: the body is not valid JSON' });
    });

    it.each(['[]', '"mary"', '42', 'null'])('answers 400 for the body %s, which is not an object', async (raw) => {
      const answer = await call('POST', '/users', { raw });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ succeeded: false, message: 'Bad request: the body must be a JSON object' });
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded'])('answers 415 for a body of type %s, creating nothing', async (type) => {
      const answer = await call('POST', '/users', { raw: 'first_name=Mary', headers: { 'content-type': type } });
      expect(answer.status).toBe(415);
      expect(answer.body).toEqual({ succeeded: false, message: 'Unsupported media type: request bodies must be application/json' });
      expect((await get(newUser.email)).status).toBe(404);
    });

    it('accepts a JSON content type with a charset', async () => {
      const answer = await call('POST', '/users', { body: newUser, headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(answer.status).toBe(201);
    });

    it('answers 413 for a body over 100 kB and creates nothing', async () => {
      const answer = await call('POST', '/users', { body: { ...newUser, first_name: 'z'.repeat(101 * 1024) } });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ succeeded: false, message: 'Payload too large: request bodies are limited to 100 kB' });
      expect((await get(newUser.email)).status).toBe(404);
    });
  });
});

describe('PATCH /users/:identifier', () => {
  it('changes only the first name, stamps updated_at and answers with the identifier', async () => {
    const before = userOf(await get(person(0).email));
    const answer = await call('PATCH', `/users/${encodeURIComponent(person(0).email)}`, { body: { first_name: 'Augusta' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      succeeded: true,
      message: `User updated: ${person(0).email}`,
      data: { user: { ...before, first_name: 'Augusta', updated_at: NOW_TEXT } },
    });
    expect(userOf(await get(String(before.id)))).toEqual(userOf(answer));
  });

  it('changes only the last name, or both, addressed by id', async () => {
    const before = userOf(await get(person(1).email));
    const id = String(before.id);
    expect(userOf(await call('PATCH', `/users/${id}`, { body: { last_name: 'King' } }))).toEqual({ ...before, last_name: 'King', updated_at: NOW_TEXT });
    expect(userOf(await call('PATCH', `/users/${id}`, { body: { first_name: 'Ada', last_name: 'Byron' } }))).toEqual({
      ...before,
      first_name: 'Ada',
      last_name: 'Byron',
      updated_at: NOW_TEXT,
    });
  });

  it.each([
    ['an empty object', { body: {} }],
    ['no body', {}],
  ])('requires at least one field: %s answers 422', async (_case, init) => {
    const path = `/users/${encodeURIComponent(person(0).email)}`;
    const answer = await call('PATCH', path, init);
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual(validation([{ field: 'body', value: '{}', msg: 'invalid json (minProperties, 1)' }]));
  });

  it.each<[string, unknown, { field: string; value: string; msg: string }[]]>([
    ['an email (not a name)', { email: 'new@example.com' }, [{ field: 'email', value: 'new@example.com', msg: 'invalid json (additionalProperties, false)' }]],
    ['a status (not a name)', { first_name: 'Ok', status: 'active' }, [{ field: 'status', value: 'active', msg: 'invalid json (additionalProperties, false)' }]],
    ['a null name', { first_name: 'Ok', last_name: null }, [{ field: 'last_name', value: 'null', msg: 'invalid json (type, string)' }]],
    ['a name that is a number', { first_name: 12 }, [{ field: 'first_name', value: '12', msg: 'invalid json (type, string)' }]],
    ['an empty name', { first_name: '' }, [{ field: 'first_name', value: '', msg: 'invalid json (minLength, 1)' }]],
  ])('refuses %s with 422 and changes nothing', async (_case, body, fields) => {
    const path = `/users/${encodeURIComponent(person(2).email)}`;
    const before = await get(person(2).email);
    const answer = await call('PATCH', path, { body });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual(validation(fields));
    expect((await get(person(2).email)).body).toEqual(before.body);
  });

  it('answers 400 for malformed JSON and 415 for a non-JSON body, changing nothing', async () => {
    const path = `/users/${encodeURIComponent(person(2).email)}`;
    const before = await get(person(2).email);
    expect((await call('PATCH', path, { raw: '{first_name: "x"}' })).status).toBe(400);
    expect((await call('PATCH', path, { raw: '["x"]' })).status).toBe(400);
    expect((await call('PATCH', path, { raw: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await get(person(2).email)).body).toEqual(before.body);
  });

  it('answers 404 for an unknown user with a valid body, and 422 when the body is invalid too', async () => {
    const unknown = await call('PATCH', '/users/nobody@example.com', { body: { first_name: 'X' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ succeeded: false, message: 'User not found: nobody@example.com' });
    expect((await call('PATCH', '/users/nobody@example.com', { body: {} })).status).toBe(422);
  });
});

describe('DELETE /users/:identifier', () => {
  it('deletes a user by email, answering with its id and no data, after which it is gone', async () => {
    const user = userOf(await get(person(0).email));
    const answer = await call('DELETE', `/users/${encodeURIComponent(person(0).email)}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ succeeded: true, message: `User deleted: ${String(user.id)}` });
    expect((await get(person(0).email)).status).toBe(404);
    expect((await get(String(user.id))).status).toBe(404);
    const again = await call('DELETE', `/users/${String(user.id)}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ succeeded: false, message: `User not found: ${String(user.id)}` });
  });

  it('refuses with 409 exactly the users subscribed to other platforms (index % 6 === 5), who stay unchanged', async () => {
    for (const p of population.people) {
      const before = await get(p.email);
      const answer = await call('DELETE', `/users/${encodeURIComponent(p.email)}`);
      if (p.index % 6 === 5) {
        expect(answer.status).toBe(409);
        expect(answer.body).toEqual({ succeeded: false, message: `User is subscribed to other platforms: ${p.email}` });
        expect((await get(p.email)).body).toEqual(before.body);
      } else {
        expect(answer.status).toBe(200);
      }
    }
  });

  it('frees the email and account identifiers of a deleted user for new users', async () => {
    const p = person(0);
    await call('DELETE', `/users/${encodeURIComponent(p.email)}`);
    const answer = await call('POST', '/users', { body: { first_name: 'A', last_name: 'B', email: p.email, account: { identifier: p.email } } });
    expect(answer.status).toBe(201);
  });

  it('deletes a user created through the API', async () => {
    const user = userOf(await call('POST', '/users', { body: { first_name: 'A', last_name: 'B', email: 'ab@example.org' } }));
    expect((await call('DELETE', `/users/${String(user.id)}`)).status).toBe(200);
  });

  it('answers 404 for an unknown user', async () => {
    const answer = await call('DELETE', '/users/nobody@example.com');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ succeeded: false, message: 'User not found: nobody@example.com' });
  });
});

describe('authentication', () => {
  it.each([
    ['Basic credentials', `Basic ${Buffer.from('platform:secret').toString('base64')}`],
    ['the scheme without a token', 'Bearer'],
  ])('answers 401 with a Bearer challenge when the token is not a bearer token: %s', async (_case, authorization) => {
    const answer = await call('GET', `/users/${encodeURIComponent(person(0).email)}`, { token: null, headers: { authorization } });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ succeeded: false, message: 'Unauthorized: no access token; send Authorization: Bearer <access_token>' });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="id.markettrack.com"');
  });

  const email0 = encodeURIComponent(person(0).email);
  it.each<[string, string, unknown]>([
    ['GET', '', undefined],
    ['POST', '/users', { first_name: 'A', last_name: 'B', email: 'ab@example.org' }],
    ['GET', `/users/${email0}`, undefined],
    ['PATCH', `/users/${email0}`, { first_name: 'X' }],
    ['DELETE', `/users/${email0}`, undefined],
  ])('answers 401 invalid_token for a wrong token on %s %s, and changes nothing', async (method, path, body) => {
    const before = await get(person(0).email);
    const answer = await call(method, path, { token: 'not-the-token', body });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ succeeded: false, message: 'Unauthorized: the access token is invalid or has expired' });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="id.markettrack.com", error="invalid_token"');
    expect((await get(person(0).email)).body).toEqual(before.body);
    expect((await get('ab@example.org')).status).toBe(404);
  });

  it('accepts the scheme in any case', async () => {
    expect((await call('GET', '', { token: null, headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

});

describe('content negotiation and request ids', () => {
  it.each(['text/html', 'application/xml, text/*', 'application/json;q=0, text/html'])('answers 406 for Accept: %s, which excludes JSON, before checking the token', async (accept) => {
    const answer = await call('GET', `/users/${encodeURIComponent(person(0).email)}`, { token: null, headers: { accept } });
    expect(answer.status).toBe(406);
    expect(answer.body).toEqual({ succeeded: false, message: 'Not acceptable: this API only produces application/json' });
  });

  it.each(['application/json', 'application/*', '*/*', 'text/html, application/json;q=0.5', ''])('accepts JSON, wildcards and a missing Accept header: %j', async (accept) => {
    expect((await call('GET', '', { headers: { accept } })).status).toBe(200);
  });

  it.each<[string, string, string, CallInit]>([
    ['a success', 'GET', '', {}],
    ['a 404', 'GET', '/users/nobody@example.com', {}],
    ['a wrong token', 'GET', '/users/x', { token: 'wrong' }],
    ['a method not allowed', 'PUT', '/users/x', {}],
    ['an unknown path', 'GET', '/elsewhere', {}],
    ['malformed JSON', 'POST', '/users', { raw: '{' }],
  ])('echoes the client’s X-Request-Id on %s (%s %s)', async (_case, method, path, init) => {
    const answer = await call(method, path, { ...init, headers: { 'x-request-id': 'req-42.abc' } });
    expect(answer.headers.get('x-request-id')).toBe('req-42.abc');
  });

  it('generates a new UUID per request when none (or an unusable one) is sent', async () => {
    const a = await call('GET', '');
    const b = await call('GET', '');
    const long = await call('GET', '', { headers: { 'x-request-id': 'r'.repeat(201) } });
    for (const answer of [a, b, long]) expect(answer.headers.get('x-request-id')).toMatch(UUID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});

describe('test hooks from the kit', () => {
  it('gives an injected fault a request id like every other answer', async () => {
    emulator.setFaults({ status: 503, count: 1, routes: ['GET /users/:identifier'] });
    const failed = await get(person(0).email);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-request-id')).toMatch(UUID);
  });

  it('restores the seeded data on reset with data, and only then', async () => {
    const before = await get(person(0).email);
    await call('PATCH', `/users/${encodeURIComponent(person(0).email)}`, { body: { first_name: 'Changed' } });
    await call('DELETE', `/users/${encodeURIComponent(person(1).email)}`);
    await call('POST', '/users', { body: { first_name: 'A', last_name: 'B', email: 'ab@example.org' } });
    emulator.reset();
    expect(userOf(await get(person(0).email)).first_name).toBe('Changed');
    await fetch(`${emulator.origin()}/__emulator/reset?data=true`, { method: 'POST' });
    expect((await get(person(0).email)).body).toEqual(before.body);
    expect((await get(person(1).email)).status).toBe(200);
    expect((await get('ab@example.org')).status).toBe(404);
  });
});

describe('OpenAPI document', () => {
  interface Operation {
    responses: Record<string, unknown>;
  }

  async function document(path = '/openapi.json'): Promise<Record<string, unknown>> {
    const res = await fetch(emulator.origin() + path);
    expect(res.status).toBe(200);
    return obj(await res.json());
  }

  function operation(doc: Record<string, unknown>, path: string, method: string): Operation {
    const op = obj(obj(obj(doc, 'paths'), path), method);
    return { responses: obj(op, 'responses') };
  }

  it('lists every status the emulator answers for each operation', async () => {
    const doc = await document();
    const id = encodeURIComponent(person(0).email);
    const scenarios: [string, string, string, CallInit][] = [
      ['/', 'GET', '', {}],
      ['/', 'GET', '', { token: null }],
      ['/', 'GET', '', { headers: { accept: 'text/html' } }],
      ['/users', 'POST', '/users', { body: { first_name: 'A', last_name: 'B', email: 'ab@example.org' } }],
      ['/users', 'POST', '/users', { body: { first_name: 'A', last_name: 'B', email: 'ab@example.org' } }],
      ['/users', 'POST', '/users', { body: {} }],
      ['/users', 'POST', '/users', { raw: '{' }],
      ['/users', 'POST', '/users', { raw: 'x', headers: { 'content-type': 'text/plain' } }],
      ['/users', 'POST', '/users', { raw: JSON.stringify({ first_name: 'x'.repeat(200_000) }) }],
      ['/users/{identifier}', 'GET', `/users/${id}`, {}],
      ['/users/{identifier}', 'GET', '/users/nobody@example.com', {}],
      ['/users/{identifier}', 'PATCH', `/users/${id}`, { body: { first_name: 'X' } }],
      ['/users/{identifier}', 'PATCH', `/users/${id}`, { body: {} }],
      ['/users/{identifier}', 'PATCH', `/users/${id}`, { raw: '{' }],
      ['/users/{identifier}', 'PATCH', `/users/${id}`, { raw: 'x', headers: { 'content-type': 'text/plain' } }],
      ['/users/{identifier}', 'PATCH', `/users/${id}`, { raw: JSON.stringify({ first_name: 'x'.repeat(200_000) }) }],
      ['/users/{identifier}', 'PATCH', '/users/nobody@example.com', { body: { first_name: 'X' } }],
      ['/users/{identifier}', 'DELETE', `/users/${encodeURIComponent(person(5).email)}`, {}],
      ['/users/{identifier}', 'DELETE', `/users/${id}`, {}],
      ['/users/{identifier}', 'DELETE', `/users/${id}`, {}],
    ];
    // Every operation refuses a missing token and a non-JSON Accept header alike.
    const operations: [string, string, string][] = [
      ['/', 'GET', ''],
      ['/users', 'POST', '/users'],
      ['/users/{identifier}', 'GET', `/users/${id}`],
      ['/users/{identifier}', 'PATCH', `/users/${id}`],
      ['/users/{identifier}', 'DELETE', `/users/${id}`],
    ];
    for (const [docPath, method, path] of operations) {
      scenarios.push([docPath, method, path, { token: null }], [docPath, method, path, { headers: { accept: 'text/html' } }]);
    }
    const seen = new Set<string>();
    for (const [docPath, method, path, init] of scenarios) {
      const answer = await call(method, path, init);
      seen.add(`${method} ${docPath} ${answer.status}`);
      expect({ operation: `${method} ${docPath}`, status: answer.status, documented: answer.status in operation(doc, docPath, method.toLowerCase()).responses }).toEqual({
        operation: `${method} ${docPath}`,
        status: answer.status,
        documented: true,
      });
    }
    // The scenarios reach each documented non-fault status of every operation.
    for (const [docPath, item] of Object.entries(obj(doc, 'paths'))) {
      for (const method of Object.keys(obj(item)).filter((k) => k !== 'parameters')) {
        for (const status of Object.keys(operation(doc, docPath, method).responses).filter((s) => s !== '500' && s !== '503')) {
          expect(seen).toContain(`${method.toUpperCase()} ${docPath} ${status}`);
        }
      }
    }
  });

  it('describes the user with exactly the fields the emulator serves', async () => {
    const schema = obj(obj(obj(await document(), 'components'), 'schemas'), 'User');
    const user = userOf(await get(person(0).email));
    expect([...(Array.isArray(schema.required) ? schema.required : [])].sort()).toEqual(Object.keys(user).sort());
    expect(Object.keys(obj(schema, 'properties')).sort()).toEqual(Object.keys(user).sort());
  });
});
