/**
 * The ev.energy connector against the ev.energy emulator over real HTTP, through the real upstream
 * client: every endpoint round-trips into domain types, each function makes exactly the request it
 * should (emulator counters), write bodies carry only the keys given, and documented failures become
 * the right GatewayError codes.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { createEvenergyEmulator, type EvenergyEmulator } from '../../src/emulators/evenergy';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { buildPopulation, membersOf, type DemoPerson } from '../../src/emulators/population';
import { ErrorCode, GatewayError } from '../../src/errors';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createMemoryCooldowns } from '../../src/upstreams/cooldown';
import { createEvenergyConnector, describeEvenergyError, type EvenergyConnector } from '../../src/upstreams/evenergy/connector';
import type { CallEvent, UpstreamClient } from '../../src/upstreams/types';

const TOKEN = DEV_TOKENS.evenergy;
const population = buildPopulation({ seed: 1, people: 60 });
const members = membersOf(population, 'evenergy');

let emulator: EvenergyEmulator;
let client: UpstreamClient;
let connector: EvenergyConnector;

/** What reached the emulator's server, read from its own `request` events (nothing is mocked). */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let received: Received[] = [];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`expected a JSON object, but got: ${JSON.stringify(value)}`);
  return value;
}

/** The JSON bodies of the writes the emulator received, in order. */
function writeBodies(): unknown[] {
  return received.filter((r) => r.method !== 'GET').map((r) => (r.body === '' ? undefined : JSON.parse(r.body)));
}

/** Asserts the emulator saw exactly these calls (by method and route template) since the last reset. */
function expectCalls(byRoute: Record<string, number>): void {
  expect(emulator.counts().byRoute).toEqual(byRoute);
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a GatewayError, but it succeeded');
}

/** The raw wire JSON of a path, read straight from the emulator, to compare mappings against. */
async function wire(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${emulator.url()}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return record(await res.json());
}

async function idOf(person: DemoPerson): Promise<string> {
  const [user] = await connector.findUsersByEmail(person.email);
  if (!user) throw new Error(`person ${person.index} has no ev.energy account`);
  return user.id;
}

function memberWhere(rule: (p: DemoPerson) => boolean): DemoPerson {
  const person = members.find(rule);
  if (!person) throw new Error('the test population has no ev.energy member matching the rule');
  return person;
}

