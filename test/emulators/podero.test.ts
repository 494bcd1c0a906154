/**
 * The podero emulator over real HTTP: every endpoint's success and documented failures, bad input,
 * `include_deleted` and `by-ext-id`, the seeded population's rules, that refused writes change nothing,
 * and that every answer matches the OpenAPI document the emulator serves.
 */
import { createPoderoEmulator } from '../../src/emulators/podero';
import {
  electricVehicleIdFor,
  heatPumpIdFor,
  inverterIdFor,
  SEED_RULES,
  userIdFor,
} from '../../src/emulators/podero/seed';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, membersOf } from '../../src/emulators/population';
import { send, type Reply, type SendInit } from '../helpers/http';
import { record, records, str } from '../helpers/json';
import { loadOpenApi, type OpenApi } from '../helpers/openapi';

const TOKEN = DEV_TOKENS.podero;
const ORG = DEV_PODERO_ORG_ID;
const population = buildPopulation({ seed: 1, people: 100 });
const members = membersOf(population, 'podero');
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

// ---------------------------------------------------------------------------------------------------
// HTTP helpers.

let emulator: Emulator;
let base = '';
let api: OpenApi;

/** Sends with the partner token unless `authorization` says otherwise (null: no header; a string: this value). */
function call(path: string, init: SendInit & { authorization?: string | null } = {}, root = base): Promise<Reply> {
  const authorization = init.authorization === undefined ? `Bearer ${TOKEN}` : init.authorization;
  return send(`${root}${path}`, { ...init, headers: authorization === null ? {} : { authorization } });
}

const users = (suffix = ''): string => `/org/${ORG}/users${suffix}`;

function expectDetail(reply: Reply, status: number, detail: string): void {
  expect({ status: reply.status, contentType: reply.contentType, body: reply.body }).toEqual({
    status,
    contentType: 'application/json',
    body: { detail },
  });
}

/** Asserts a 422 and returns its items as `type @ loc`. */
function validation(reply: Reply): string[] {
  expect(reply.status).toBe(422);
  api.expectSchema('ValidationError', reply.body);
  return records(record(reply.body).detail).map((item) => `${str(item.type)} @ ${JSON.stringify(item.loc)}`);
}

async function getUser(id: string, query = ''): Promise<Record<string, unknown>> {
  const reply = await call(users(`/${id}${query}`));
  expect(reply.status).toBe(200);
  api.expectSchema('User', reply.body);
  return record(reply.body);
}

/** Everything the emulator holds, for proving that a refused write changed nothing. */
async function snapshot(): Promise<string> {
  const all = records((await call(users('?include_deleted=true'))).body);
  const parts: unknown[] = [all];
  for (const user of all) {
    for (const c of ['heat-pumps', 'electric-vehicles', 'inverters']) {
      parts.push((await call(users(`/${str(user.id)}/${c}?include_deleted=true`))).body);
    }
  }
  return JSON.stringify(parts);
}

function personAt(rule: (i: number) => boolean): number {
  const person = members.find((p) => rule(p.index));
  if (!person) throw new Error('the test population has no podero member for this rule');
  return person.index;
}

