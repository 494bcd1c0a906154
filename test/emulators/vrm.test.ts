/**
 * The VRM emulator over real HTTP: every Users endpoint of the seed document (001) with its documented
 * answers, every failure, bad input, and the seeded data's documented rules (README.md beside the
 * emulator).
 */
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, membersOf } from '../../src/emulators/population';
import { createVrmEmulator } from '../../src/emulators/vrm';
import {
  ADMIN_EMAIL,
  ADMIN_USER_ID,
  EXPIRED_AT,
  FUTURE_EXPIRY,
  UNCLAIMED_COUNT,
  otherTokenFor,
  personalTokenFor,
  siteIdFor,
  tokenIdFor,
  unclaimedIdentifierFor,
  unclaimedSiteIdFor,
  userIdFor,
} from '../../src/emulators/vrm/seed';
import { send, type Reply, type SendInit } from '../helpers/http';
import { record, recordAt, recordsAt } from '../helpers/json';

const population = buildPopulation({ people: 40 });
const SEED = population.seed;
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const NOW_UNIX = NOW / 1000;
const ADMIN = DEV_TOKENS.vrm;
const HEX64 = /^[0-9a-f]{64}$/;
const DIGITS = /^\d+$/;

/** Person index → their personal token. Index 0: k=0; 3: k=1; 6: k=2; 9: k=3; 12: k=4. */
const tokenOf = (index: number): string => personalTokenFor(SEED, index);

const REQUIRED_SITE_FIELDS = [
  'idSite', 'accessLevel', 'owner', 'is_admin', 'name', 'identifier', 'idUser', 'pvMax', 'timezone', 'phonenumber', 'notes',
  'geofence', 'geofenceEnabled', 'realtimeUpdates', 'hasMains', 'hasGenerator', 'noDataAlarmTimeout', 'alarmMonitoring',
  'invalidVRMAuthTokenUsedInLogRequest', 'syscreated', 'shared', 'device_icon',
];
const OPTIONAL_SITE_FIELDS = [
  'alarm', 'last_timestamp', 'current_time', 'timezone_offset', 'demo_mode', 'mqtt_webhost', 'mqtt_host', 'high_workload',
  'current_alarms', 'num_alarms', 'avatar_url', 'tags', 'images', 'view_permissions', 'extended',
];

let emulator: Emulator;
let url: string;

beforeAll(async () => {
  emulator = createVrmEmulator({ population, now: () => NOW });
  url = await emulator.listen(0);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset(true));

type Answer = Reply;

interface CallInit extends Pick<SendInit, 'raw' | 'contentType' | 'headers'> {
  /** Sent as JSON. */
  body?: unknown;
  /** `null`: no X-Authorization header. Default: the admin (service) token. */
  token?: string | null;
  scheme?: string;
}

function call(method: string, path: string, init: CallInit = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token !== null) headers['x-authorization'] = `${init.scheme ?? 'Token'} ${init.token ?? ADMIN}`;
  const contentType = init.body !== undefined || init.raw !== undefined ? (init.contentType ?? 'application/json') : undefined;
  return send(url + path, { method, json: init.body, raw: init.raw, contentType, headers: { ...headers, ...init.headers } });
}

/** The object at `key` of an object (the value itself without a key), failing the test when it is not one. */
function obj(value: unknown, key?: string): Record<string, unknown> {
  return key === undefined ? record(value) : recordAt(value, key);
}

const arr = recordsAt;

/** Asserts VRM's error envelope and returns it. */
function expectError(answer: Answer, status: number, errorCode: string | null = null): Record<string, unknown> {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const body = obj(answer.body);
  expect(body.success).toBe(false);
  expect(body.error_code).toBe(errorCode);
  expect(typeof body.errors === 'string' || (typeof body.errors === 'object' && body.errors !== null)).toBe(true);
  return body;
}

/** The field → message map of a 400 validation error. */
function fieldErrors(answer: Answer): Record<string, unknown> {
  return obj(expectError(answer, 400), 'errors');
}

async function tokenIds(token: string): Promise<string[]> {
  const answer = await call('GET', '/users/me/accesstokens/list', { token });
  expect(answer.status).toBe(200);
  return arr(answer.body, 'tokens').map((t) => String(t.idAccessToken));
}

async function siteIds(token: string, idUser: string | number = 'me'): Promise<number[]> {
  const answer = await call('GET', `/users/${idUser}/installations`, { token });
  expect(answer.status).toBe(200);
  return arr(answer.body, 'records').map((s) => Number(s.idSite));
}

