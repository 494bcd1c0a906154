/**
 * The ev.energy emulator over real HTTP: every endpoint's success and documented failures, bad input,
 * pagination and filters, the seeded population's rules, and that every response matches the OpenAPI
 * document the emulator serves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEvenergyEmulator, type EvenergyEmulator } from '../../src/emulators/evenergy';
import { MAX_BODY_BYTES } from '../../src/emulators/evenergy/data';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { buildPopulation, membersOf, type DemoPerson } from '../../src/emulators/population';
import { linkTo, send, type Reply, type SendInit } from '../helpers/http';
import { list, record, str } from '../helpers/json';
import { loadOpenApi, type OpenApi } from '../helpers/openapi';

const TOKEN = DEV_TOKENS.evenergy;
const population = buildPopulation({ seed: 1, people: 60 });
const members = membersOf(population, 'evenergy');

// ---------------------------------------------------------------------------------------------------
// HTTP helpers.

let emulator: EvenergyEmulator;
let base = '';
let api: OpenApi;

/** Sends with the service token unless `token` says otherwise (null: no Authorization header). */
function call(path: string, init: SendInit & { token?: string | null } = {}, root = base): Promise<Reply> {
  const token = init.token === undefined ? TOKEN : init.token;
  return send(`${root}${path}`, { ...init, headers: { ...init.headers, ...(token === null ? {} : { authorization: `Bearer ${token}` }) } });
}

/** Asserts a problem+json answer with the given status (and title) that matches the documented schema. */
function expectProblem(reply: Reply, status: number, title?: string): Record<string, unknown> {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  const body = record(reply.body);
  expect(body.status).toBe(status);
  if (title !== undefined) expect(body.title).toBe(title);
  api.expectSchema('ValidationProblem', body);
  return body;
}

function fieldErrors(reply: Reply): Record<string, unknown> {
  return record(record(reply.body).field_errors);
}

async function allUsers(query = ''): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let next: string | undefined = `${base}/users?page_size=100${query}`;
  while (next) {
    const reply = await call('', {}, next);
    expect(reply.status).toBe(200);
    out.push(...list(reply.body).map(record));
    next = linkTo(reply.headers.get('link'), 'next');
  }
  return out;
}

/** The person's ev.energy accounts, found by the case-insensitive email filter. */
async function accountsOf(person: DemoPerson): Promise<Record<string, unknown>[]> {
  const reply = await call(`/users?email=${encodeURIComponent(person.email)}`);
  expect(reply.status).toBe(200);
  return list(reply.body).map(record);
}

async function idOf(person: DemoPerson): Promise<string> {
  const accounts = await accountsOf(person);
  expect(accounts.length).toBeGreaterThanOrEqual(1);
  return str(accounts[0]!.id);
}

function memberWhere(rule: (p: DemoPerson) => boolean): DemoPerson {
  const person = members.find(rule);
  if (!person) throw new Error('the test population has no ev.energy member matching the rule');
  return person;
}

/** Everything the API shows of one user, to prove a refused write changed nothing. */
async function snapshot(id: string): Promise<unknown[]> {
  return Promise.all([call(`/users/${id}`), call(`/users/${id}/notification_preferences`), call(`/users/${id}/payout_method`)].map(async (p) => (await p).body));
}

beforeAll(async () => {
  emulator = createEvenergyEmulator({ population });
  base = await emulator.listen(0);
  api = await loadOpenApi(emulator.origin());
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset(true);
});

// ---------------------------------------------------------------------------------------------------