beforeAll(async () => {
  emulator = createPoderoEmulator({ population });
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

describe('seeded organization', () => {
  it('holds every podero member of the population under a UUID derived from the person', async () => {
    const reply = await call(users('?include_deleted=true'));
    expect(reply.status).toBe(200);
    const all = records(reply.body);
    for (const user of all) api.expectSchema('User', user);
    expect(all.map((u) => u.id).sort()).toEqual(members.map((p) => userIdFor(p.index)).sort());
    expect(all.map((u) => u.email).sort()).toEqual(members.map((p) => p.email).sort());
    expect(new Set(all.map((u) => u.organization_id))).toEqual(new Set([ORG]));
  });

  it('hides soft-deleted users from the list unless include_deleted is true', async () => {
    const deleted = members.filter((p) => SEED_RULES.softDeleted(p.index)).map((p) => userIdFor(p.index));
    expect(deleted.length).toBeGreaterThanOrEqual(2);
    const visible = records((await call(users())).body);
    expect(visible).toHaveLength(members.length - deleted.length);
    expect(visible.filter((u) => deleted.includes(str(u.id)))).toEqual([]);
    for (const flag of ['false', '0', 'no']) expect(records((await call(users(`?include_deleted=${flag}`))).body)).toHaveLength(visible.length);
    const all = records((await call(users('?include_deleted=1'))).body);
    expect(all.filter((u) => u.deleted_at !== null).map((u) => u.id).sort()).toEqual([...deleted].sort());
  });

  it('gives addresses to most users and nothing to those who have not given one yet', async () => {
    const withAddress = await getUser(userIdFor(personAt((i) => SEED_RULES.hasAddress(i))));
    expect(withAddress).toMatchObject({ is_onboarded: true, country: expect.stringMatching(/^(DE|AT)$/), town: expect.any(String) });
    expect(typeof withAddress.latitude).toBe('number');
    const without = await getUser(userIdFor(personAt((i) => !SEED_RULES.hasAddress(i))));
    expect(without).toMatchObject({ is_onboarded: false, street_and_number: null, zip_code: null, town: null, country: null, latitude: null });
  });

  it('gives a few users a partner customer id and roles other than user to a few', async () => {
    const all = records((await call(users('?include_deleted=true'))).body);
    const withExternal = all.filter((u) => u.external_user_id !== null);
    expect(withExternal.length).toBeGreaterThanOrEqual(2);
    expect(withExternal.length).toBeLessThan(all.length / 4);
    for (const p of members) {
      const user = all.find((u) => u.id === userIdFor(p.index));
      expect(user?.external_user_id).toBe(SEED_RULES.externalUserId(p.index));
      expect(user?.role).toBe(SEED_RULES.role(p.index));
    }
    expect(new Set(all.map((u) => u.role))).toEqual(new Set(['user', 'staff', 'admin', 'guest']));
  });

  it('counts each user’s live devices and lists exactly those', async () => {
    const i = personAt((n) => SEED_RULES.heatPump(n) && SEED_RULES.electricVehicles(n) === 2 && SEED_RULES.inverter(n));
    const user = await getUser(userIdFor(i));
    expect(user).toMatchObject({ num_heat_pumps: 1, num_electric_vehicles: 2, num_inverters: 1, num_wallboxes: 0 });
    const hps = records((await call(users(`/${userIdFor(i)}/heat-pumps`))).body);
    const evs = records((await call(users(`/${userIdFor(i)}/electric-vehicles`))).body);
    const invs = records((await call(users(`/${userIdFor(i)}/inverters`))).body);
    expect(hps.map((d) => d.id)).toEqual([heatPumpIdFor(i)]);
    expect(evs.map((d) => d.id)).toEqual([electricVehicleIdFor(i, 0), electricVehicleIdFor(i, 1)]);
    expect(invs.map((d) => d.id)).toEqual([inverterIdFor(i)]);
    hps.forEach((d) => api.expectSchema('HeatPump', d));
    evs.forEach((d) => api.expectSchema('ElectricVehicle', d));
    invs.forEach((d) => api.expectSchema('Inverter', d));
    expect(hps[0]!.owner).toEqual({ id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name, external_id: null });
  });

  it('gives devices that lost their authentication a reauthenticate action with a resolution link', async () => {
    const i = personAt((n) => SEED_RULES.heatPumpUnauthenticated(n));
    const reply = await call(users(`/${userIdFor(i)}/heat-pumps/${heatPumpIdFor(i)}`));
    expect(reply.status).toBe(200);
    api.expectSchema('HeatPumpDetail', reply.body);
    const device = record(reply.body);
    expect(device).toMatchObject({ is_authenticated: false, action_needed: true, connection_status: 'error' });
    const actions = records(device.actions);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.code).toBe('reauthenticate');
    const link = record(actions[0]!.resolution_link);
    expect(str(link.url)).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}/cues/[0-9a-f-]{36}/resolve\\?secret=[0-9a-f]+$`));
    expect(link.required_parameters).toEqual(['successUrl', 'cancelUrl']);
  });

  it('gives authenticated devices no actions', async () => {
    const i = personAt((n) => SEED_RULES.heatPump(n) && !SEED_RULES.heatPumpUnauthenticated(n));
    const device = record((await call(users(`/${userIdFor(i)}/heat-pumps/${heatPumpIdFor(i)}`))).body);
    expect(device).toMatchObject({ is_authenticated: true, action_needed: false, actions: [] });
  });

  it('has unauthenticated devices of all three kinds, one inverter in lifecycle state error', async () => {
    const ev = personAt((n) => SEED_RULES.electricVehicles(n) === 2);
    const inv = personAt((n) => SEED_RULES.inverterLifecycleError(n));
    const vehicle = record((await call(users(`/${userIdFor(ev)}/electric-vehicles/${electricVehicleIdFor(ev, 1)}`))).body);
    expect(vehicle).toMatchObject({ is_authenticated: false, action_needed: true });
    const inverter = record((await call(users(`/${userIdFor(inv)}/inverters/${inverterIdFor(inv)}`))).body);
    expect(inverter).toMatchObject({ is_authenticated: false, action_needed: true, lifecycle_state: 'error', lifecycle_error: expect.any(String) });
    api.expectSchema('InverterDetail', inverter);
    api.expectSchema('ElectricVehicleDetail', vehicle);
  });

  it('sends the detail-only fields on detail answers and never in lists', async () => {
    const i = personAt((n) => SEED_RULES.inverter(n));
    const item = records((await call(users(`/${userIdFor(i)}/inverters`))).body)[0]!;
    for (const key of ['action_needed', 'actions', 'has_unread_notifications', 'authorization_url', 'onboarding_form_url']) expect(item).not.toHaveProperty(key);
  });

  it('hides a soft-deleted device from lists, counts and details unless include_deleted is true', async () => {
    const i = personAt((n) => SEED_RULES.electricVehicleSoftDeleted(n));
    const path = users(`/${userIdFor(i)}/electric-vehicles`);
    expect(records((await call(path)).body).map((d) => d.id)).not.toContain(electricVehicleIdFor(i, 0));
    expect(records((await call(`${path}?include_deleted=true`)).body).map((d) => d.id)).toContain(electricVehicleIdFor(i, 0));
    expectDetail(await call(`${path}/${electricVehicleIdFor(i, 0)}`), 404, 'Not Found');
    const shown = record((await call(`${path}/${electricVehicleIdFor(i, 0)}?include_deleted=true`)).body);
    expect(shown.deleted_at).toEqual(expect.any(String));
    expect((await getUser(userIdFor(i))).num_electric_vehicles).toBe(SEED_RULES.electricVehicles(i) - 1);
  });

  it('gives the same data for the same seed, and other names but the same ids for another seed', async () => {
    const twin = createPoderoEmulator({ population: buildPopulation({ seed: 1, people: 100 }) });
    const other = createPoderoEmulator({ population: buildPopulation({ seed: 7, people: 100 }) });
    const twinUrl = await twin.listen(0);
    const otherUrl = await other.listen(0);
    try {
      const mine = (await call(users('?include_deleted=true'))).text;
      expect((await call(users('?include_deleted=true'), {}, twinUrl)).text).toBe(mine);
      const theirs = records((await call(users('?include_deleted=true'), {}, otherUrl)).body);
      expect(theirs.map((u) => u.id)).toEqual(records(JSON.parse(mine)).map((u) => u.id));
      expect(JSON.stringify(theirs)).not.toBe(mine);
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('serves the organization and accepts the token given in its options', async () => {
    const orgId = 'a3c1e7f0-1111-4222-8333-944455556666';
    const custom = createPoderoEmulator({ population, token: 'another-token', orgId });
    const url = await custom.listen(0);
    try {
      const mine = await call(`/org/${orgId}/users`, { authorization: 'Bearer another-token' }, url);
      expect(mine.status).toBe(200);
      expect(new Set(records(mine.body).map((u) => u.organization_id))).toEqual(new Set([orgId]));
      expectDetail(await call(`/org/${orgId}/users`, {}, url), 401, 'Unauthorized');
      expectDetail(await call(`/org/${ORG}/users`, { authorization: 'Bearer another-token' }, url), 403, 'Forbidden');
    } finally {
      await custom.close();
    }
  });
});

describe('authentication and organization', () => {
  it('answers 401 for another scheme or a bare token', async () => {
    expectDetail(await call(users(), { authorization: `Basic ${TOKEN}` }), 401, 'Unauthorized');
    expectDetail(await call(users(), { authorization: TOKEN }), 401, 'Unauthorized');
  });

  it('accepts the bearer scheme in any case', async () => {
    expect((await call(users(), { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('answers 403 for another organization, on reads and writes alike', async () => {
    const other = `/org/${UNKNOWN_ID}/users`;
    expectDetail(await call(other), 403, 'Forbidden');
    expectDetail(await call(other, { method: 'POST', json: { role: 'user', email: 'new@example.com' } }), 403, 'Forbidden');
    expectDetail(await call(`${other}/${userIdFor(0)}/heat-pumps`), 403, 'Forbidden');
  });

  it('answers 422 for an organization id that is not a UUID, after checking the token', async () => {
    expect(validation(await call('/org/podero/users'))).toEqual(['uuid_parsing @ ["path","org_id"]']);
    expectDetail(await call('/org/podero/users', { authorization: null }), 401, 'Unauthorized');
  });

  it('accepts UUIDs in upper case', async () => {
    const reply = await call(`/org/${ORG.toUpperCase()}/users/${userIdFor(0).toUpperCase()}`);
    expect(reply.status).toBe(200);
    expect(record(reply.body).id).toBe(userIdFor(0));
  });
});

describe('reading users', () => {
  it('finds a user by id', async () => {
    const person = members[0]!;
    const user = await getUser(userIdFor(person.index));
    expect(user).toMatchObject({ id: userIdFor(person.index), email: person.email, first_name: person.firstName, last_name: person.lastName });
  });

  it('answers 404 for an unknown user and 422 for an id that is not a UUID', async () => {
    expectDetail(await call(users(`/${UNKNOWN_ID}`)), 404, 'Not Found');
    expect(validation(await call(users('/42')))).toEqual(['uuid_parsing @ ["path","user_id"]']);
  });

  it('finds a soft-deleted user only with include_deleted', async () => {
    const id = userIdFor(personAt(SEED_RULES.softDeleted));
    expectDetail(await call(users(`/${id}`)), 404, 'Not Found');
    expect((await getUser(id, '?include_deleted=true')).deleted_at).toEqual(expect.any(String));
  });

  it('answers 422 for an include_deleted that is not a boolean', async () => {
    expect(validation(await call(users('?include_deleted=maybe')))).toEqual(['bool_parsing @ ["query","include_deleted"]']);
    expect(validation(await call(users(`/${userIdFor(0)}?include_deleted=2`)))).toEqual(['bool_parsing @ ["query","include_deleted"]']);
  });

  it('reports every parameter failure of one request at once', async () => {
    expect(validation(await call('/org/x/users/y?include_deleted=maybe'))).toEqual([
      'uuid_parsing @ ["path","org_id"]',
      'uuid_parsing @ ["path","user_id"]',
      'bool_parsing @ ["query","include_deleted"]',
    ]);
  });
});

describe('by-ext-id', () => {
  it('finds a user by the partner customer id, exactly', async () => {
    const i = personAt((n) => SEED_RULES.externalUserId(n) !== null && !SEED_RULES.softDeleted(n));
    const ext = str(SEED_RULES.externalUserId(i));
    const reply = await call(users(`/by-ext-id/${ext}`));
    expect(reply.status).toBe(200);
    api.expectSchema('User', reply.body);
    expect(record(reply.body).id).toBe(userIdFor(i));
    expectDetail(await call(users(`/by-ext-id/${ext.toUpperCase()}`)), 404, 'Not Found');
    expectDetail(await call(users(`/by-ext-id/${ext.slice(0, -1)}`)), 404, 'Not Found');
  });

  it('answers 404 for an unknown external id', async () => {
    expectDetail(await call(users('/by-ext-id/nobody')), 404, 'Not Found');
  });

  it('finds a soft-deleted user by external id only with include_deleted', async () => {
    const i = personAt((n) => SEED_RULES.externalUserId(n) !== null && SEED_RULES.softDeleted(n));
    const path = users(`/by-ext-id/${str(SEED_RULES.externalUserId(i))}`);
    expectDetail(await call(path), 404, 'Not Found');
    const reply = await call(`${path}?include_deleted=true`);
    expect(reply.status).toBe(200);
    expect(record(reply.body).id).toBe(userIdFor(i));
  });

  it('decodes an external id with reserved characters', async () => {
    const created = await call(users(), { method: 'POST', json: { role: 'user', email: 'slash@example.com', external_user_id: 'crm/42 ä' } });
    expect(created.status).toBe(200);
    const reply = await call(users(`/by-ext-id/${encodeURIComponent('crm/42 ä')}`));
    expect(reply.status).toBe(200);
    expect(record(reply.body).id).toBe(record(created.body).id);
  });
});

describe('creating users', () => {
  it('creates a user with a fresh UUID and every field sent, and lists it', async () => {
    const reply = await call(users(), {
      method: 'POST',
      json: {
        role: 'user',
        email: 'newuser@example.com',
        external_user_id: 'customer_12345',
        first_name: 'John',
        last_name: 'Doe',
        street_and_number: 'Main Street 123',
        zip_code: 10115,
        town: 'Berlin',
        country_iso2: 'de',
        latitude: 52.52,
        longitude: 13.4,
        ignored_key: true,
      },
    });
    expect(reply.status).toBe(200);
    api.expectSchema('User', reply.body);
    const user = record(reply.body);
    expect(user).toMatchObject({
      organization_id: ORG,
      role: 'user',
      email: 'newuser@example.com',
      external_user_id: 'customer_12345',
      first_name: 'John',
      last_name: 'Doe',
      street_and_number: 'Main Street 123',
      street_add_info: null,
      zip_code: '10115',
      town: 'Berlin',
      country: 'DE',
      latitude: 52.52,
      longitude: 13.4,
      num_heat_pumps: 0,
      num_electric_vehicles: 0,
      num_inverters: 0,
      last_login: null,
      deleted_at: null,
    });
    expect(user).not.toHaveProperty('ignored_key');
    expect(user.location_last_updated).toEqual(expect.any(String));
    expect(records((await call(users())).body).map((u) => u.id)).toContain(user.id);
    expect(await getUser(str(user.id))).toEqual(user);
  });

  it('creates a user from role and email alone, with everything else null', async () => {
    const reply = await call(users(), { method: 'POST', json: { role: 'staff', email: 'minimal@example.com' } });
    expect(reply.status).toBe(200);
    expect(record(reply.body)).toMatchObject({ role: 'staff', external_user_id: null, first_name: null, town: null, location_last_updated: null });
  });

  it('gives created users ids that collide with no seeded id', async () => {
    const ids = new Set(records((await call(users('?include_deleted=true'))).body).map((u) => u.id));
    for (let n = 0; n < 5; n++) {
      const reply = await call(users(), { method: 'POST', json: { role: 'user', email: `fresh${n}@example.com` } });
      const id = str(record(reply.body).id);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ids.has(id)).toBe(false);
      ids.add(id);
    }
  });

  it('requires role and email, reporting both at once', async () => {
    const before = await snapshot();
    expect(validation(await call(users(), { method: 'POST', json: { first_name: 'Ann' } }))).toEqual([
      'missing @ ["body","payload","role"]',
      'missing @ ["body","payload","email"]',
    ]);
    expect(await snapshot()).toBe(before);
  });

  it('refuses an unknown role, guest, an invalid email and wrongly typed fields', async () => {
    const before = await snapshot();
    const reply = await call(users(), {
      method: 'POST',
      json: { role: 'guest', email: 'no-at-sign', first_name: 7, latitude: 91, longitude: 'east', zip_code: true, country: 'Germany' },
    });
    expect(validation(reply)).toEqual([
      'enum @ ["body","payload","role"]',
      'value_error @ ["body","payload","email"]',
      'string_type @ ["body","payload","first_name"]',
      'string_type @ ["body","payload","zip_code"]',
      'string_pattern_mismatch @ ["body","payload","country"]',
      'less_than_equal @ ["body","payload","latitude"]',
      'float_type @ ["body","payload","longitude"]',
    ]);
    expect(records(record(reply.body).detail)[0]!.msg).toBe("Input should be 'admin', 'staff' or 'user'");
    expect(await snapshot()).toBe(before);
  });

  it('refuses an email already used in the organization, whatever its case, with 409', async () => {
    const before = await snapshot();
    const taken = members[0]!.email.toUpperCase();
    expectDetail(await call(users(), { method: 'POST', json: { role: 'user', email: taken } }), 409, 'A user with this email already exists in this organization.');
    expect(await snapshot()).toBe(before);
    expect((await call(users(), { method: 'POST', json: { role: 'user', email: 'Mixed.Case@Example.com' } })).status).toBe(200);
    expect((await call(users(), { method: 'POST', json: { role: 'user', email: 'mixed.case@example.com' } })).status).toBe(409);
  });

  it('refuses the email of a soft-deleted user too', async () => {
    const deleted = members.find((p) => SEED_RULES.softDeleted(p.index))!;
    expect((await call(users(), { method: 'POST', json: { role: 'user', email: deleted.email } })).status).toBe(409);
  });

  it('refuses an external_user_id already used in the organization with 409', async () => {
    const ext = str(SEED_RULES.externalUserId(personAt((n) => SEED_RULES.externalUserId(n) !== null)));
    const reply = await call(users(), { method: 'POST', json: { role: 'user', email: 'other@example.com', external_user_id: ext } });
    expectDetail(reply, 409, 'A user with this external_user_id already exists in this organization.');
  });
});

describe('updating users (PUT changes only the keys sent)', () => {
  const id = userIdFor(0);

  it('changes the keys sent and leaves every other one as it was', async () => {
    const before = await getUser(id);
    const reply = await call(users(`/${id}`), { method: 'PUT', json: { first_name: 'Peter', town: 'Berlin' } });
    expect(reply.status).toBe(200);
    api.expectSchema('User', reply.body);
    const after = record(reply.body);
    expect(after).toEqual({ ...before, first_name: 'Peter', town: 'Berlin', location_last_updated: after.location_last_updated });
    expect(after.location_last_updated).not.toBe(before.location_last_updated);
    expect(await getUser(id)).toEqual(after);
  });

  it('clears a nullable key sent as null', async () => {
    const reply = await call(users(`/${id}`), { method: 'PUT', json: { street_and_number: null, latitude: null, external_user_id: null } });
    expect(record(reply.body)).toMatchObject({ street_and_number: null, latitude: null, external_user_id: null });
    expect((await getUser(id)).street_and_number).toBeNull();
  });

  it('leaves the user unchanged for an empty body, and keeps location_last_updated when no location value changes', async () => {
    const before = await getUser(id);
    expect(record((await call(users(`/${id}`), { method: 'PUT', json: {} })).body)).toEqual(before);
    expect(record((await call(users(`/${id}`), { method: 'PUT', json: { town: before.town, first_name: 'Same' } })).body).location_last_updated).toBe(
      before.location_last_updated,
    );
  });

  it('changes email and role, and takes country_iso2 as country', async () => {
    const reply = await call(users(`/${id}`), { method: 'PUT', json: { email: 'moved@example.com', role: 'admin', country_iso2: 'at' } });
    expect(record(reply.body)).toMatchObject({ email: 'moved@example.com', role: 'admin', country: 'AT' });
  });

  it('lets a user keep their own email and external id', async () => {
    const i = personAt((n) => SEED_RULES.externalUserId(n) !== null && !SEED_RULES.softDeleted(n));
    const user = await getUser(userIdFor(i));
    const reply = await call(users(`/${userIdFor(i)}`), { method: 'PUT', json: { email: user.email, external_user_id: user.external_user_id } });
    expect(reply.status).toBe(200);
  });

  it('refuses null for email and role, and values of the wrong type', async () => {
    const before = await snapshot();
    expect(validation(await call(users(`/${id}`), { method: 'PUT', json: { email: null, role: null, last_name: ['x'], longitude: 200 } }))).toEqual([
      'enum @ ["body","payload","role"]',
      'string_type @ ["body","payload","email"]',
      'string_type @ ["body","payload","last_name"]',
      'less_than_equal @ ["body","payload","longitude"]',
    ]);
    expect(await snapshot()).toBe(before);
  });

  it('refuses another user’s email or external id with 409 and changes nothing', async () => {
    const before = await snapshot();
    expect((await call(users(`/${id}`), { method: 'PUT', json: { first_name: 'X', email: members[1]!.email } })).status).toBe(409);
    const ext = SEED_RULES.externalUserId(personAt((n) => SEED_RULES.externalUserId(n) !== null));
    expect((await call(users(`/${id}`), { method: 'PUT', json: { first_name: 'X', external_user_id: ext } })).status).toBe(409);
    expect(await snapshot()).toBe(before);
  });

  it('answers 404 for an unknown or soft-deleted user', async () => {
    expectDetail(await call(users(`/${UNKNOWN_ID}`), { method: 'PUT', json: { first_name: 'X' } }), 404, 'Not Found');
    const deleted = userIdFor(personAt(SEED_RULES.softDeleted));
    expectDetail(await call(users(`/${deleted}`), { method: 'PUT', json: { first_name: 'X' } }), 404, 'Not Found');
  });
});

describe('devices', () => {
  const i = 0;
  const user = userIdFor(i);

  it.each(['heat-pumps', 'electric-vehicles', 'inverters'])('lists an empty array of %s for a user without devices of that kind', async (c) => {
    const none = personAt((n) => !SEED_RULES.heatPump(n) && !SEED_RULES.inverter(n) && SEED_RULES.electricVehicles(n) === 0);
    const reply = await call(users(`/${userIdFor(none)}/${c}`));
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 200, body: [] });
  });

  it('answers 404 for the devices of an unknown or soft-deleted user', async () => {
    expectDetail(await call(users(`/${UNKNOWN_ID}/heat-pumps`)), 404, 'Not Found');
    const deleted = userIdFor(personAt((n) => SEED_RULES.softDeleted(n) && SEED_RULES.heatPump(n)));
    expectDetail(await call(users(`/${deleted}/heat-pumps`)), 404, 'Not Found');
    expect((await call(users(`/${deleted}/heat-pumps?include_deleted=true`))).status).toBe(200);
  });

  it('answers 404 for an unknown device, another user’s device, or a device of another kind', async () => {
    const other = personAt((n) => n !== i && SEED_RULES.heatPump(n));
    expectDetail(await call(users(`/${user}/heat-pumps/${UNKNOWN_ID}`)), 404, 'Not Found');
    expectDetail(await call(users(`/${user}/heat-pumps/${heatPumpIdFor(other)}`)), 404, 'Not Found');
    expectDetail(await call(users(`/${user}/inverters/${heatPumpIdFor(i)}`)), 404, 'Not Found');
    expect(validation(await call(users(`/${user}/inverters/inv-1`)))).toEqual(['uuid_parsing @ ["path","inverter_id"]']);
  });

  it('updates only the heat pump keys sent and stamps updated_at', async () => {
    const path = users(`/${user}/heat-pumps/${heatPumpIdFor(i)}`);
    const before = record((await call(path)).body);
    const reply = await call(path, { method: 'PUT', json: { is_smart_optimization_active: !before.is_smart_optimization_active, optimization_level: 'Max', comment: 'checked' } });
    expect(reply.status).toBe(200);
    api.expectSchema('HeatPumpDetail', reply.body);
    const after = record(reply.body);
    expect(after).toEqual({
      ...before,
      is_smart_optimization_active: !before.is_smart_optimization_active,
      optimization_level: 'Max',
      comment: 'checked',
      updated_at: after.updated_at,
    });
    expect(after.updated_at).not.toBe(before.updated_at);
    expect(record((await call(path)).body)).toEqual(after);
  });

  it('updates vehicle charge targets and inverter settings', async () => {
    const ev = await call(users(`/${user}/electric-vehicles/${electricVehicleIdFor(i, 0)}`), { method: 'PUT', json: { charge_target_min: 20, charge_target_max: 95 } });
    expect(record(ev.body)).toMatchObject({ charge_target_min: 20, charge_target_max: 95 });
    api.expectSchema('ElectricVehicleDetail', ev.body);
    const inv = await call(users(`/${user}/inverters/${inverterIdFor(i)}`), { method: 'PUT', json: { battery_capacity_kwh: null, is_inverter_forced_mode_enabled: true } });
    expect(record(inv.body)).toMatchObject({ battery_capacity_kwh: null, is_inverter_forced_mode_enabled: true });
  });

  it('pauses power until a future instant and resumes on null', async () => {
    const path = users(`/${user}/heat-pumps/${heatPumpIdFor(i)}`);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const paused = record((await call(path, { method: 'PUT', json: { pause_power_until: until } })).body);
    expect(paused.is_pause_power_active).toBe(true);
    expect(Date.parse(str(paused.pause_power_until))).toBe(Date.parse(until));
    const resumed = record((await call(path, { method: 'PUT', json: { pause_power_until: null } })).body);
    expect(resumed).toMatchObject({ pause_power_until: null, is_pause_power_active: false });
  });

  it('refuses out-of-range and wrongly typed values and changes nothing', async () => {
    const before = await snapshot();
    const hp = await call(users(`/${user}/heat-pumps/${heatPumpIdFor(i)}`), {
      method: 'PUT',
      json: { optimization_level: 'High', maximum_temperature_limit: 40, is_space_cooling_enabled: 'yes', away_mode_start: 'tomorrow' },
    });
    expect(validation(hp)).toEqual([
      'enum @ ["body","payload","optimization_level"]',
      'bool_type @ ["body","payload","is_space_cooling_enabled"]',
      'less_than_equal @ ["body","payload","maximum_temperature_limit"]',
      'datetime_from_date_parsing @ ["body","payload","away_mode_start"]',
    ]);
    const ev = await call(users(`/${user}/electric-vehicles/${electricVehicleIdFor(i, 0)}`), { method: 'PUT', json: { charge_target_min: 50.5, charge_target_max: 101 } });
    expect(validation(ev)).toEqual(['int_from_float @ ["body","payload","charge_target_min"]', 'less_than_equal @ ["body","payload","charge_target_max"]']);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a minimum above the stored maximum, with the error on the field sent', async () => {
    const before = await snapshot();
    const path = users(`/${user}/electric-vehicles/${electricVehicleIdFor(i, 0)}`);
    const max = Number(record((await call(path)).body).charge_target_max);
    const reply = await call(path, { method: 'PUT', json: { charge_target_max: 10 } });
    expect(validation(reply)).toEqual(['value_error @ ["body","payload","charge_target_max"]']);
    expect(max).toBeGreaterThan(10);
    const hp = await call(users(`/${user}/heat-pumps/${heatPumpIdFor(i)}`), { method: 'PUT', json: { minimum_temperature_limit: 30, maximum_temperature_limit: 25 } });
    expect(validation(hp)).toEqual(['value_error @ ["body","payload","minimum_temperature_limit"]']);
    expect(await snapshot()).toBe(before);
  });

  it('answers 404 when updating a soft-deleted device', async () => {
    const d = personAt(SEED_RULES.electricVehicleSoftDeleted);
    expectDetail(await call(users(`/${userIdFor(d)}/electric-vehicles/${electricVehicleIdFor(d, 0)}`), { method: 'PUT', json: { comment: 'x' } }), 404, 'Not Found');
  });
});

describe('resolving a reauthenticate action', () => {
  const i = personAt((n) => SEED_RULES.heatPumpUnauthenticated(n) && !SEED_RULES.softDeleted(n));
  const devicePath = users(`/${userIdFor(i)}/heat-pumps/${heatPumpIdFor(i)}`);

  async function resolutionUrl(): Promise<string> {
    const device = record((await call(devicePath)).body);
    return str(record(records(device.actions)[0]!.resolution_link).url);
  }

  it('authenticates the device again without the partner token and redirects to successUrl', async () => {
    const url = await resolutionUrl();
    const reply = await call('', { method: 'POST', authorization: null, json: { successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/cancel' } }, url);
    expect(reply.status).toBe(200);
    api.expectSchema('ResolveCueResponse', reply.body);
    expect(reply.body).toEqual({ redirect_url: 'https://app.example/ok' });
    const device = record((await call(devicePath)).body);
    expect(device).toMatchObject({ is_authenticated: true, action_needed: false, actions: [], connection_status: 'ok' });
    expectDetail(await call('', { method: 'POST', json: { successUrl: 'https://a.example/', cancelUrl: 'https://a.example/' } }, url), 404, 'Not Found');
  });

  it('answers 403 for a wrong secret and leaves the action pending', async () => {
    const url = new URL(await resolutionUrl());
    url.searchParams.set('secret', 'forged');
    expectDetail(await call('', { method: 'POST', json: { successUrl: 'https://a.example/', cancelUrl: 'https://a.example/' } }, url.toString()), 403, 'Invalid or expired secret.');
    expect(record((await call(devicePath)).body).action_needed).toBe(true);
  });

  it('requires the secret and both URLs', async () => {
    const url = new URL(await resolutionUrl());
    url.search = '';
    const reply = await call('', { method: 'POST', json: { successUrl: 'not a url' } }, url.toString());
    expect(validation(reply)).toEqual(['missing @ ["query","secret"]', 'missing @ ["body","payload","cancelUrl"]', 'url_parsing @ ["body","payload","successUrl"]']);
    expect(record((await call(devicePath)).body).action_needed).toBe(true);
  });

  it('answers 404 for an unknown cue', async () => {
    expectDetail(await call(`/cues/${UNKNOWN_ID}/resolve?secret=x`, { method: 'POST', json: { successUrl: 'https://a.example/', cancelUrl: 'https://a.example/' } }), 404, 'Not Found');
  });
});

describe('bad requests', () => {
  const create = users();

  it('answers 400 "Cannot parse request body" for malformed JSON and for a body that is not JSON', async () => {
    const before = await snapshot();
    expectDetail(await call(create, { method: 'POST', raw: '{"role": "user",', contentType: 'application/json' }), 400, 'Cannot parse request body');
    expectDetail(await call(create, { method: 'POST', raw: 'role=user&email=a@b.example', contentType: 'application/x-www-form-urlencoded' }), 400, 'Cannot parse request body');
    expect(await snapshot()).toBe(before);
  });

  it('answers 422 for a JSON body that is not an object, and for a missing body', async () => {
    expect(validation(await call(create, { method: 'POST', json: [{ role: 'user' }] }))).toEqual(['model_attributes_type @ ["body","payload"]']);
    expect(validation(await call(users(`/${userIdFor(0)}`), { method: 'PUT', json: 'hello' }))).toEqual(['model_attributes_type @ ["body","payload"]']);
    expect(validation(await call(create, { method: 'POST' }))).toEqual(['missing @ ["body","payload"]']);
  });

  it('answers 400 "Bad Request" for a body over Django’s 2.5 MiB limit', async () => {
    const before = await snapshot();
    const huge = JSON.stringify({ role: 'user', email: 'big@example.com', first_name: 'x'.repeat(2_700_000) });
    expectDetail(await call(create, { method: 'POST', raw: huge, contentType: 'application/json' }), 400, 'Bad Request');
    expect(await snapshot()).toBe(before);
  });

  it('refuses a name longer than 150 characters', async () => {
    expect(validation(await call(create, { method: 'POST', json: { role: 'user', email: 'long@example.com', first_name: 'x'.repeat(151) } }))).toEqual([
      'string_too_long @ ["body","payload","first_name"]',
    ]);
  });

});

describe('emulator hooks', () => {
  it('restores the seeded data on reset with data', async () => {
    const seeded = await snapshot();
    await call(users(`/${userIdFor(0)}`), { method: 'PUT', json: { first_name: 'Changed' } });
    await call(users(), { method: 'POST', json: { role: 'user', email: 'temp@example.com' } });
    expect(await snapshot()).not.toBe(seeded);
    const reset = await call('/__emulator/reset?data=true', { method: 'POST' }, emulator.origin());
    expect(reset.status).toBe(200);
    expect(await snapshot()).toBe(seeded);
  });
});