describe('authentication', () => {
  it('ignores a standard Authorization header: VRM reads only X-Authorization', async () => {
    const answer = await call('GET', '/users/me', { token: null, headers: { authorization: `Token ${ADMIN}` } });
    expectError(answer, 401, 'invalid_token');
  });

  it.each(['Token', 'Bearer', 'token', 'BEARER'])('accepts the same token with the scheme %s (`Token`, `Bearer`, any casing)', async (scheme) => {
    const answer = await call('GET', '/users/me', { token: tokenOf(3), scheme });
    expect(answer.status).toBe(200);
    expect(obj(answer.body, 'user').id).toBe(userIdFor(3));
  });

  it('refuses unknown schemes and a bare token', async () => {
    expectError(await call('GET', '/users/me', { token: tokenOf(3), scheme: 'Basic' }), 401, 'invalid_token');
    expectError(await call('GET', '/users/me', { token: null, headers: { 'x-authorization': tokenOf(3) } }), 401, 'invalid_token');
  });

  it('refuses an expired token that is still listed', async () => {
    // k = 3 (index 9): the last other token expired on EXPIRED_AT.
    const expired = otherTokenFor(SEED, 9, 2);
    const body = expectError(await call('GET', '/users/me', { token: expired }), 401, 'invalid_token');
    expect(body.errors).toBe('Authentication token has expired');
    const listed = arr((await call('GET', '/users/me/accesstokens/list', { token: tokenOf(9) })).body, 'tokens');
    expect(listed.find((t) => t.idAccessToken === String(tokenIdFor(9, 2)))?.expires).toBe(String(EXPIRED_AT));
  });

  it('accepts a token until its expiry passes', async () => {
    // k = 1 (index 3): the last other token expires in 2035.
    const answer = await call('GET', '/users/me', { token: otherTokenFor(SEED, 3, 2) });
    expect(answer.status).toBe(200);
    const later = createVrmEmulator({ population, now: () => FUTURE_EXPIRY * 1000 });
    const laterUrl = await later.listen(0);
    try {
      const res = await fetch(`${laterUrl}/users/me`, { headers: { 'x-authorization': `Token ${otherTokenFor(SEED, 3, 2)}` } });
      expect(res.status).toBe(401);
      await res.text();
    } finally {
      await later.close();
    }
  });

  it('gives the service credential, the development one or the `token` option, to the admin user', async () => {
    const me = await call('GET', '/users/me');
    expect(obj(me.body, 'user')).toEqual({ id: ADMIN_USER_ID, name: 'VRM Emulator Admin', email: ADMIN_EMAIL, country: 'NL' });
    const custom = createVrmEmulator({ population, token: 'c'.repeat(64) });
    const customUrl = await custom.listen(0);
    try {
      const withCustom = await send(`${customUrl}/users/me`, { headers: { 'x-authorization': `Token ${'c'.repeat(64)}` } });
      expect(obj(withCustom.body, 'user').id).toBe(ADMIN_USER_ID);
    } finally {
      await custom.close();
    }
  });

});

describe('GET /users/me', () => {
  it('answers every VRM member with their integer id, name, population email and country', async () => {
    for (const person of membersOf(population, 'vrm')) {
      const answer = await call('GET', '/users/me', { token: tokenOf(person.index) });
      expect(answer.status).toBe(200);
      expect(obj(answer.body).success).toBe(true);
      const user = obj(answer.body, 'user');
      expect(user.id).toBe(userIdFor(person.index));
      expect(user.name).toBe(`${person.firstName} ${person.lastName}`);
      expect(user.email).toBe(person.email);
      expect(user.country).toMatch(/^[A-Z]{2}$/);
    }
  });

  it('has no account for people outside VRM: their formula token is unknown', async () => {
    expectError(await call('GET', '/users/me', { token: tokenOf(1) }), 401, 'invalid_token');
  });
});