describe('seeded data', () => {
  it('gives every ev.energy member one account, person 42 two, and nobody else any', async () => {
    const users = await allUsers();
    const byPerson = new Map<number, number>();
    for (const user of users) {
      const email = str(user.email).toLowerCase();
      const person = population.people.find((p) => p.email === email);
      if (!person) throw new Error(`seeded account ${str(user.id)} has an email of nobody in the population`);
      byPerson.set(person.index, (byPerson.get(person.index) ?? 0) + 1);
    }
    for (const person of population.people) {
      const expected = !person.in.evenergy ? undefined : person.index === 42 ? 2 : 1;
      expect([person.index, byPerson.get(person.index)]).toEqual([person.index, expected]);
    }
  });

  it('gives the same ids and details for the same seed, and other ids for another seed', async () => {
    const twin = createEvenergyEmulator({ population: buildPopulation({ seed: 1, people: 60 }) });
    const other = createEvenergyEmulator({ population: buildPopulation({ seed: 2, people: 60 }) });
    try {
      const twinBase = await twin.listen(0);
      const otherBase = await other.listen(0);
      const mine = await allUsers();
      const theirs = list((await call('/users?page_size=100', {}, twinBase)).body).map(record);
      const strip = (u: Record<string, unknown>): string => JSON.stringify(u).replaceAll(base, '').replaceAll(twinBase, '');
      expect(theirs.map(strip)).toEqual(mine.map(strip));
      const otherIds = list((await call('/users?page_size=100', {}, otherBase)).body).map((u) => str(record(u).id));
      expect(otherIds.filter((id) => mine.some((u) => u.id === id))).toEqual([]);
    } finally {
      await Promise.all([twin.close(), other.close()]);
    }
  });

  it('serves user ids in the documented format and URLs under its own base URL', async () => {
    for (const user of await allUsers()) {
      expect(str(user.id)).toMatch(/^user[A-Z\d]{26}$/);
      expect(user.url).toBe(`${base}/users/${str(user.id)}`);
      api.expectSchema('User', user);
    }
  });

  it('capitalises the first letter of the email for persons with index % 7 === 3', async () => {
    const person = memberWhere((p) => p.index % 7 === 3);
    const [account] = await accountsOf(person);
    expect(account?.email).toBe(person.email[0]!.toUpperCase() + person.email.slice(1));
    const plain = memberWhere((p) => p.index % 7 !== 3 && p.index !== 42);
    expect((await accountsOf(plain)).map((u) => u.email)).toEqual([plain.email]);
  });

  it('holds a second account of person 42 with the email upper-cased', async () => {
    const person = population.people[42]!;
    const accounts = await accountsOf(person);
    expect(accounts.map((u) => u.email).sort()).toEqual([person.email.toUpperCase(), person.email].sort());
    expect(new Set(accounts.map((u) => u.id)).size).toBe(2);
  });

  it('varies payout methods by index % 5: unset, PAYPAL, VENMO, BILL_CREDITS, deleted', async () => {
    const payout = async (person: DemoPerson): Promise<Record<string, unknown>> => record((await call(`/users/${await idOf(person)}/payout_method`)).body);
    const unset = await payout(memberWhere((p) => p.index % 5 === 0));
    expect([unset.receiver, unset.receiver_type, unset.receiver_wallet]).toEqual([null, null, null]);
    const paypalPerson = memberWhere((p) => p.index % 5 === 1);
    expect(await payout(paypalPerson)).toMatchObject({ receiver: paypalPerson.email, receiver_type: 'EMAIL', receiver_wallet: 'PAYPAL' });
    const venmo = await payout(memberWhere((p) => p.index % 5 === 2));
    expect(venmo).toMatchObject({ receiver_type: 'PHONE', receiver_wallet: 'VENMO' });
    expect(str(venmo.receiver)).toMatch(/^\+1555\d{7}$/);
    const billed = await payout(memberWhere((p) => p.index % 5 === 3 && p.index % 3 !== 0));
    expect(billed).toMatchObject({ receiver_type: 'ACCOUNT_NUMBER', receiver_wallet: 'BILL_CREDITS' });
    expect(str(billed.receiver)).toMatch(/^\d{10}$/);
    const unbilled = await payout(memberWhere((p) => p.index % 5 === 3 && p.index % 3 === 0));
    expect(unbilled).toMatchObject({ receiver: '', receiver_type: 'ACCOUNT_NUMBER', receiver_wallet: 'BILL_CREDITS' });
    const deletedPerson = memberWhere((p) => p.index % 5 === 4);
    const deleted = await payout(deletedPerson);
    expect([deleted.receiver, deleted.receiver_type, deleted.receiver_wallet]).toEqual([null, null, null]);
    expect(emulator.payoutRecords(await idOf(deletedPerson))).toEqual([expect.objectContaining({ receiver_wallet: 'PAYPAL', receiver: deletedPerson.email })]);
  });

  it('varies notification groups: all on for index % 6 === 0, all off for index % 6 === 5, mixed otherwise', async () => {
    const groupsOf = async (person: DemoPerson): Promise<Record<string, unknown>> => record(record((await call(`/users/${await idOf(person)}/notification_preferences`)).body).groups);
    expect(Object.values(await groupsOf(memberWhere((p) => p.index % 6 === 0)))).toEqual([true, true, true, true, true]);
    expect(Object.values(await groupsOf(memberWhere((p) => p.index % 6 === 5)))).toEqual([false, false, false, false, false]);
    const mixed = await Promise.all(members.filter((p) => p.index % 6 !== 0 && p.index % 6 !== 5).map(groupsOf));
    expect(new Set(mixed.map((g) => JSON.stringify(g))).size).toBeGreaterThan(3);
  });

  it('leaves the address of persons with index % 9 === 4 unset, with no carbon intensity', async () => {
    const user = record((await call(`/users/${await idOf(memberWhere((p) => p.index % 9 === 4))}`)).body);
    expect(record(user.default_location)).toMatchObject({ address_1: null, city: null, coordinates: null, current_carbon_intensity_grams_per_kilowatt_hour: null });
    const housed = record((await call(`/users/${await idOf(memberWhere((p) => p.index % 9 !== 4))}`)).body);
    expect(typeof record(housed.default_location).current_carbon_intensity_grams_per_kilowatt_hour).toBe('number');
  });

  it('restores the seeded data on reset with data', async () => {
    const before = await allUsers();
    const id = str(before[0]!.id);
    await call(`/users/${id}`, { method: 'PATCH', json: { email: 'changed@example.com' } });
    await call('/users', { method: 'POST', json: { email: 'new@example.com' } });
    await call(`/users/${id}/payout_method`, { method: 'DELETE' });
    expect(await allUsers()).not.toEqual(before);
    const hook = await fetch(`${emulator.origin()}/__emulator/reset?data=true`, { method: 'POST' });
    expect(hook.status).toBe(200);
    expect(await allUsers()).toEqual(before);
  });
});