/** Runs `fn` against a throwaway real HTTP server standing in for a misbehaving upstream or a proxy. */
async function withServer(handler: http.RequestListener, fn: (baseUrl: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected the server to listen on a TCP port');
  try {
    await fn(`http://127.0.0.1:${address.port}/v2`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Resets counters and the request log after the test's own setup calls. */
function startCounting(): void {
  emulator.reset();
  received = [];
}

/** Each test runs an hour after the one before on the cooldowns' clock: a 429's cooldown does not reach into the next test. */
let later = 0;
const cooldowns = createMemoryCooldowns(() => Date.now() + later);

beforeAll(async () => {
  emulator = createEvenergyEmulator({ population });
  await emulator.listen(0);
  emulator.server.on('request', (req) => {
    // Listens alongside the emulator's own body reader: both see every chunk.
    const entry: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    received.push(entry);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      entry.body = Buffer.concat(chunks).toString('utf8');
    });
  });
  client = createUpstreamClient({ upstream: 'evenergy', baseUrl: emulator.url(), describeError: describeEvenergyError, maxRetries: 0, cooldowns });
  connector = createEvenergyConnector({ client, token: TOKEN });
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

beforeEach(() => {
  emulator.reset(true);
  received = [];
  later += 3_600_000;
});

describe('request format', () => {
  it('sends the bearer token and pins EvEnergy-Version 2 on every request', async () => {
    const id = await idOf(members[0]!);
    await connector.getUser(id);
    await connector.deletePayoutMethod(id);
    expect(received.length).toBe(3);
    for (const r of received) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers['evenergy-version']).toBe('2');
    }
  });

  it('passes call options through to the client', async () => {
    const id = await idOf(members[0]!);
    const events: CallEvent[] = [];
    await connector.getUser(id, { requestId: 'req-evenergy-1', onCall: (e) => events.push(e) });
    expect(events).toEqual([expect.objectContaining({ upstream: 'evenergy', method: 'GET', route: '/users/:user_id', status: 200 })]);
    expect(received[received.length - 1]?.headers['x-request-id']).toBe('req-evenergy-1');
  });
});

describe('listing and finding users', () => {
  it('reads one page with the cursors of its neighbours', async () => {
    startCounting();
    const first = await connector.listUsers();
    expectCalls({ 'GET /users': 1 });
    expect(first.users).toHaveLength(25);
    expect(first.previousCursor).toBeNull();
    expect(first.nextCursor).toBe(first.users[24]!.id);

    const second = await connector.listUsers({ pageSize: 5, pageAfter: first.nextCursor! });
    expect(second.users).toHaveLength(5);
    expect(second.previousCursor).toBe(second.users[0]!.id);
    expect(second.users[0]!.id > first.users[24]!.id).toBe(true);

    const back = await connector.listUsers({ pageSize: 5, pageBefore: second.previousCursor! });
    expect(back.users.map((u) => u.id)).toEqual(first.users.slice(20).map((u) => u.id));
    expect(received.map((r) => r.url)).toEqual([
      '/v2/users',
      `/v2/users?page_after=${first.nextCursor}&page_size=5`,
      `/v2/users?page_before=${second.previousCursor}&page_size=5`,
    ]);
  });

  it('walks every page with allUsers, one call per page', async () => {
    const everyone: string[] = [];
    startCounting();
    for await (const user of connector.allUsers({ pageSize: 7 })) everyone.push(user.id);
    const total = members.length + 1; // person 42 has two accounts
    expect(everyone).toHaveLength(total);
    expect(new Set(everyone).size).toBe(total);
    expect(everyone).toEqual([...everyone].sort());
    expectCalls({ 'GET /users': Math.ceil(total / 7) });
  });

  it('walks in pages of 100 by default', async () => {
    startCounting();
    let count = 0;
    for await (const user of connector.allUsers()) if (user.id) count++;
    expect(count).toBe(members.length + 1);
    expectCalls({ 'GET /users': 1 });
    expect(received[0]?.url).toBe('/v2/users?page_size=100');
  });

  it('finds the account of an email whatever its case, with one call', async () => {
    const person = memberWhere((p) => p.index % 7 === 3);
    startCounting();
    const found = await connector.findUsersByEmail(person.email.toUpperCase());
    expect(found.map((u) => u.email)).toEqual([person.email[0]!.toUpperCase() + person.email.slice(1)]);
    expectCalls({ 'GET /users': 1 });
    // The API filters: the connector must not fetch everyone and filter locally.
    const query = new URL(received[0]!.url, 'http://x').searchParams;
    expect([query.get('email'), query.get('page_size')]).toEqual([person.email.toUpperCase(), '100']);
  });

  it("finds both of person 42's accounts", async () => {
    const person = population.people[42]!;
    const found = await connector.findUsersByEmail(person.email);
    expect(found.map((u) => u.email).sort()).toEqual([person.email.toUpperCase(), person.email].sort());
  });

  it('finds nobody for a person without an account or for part of an email', async () => {
    const outsider = population.people.find((p) => !p.in.evenergy)!;
    expect(await connector.findUsersByEmail(outsider.email)).toEqual([]);
    expect(await connector.findUsersByEmail(members[0]!.email.slice(2))).toEqual([]);
  });

  it.each<[string, () => Promise<unknown>, string[]]>([
    ['a blank email to find', () => connector.findUsersByEmail(' '), ['email']],
    ['an empty email filter', () => connector.listUsers({ email: '' }), ['email']],
    ['a page size of 0', () => connector.listUsers({ pageSize: 0 }), ['pageSize']],
    ['a page size of 101', () => connector.listUsers({ pageSize: 101 }), ['pageSize']],
    ['a fractional page size', () => connector.listUsers({ pageSize: 2.5 }), ['pageSize']],
    ['a cursor that is no user id', () => connector.listUsers({ pageAfter: 'not-a-cursor' }), ['pageAfter']],
    ['both cursors at once', () => connector.listUsers({ pageAfter: 'user01HN2NJ9NMRZBXT1H6FT9N7735', pageBefore: 'user01HN2NJ9NMRZBXT1H6FT9N7735' }), ['pageBefore']],
    ['an empty user id', () => connector.getUser(''), ['userId']],
  ])('refuses %s, which the contract rules out, before any call', async (_case, send, path) => {
    startCounting();
    const error = await rejection(send());
    expect([error.code, error.fieldErrors?.[0]?.path]).toEqual([ErrorCode.BAD_USER_INPUT, path]);
    expectCalls({});
  });
});

describe('reading one user', () => {
  it('maps the detail variant onto the domain type', async () => {
    const person = memberWhere((p) => p.index % 9 !== 4);
    const id = await idOf(person);
    const raw = await wire(`/users/${id}`);
    const location = record(raw.default_location);
    startCounting();
    const user = await connector.getUser(id);
    expectCalls({ 'GET /users/:user_id': 1 });
    expect(user).toEqual({
      id,
      email: person.email,
      fullName: `${person.firstName} ${person.lastName}`,
      joinedAt: new Date(String(raw.joined_at)),
      termsConsentAt: raw.terms_consent_datetime === null ? null : new Date(String(raw.terms_consent_datetime)),
      defaultLocation: {
        address1: location.address_1,
        address2: location.address_2,
        postalCode: location.postal_code,
        city: location.city,
        state: location.state,
        countryCode: location.country_code,
        coordinates: location.coordinates,
        tariffId: location.tariff === null ? null : String(location.tariff).split('/').pop(),
        evseSite: null,
        carbonIntensityGramsPerKwh: location.current_carbon_intensity_grams_per_kilowatt_hour,
      },
      vehicleIds: (Array.isArray(raw.vehicles) ? raw.vehicles : []).map((v) => String(v).split('/').pop()),
      evseIds: (Array.isArray(raw.evses) ? raw.evses : []).map((v) => String(v).split('/').pop()),
    });
    expect(user?.joinedAt).toBeInstanceOf(Date);
    expect(typeof user?.defaultLocation?.carbonIntensityGramsPerKwh).toBe('number');
  });

  it('has no carbon intensity in list answers, which do not carry it', async () => {
    const page = await connector.listUsers({ pageSize: 100 });
    expect(page.users.every((u) => u.defaultLocation?.carbonIntensityGramsPerKwh === null)).toBe(true);
    expect(page.users.some((u) => u.defaultLocation?.city !== null)).toBe(true);
  });

  it('answers null for an unknown id with one call', async () => {
    startCounting();
    expect(await connector.getUser('user00000000000000000000000000')).toBeNull();
    expect(await connector.getUser('not-an-id/../../users')).toBeNull();
    expectCalls({ 'GET /users/:user_id': 2 });
  });
});

describe('creating and updating users', () => {
  it('creates a user, sending only the fields given', async () => {
    startCounting();
    const user = await connector.createUser({ email: 'created@example.com', defaultLocation: { address1: '1 Elm Row', city: 'Bristol', postalCode: 'BS1 1AA', countryCode: 'GB' } });
    expectCalls({ 'POST /users': 1 });
    expect(writeBodies()).toEqual([{ email: 'created@example.com', default_location: { address_1: '1 Elm Row', city: 'Bristol', postal_code: 'BS1 1AA', country_code: 'GB' } }]);
    expect(user).toMatchObject({ email: 'created@example.com', fullName: null, termsConsentAt: null, vehicleIds: [], evseIds: [] });
    expect(user.id).toMatch(/^user[A-Z\d]{26}$/);
    expect(user.defaultLocation).toMatchObject({ address1: '1 Elm Row', address2: null, city: 'Bristol', countryCode: 'GB', coordinates: null });
    expect(await connector.getUser(user.id)).toEqual(user);
  });

  it('creates a user from an empty input with an empty body', async () => {
    startCounting();
    const user = await connector.createUser({});
    expect(writeBodies()).toEqual([{}]);
    expect(user.email).toBeNull();
  });

  it('turns a taken email into BAD_USER_INPUT naming the field', async () => {
    const error = await rejection(connector.createUser({ email: members[0]!.email }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.upstream).toBe('evenergy');
    expect(error.fieldErrors).toEqual([{ path: ['email'], message: 'is already taken' }]);
    expect(error.reason).toBe('validation-failed-create-user');
  });

  it('updates only the email when only the email is given', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const before = await connector.getUser(id);
    startCounting();
    const after = await connector.updateUser(id, { email: 'renamed@example.com' });
    expectCalls({ 'PATCH /users/:user_id': 1 });
    expect(writeBodies()).toEqual([{ email: 'renamed@example.com' }]);
    expect(after).toEqual({ ...before, email: 'renamed@example.com' });
  });

  it('sends null for a location part given as null and leaves out the parts not given', async () => {
    const person = memberWhere((p) => p.index % 9 !== 4);
    const id = await idOf(person);
    const before = await connector.getUser(id);
    startCounting();
    const set = await connector.updateUser(id, { defaultLocation: { address2: 'Flat 2' } });
    const cleared = await connector.updateUser(id, { defaultLocation: { address2: null } });
    expect(writeBodies()).toEqual([{ default_location: { address_2: 'Flat 2' } }, { default_location: { address_2: null } }]);
    expect(set.defaultLocation).toEqual({ ...before?.defaultLocation, address2: 'Flat 2' });
    expect(cleared.defaultLocation).toEqual({ ...before?.defaultLocation, address2: null });
  });

  it('clears a whole address with nulls', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const cleared = await connector.updateUser(id, {
      defaultLocation: { address1: null, address2: null, postalCode: null, city: null, state: null, countryCode: null, coordinates: null },
    });
    expect(cleared.defaultLocation).toMatchObject({ address1: null, city: null, coordinates: null, carbonIntensityGramsPerKwh: null });
  });

  it('turns a partial address into BAD_USER_INPUT with the input path of the field', async () => {
    const id = await idOf(memberWhere((p) => p.index % 9 !== 4));
    const before = await connector.getUser(id);
    const error = await rejection(connector.updateUser(id, { defaultLocation: { postalCode: null } }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fieldErrors).toEqual([{ path: ['defaultLocation', 'postalCode'], message: 'is required' }]);
    expect(await connector.getUser(id)).toEqual(before);
  });

  it('sends an empty patch as an empty body, changing nothing', async () => {
    const id = await idOf(members[1]!);
    const before = await connector.getUser(id);
    startCounting();
    expect(await connector.updateUser(id, {})).toEqual(before);
    expect(writeBodies()).toEqual([{}]);
  });

  it('answers NOT_FOUND when updating an unknown user', async () => {
    const error = await rejection(connector.updateUser('user00000000000000000000000000', { email: 'x@example.com' }));
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('notification preferences', () => {
  it('reads every group into a name → boolean map', async () => {
    const id = await idOf(memberWhere((p) => p.index % 6 === 5));
    startCounting();
    expect(await connector.getNotificationPreferences(id)).toEqual({
      groups: { charging_flow: false, charging_issues: false, charging_optimisation: false, deals_and_offers: false, power_supply_notifications: false },
    });
    expectCalls({ 'GET /users/:user_id/notification_preferences': 1 });
  });

  it('changes only the groups given and answers all of them', async () => {
    const id = await idOf(memberWhere((p) => p.index % 6 === 5));
    startCounting();
    const after = await connector.updateNotificationPreferences(id, { deals_and_offers: true });
    expectCalls({ 'PATCH /users/:user_id/notification_preferences': 1 });
    expect(writeBodies()).toEqual([{ groups: { deals_and_offers: true } }]);
    expect(after.groups).toEqual({ charging_flow: false, charging_issues: false, charging_optimisation: false, deals_and_offers: true, power_supply_notifications: false });
  });

  it('sends an empty map as a no-op', async () => {
    const id = await idOf(members[2]!);
    const before = await connector.getNotificationPreferences(id);
    startCounting();
    expect(await connector.updateNotificationPreferences(id, {})).toEqual(before);
    expect(writeBodies()).toEqual([{ groups: {} }]);
  });

  it('turns an unknown group into BAD_USER_INPUT on groups and changes nothing', async () => {
    const id = await idOf(memberWhere((p) => p.index % 6 === 0));
    const before = await connector.getNotificationPreferences(id);
    const error = await rejection(connector.updateNotificationPreferences(id, { charging_flow: false, charging_flower: true }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fieldErrors).toEqual([{ path: ['groups'], message: 'is not one of the values ev.energy accepts' }]);
    expect(error.reason).toBe('validation-failed-update-notification-preferences');
    expect(await connector.getNotificationPreferences(id)).toEqual(before);
  });

  it('answers null for an unknown user and NOT_FOUND when changing one', async () => {
    expect(await connector.getNotificationPreferences('user00000000000000000000000000')).toBeNull();
    expect((await rejection(connector.updateNotificationPreferences('user00000000000000000000000000', { charging_flow: true }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('payout method', () => {
  it('reads a set method and an unset one (all fields null)', async () => {
    const paypal = memberWhere((p) => p.index % 5 === 1);
    expect(await connector.getPayoutMethod(await idOf(paypal))).toEqual({ receiver: paypal.email, receiverType: 'EMAIL', wallet: 'PAYPAL' });
    startCounting();
    expect(await connector.getPayoutMethod(await idOf(memberWhere((p) => p.index % 5 === 0)))).toEqual({ receiver: null, receiverType: null, wallet: null });
    expect(emulator.counts().byRoute['GET /users/:user_id/payout_method']).toBe(1);
  });

  it('sets PAYPAL and VENMO with their receivers', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 0));
    startCounting();
    expect(await connector.setPayoutMethod(id, { wallet: 'PAYPAL', receiver: 'pay@example.com' })).toEqual({ receiver: 'pay@example.com', receiverType: 'EMAIL', wallet: 'PAYPAL' });
    expect(await connector.setPayoutMethod(id, { wallet: 'VENMO', receiver: '+15555550123' })).toEqual({ receiver: '+15555550123', receiverType: 'PHONE', wallet: 'VENMO' });
    expectCalls({ 'PATCH /users/:user_id/payout_method': 2 });
    expect(writeBodies()).toEqual([
      { receiver_wallet: 'PAYPAL', receiver: 'pay@example.com' },
      { receiver_wallet: 'VENMO', receiver: '+15555550123' },
    ]);
  });

  it('sets BILL_CREDITS without a receiver key, answering the billing account', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 0 && p.index % 3 !== 0));
    startCounting();
    const method = await connector.setPayoutMethod(id, { wallet: 'BILL_CREDITS' });
    expect(received.map((r) => r.body)).toEqual(['{"receiver_wallet":"BILL_CREDITS"}']);
    expect(method).toMatchObject({ receiverType: 'ACCOUNT_NUMBER', wallet: 'BILL_CREDITS' });
    expect(method.receiver).toMatch(/^\d{10}$/);
  });

  it.each<[string, Parameters<typeof connector.setPayoutMethod>[1]]>([
    ['PayPal without a receiver', { wallet: 'PAYPAL' }],
    ['Venmo with a blank receiver', { wallet: 'VENMO', receiver: ' ' }],
    ['Venmo with a null receiver', { wallet: 'VENMO', receiver: null }],
    ['bill credits with a short account number', { wallet: 'BILL_CREDITS', receiver: '123' }],
    ['bill credits with a null receiver', { wallet: 'BILL_CREDITS', receiver: null }],
    ['PayPal with an email over 254 characters', { wallet: 'PAYPAL', receiver: `${'a'.repeat(250)}@x.io` }],
  ])('refuses %s, which the contract rules out, before any call', async (_case, input) => {
    const id = await idOf(members[0]!);
    startCounting();
    const error = await rejection(connector.setPayoutMethod(id, input));
    expect([error.code, error.fieldErrors?.[0]?.path]).toEqual([ErrorCode.BAD_USER_INPUT, ['receiver']]);
    expectCalls({});
  });

  it("turns ev.energy's own refusal into BAD_USER_INPUT on receiver, keeping the stored method", async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 2));
    const before = await connector.getPayoutMethod(id);
    startCounting();
    const error = await rejection(connector.setPayoutMethod(id, { wallet: 'PAYPAL', receiver: '+15555550123' }));
    expectCalls({ 'PATCH /users/:user_id/payout_method': 1 });
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fieldErrors).toEqual([{ path: ['receiver'], message: 'must be an email address' }]);
    expect(error.reason).toBe('validation-failed-update-payout-method');
    expect(await connector.getPayoutMethod(id)).toEqual(before);
  });

  it('deletes with one DELETE, also when nothing is set', async () => {
    const id = await idOf(memberWhere((p) => p.index % 5 === 1));
    startCounting();
    await expect(connector.deletePayoutMethod(id)).resolves.toBeUndefined();
    await expect(connector.deletePayoutMethod(id)).resolves.toBeUndefined();
    expectCalls({ 'DELETE /users/:user_id/payout_method': 2 });
    expect(await connector.getPayoutMethod(id)).toEqual({ receiver: null, receiverType: null, wallet: null });
  });

  it('answers null for an unknown user and NOT_FOUND when changing one', async () => {
    const unknown = 'user00000000000000000000000000';
    expect(await connector.getPayoutMethod(unknown)).toBeNull();
    expect((await rejection(connector.setPayoutMethod(unknown, { wallet: 'BILL_CREDITS' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(connector.deletePayoutMethod(unknown))).code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('upstream failures', () => {
  it('turns a refused service credential into UPSTREAM_AUTH_FAILED without the token in the error', async () => {
    const wrong = createEvenergyConnector({ client, token: 'wrong-token-123' });
    const error = await rejection(wrong.listUsers());
    expect(error.code).toBe(ErrorCode.UPSTREAM_AUTH_FAILED);
    const shown = JSON.stringify({ message: error.message, ...error.toExtensions() });
    expect(shown).not.toContain('wrong-token-123');
    expect(shown).not.toContain(emulator.url());
  });

  it('turns a 429 into RATE_LIMITED with the Retry-After seconds', async () => {
    emulator.setFaults({ status: 429, retryAfter: 3, count: 1 });
    const error = await rejection(connector.listUsers());
    expect([error.code, error.retryAfter]).toEqual([ErrorCode.RATE_LIMITED, 3]);
    expect(error.reason).toBe('rate-limit-exceeded');
  });

  it('turns a 500 and a malformed body into UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ status: 500, count: 1 });
    expect((await rejection(connector.getPayoutMethod('user00000000000000000000000000'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    emulator.setFaults({ malformed: true, count: 1 });
    expect((await rejection(connector.listUsers())).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
  });

  it('does not take a 404 from something other than ev.energy (a proxy page) for a missing user', async () => {
    const htmlNotFound: http.RequestListener = (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>Not Found</body></html>');
    };
    await withServer(htmlNotFound, async (baseUrl) => {
      const elsewhere = createUpstreamClient({ upstream: 'evenergy', baseUrl, describeError: describeEvenergyError, maxRetries: 0 });
      try {
        const misdirected = createEvenergyConnector({ client: elsewhere, token: TOKEN });
        expect((await rejection(misdirected.getUser('user00000000000000000000000000'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
        expect((await rejection(misdirected.getPayoutMethod('user00000000000000000000000000'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      } finally {
        await elsewhere.close();
      }
    });
  });

  it('keeps only exact matches when an upstream answers the email filter more loosely', async () => {
    const user = (id: string, email: string): Record<string, unknown> => ({ id, url: `https://api.ev.energy/v2/users/${id}`, email });
    const loose: http.RequestListener = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([user('user00000000000000000000000001', 'Sam@Example.com'), user('user00000000000000000000000002', 're.sam@example.com')]));
    };
    await withServer(loose, async (baseUrl) => {
      const looseClient = createUpstreamClient({ upstream: 'evenergy', baseUrl, describeError: describeEvenergyError, maxRetries: 0 });
      try {
        const found = await createEvenergyConnector({ client: looseClient, token: TOKEN }).findUsersByEmail('sam@example.com');
        expect(found.map((u) => u.id)).toEqual(['user00000000000000000000000001']);
        expect(found[0]).toMatchObject({ fullName: null, joinedAt: null, defaultLocation: null, vehicleIds: [] });
      } finally {
        await looseClient.close();
      }
    });
  });

  it('stops with UPSTREAM_UNAVAILABLE when a next link comes back to a page already seen', async () => {
    const circular: http.RequestListener = (req, res) => {
      const here = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json', link: `<http://x${here.pathname}?page_size=100&page_after=user00000000000000000000000001>; rel="next"` });
      res.end(JSON.stringify([{ id: 'user00000000000000000000000001', url: 'https://api.ev.energy/v2/users/user00000000000000000000000001' }]));
    };
    await withServer(circular, async (baseUrl) => {
      const circularClient = createUpstreamClient({ upstream: 'evenergy', baseUrl, describeError: describeEvenergyError, maxRetries: 0 });
      try {
        const walk = async (): Promise<number> => {
          let n = 0;
          for await (const u of createEvenergyConnector({ client: circularClient, token: TOKEN }).allUsers()) if (u.id) n++;
          return n;
        };
        expect((await rejection(walk())).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      } finally {
        await circularClient.close();
      }
    });
  });
});

describe('describeEvenergyError', () => {
  it('reads field errors into input paths and the gateway\'s words, the problem type into a reason, and the texts only into the log-only detail', () => {
    expect(
      describeEvenergyError(400, {
        type: 'https://api.ev.energy/v2/problems/validation-failed-update-payout-method/',
        status: 400,
        title: 'Request failed validation.',
        detail: 'Error on fields: receiver_wallet, default_location.postal_code',
        field_errors: { receiver_wallet: ['This field is required.'], 'default_location.postal_code': ['Required.', 'Too long.'] },
      }),
    ).toEqual({
      detail: expect.stringContaining('Request failed validation.; Error on fields: receiver_wallet, default_location.postal_code; receiver_wallet: This field is required.'),
      fieldErrors: [
        { path: ['wallet'], message: 'is required' },
        { path: ['defaultLocation', 'postalCode'], message: 'is required' },
        { path: ['defaultLocation', 'postalCode'], message: 'is too long' },
      ],
      reason: 'validation-failed-update-payout-method',
    });
  });

  it('names no field the gateway does not write, and passes on no problem type the contract does not document', () => {
    const description = describeEvenergyError(400, {
      type: 'https://db-prod-01.internal:5432/problems/select-from-users/',
      title: 'x',
      detail: 'y',
      field_errors: { 'SELECT password FROM users': ['at Object.handler (/srv/x.js:1:1)'], non_field_errors: ['Invalid data. Expected a dictionary, but got another type.'] },
    });
    expect(description.fieldErrors).toEqual([
      { path: [], message: 'is not valid' },
      { path: [], message: 'must be an object' },
    ]);
    expect(description.reason).toBeUndefined();
  });

  it('never passes on URLs or credentials from the body', () => {
    const description = describeEvenergyError(401, {
      title: 'Unauthorized',
      detail: 'Token Bearer abc123 rejected at https://api.ev.energy/v2/users?token=abc123',
      instance: 'https://api.ev.energy/v2/users/user01HN2NJ9NMRZBXT1H6FT9N7735',
    });
    expect(JSON.stringify(description)).not.toMatch(/abc123|https?:|ev\.energy\/v2/);
    expect(description.detail).toContain('Unauthorized');
    expect(description.fieldErrors).toBeUndefined();
  });

  it('tells an unsupported version apart from a pagination problem despite the shared type', () => {
    const type = 'https://api.ev.energy/v2/problems/pagination-parameters/';
    expect(describeEvenergyError(400, { type, title: 'Unsupported version', detail: 'Unsupported version requested: 3.0' }).reason).toBe('unsupported-version');
    expect(describeEvenergyError(400, { type, title: 'Invalid pagination parameter', detail: 'Invalid value for pagination parameter: page_size' }).reason).toBe('pagination-parameters');
  });

  it('describes nothing for a body that is not a problem', () => {
    expect(describeEvenergyError(502, '<html>Bad gateway</html>')).toEqual({});
    expect(describeEvenergyError(500, undefined)).toEqual({});
    expect(describeEvenergyError(400, { message: 'other shape' })).toEqual({});
  });
});