describe('access tokens: list', () => {
  it.each([
    ['me', 'me'],
    ['the user’s own id', String(userIdFor(0))],
    ['another user’s id', String(userIdFor(3))],
    ['the admin’s id', String(ADMIN_USER_ID)],
    ['no user id at all', 'not-a-user'],
  ])('lists the requesting user\'s tokens without secrets when idUser is %s', async (_case, idUser) => {
    const expected = [String(tokenIdFor(0, 0)), String(tokenIdFor(0, 1))];
    const answer = await call('GET', `/users/${idUser}/accesstokens/list`, { token: tokenOf(0) });
    expect(answer.status).toBe(200);
    const tokens = arr(answer.body, 'tokens');
    expect(tokens.map((t) => t.idAccessToken)).toEqual(expected);
    expect(JSON.stringify(answer.body)).not.toContain(tokenOf(0));
  });

  it('lists the admin its own service token only', async () => {
    const tokens = arr((await call('GET', `/users/${userIdFor(3)}/accesstokens/list`)).body, 'tokens');
    expect(tokens).toEqual([{ name: 'usergraph service', idAccessToken: '1', createdOn: expect.stringMatching(DIGITS), scope: 'all', expires: null }]);
  });

  it('renders each token with the documented fields and unix-time strings', async () => {
    const tokens = arr((await call('GET', '/users/me/accesstokens/list', { token: tokenOf(3) })).body, 'tokens');
    expect(tokens.map((t) => t.name)).toContain('usergraph');
    expect(tokens).toHaveLength(3);
    for (const t of tokens) {
      expect(Object.keys(t).sort()).toEqual(['createdOn', 'expires', 'idAccessToken', 'name', 'scope']);
      expect(t.idAccessToken).toMatch(DIGITS);
      expect(t.createdOn).toMatch(DIGITS);
      expect(t.scope).toBe('all');
    }
    expect(tokens.map((t) => t.expires)).toEqual([null, null, String(FUTURE_EXPIRY)]);
  });

  it('gives members one or two tokens besides the personal one, alternating by VRM ordinal', async () => {
    expect(await tokenIds(tokenOf(0))).toHaveLength(2);
    expect(await tokenIds(tokenOf(3))).toHaveLength(3);
    expect(await tokenIds(tokenOf(6))).toHaveLength(2);
  });
});

describe('access tokens: create', () => {
  it('returns a 64-hex secret once, which then authenticates and is listed without it', async () => {
    const answer = await call('POST', `/users/${userIdFor(0)}/accesstokens/create`, { token: tokenOf(0), body: { name: 'My script' } });
    expect(answer.status).toBe(200);
    const body = obj(answer.body);
    expect(body.success).toBe(true);
    expect(body.token).toMatch(HEX64);
    expect(body.idAccessToken).toMatch(DIGITS);
    const secret = String(body.token);

    const me = await call('GET', '/users/me', { token: secret });
    expect(obj(me.body, 'user').id).toBe(userIdFor(0));

    const list = await call('GET', '/users/me/accesstokens/list', { token: tokenOf(0) });
    const created = arr(list.body, 'tokens').find((t) => t.idAccessToken === body.idAccessToken);
    expect(created).toEqual({ name: 'My script', idAccessToken: body.idAccessToken, createdOn: String(NOW_UNIX), scope: 'all', expires: null });
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it('hands out ids above every seeded token id and never the same one twice', async () => {
    const seeded = membersOf(population, 'vrm').flatMap((p) => [0, 1, 2].map((j) => tokenIdFor(p.index, j)));
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      const answer = await call('POST', '/users/me/accesstokens/create', { token: tokenOf(6), body: { name } });
      ids.push(Number(obj(answer.body).idAccessToken));
    }
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toBeGreaterThan(Math.max(...seeded));
  });

  it('stores an expiry given as unix seconds and lists it as a string', async () => {
    const expiry = NOW_UNIX + 86_400;
    const answer = await call('POST', '/users/me/accesstokens/create', { token: tokenOf(0), body: { name: 'day pass', expiry } });
    expect(answer.status).toBe(200);
    const listed = arr((await call('GET', '/users/me/accesstokens/list', { token: tokenOf(0) })).body, 'tokens');
    expect(listed.find((t) => t.name === 'day pass')?.expires).toBe(String(expiry));
  });

  it.each([
    ['a missing name', {}, 'name', 'name is required'],
    ['a null name', { name: null }, 'name', 'name is required'],
    ['a numeric name', { name: 42 }, 'name', 'name must be a string, but got: 42'],
    ['a blank name', { name: '   ' }, 'name', 'name must not be empty'],
    ['a name over 255 characters', { name: 'x'.repeat(256) }, 'name', 'name must be at most 255 characters, but got 256'],
    ['a name the user already has', { name: 'usergraph' }, 'name', 'an access token named "usergraph" already exists for this user'],
    ['an expiry in the past', { name: 'ok', expiry: NOW_UNIX - 1 }, 'expiry', `expiry must be in the future (after ${NOW_UNIX}), but got: ${NOW_UNIX - 1}`],
    ['an expiry of now', { name: 'ok', expiry: NOW_UNIX }, 'expiry', `expiry must be in the future (after ${NOW_UNIX}), but got: ${NOW_UNIX}`],
    ['a fractional expiry', { name: 'ok', expiry: NOW_UNIX + 0.5 }, 'expiry', `expiry must be an integer unix timestamp, but got: ${NOW_UNIX + 0.5}`],
    ['a null expiry (omit it instead)', { name: 'ok', expiry: null }, 'expiry', 'expiry must be an integer unix timestamp, but got: null'],
    ['an expiry as a string', { name: 'ok', expiry: String(NOW_UNIX + 10) }, 'expiry', `expiry must be an integer unix timestamp, but got: "${NOW_UNIX + 10}"`],
    ['an expiry after year 9999', { name: 'ok', expiry: 253_402_300_800 }, 'expiry', 'expiry must be at most 253402300799, but got: 253402300800'],
  ])('refuses %s with 400 naming the field, creating nothing', async (_case, body, field, message) => {
    const before = await tokenIds(tokenOf(0));
    const errors = fieldErrors(await call('POST', '/users/me/accesstokens/create', { token: tokenOf(0), body }));
    expect(errors).toEqual({ [field]: message });
    expect(await tokenIds(tokenOf(0))).toEqual(before);
  });

  it('reports every invalid field at once', async () => {
    const errors = fieldErrors(await call('POST', '/users/me/accesstokens/create', { token: tokenOf(0), body: { expiry: 'soon' } }));
    expect(Object.keys(errors).sort()).toEqual(['expiry', 'name']);
  });

  it('refuses a body that is missing, malformed, not an object, not JSON or too large', async () => {
    const before = await tokenIds(tokenOf(0));
    const path = '/users/me/accesstokens/create';
    expect(fieldErrors(await call('POST', path, { token: tokenOf(0) }))).toEqual({ name: 'name is required' });
    expect(expectError(await call('POST', path, { token: tokenOf(0), raw: '{"name": ' }), 400).errors).toBe('Request body is not valid JSON');
    expect(expectError(await call('POST', path, { token: tokenOf(0), body: ['name'] }), 400).errors).toBe('Request body must be a JSON object');
    expect(expectError(await call('POST', path, { token: tokenOf(0), raw: 'name=x', contentType: 'text/plain' }), 415).errors).toBe(
      'Content-Type must be application/json',
    );
    const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) });
    expect(expectError(await call('POST', path, { token: tokenOf(0), raw: huge }), 413).errors).toBe('Request body is too large');
    expect(await tokenIds(tokenOf(0))).toEqual(before);
  });

  it('creates tokens only for the requesting user: another idUser is 403, for admins too', async () => {
    const before = await tokenIds(tokenOf(3));
    expectError(await call('POST', `/users/${userIdFor(3)}/accesstokens/create`, { token: tokenOf(0), body: { name: 'sneaky' } }), 403);
    expectError(await call('POST', `/users/${userIdFor(3)}/accesstokens/create`, { body: { name: 'sneaky' } }), 403);
    expect(await tokenIds(tokenOf(3))).toEqual(before);
  });

  it('refuses an idUser that is neither an integer nor `me` with 400', async () => {
    const errors = fieldErrors(await call('POST', '/users/abc/accesstokens/create', { token: tokenOf(0), body: { name: 'x' } }));
    expect(errors).toEqual({ idUser: 'idUser must be an integer user id or "me", but got: "abc"' });
  });
});