describe('authentication, version and content negotiation', () => {
  it('refuses a non-Bearer scheme', async () => {
    expectProblem(await call('/users', { token: null, headers: { authorization: `Basic ${Buffer.from(`${TOKEN}:`).toString('base64')}` } }), 401);
    expectProblem(await call('/users', { token: null, headers: { authorization: `Token ${TOKEN}` } }), 401);
  });

  it('checks credentials before reading ids or bodies', async () => {
    expectProblem(await call('/users/user00000000000000000000000000', { token: null }), 401);
    expectProblem(await call('/users', { method: 'POST', raw: '{bad', contentType: 'application/json', token: null }), 401);
  });

  it('echoes EvEnergy-Version 2 on every answer, asked for or not, errors included', async () => {
    expect((await call('/users?page_size=1')).headers.get('evenergy-version')).toBe('2');
    expect((await call('/users?page_size=1', { headers: { 'EvEnergy-Version': '2' } })).headers.get('evenergy-version')).toBe('2');
    expect((await call('/users', { token: null })).headers.get('evenergy-version')).toBe('2');
    expect((await call('/nowhere')).headers.get('evenergy-version')).toBe('2');
  });

  it('answers another EvEnergy-Version with the documented 400 problem', async () => {
    const body = expectProblem(await call('/users', { headers: { 'EvEnergy-Version': '3.0' } }), 400, 'Unsupported version');
    expect(body.detail).toBe('Unsupported version requested: 3.0');
  });

  it('sends the documented rate-limit headers', async () => {
    const reply = await call('/users?page_size=1');
    expect([reply.headers.get('x-ratelimit-limit'), reply.headers.get('x-ratelimit-remaining'), reply.headers.get('retryafter')]).toEqual(['1000', '999', '3600']);
  });

  it('answers 406 when the Accept header allows no JSON, and serves JSON for a compatible one', async () => {
    expectProblem(await call('/users', { headers: { accept: 'text/html' } }), 406, 'Not Acceptable');
    expectProblem(await call('/users', { headers: { accept: 'application/json;q=0, text/html' } }), 406);
    expect((await call('/users?page_size=1', { headers: { accept: 'text/html, application/json;q=0.9' } })).status).toBe(200);
    expect((await call('/users?page_size=1', { headers: { accept: '*/*' } })).status).toBe(200);
  });

});

describe('acting as a user with EvEnergy-User', () => {
  it.each([
    ['its id', (id: string) => id],
    ['its URL at the emulator', (id: string) => `${base}/users/${id}`],
    ['its production URL with a trailing slash', (id: string) => `https://api.ev.energy/v2/users/${id}/`],
  ])('lists only that user and resolves me to it, named by %s', async (_case, headerFor) => {
    const person = members[3]!;
    const id = await idOf(person);
    const header = headerFor(id);
    const listed = await call('/users', { headers: { 'EvEnergy-User': header } });
    expect(list(listed.body).map((u) => record(u).id)).toEqual([id]);
    expect(listed.headers.get('link')).toBeNull();
    expect(record((await call('/users/me', { headers: { 'EvEnergy-User': header } })).body).id).toBe(id);
  });

  it('hides other users behind 404 while acting as one', async () => {
    const [a, b] = [await idOf(members[0]!), await idOf(members[1]!)];
    expectProblem(await call(`/users/${b}`, { headers: { 'EvEnergy-User': a } }), 404);
    expectProblem(await call(`/users/${b}/payout_method`, { method: 'DELETE', headers: { 'EvEnergy-User': a } }), 404);
    expect((await call(`/users/${a}/notification_preferences`, { headers: { 'EvEnergy-User': a } })).status).toBe(200);
  });

  it('answers 403 for a user the token cannot act as, and for creating users while acting as one', async () => {
    expectProblem(await call('/users', { headers: { 'EvEnergy-User': 'user00000000000000000000000000' } }), 403, 'Forbidden');
    expectProblem(await call('/users', { headers: { 'EvEnergy-User': 'somebody' } }), 403);
    const id = await idOf(members[0]!);
    const count = (await allUsers()).length;
    expectProblem(await call('/users', { method: 'POST', json: { email: 'acting@example.com' }, headers: { 'EvEnergy-User': id } }), 403);
    expect((await allUsers()).length).toBe(count);
  });

  it('finds no user behind me without EvEnergy-User', async () => {
    expectProblem(await call('/users/me'), 404);
  });
});