describe('access tokens: revoke', () => {
  it('revokes one token by id, reports 1, and the token stops working', async () => {
    const other = otherTokenFor(SEED, 3, 1);
    const id = tokenIdFor(3, 1);
    const answer = await call('GET', `/users/${userIdFor(3)}/accesstokens/${id}/revoke`, { token: tokenOf(3) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ success: true, data: { removed: 1 } });
    expect(await tokenIds(tokenOf(3))).not.toContain(String(id));
    expectError(await call('GET', '/users/me', { token: other }), 401, 'invalid_token');
  });

  it('revokes every token of the requesting user with `*`, the one in use included, and says how many', async () => {
    const answer = await call('GET', '/users/me/accesstokens/*/revoke', { token: tokenOf(3) });
    expect(answer.body).toEqual({ success: true, data: { removed: 3 } });
    expectError(await call('GET', '/users/me', { token: tokenOf(3) }), 401, 'invalid_token');
    expectError(await call('GET', '/users/me', { token: otherTokenFor(SEED, 3, 1) }), 401, 'invalid_token');
    // Other users keep theirs.
    expect(await tokenIds(tokenOf(0))).toHaveLength(2);
  });

  it('counts only what is left: `*` after a single revoke', async () => {
    await call('GET', `/users/me/accesstokens/${tokenIdFor(3, 2)}/revoke`, { token: tokenOf(3) });
    const answer = await call('GET', '/users/me/accesstokens/%2A/revoke', { token: tokenOf(3) });
    expect(answer.body).toEqual({ success: true, data: { removed: 2 } });
  });

  it('answers 404 for an unknown id, and for another user\'s token id, which keeps working', async () => {
    expectError(await call('GET', '/users/me/accesstokens/999999999/revoke', { token: tokenOf(0) }), 404);
    expectError(await call('GET', '/users/me/accesstokens/abc/revoke', { token: tokenOf(0) }), 404);
    expectError(await call('GET', `/users/me/accesstokens/${tokenIdFor(3, 0)}/revoke`, { token: tokenOf(0) }), 404);
    expect((await call('GET', '/users/me', { token: tokenOf(3) })).status).toBe(200);
    expect(await tokenIds(tokenOf(0))).toHaveLength(2);
  });

  it('revokes only for the requesting user: another idUser is 403, for admins too', async () => {
    expectError(await call('GET', `/users/${userIdFor(3)}/accesstokens/*/revoke`, { token: tokenOf(0) }), 403);
    expectError(await call('GET', `/users/${userIdFor(3)}/accesstokens/${tokenIdFor(3, 0)}/revoke`), 403);
    expect(await tokenIds(tokenOf(3))).toHaveLength(3);
  });
});

describe('installations', () => {
  it('lists a user\'s own installations with only the required fields by default', async () => {
    const answer = await call('GET', `/users/${userIdFor(3)}/installations`, { token: tokenOf(3) });
    expect(answer.status).toBe(200);
    expect(obj(answer.body).success).toBe(true);
    const records = arr(answer.body, 'records');
    expect(records.map((r) => r.idSite)).toEqual([0, 1, 2].map((s) => siteIdFor(3, s)));
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual([...REQUIRED_SITE_FIELDS].sort());
      expect(r).toMatchObject({ accessLevel: 1, owner: true, is_admin: true, idUser: userIdFor(3) });
      expect(r.identifier).toMatch(/^[0-9a-f]{12}$/);
      expect(typeof r.name).toBe('string');
      expect(Number.isInteger(r.pvMax)).toBe(true);
      expect([0, 1]).toContain(r.hasMains);
      expect([0, 1]).toContain(r.hasGenerator);
      expect([0, 1, 2]).toContain(r.alarmMonitoring);
      expect([0, 1]).toContain(r.invalidVRMAuthTokenUsedInLogRequest);
      expect(Number.isInteger(r.syscreated)).toBe(true);
      expect(r.noDataAlarmTimeout === null || Number.isInteger(r.noDataAlarmTimeout)).toBe(true);
      expect(r.geofence === null || typeof JSON.parse(String(r.geofence)) === 'object').toBe(true);
      expect(() => new Intl.DateTimeFormat('en', { timeZone: String(r.timezone) })).not.toThrow();
    }
  });

  it('gives members two to four installations, cycling by VRM ordinal', async () => {
    expect(await siteIds(tokenOf(0))).toHaveLength(2);
    expect(await siteIds(tokenOf(3))).toHaveLength(3);
    expect((await siteIds(tokenOf(6))).filter((id) => id >= siteIdFor(6, 0))).toHaveLength(4);
  });

  it('adds every optional value with extended=1, data attributes and summaries included', async () => {
    const answer = await call('GET', '/users/me/installations?extended=1', { token: tokenOf(0) });
    const records = arr(answer.body, 'records');
    expect(records).toHaveLength(2);
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual([...REQUIRED_SITE_FIELDS, ...OPTIONAL_SITE_FIELDS].sort());
      expect(r.current_time).toMatch(/^\d{2}:\d{2}$/);
      const alarms = r.current_alarms;
      if (!Array.isArray(alarms)) throw new Error(`expected current_alarms to be an array, but got: ${JSON.stringify(alarms)}`);
      expect(r.num_alarms).toBe(alarms.length);
      expect(r.alarm).toBe(r.num_alarms !== 0);
      expect(Object.keys(obj(r, 'view_permissions')).sort()).toEqual(
        ['diagnostics', 'exact_location', 'mqtt_rpc', 'nodered', 'nodered_dash', 'settings', 'share', 'signalk', 'twoway', 'update_settings', 'vebus', 'vnc'],
      );
      const extended = arr(r, 'extended');
      const attribute = extended.find((e) => e.code === 'S');
      expect(attribute).toMatchObject({ idDataAttribute: 40, dataType: 'enum', dbusServiceType: 'vebus', dbusPath: '/State' });
      expect(arr(attribute, 'dataAttributeEnumValues').map((v) => v.nameEnum)).toContain(attribute?.textValue);
      const soc = extended.find((e) => e.code === 'bs');
      expect(soc).toMatchObject({ idDataAttribute: 51, textValue: null, dataAttributes: [{ instance: 512, dbusServiceType: 'battery', dbusPath: '/Soc' }] });
      expect(soc?.rawValue === null || typeof soc?.rawValue === 'number').toBe(true);
      const latitude = extended.find((e) => e.code === 'lt');
      expect(latitude).toMatchObject({ dataType: 'float', timestamp: String(r.last_timestamp) });
    }
  });

  it('computes the local time and UTC offset of each site from its time zone', async () => {
    const records = arr((await call('GET', '/users/me/installations?extended=1', { token: tokenOf(0) })).body, 'records');
    for (const r of records) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: String(r.timezone), hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(NOW);
      expect(r.current_time).toBe(local);
      const [h, m] = local.split(':').map(Number);
      const offsetMinutes = (((h! * 60 + m! - 12 * 60) % 1440) + 1440 + 720) % 1440 - 720;
      expect(r.timezone_offset).toBe(offsetMinutes * 60);
    }
  });

  it.each(['0', '2', '-1'])('treats extended=%s (any value other than 1) as no extension', async (value) => {
    const records = arr((await call('GET', `/users/me/installations?extended=${value}`, { token: tokenOf(0) })).body, 'records');
    expect(Object.keys(records[0]!).sort()).toEqual([...REQUIRED_SITE_FIELDS].sort());
  });

  it('restricts the list to idSite, and to nothing when the user cannot see that site', async () => {
    const own = siteIdFor(3, 1);
    expect(arr((await call('GET', `/users/me/installations?idSite=${own}`, { token: tokenOf(3) })).body, 'records').map((r) => r.idSite)).toEqual([own]);
    expect((await call('GET', `/users/me/installations?idSite=${siteIdFor(0, 0)}`, { token: tokenOf(3) })).body).toEqual({ success: true, records: [] });
    expect((await call('GET', '/users/me/installations?idSite=1', { token: tokenOf(3) })).body).toEqual({ success: true, records: [] });
  });

  it('refuses non-integer extended and idSite with 400 naming them', async () => {
    expect(fieldErrors(await call('GET', '/users/me/installations?extended=yes', { token: tokenOf(0) }))).toEqual({
      extended: 'extended must be an integer (1 to include all optional values), but got: "yes"',
    });
    expect(fieldErrors(await call('GET', '/users/me/installations?idSite=abc&extended=x', { token: tokenOf(0) })).idSite).toBe(
      'idSite must be an integer site id, but got: "abc"',
    );
    expect(Object.keys(fieldErrors(await call('GET', '/users/me/installations?idSite=1.5&extended=', { token: tokenOf(0) }))).sort()).toEqual([
      'extended',
      'idSite',
    ]);
  });

  it('forbids a normal user another user\'s installations with the documented 403', async () => {
    const body = expectError(await call('GET', `/users/${userIdFor(3)}/installations`, { token: tokenOf(0) }), 403);
    expect(typeof body.errors).toBe('string');
    expectError(await call('GET', '/users/999999/installations', { token: tokenOf(0) }), 403);
  });

  it('shows admins any user\'s installations, with the admin\'s own access flags', async () => {
    const records = arr((await call('GET', `/users/${userIdFor(3)}/installations?extended=1`)).body, 'records');
    expect(records.map((r) => r.idSite)).toEqual([0, 1, 2].map((s) => siteIdFor(3, s)));
    for (const r of records) {
      expect(r).toMatchObject({ owner: false, is_admin: true, accessLevel: 1, idUser: userIdFor(3) });
      expect(obj(r, 'view_permissions').update_settings).toBe(true);
    }
    expect((await call('GET', `/users/${ADMIN_USER_ID}/installations`)).body).toEqual({ success: true, records: [] });
    expectError(await call('GET', '/users/999999/installations'), 404);
  });

  it('shows a site shared read-only with a user as not owned, access level 0, with read-only permissions', async () => {
    // k = 2 (index 6) sees the first site of k = 1 (index 3) read-only.
    const shared = siteIdFor(3, 0);
    const records = arr((await call('GET', `/users/me/installations?idSite=${shared}&extended=1`, { token: tokenOf(6) })).body, 'records');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ idSite: shared, owner: false, is_admin: false, accessLevel: 0, idUser: userIdFor(3), shared: true });
    expect(obj(records[0], 'view_permissions')).toMatchObject({ update_settings: false, share: false, diagnostics: false, exact_location: false });
    const forOwner = arr((await call('GET', `/users/me/installations?idSite=${shared}`, { token: tokenOf(3) })).body, 'records');
    expect(forOwner[0]).toMatchObject({ owner: true, shared: true });
  });

  it('shows a site shared with full control as administered but not owned', async () => {
    // k = 4 (index 12) administers the second site of k = 3 (index 9).
    const shared = siteIdFor(9, 1);
    const records = arr((await call('GET', `/users/me/installations?idSite=${shared}`, { token: tokenOf(12) })).body, 'records');
    expect(records[0]).toMatchObject({ owner: false, is_admin: true, accessLevel: 1, idUser: userIdFor(9) });
  });

  it('serves the same installations for the same seed and other details for another seed', async () => {
    const twin = createVrmEmulator({ population: buildPopulation({ people: 40 }), now: () => NOW });
    const other = createVrmEmulator({ population: buildPopulation({ people: 40, seed: 2 }), now: () => NOW });
    const twinUrl = await twin.listen(0);
    const otherUrl = await other.listen(0);
    try {
      // Image URLs carry the emulator's origin, which differs per instance.
      const get = async (base: string, seed: number) => {
        const res = await fetch(`${base}/users/me/installations?extended=1`, { headers: { 'x-authorization': `Token ${personalTokenFor(seed, 3)}` } });
        const text = (await res.text()).replaceAll(new URL(base).origin, 'ORIGIN');
        return arr(JSON.parse(text), 'records');
      };
      const mine = await get(url, 1);
      expect(await get(twinUrl, 1)).toEqual(mine);
      const theirs = await get(otherUrl, 2);
      expect(theirs.map((r) => r.idSite)).toEqual(mine.map((r) => r.idSite));
      expect(theirs.map((r) => r.identifier)).not.toEqual(mine.map((r) => r.identifier));
    } finally {
      await Promise.all([twin.close(), other.close()]);
    }
  });
});