describe('GET /users: pagination', () => {
  it('answers a bare array of 25 users with only a next link on the first page', async () => {
    const reply = await call('/users');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    const users = list(reply.body);
    expect(users).toHaveLength(25);
    users.forEach((u) => api.expectSchema('User', u));
    const last = str(record(users[24]).id);
    expect(reply.headers.get('link')).toBe(`<${base}/users?page_size=25&page_after=${last}>; rel="next"`);
  });

  it('walks every user exactly once in ascending id order through next links, and back through previous links', async () => {
    const everyone = (await allUsers()).map((u) => str(u.id));
    expect(everyone).toEqual([...everyone].sort());
    expect(new Set(everyone).size).toBe(everyone.length);

    const forward: string[] = [];
    const pages: string[] = [];
    let next: string | undefined = `${base}/users?page_size=7`;
    let lastLink = '';
    while (next) {
      pages.push(next);
      const reply = await call('', {}, next);
      forward.push(...list(reply.body).map((u) => str(record(u).id)));
      lastLink = reply.headers.get('link') ?? '';
      next = /<([^>]*)>; rel="next"/.exec(lastLink)?.[1];
    }
    expect(forward).toEqual(everyone);
    expect(pages.length).toBe(Math.ceil(everyone.length / 7));

    const backward: string[][] = [];
    let previous = /<([^>]*)>; rel="previous"/.exec(lastLink)?.[1];
    while (previous) {
      const reply = await call('', {}, previous);
      const ids = list(reply.body).map((u) => str(record(u).id));
      expect(ids).toHaveLength(7);
      backward.unshift(ids);
      expect(reply.headers.get('link')).toContain('rel="next"');
      previous = /<([^>]*)>; rel="previous"/.exec(reply.headers.get('link') ?? '')?.[1];
    }
    expect(backward.flat()).toEqual(everyone.slice(0, everyone.length - (everyone.length % 7 || 7)));
  });

  it('answers page_before with the items just before that id, linking both ways', async () => {
    const everyone = (await allUsers()).map((u) => str(u.id));
    const reply = await call(`/users?page_size=3&page_before=${everyone[10]}`);
    expect(list(reply.body).map((u) => record(u).id)).toEqual(everyone.slice(7, 10));
    expect(reply.headers.get('link')).toBe(
      `<${base}/users?page_size=3&page_before=${everyone[7]}>; rel="previous", <${base}/users?page_size=3&page_after=${everyone[9]}>; rel="next"`,
    );
  });

  it('treats cursors as positions, so an id that does not exist still pages', async () => {
    const everyone = (await allUsers()).map((u) => str(u.id));
    const reply = await call('/users?page_size=2&page_after=user00000000000000000000000000');
    expect(list(reply.body).map((u) => record(u).id)).toEqual(everyone.slice(0, 2));
    const past = await call('/users?page_after=userZZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(past.body).toEqual([]);
    // An empty page has no item to put in a cursor, so it links nowhere.
    expect(past.headers.get('link')).toBeNull();
  });

  it('accepts page sizes 1 and 100', async () => {
    expect(list((await call('/users?page_size=1')).body)).toHaveLength(1);
    expect(list((await call('/users?page_size=100')).body).length).toBe((await allUsers()).length);
  });

  it.each(['0', '101', 'abc', '1.5', '-1', ''])('refuses page_size=%s with the documented pagination problem', async (size) => {
    const body = expectProblem(await call(`/users?page_size=${size}`), 400, 'Invalid pagination parameter');
    expect(body).toMatchObject({ type: 'https://api.ev.energy/v2/problems/pagination-parameters/', detail: 'Invalid value for pagination parameter: page_size' });
  });

  it('refuses malformed cursors and both cursors at once', async () => {
    expect(expectProblem(await call('/users?page_after=42'), 400).detail).toBe('Invalid value for pagination parameter: page_after');
    expect(expectProblem(await call('/users?page_before=user01abc'), 400).detail).toBe('Invalid value for pagination parameter: page_before');
    const id = await idOf(members[0]!);
    expectProblem(await call(`/users?page_after=${id}&page_before=${id}`), 400, 'Invalid pagination parameter');
  });
});

describe('GET /users: email filter', () => {
  it('matches case-insensitively and exactly, never by substring', async () => {
    const person = memberWhere((p) => p.index % 7 === 3);
    expect((await call(`/users?email=${encodeURIComponent(person.email.toUpperCase())}`)).body).toHaveLength(1);
    expect((await call(`/users?email=${encodeURIComponent(person.email.slice(1))}`)).body).toEqual([]);
    const prefixed = population.people.find((p) => p.email.startsWith('re.') && p.in.evenergy && population.people[p.index - 1]!.in.evenergy);
    if (prefixed) {
      const original = population.people[prefixed.index - 1]!;
      expect((await accountsOf(original)).map((u) => str(u.email).toLowerCase())).toEqual([original.email]);
    }
  });

  it('answers an empty array without a Link header when nobody matches', async () => {
    const reply = await call('/users?email=nobody%40example.com');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([]);
    expect(reply.headers.get('link')).toBeNull();
  });

  it('keeps the email filter in the Link header while paging through matches', async () => {
    const email = population.people[42]!.email;
    const first = await call(`/users?page_size=1&email=${encodeURIComponent(email)}`);
    expect(first.body).toHaveLength(1);
    const next = /<([^>]*)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toContain(`email=${encodeURIComponent(email)}`);
    const second = await call('', {}, str(next));
    expect(second.body).toHaveLength(1);
    expect(record(list(second.body)[0]).id).not.toBe(record(list(first.body)[0]).id);
    expect(second.headers.get('link')).toContain('rel="previous"');
    expect(second.headers.get('link')).not.toContain('rel="next"');
  });

  it('treats an empty email parameter as no filter', async () => {
    expect(list((await call('/users?email=')).body)).toHaveLength(25);
  });
});

describe('POST /users', () => {
  it('creates a user with email and address, answering 201 with the detail variant', async () => {
    const location = { address_1: '5 Rose Lane', postal_code: 'E1 6AN', city: 'London', country_code: 'GB', coordinates: { latitude: 51.52, longitude: -0.07 } };
    const reply = await call('/users', { method: 'POST', json: { email: 'new.person@example.com', default_location: location } });
    expect(reply.status).toBe(201);
    const user = record(reply.body);
    api.expectSchema('UserDetail', user);
    expect(user).toMatchObject({ email: 'new.person@example.com', full_name: '', terms_consent_datetime: null, vehicles: [], evses: [] });
    expect(record(user.default_location)).toMatchObject({ ...location, address_2: null, state: null, tariff: null });
    expect(typeof record(user.default_location).current_carbon_intensity_grams_per_kilowatt_hour).toBe('number');
    expect(record((await call(`/users/${str(user.id)}`)).body)).toEqual(user);
  });

  it('gives new users fresh ids in the documented format that list after every seeded user', async () => {
    const seeded = (await allUsers()).map((u) => str(u.id));
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push(str(record((await call('/users', { method: 'POST', json: { email: `n${i}@example.com` } })).body).id));
    for (const id of created) expect(id).toMatch(/^user[A-Z\d]{26}$/);
    expect(new Set([...seeded, ...created]).size).toBe(seeded.length + 5);
    expect((await allUsers()).map((u) => u.id)).toEqual([...seeded, ...created]);
  });

  it('creates a user without an email (email null) from an empty body', async () => {
    const reply = await call('/users', { method: 'POST' });
    expect(reply.status).toBe(201);
    expect(record(reply.body).email).toBeNull();
  });

  it('accepts a form-encoded body', async () => {
    const reply = await call('/users', { method: 'POST', raw: new URLSearchParams({ email: 'form@example.com' }), contentType: 'application/x-www-form-urlencoded' });
    expect(reply.status).toBe(201);
    expect(record(reply.body).email).toBe('form@example.com');
  });

  it('ignores read-only and unknown keys', async () => {
    const reply = await call('/users', { method: 'POST', json: { email: 'ro@example.com', id: 'user00000000000000000000000000', full_name: 'Mallory', joined_at: '2000-01-01T00:00:00Z', whatever: 1 } });
    expect(reply.status).toBe(201);
    expect(record(reply.body)).toMatchObject({ full_name: '' });
    expect(record(reply.body).id).not.toBe('user00000000000000000000000000');
  });

  it('refuses an email already held exactly, but allows one differing in case (as person 42 shows)', async () => {
    const person = memberWhere((p) => p.index % 7 !== 3 && p.index !== 42);
    const taken = await call('/users', { method: 'POST', json: { email: person.email } });
    expect(fieldErrors(taken)).toEqual({ email: ['user with this email already exists.'] });
    expect(expectProblem(taken, 400, 'Request failed validation.').type).toBe('https://api.ev.energy/v2/problems/validation-failed-create-user/');
    expect((await call('/users', { method: 'POST', json: { email: person.email.toUpperCase() } })).status).toBe(201);
  });

  it.each([
    [{ email: 'not-an-email' }, { email: ['Enter a valid email address.'] }],
    [{ email: 42 }, { email: ['Not a valid string.'] }],
    [{ email: null }, { email: ['This field may not be null.'] }],
    [{ email: '   ' }, { email: ['This field may not be blank.'] }],
    [{ email: `${'a'.repeat(250)}@example.com` }, { email: ['Ensure this field has no more than 254 characters.'] }],
    [{ default_location: 'London' }, { default_location: ['Expected a dictionary of items but got type "str".'] }],
    [{ default_location: null }, { default_location: ['This field may not be null.'] }],
    [
      { default_location: { city: 'London' } },
      {
        'default_location.address_1': ['This field is required when an address is given.'],
        'default_location.postal_code': ['This field is required when an address is given.'],
        'default_location.country_code': ['This field is required when an address is given.'],
      },
    ],
    [{ default_location: { coordinates: { latitude: 91, longitude: 0 } } }, { 'default_location.coordinates.latitude': ['Ensure this value is between -90 and 90.'] }],
    [{ default_location: { coordinates: { latitude: 1 } } }, { 'default_location.coordinates.longitude': ['This field is required.'] }],
    [{ default_location: { country_code: 'gb' } }, { 'default_location.country_code': ['"gb" is not a valid choice.'] }],
    [{ default_location: { address_1: 7 } }, { 'default_location.address_1': ['Not a valid string.'] }],
  ])('refuses %j with field_errors %j and creates nothing', async (body, errors) => {
    const count = (await allUsers()).length;
    const reply = await call('/users', { method: 'POST', json: body });
    expectProblem(reply, 400, 'Request failed validation.');
    expect(fieldErrors(reply)).toEqual(errors);
    expect(record(reply.body).detail).toBe(`Error on fields: ${Object.keys(errors).join(', ')}`);
    expect((await allUsers()).length).toBe(count);
  });

  it('refuses a nested address in a form-encoded body', async () => {
    const reply = await call('/users', { method: 'POST', raw: 'email=f%40example.com&default_location=London', contentType: 'application/x-www-form-urlencoded' });
    expect(fieldErrors(reply)).toEqual({ default_location: ['Expected a dictionary of items but got type "str".'] });
  });

  it('answers malformed JSON, a non-object body, a wrong content type and an oversized body with problems, creating nothing', async () => {
    const count = (await allUsers()).length;
    expectProblem(await call('/users', { method: 'POST', raw: '{"email": ', contentType: 'application/json' }), 400, 'Malformed request.');
    const array = await call('/users', { method: 'POST', raw: '[{"email":"a@example.com"}]', contentType: 'application/json' });
    expectProblem(array, 400);
    expect(Object.keys(fieldErrors(array))).toEqual(['non_field_errors']);
    expectProblem(await call('/users', { method: 'POST', raw: '"text"', contentType: 'application/json' }), 400);
    expectProblem(await call('/users', { method: 'POST', raw: 'email=a@example.com', contentType: 'text/plain' }), 415, 'Unsupported Media Type');
    const form = new FormData();
    form.set('email', 'multi@example.com');
    expectProblem(await call('/users', { method: 'POST', raw: form }), 415);
    const huge = JSON.stringify({ email: 'big@example.com', padding: 'x'.repeat(MAX_BODY_BYTES) });
    expectProblem(await call('/users', { method: 'POST', raw: huge, contentType: 'application/json' }), 413, 'Request Entity Too Large');
    expect((await allUsers()).length).toBe(count);
  });
});

describe('GET and PATCH /users/:user_id', () => {
  it('answers the detail variant for a known id', async () => {
    const person = members[0]!;
    const id = await idOf(person);
    const reply = await call(`/users/${id}`);
    expect(reply.status).toBe(200);
    api.expectSchema('UserDetail', reply.body);
    expect(record(reply.body)).toMatchObject({ id, email: person.email, full_name: `${person.firstName} ${person.lastName}` });
  });

  it.each(['user00000000000000000000000000', 'user01abc', 'USER01HN2NJ9NMRZBXT1H6FT9N7735', 'tari01HN2NV5DY9C262PQKG75GHN8K'])('answers 404 for %s', async (id) => {
    expectProblem(await call(`/users/${id}`), 404, 'Not found');
    expectProblem(await call(`/users/${id}`, { method: 'PATCH', json: { email: 'x@example.com' } }), 404);
  });

  it('changes only the email when only the email is sent', async () => {
    const id = await idOf(members[0]!);
    const before = record((await call(`/users/${id}`)).body);
    const reply = await call(`/users/${id}`, { method: 'PATCH', json: { email: 'renamed@example.com' } });
    expect(reply.status).toBe(200);
    api.expectSchema('UserDetail', reply.body);
    expect(record(reply.body)).toEqual({ ...before, email: 'renamed@example.com' });
    expect(list((await call('/users?email=RENAMED%40example.com')).body).map((u) => record(u).id)).toEqual([id]);
  });

  it('merges a partial default_location onto the stored one', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const before = record(record((await call(`/users/${id}`)).body).default_location);
    const reply = await call(`/users/${id}`, { method: 'PATCH', json: { default_location: { address_2: 'Flat 9' } } });
    expect(record(record(reply.body).default_location)).toEqual({ ...before, address_2: 'Flat 9' });
  });

  it('clears an address when every part is sent as null', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const nulls = { address_1: null, address_2: null, postal_code: null, city: null, state: null, country_code: null, coordinates: null };
    const reply = await call(`/users/${id}`, { method: 'PATCH', json: { default_location: nulls } });
    expect(reply.status).toBe(200);
    expect(record(record(reply.body).default_location)).toMatchObject({ ...nulls, current_carbon_intensity_grams_per_kilowatt_hour: null });
  });

  it('refuses clearing only part of an address and keeps the user unchanged', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const before = await snapshot(id);
    const reply = await call(`/users/${id}`, { method: 'PATCH', json: { email: 'partial@example.com', default_location: { city: null } } });
    expect(expectProblem(reply, 400, 'Request failed validation.').type).toBe('https://api.ev.energy/v2/problems/validation-failed-update-user/');
    expect(fieldErrors(reply)).toEqual({ 'default_location.city': ['This field is required when an address is given.'] });
    expect(await snapshot(id)).toEqual(before);
  });

  it('treats an empty body and {} as no-ops', async () => {
    const id = await idOf(members[1]!);
    const before = record((await call(`/users/${id}`)).body);
    expect(record((await call(`/users/${id}`, { method: 'PATCH', json: {} })).body)).toEqual(before);
    expect(record((await call(`/users/${id}`, { method: 'PATCH' })).body)).toEqual(before);
  });

  it("refuses another account's exact email but not the user's own", async () => {
    const [a, b] = [members[0]!, members[1]!];
    const id = await idOf(a);
    expect(fieldErrors(await call(`/users/${id}`, { method: 'PATCH', json: { email: b.email } }))).toEqual({ email: ['user with this email already exists.'] });
    expect((await call(`/users/${id}`, { method: 'PATCH', json: { email: a.email } })).status).toBe(200);
  });

  it('refuses bad input without changing anything', async () => {
    const id = await idOf(members[2]!);
    const before = await snapshot(id);
    expect(fieldErrors(await call(`/users/${id}`, { method: 'PATCH', json: { email: null } }))).toEqual({ email: ['This field may not be null.'] });
    expectProblem(await call(`/users/${id}`, { method: 'PATCH', raw: '{', contentType: 'application/json' }), 400);
    expectProblem(await call(`/users/${id}`, { method: 'PATCH', raw: '[]', contentType: 'application/json' }), 400);
    expectProblem(await call(`/users/${id}`, { method: 'PATCH', raw: '<x/>', contentType: 'application/xml' }), 415);
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('notification preferences', () => {
  it('answers every documented group for a user', async () => {
    const id = await idOf(members[0]!);
    const reply = await call(`/users/${id}/notification_preferences`);
    expect(reply.status).toBe(200);
    api.expectSchema('UserNotificationPreferences', reply.body);
    expect(record(reply.body).url).toBe(`${base}/users/${id}/notification_preferences`);
    expect(Object.keys(record(record(reply.body).groups))).toEqual(['charging_flow', 'charging_issues', 'charging_optimisation', 'deals_and_offers', 'power_supply_notifications']);
  });

  it('changes only the groups sent', async () => {
    const id = await idOf(memberWhere((p) => p.index % 6 === 0));
    const reply = await call(`/users/${id}/notification_preferences`, { method: 'PATCH', json: { groups: { deals_and_offers: false, charging_flow: false } } });
    expect(reply.status).toBe(200);
    expect(record(reply.body).groups).toEqual({ charging_flow: false, charging_issues: true, charging_optimisation: true, deals_and_offers: false, power_supply_notifications: true });
    expect((await call(`/users/${id}/notification_preferences`)).body).toEqual(reply.body);
  });

  it.each([
    ['{}', { json: {} }],
    ['{"groups": {}}', { json: { groups: {} } }],
    ['an empty body', {}],
  ])('treats %s as a no-op', async (_case, init) => {
    const id = await idOf(members[4]!);
    const before = (await call(`/users/${id}/notification_preferences`)).body;
    const reply = await call(`/users/${id}/notification_preferences`, { method: 'PATCH', ...init });
    expect([reply.status, reply.body]).toEqual([200, before]);
  });

  it('refuses an unknown group with the documented problem and applies none of the body', async () => {
    const id = await idOf(memberWhere((p) => p.index % 6 === 0));
    const before = await snapshot(id);
    const reply = await call(`/users/${id}/notification_preferences`, { method: 'PATCH', json: { groups: { charging_flow: false, charging_flower: true } } });
    const body = expectProblem(reply, 400, 'Request failed validation.');
    expect(body).toMatchObject({
      type: 'https://api.ev.energy/v2/problems/validation-failed-update-notification-preferences/',
      detail: 'Error on fields: groups',
      field_errors: { groups: ["Unknown notification group: 'charging_flower'."] },
    });
    expect(await snapshot(id)).toEqual(before);
  });

  it.each([
    [{ groups: { charging_flow: 'yes' } }, ["Must be a valid boolean: 'charging_flow'."]],
    [{ groups: { charging_flow: null } }, ["Must be a valid boolean: 'charging_flow'."]],
    [{ groups: ['charging_flow'] }, ['Expected a dictionary of items but got type "list".']],
    [{ groups: null }, ['This field may not be null.']],
    [{ groups: true }, ['Expected a dictionary of items but got type "bool".']],
  ])('refuses %j', async (json, messages) => {
    const id = await idOf(members[0]!);
    const before = await snapshot(id);
    const reply = await call(`/users/${id}/notification_preferences`, { method: 'PATCH', json });
    expectProblem(reply, 400);
    expect(fieldErrors(reply)).toEqual({ groups: messages });
    expect(await snapshot(id)).toEqual(before);
  });

  it('answers malformed bodies, form bodies and unknown users with problems', async () => {
    const id = await idOf(members[0]!);
    expectProblem(await call(`/users/${id}/notification_preferences`, { method: 'PATCH', raw: '{"groups":', contentType: 'application/json' }), 400);
    expectProblem(await call(`/users/${id}/notification_preferences`, { method: 'PATCH', raw: 'groups=1', contentType: 'application/x-www-form-urlencoded' }), 415);
    expectProblem(await call('/users/user00000000000000000000000000/notification_preferences'), 404);
    expectProblem(await call('/users/user00000000000000000000000000/notification_preferences', { method: 'PATCH', json: {} }), 404);
  });
});

describe('payout method', () => {
  it('answers all-null fields (not 404) for a user without one', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 0));
    const reply = await call(`/users/${id}/payout_method`);
    expect(reply.status).toBe(200);
    api.expectSchema('PayoutMethod', reply.body);
    expect(reply.body).toEqual({ url: `${base}/users/${id}/payout_method`, receiver: null, receiver_type: null, receiver_wallet: null });
  });

  it('sets PAYPAL with an email, VENMO with a phone, and BILL_CREDITS from the linked billing account', async () => {
    const billed = memberWhere((p) => p.index % 5 === 0 && p.index % 3 !== 0);
    const id = await idOf(billed);
    const paypal = await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'PAYPAL', receiver: 'pay@example.com' } });
    expect(paypal.status).toBe(200);
    api.expectSchema('PayoutMethod', paypal.body);
    expect(paypal.body).toMatchObject({ receiver: 'pay@example.com', receiver_type: 'EMAIL', receiver_wallet: 'PAYPAL' });
    const venmo = await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'VENMO', receiver: '+15555550123' } });
    expect(venmo.body).toMatchObject({ receiver: '+15555550123', receiver_type: 'PHONE', receiver_wallet: 'VENMO' });
    const bill = await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'BILL_CREDITS' } });
    expect(bill.body).toMatchObject({ receiver_type: 'ACCOUNT_NUMBER', receiver_wallet: 'BILL_CREDITS' });
    expect(str(record(bill.body).receiver)).toMatch(/^\d{10}$/);
    expect((await call(`/users/${id}/payout_method`)).body).toEqual(bill.body);
  });

  it('uses an empty receiver for BILL_CREDITS when no billing account is linked', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 0 && p.index % 3 === 0));
    const reply = await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'BILL_CREDITS' } });
    expect(reply.body).toMatchObject({ receiver: '', receiver_type: 'ACCOUNT_NUMBER', receiver_wallet: 'BILL_CREDITS' });
  });

  it.each([
    [{ receiver_wallet: 'PAYPAL' }, { receiver: ['Required when receiver_wallet is PAYPAL.'] }],
    [{ receiver_wallet: 'PAYPAL', receiver: null }, { receiver: ['Required when receiver_wallet is PAYPAL.'] }],
    [{ receiver_wallet: 'VENMO' }, { receiver: ['Required when receiver_wallet is VENMO.'] }],
    [{ receiver_wallet: 'BILL_CREDITS', receiver: '123' }, { receiver: ['Must not be supplied when receiver_wallet is BILL_CREDITS.'] }],
    [{ receiver_wallet: 'BILL_CREDITS', receiver: null }, { receiver: ['Must not be supplied when receiver_wallet is BILL_CREDITS.'] }],
    [{ receiver_wallet: 'PAYPAL', receiver: '+15555550123' }, { receiver: ['Enter a valid email address (required when receiver_wallet is PAYPAL).'] }],
    [{ receiver_wallet: 'VENMO', receiver: 'pay@example.com' }, { receiver: ['Enter a valid phone number (required when receiver_wallet is VENMO).'] }],
    [{ receiver_wallet: 'VENMO', receiver: 15555550123 }, { receiver: ['Not a valid string.'] }],
    [{ receiver_wallet: 'PAYPAL', receiver: `${'a'.repeat(250)}@x.io` }, { receiver: ['Ensure this field has no more than 254 characters.'] }],
    [{ receiver: 'pay@example.com' }, { receiver_wallet: ['This field is required.'] }],
    [{ receiver_wallet: null }, { receiver_wallet: ['This field may not be null.'] }],
    [{ receiver_wallet: 'BITCOIN', receiver: 'x' }, { receiver_wallet: ['"BITCOIN" is not a valid choice. Expected one of PAYPAL, VENMO, BILL_CREDITS.'] }],
    [{ receiver_wallet: 'paypal', receiver: 'pay@example.com' }, { receiver_wallet: ['"paypal" is not a valid choice. Expected one of PAYPAL, VENMO, BILL_CREDITS.'] }],
  ])('refuses %j with the documented problem and keeps the stored method', async (json, errors) => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 2));
    const before = await snapshot(id);
    const records = emulator.payoutRecords(id);
    const reply = await call(`/users/${id}/payout_method`, { method: 'PATCH', json });
    const body = expectProblem(reply, 400, 'Request failed validation.');
    expect(body.type).toBe('https://api.ev.energy/v2/problems/validation-failed-update-payout-method/');
    expect(fieldErrors(reply)).toEqual(errors);
    expect(body.detail).toBe(`Error on fields: ${Object.keys(errors).join(', ')}`);
    expect(await snapshot(id)).toEqual(before);
    expect(emulator.payoutRecords(id)).toEqual(records);
  });

  it('refuses an empty body as missing receiver_wallet, and malformed or non-JSON bodies', async () => {
    const id = await idOf(members[0]!);
    expect(fieldErrors(await call(`/users/${id}/payout_method`, { method: 'PATCH' }))).toEqual({ receiver_wallet: ['This field is required.'] });
    expectProblem(await call(`/users/${id}/payout_method`, { method: 'PATCH', raw: '{"receiver_wallet"', contentType: 'application/json' }), 400);
    expectProblem(await call(`/users/${id}/payout_method`, { method: 'PATCH', raw: 'receiver_wallet=PAYPAL', contentType: 'application/x-www-form-urlencoded' }), 415);
  });

  it('deletes with 204 and no body, then answers all-null, keeping the stored record', async () => {
    const person = memberWhere((p) => p.index % 5 === 1);
    const id = await idOf(person);
    const reply = await call(`/users/${id}/payout_method`, { method: 'DELETE' });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(reply.headers.get('evenergy-version')).toBe('2');
    expect(record((await call(`/users/${id}/payout_method`)).body)).toMatchObject({ receiver: null, receiver_type: null, receiver_wallet: null });
    expect(emulator.payoutRecords(id)).toEqual([expect.objectContaining({ receiver_wallet: 'PAYPAL', receiver: person.email })]);
  });

  it('answers 204 for a delete when nothing is set', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 0));
    expect((await call(`/users/${id}/payout_method`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/users/${id}/payout_method`, { method: 'DELETE' })).status).toBe(204);
    expect(emulator.payoutRecords(id)).toEqual([]);
  });

  it('links a kept record again when the same method is set after a delete', async () => {
    const person = memberWhere((p) => p.index % 5 === 4);
    const id = await idOf(person);
    const reply = await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'PAYPAL', receiver: person.email } });
    expect(reply.body).toMatchObject({ receiver: person.email, receiver_wallet: 'PAYPAL' });
    expect(emulator.payoutRecords(id)).toHaveLength(1);
    await call(`/users/${id}/payout_method`, { method: 'PATCH', json: { receiver_wallet: 'VENMO', receiver: '+15555550100' } });
    expect(emulator.payoutRecords(id)).toHaveLength(2);
  });

  it('answers 404 for every payout operation on an unknown user', async () => {
    const path = '/users/user00000000000000000000000000/payout_method';
    expectProblem(await call(path), 404);
    expectProblem(await call(path, { method: 'PATCH', json: { receiver_wallet: 'BILL_CREDITS' } }), 404);
    expectProblem(await call(path, { method: 'DELETE' }), 404);
    expect(emulator.payoutRecords('user00000000000000000000000000')).toBeUndefined();
  });
});

describe('README', () => {
  it('lists the ids, emails and payout wallets the default population really has', async () => {
    const readme = readFileSync(path.join(__dirname, '../../src/emulators/evenergy/README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\d+) \| `(user[A-Z\d]{26})` \| `([^`]+)` \| (PAYPAL|VENMO|BILL_CREDITS|unset)/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const defaults = buildPopulation();
    const documented = createEvenergyEmulator({ population: defaults });
    try {
      const root = await documented.listen(0);
      for (const [, index, id, email, wallet] of rows) {
        const person = defaults.people[Number(index)]!;
        const accounts = list((await call(`/users?email=${encodeURIComponent(person.email)}`, {}, root)).body).map(record);
        expect(accounts.map((u) => [u.id, u.email])).toContainEqual([id, email]);
        const payout = record((await call(`/users/${str(id)}/payout_method`, {}, root)).body);
        expect([id, payout.receiver_wallet ?? 'unset']).toEqual([id, wallet]);
      }
    } finally {
      await documented.close();
    }
  });
});