describe('addsite', () => {
  const unclaimed = unclaimedIdentifierFor(0);

  it('links an unclaimed installation to the user as owner and answers its id as a string', async () => {
    const answer = await call('POST', `/users/${userIdFor(0)}/addsite`, { token: tokenOf(0), body: { installation_identifier: unclaimed } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ success: true, records: { site_id: String(unclaimedSiteIdFor(0)) } });
    const records = arr((await call('GET', `/users/me/installations?idSite=${unclaimedSiteIdFor(0)}`, { token: tokenOf(0) })).body, 'records');
    expect(records[0]).toMatchObject({ identifier: unclaimed, owner: true, idUser: userIdFor(0) });
  });

  it('matches the identifier case-insensitively and ignores surrounding spaces', async () => {
    const answer = await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: ` ${unclaimedIdentifierFor(1).toUpperCase()} ` } });
    expect(obj(answer.body, 'records').site_id).toBe(String(unclaimedSiteIdFor(1)));
  });

  it('answers 409 for an installation the user already has and for one another user owns, changing nothing', async () => {
    const before = await siteIds(tokenOf(0));
    const mine = expectError(await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: (await identifierOf(siteIdFor(0, 0))) } }), 409, 'site_already_linked');
    expect(typeof mine.errors).toBe('string');
    expectError(await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: await identifierOf(siteIdFor(3, 0)) } }), 409, 'site_already_registered');
    expect(await siteIds(tokenOf(0))).toEqual(before);
    expect(await siteIds(tokenOf(3))).toContain(siteIdFor(3, 0));
  });

  it('answers 409 when a second user tries to add an installation the first has just added', async () => {
    await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: unclaimed } });
    expectError(await call('POST', '/users/me/addsite', { token: tokenOf(3), body: { installation_identifier: unclaimed } }), 409, 'site_already_registered');
  });

  it('answers 404 for an identifier no installation has', async () => {
    expectError(await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: '000000000000' } }), 404);
  });

  it.each([
    ['missing', {}, 'installation_identifier is required'],
    ['a number', { installation_identifier: 12 }, 'installation_identifier must be a string, but got: 12'],
    ['blank', { installation_identifier: '  ' }, 'installation_identifier must not be empty'],
    ['over 64 characters', { installation_identifier: 'a'.repeat(65) }, 'installation_identifier must be at most 64 characters, but got 65'],
  ])('refuses an installation_identifier that is %s with 400, adding nothing', async (_case, body, message) => {
    const before = await siteIds(tokenOf(0));
    expect(fieldErrors(await call('POST', '/users/me/addsite', { token: tokenOf(0), body }))).toEqual({ installation_identifier: message });
    expect(await siteIds(tokenOf(0))).toEqual(before);
  });

  it('refuses malformed and non-JSON bodies', async () => {
    expectError(await call('POST', '/users/me/addsite', { token: tokenOf(0), raw: '{' }), 400);
    expectError(await call('POST', '/users/me/addsite', { token: tokenOf(0), raw: `installation_identifier=${unclaimed}`, contentType: 'application/x-www-form-urlencoded' }), 415);
    expect(await siteIds(tokenOf(0))).toHaveLength(2);
  });

  it('forbids adding to another user\'s account, and leaves the installation unclaimed', async () => {
    expectError(await call('POST', `/users/${userIdFor(3)}/addsite`, { token: tokenOf(0), body: { installation_identifier: unclaimed } }), 403);
    const answer = await call('POST', '/users/me/addsite', { token: tokenOf(3), body: { installation_identifier: unclaimed } });
    expect(answer.status).toBe(200);
  });

  it('lets an admin add to any existing user, and answers 404 for an unknown user', async () => {
    const answer = await call('POST', `/users/${userIdFor(6)}/addsite`, { body: { installation_identifier: unclaimed } });
    expect(answer.status).toBe(200);
    expect(await siteIds(tokenOf(6))).toContain(unclaimedSiteIdFor(0));
    expectError(await call('POST', '/users/999999/addsite', { body: { installation_identifier: unclaimedIdentifierFor(1) } }), 404);
  });
});

/** A site's identifier, read as the admin. */
async function identifierOf(idSite: number): Promise<string> {
  const owner = Math.floor((idSite - 150_000) / 4);
  const records = arr((await call('GET', `/users/${userIdFor(owner)}/installations?idSite=${idSite}`)).body, 'records');
  return String(records[0]?.identifier);
}

describe('get-site-id', () => {
  it('finds the id of one of the user\'s own or shared installations', async () => {
    const own = await call('POST', '/users/me/get-site-id', { token: tokenOf(3), body: { installation_identifier: await identifierOf(siteIdFor(3, 2)) } });
    expect(own.body).toEqual({ success: true, records: { site_id: String(siteIdFor(3, 2)) } });
    const shared = await call('POST', `/users/${userIdFor(6)}/get-site-id`, { token: tokenOf(6), body: { installation_identifier: await identifierOf(siteIdFor(3, 0)) } });
    expect(obj(shared.body, 'records').site_id).toBe(String(siteIdFor(3, 0)));
  });

  it('answers 404 for another user\'s installation and for an unclaimed one', async () => {
    expectError(await call('POST', '/users/me/get-site-id', { token: tokenOf(0), body: { installation_identifier: await identifierOf(siteIdFor(3, 1)) } }), 404);
    expectError(await call('POST', '/users/me/get-site-id', { token: tokenOf(0), body: { installation_identifier: unclaimedIdentifierFor(2) } }), 404);
  });

  it('lets admins retrieve any installation, unclaimed ones included', async () => {
    const owned = await call('POST', `/users/${ADMIN_USER_ID}/get-site-id`, { body: { installation_identifier: await identifierOf(siteIdFor(9, 1)) } });
    expect(obj(owned.body, 'records').site_id).toBe(String(siteIdFor(9, 1)));
    for (let n = 0; n < UNCLAIMED_COUNT; n++) {
      const answer = await call('POST', '/users/me/get-site-id', { body: { installation_identifier: unclaimedIdentifierFor(n) } });
      expect(obj(answer.body, 'records').site_id).toBe(String(unclaimedSiteIdFor(n)));
    }
  });

  it('forbids a normal user asking as another user, and validates the body', async () => {
    expectError(await call('POST', `/users/${userIdFor(3)}/get-site-id`, { token: tokenOf(0), body: { installation_identifier: 'x' } }), 403);
    expect(fieldErrors(await call('POST', '/users/me/get-site-id', { token: tokenOf(0), body: {} }))).toEqual({ installation_identifier: 'installation_identifier is required' });
    expectError(await call('POST', '/users/me/get-site-id', { token: tokenOf(0), raw: 'not json' }), 400);
  });
});

describe('counters and reset', () => {
  it('counts an idUser of me and a numeric one, and the revoke-all `*`, under their route templates', async () => {
    emulator.reset();
    await call('GET', `/users/${userIdFor(0)}/installations`, { token: tokenOf(0) });
    await call('GET', '/users/me/installations', { token: tokenOf(0) });
    await call('GET', '/users/me/accesstokens/*/revoke', { token: tokenOf(6) });
    expect(emulator.counts().byRoute).toEqual({ 'GET /users/:idUser/installations': 2, 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 1 });
  });

  it('restores the seeded data on reset: tokens, revocations and added sites', async () => {
    await call('POST', '/users/me/accesstokens/create', { token: tokenOf(0), body: { name: 'temp' } });
    await call('POST', '/users/me/addsite', { token: tokenOf(0), body: { installation_identifier: unclaimedIdentifierFor(0) } });
    await call('GET', '/users/me/accesstokens/*/revoke');
    expectError(await call('GET', '/users/me'), 401, 'invalid_token');

    const reset = await fetch(`${emulator.origin()}/__emulator/reset?data=true`, { method: 'POST' });
    expect(reset.status).toBe(200);
    await reset.text();

    expect((await call('GET', '/users/me')).status).toBe(200);
    expect(await tokenIds(tokenOf(0))).toEqual([String(tokenIdFor(0, 0)), String(tokenIdFor(0, 1))]);
    expect(await siteIds(tokenOf(0))).toEqual([siteIdFor(0, 0), siteIdFor(0, 1)]);
  });

});
