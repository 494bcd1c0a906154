/**
 * The podero connector over real HTTP: the real upstream client against the podero emulator, every
 * endpoint round-tripped into domain types, the documented failures as GatewayError codes, exactly one
 * request per call (emulator counters), and the exact wire requests (a recording proxy in front of the
 * emulator) — omitted keys absent from write bodies, `null` sent only when given.
 */
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createPoderoEmulator } from '../../src/emulators/podero';
import {
  electricVehicleIdFor,
  heatPumpIdFor,
  inverterIdFor,
  SEED_RULES,
  userIdFor,
} from '../../src/emulators/podero/seed';
import { asRecord, type Emulator } from '../../src/emulators/kit';
import { buildPopulation, membersOf } from '../../src/emulators/population';
import { ErrorCode, GatewayError, upstreamFailureMessage } from '../../src/errors';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createPoderoConnector, describePoderoError, type PoderoConnector } from '../../src/upstreams/podero/connector';
import type { Device, PoderoUser } from '../../src/upstreams/podero/types';
import type { CallEvent, UpstreamClient } from '../../src/upstreams/types';
import { startCanned, startRecordingProxy, type Recorded } from '../helpers/servers';

const population = buildPopulation({ people: 60 });
const members = membersOf(population, 'podero');
const TOKEN = DEV_TOKENS.podero;
const ORG = DEV_PODERO_ORG_ID;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let emulator: Emulator;
let client: UpstreamClient;
let podero: PoderoConnector;

function newClient(baseUrl: string): UpstreamClient {
  return createUpstreamClient({ upstream: 'podero', baseUrl, describeError: describePoderoError, retryBaseDelayMs: 1, retryMaxDelayMs: 50 });
}

beforeAll(async () => {
  emulator = createPoderoEmulator({ population });
  await emulator.listen(0);
});
afterAll(() => emulator.close());

beforeEach(() => {
  emulator.reset(true);
  // A fresh client per test, so one test's failures never open the breaker for the next.
  client = newClient(emulator.url());
  podero = createPoderoConnector({ client, token: TOKEN, orgId: ORG });
});
afterEach(() => client.close());

function personAt(rule: (i: number) => boolean): number {
  const person = members.find((p) => rule(p.index));
  if (!person) throw new Error('the test population has no podero member for this rule');
  return person.index;
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

/** The exact requests the emulator counted since the last reset. */
function routesCalled(): Record<string, number> {
  return emulator.counts().byRoute;
}

/** A record exactly as the API sends it, read with plain fetch (the reference for mapping checks). */
async function wire(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${emulator.url()}/org/${ORG}/users${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return asRecord(await res.json());
}

const dateOrNull = (v: unknown): Date | null => (v === null ? null : new Date(String(v)));

/** The domain value a wire user should map to, derived field by field from the documented mapping. */
function expectedUser(w: Record<string, unknown>): PoderoUser {
  const s = (v: unknown): string | null => (v === null ? null : String(v));
  const n = (v: unknown): number | null => (v === null ? null : Number(v));
  const roles = { admin: 'ADMIN', staff: 'STAFF', user: 'USER', guest: 'GUEST' } as const;
  const role = String(w.role);
  if (role !== 'admin' && role !== 'staff' && role !== 'user' && role !== 'guest') throw new Error(`unexpected wire role ${role}`);
  return {
    id: String(w.id),
    organizationId: String(w.organization_id),
    role: roles[role],
    email: String(w.email),
    externalUserId: s(w.external_user_id),
    firstName: s(w.first_name),
    lastName: s(w.last_name),
    isOnboarded: w.is_onboarded === null ? null : Boolean(w.is_onboarded),
    address: {
      streetAndNumber: s(w.street_and_number),
      streetAddInfo: s(w.street_add_info),
      zipCode: s(w.zip_code),
      town: s(w.town),
      country: s(w.country),
      latitude: n(w.latitude),
      longitude: n(w.longitude),
    },
    locationLastUpdated: dateOrNull(w.location_last_updated),
    deviceCounts: {
      heatPumps: Number(w.num_heat_pumps),
      electricVehicles: Number(w.num_electric_vehicles),
      inverters: Number(w.num_inverters),
      wallboxes: Number(w.num_wallboxes),
    },
    lastLogin: dateOrNull(w.last_login),
    joinedAt: new Date(String(w.joined_at)),
    deletedAt: dateOrNull(w.deleted_at),
  };
}

/** Runs `fn` with a connector whose requests pass through a recording proxy. */
async function recorded<T>(fn: (connector: PoderoConnector) => Promise<T>): Promise<{ result: T; requests: Recorded[] }> {
  const recorder = await startRecordingProxy(emulator.origin(), '/api/partners/v2.0');
  const recordingClient = newClient(recorder.baseUrl);
  try {
    const result = await fn(createPoderoConnector({ client: recordingClient, token: TOKEN, orgId: ORG }));
    return { result, requests: recorder.requests };
  } finally {
    await recordingClient.close();
    await recorder.close();
  }
}

function jsonBody(request: Recorded | undefined): unknown {
  if (!request) throw new Error('expected a recorded request');
  return JSON.parse(request.body);
}

// ---------------------------------------------------------------------------------------------------

describe('reading users', () => {
  it('lists every visible user, each mapped field by field from the wire', async () => {
    const users = await podero.listUsers();
    expect(routesCalled()).toEqual({ 'GET /org/:org_id/users': 1 });
    const visible = members.filter((p) => !SEED_RULES.softDeleted(p.index));
    expect(users.map((u) => u.id).sort()).toEqual(visible.map((p) => userIdFor(p.index)).sort());
    const first = users.find((u) => u.id === userIdFor(0));
    expect(first).toEqual(expectedUser(await wire(`/${userIdFor(0)}`)));
    expect(first?.joinedAt).toBeInstanceOf(Date);
  });

  it('lists soft-deleted users too when asked, sending include_deleted=true', async () => {
    const { result, requests } = await recorded((c) => c.listUsers({ includeDeleted: true }));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/partners/v2.0/org/${ORG}/users?include_deleted=true`]);
    expect(result).toHaveLength(members.length);
    const deleted = result.filter((u) => u.deletedAt !== null);
    expect(deleted.map((u) => u.id).sort()).toEqual(members.filter((p) => SEED_RULES.softDeleted(p.index)).map((p) => userIdFor(p.index)).sort());
    expect(deleted[0]?.deletedAt).toBeInstanceOf(Date);
  });

  it('gets one user by id with the bearer token and nothing in the query by default', async () => {
    const { result, requests } = await recorded((c) => c.getUser(userIdFor(4)));
    expect(result).toEqual(expectedUser(await wire(`/${userIdFor(4)}`)));
    expect(result?.externalUserId).toBe(SEED_RULES.externalUserId(4));
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe(`/api/partners/v2.0/org/${ORG}/users/${userIdFor(4)}`);
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('answers null for an unknown user, and for a soft-deleted one unless includeDeleted', async () => {
    expect(await podero.getUser(UNKNOWN_ID)).toBeNull();
    const deleted = userIdFor(personAt(SEED_RULES.softDeleted));
    expect(await podero.getUser(deleted)).toBeNull();
    expect((await podero.getUser(deleted, { includeDeleted: true }))?.deletedAt).toBeInstanceOf(Date);
    expect(routesCalled()).toEqual({ 'GET /org/:org_id/users/:user_id': 3 });
  });

  it('reports an id that is not a UUID as BAD_USER_INPUT on userId', async () => {
    const err = await failure(podero.getUser('not-a-uuid'));
    expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(err.fieldErrors).toEqual([{ path: ['userId'], message: expect.stringContaining('UUID') }]);
    expect(err.upstream).toBe('podero');
  });

  it('refuses an empty id without calling podero', async () => {
    expect((await failure(podero.getUser(' '))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(emulator.counts().total).toBe(0);
  });

  it('finds a user by external id, encoding it into the path, and answers null for none', async () => {
    const i = personAt((n) => SEED_RULES.externalUserId(n) !== null && !SEED_RULES.softDeleted(n));
    const user = await podero.getUserByExternalId(String(SEED_RULES.externalUserId(i)));
    expect(user?.id).toBe(userIdFor(i));
    expect(await podero.getUserByExternalId('no such customer/42')).toBeNull();
    expect(routesCalled()).toEqual({ 'GET /org/:org_id/users/by-ext-id/:external_id': 2 });
    const { requests } = await recorded((c) => c.getUserByExternalId('a/b c'));
    expect(requests[0]!.path).toBe(`/api/partners/v2.0/org/${ORG}/users/by-ext-id/a%2Fb%20c`);
  });

  it('finds a soft-deleted user by external id only with includeDeleted', async () => {
    const i = personAt((n) => SEED_RULES.externalUserId(n) !== null && SEED_RULES.softDeleted(n));
    const ext = String(SEED_RULES.externalUserId(i));
    expect(await podero.getUserByExternalId(ext)).toBeNull();
    expect((await podero.getUserByExternalId(ext, { includeDeleted: true }))?.id).toBe(userIdFor(i));
  });
});

describe('creating users', () => {
  it('sends role USER and the email alone when nothing else is given', async () => {
    const { result, requests } = await recorded((c) => c.createUser({ email: 'minimal@example.com' }));
    expect(requests.map((r) => r.method)).toEqual(['POST']);
    expect(jsonBody(requests[0])).toEqual({ role: 'user', email: 'minimal@example.com' });
    expect(requests[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(result).toMatchObject({ email: 'minimal@example.com', role: 'USER', externalUserId: null, address: { town: null } });
  });

  it('sends every given key in wire names, including the external id and nulls, and maps the new user', async () => {
    const input = {
      email: 'john.doe@example.com',
      role: 'STAFF' as const,
      externalUserId: 'person-4f6c',
      firstName: 'John',
      lastName: null,
      address: { streetAndNumber: 'Main Street 123', zipCode: '10115', town: 'Berlin', country: 'DE', latitude: 52.52, longitude: 13.4, streetAddInfo: null },
    };
    const { result, requests } = await recorded((c) => c.createUser(input));
    expect(jsonBody(requests[0])).toEqual({
      role: 'staff',
      email: 'john.doe@example.com',
      external_user_id: 'person-4f6c',
      first_name: 'John',
      last_name: null,
      street_and_number: 'Main Street 123',
      street_add_info: null,
      zip_code: '10115',
      town: 'Berlin',
      country: 'DE',
      latitude: 52.52,
      longitude: 13.4,
    });
    expect(result).toEqual(expectedUser(await wire(`/${result.id}`)));
    expect(result).toMatchObject({ role: 'STAFF', externalUserId: 'person-4f6c', firstName: 'John', lastName: null, address: { zipCode: '10115', latitude: 52.52 } });
    expect(await podero.getUserByExternalId('person-4f6c')).toEqual(result);
  });

  it('makes exactly one POST per create', async () => {
    await podero.createUser({ email: 'one@example.com' });
    expect(routesCalled()).toEqual({ 'POST /org/:org_id/users': 1 });
  });

  it('reports a taken email as CONFLICT email_taken and a taken external id as external_user_id_taken', async () => {
    const taken = await failure(podero.createUser({ email: members[0]!.email }));
    expect(taken).toMatchObject({ code: ErrorCode.CONFLICT, reason: 'email_taken', upstream: 'podero', fieldErrors: [{ path: ['email'], message: expect.any(String) }] });
    const ext = String(SEED_RULES.externalUserId(personAt((n) => SEED_RULES.externalUserId(n) !== null)));
    const extTaken = await failure(podero.createUser({ email: 'fresh@example.com', externalUserId: ext }));
    expect(extTaken).toMatchObject({ code: ErrorCode.CONFLICT, reason: 'external_user_id_taken', fieldErrors: [{ path: ['externalUserId'], message: expect.any(String) }] });
    // POST is not idempotent: a refused create is never retried.
    expect(routesCalled()).toEqual({ 'POST /org/:org_id/users': 2 });
  });

  it('reports invalid fields as BAD_USER_INPUT with their input paths, the address ones under address', async () => {
    const err = await failure(podero.createUser({ email: 'not-an-email', address: { latitude: 123, country: 'Germany' } }));
    expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(err.reason).toBe('validation_failed');
    expect(err.fieldErrors?.map((f) => f.path)).toEqual([['email'], ['address', 'country'], ['address', 'latitude']]);
    expect(err.message).toBe(upstreamFailureMessage('podero', ErrorCode.BAD_USER_INPUT, 422));
  });
});

describe('updating users', () => {
  const id = userIdFor(0);

  it('sends only the keys given, null only where given, and maps the answer', async () => {
    const before = await podero.getUser(id);
    const { result, requests } = await recorded((c) => c.updateUser(id, { firstName: 'Peter', address: { town: 'Berlin', streetAddInfo: null } }));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/partners/v2.0/org/${ORG}/users/${id}`]);
    expect(jsonBody(requests[0])).toEqual({ first_name: 'Peter', town: 'Berlin', street_add_info: null });
    expect(result).toEqual({
      ...before,
      firstName: 'Peter',
      address: { ...before?.address, town: 'Berlin', streetAddInfo: null },
      locationLastUpdated: result.locationLastUpdated,
    });
  });

  it('clears every address key when address is null', async () => {
    const { result, requests } = await recorded((c) => c.updateUser(id, { address: null }));
    expect(jsonBody(requests[0])).toEqual({
      street_and_number: null,
      street_add_info: null,
      zip_code: null,
      town: null,
      country: null,
      latitude: null,
      longitude: null,
    });
    expect(result.address).toEqual({ streetAndNumber: null, streetAddInfo: null, zipCode: null, town: null, country: null, latitude: null, longitude: null });
  });

  it('changes email, role and external id, and leaves names alone', async () => {
    const before = await podero.getUser(id);
    const { result, requests } = await recorded((c) => c.updateUser(id, { email: 'moved@example.com', role: 'ADMIN', externalUserId: 'p-1' }));
    expect(jsonBody(requests[0])).toEqual({ email: 'moved@example.com', role: 'admin', external_user_id: 'p-1' });
    expect(result).toMatchObject({ email: 'moved@example.com', role: 'ADMIN', externalUserId: 'p-1', firstName: before?.firstName, lastName: before?.lastName });
  });

  it('sends an empty body for an empty patch and gets the user back unchanged', async () => {
    const before = await podero.getUser(id);
    const { result, requests } = await recorded((c) => c.updateUser(id, {}));
    expect(jsonBody(requests[0])).toEqual({});
    expect(result).toEqual(before);
  });

  it('makes exactly one PUT per update', async () => {
    await podero.updateUser(id, { lastName: 'Schmidt' });
    expect(routesCalled()).toEqual({ 'PUT /org/:org_id/users/:user_id': 1 });
  });

  it('reports NOT_FOUND for an unknown user and CONFLICT for another user’s email', async () => {
    expect((await failure(podero.updateUser(UNKNOWN_ID, { firstName: 'X' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect(await failure(podero.updateUser(id, { email: members[1]!.email }))).toMatchObject({ code: ErrorCode.CONFLICT, reason: 'email_taken' });
    expect((await podero.getUser(id))?.email).toBe(members[0]!.email);
  });
});

describe('devices', () => {
  const i = 0;
  const user = userIdFor(i);

  it('lists heat pumps as HEAT_PUMP devices with UPPER_SNAKE enums, Dates and no detail-only fields', async () => {
    const hps = await podero.listHeatPumps(user);
    expect(routesCalled()).toEqual({ 'GET /org/:org_id/users/:user_id/heat-pumps': 1 });
    expect(hps).toHaveLength(1);
    const hp = hps[0]!;
    const w = await wire(`/${user}/heat-pumps/${heatPumpIdFor(i)}`);
    expect(hp).toMatchObject({
      kind: 'HEAT_PUMP',
      id: heatPumpIdFor(i),
      userId: user,
      isAuthenticated: w.is_authenticated,
      isSmartOptimizationActive: w.is_smart_optimization_active,
      connectionStatus: String(w.connection_status).toUpperCase(),
      optimizationLevel: String(w.optimization_level).toUpperCase(),
      currentMode: String(w.current_mode).toUpperCase(),
      lifecycleState: 'AUTHENTICATED',
      actualSteeringState: 'UNKNOWN',
      priceZone: w.price_zone,
      maximumTemperatureLimit: w.maximum_temperature_limit,
      outdoorTemperature: w.outdoor_temperature,
      actions: null,
      actionNeeded: null,
      hasUnreadNotifications: null,
    });
    expect(hp.createdAt).toEqual(new Date(String(w.created_at)));
    expect(hp.owner).toEqual({ id: user, email: members[0]!.email, firstName: members[0]!.firstName, lastName: members[0]!.lastName, externalId: null });
    expect(hp.model.manufacturer).toBe(asRecord(w.device_model).manufacturer);
  });

  it('gets a device with its reauthenticate action and resolution link', async () => {
    const ev = await podero.getElectricVehicle(user, electricVehicleIdFor(i, 1));
    expect(routesCalled()).toEqual({ 'GET /org/:org_id/users/:user_id/electric-vehicles/:electric_vehicle_id': 1 });
    expect(ev).toMatchObject({ kind: 'ELECTRIC_VEHICLE', isAuthenticated: false, actionNeeded: true, hasUnreadNotifications: true });
    expect(ev?.actions).toEqual([
      { code: 'reauthenticate', resolutionLink: { url: expect.stringMatching(/\/cues\/[0-9a-f-]{36}\/resolve\?secret=/), requiredParameters: ['successUrl', 'cancelUrl'] } },
    ]);
    const ok = await podero.getInverter(user, inverterIdFor(i));
    expect(ok).toMatchObject({ kind: 'INVERTER', isAuthenticated: true, actionNeeded: false, actions: [] });
  });

  it('maps vehicle and inverter specifics', async () => {
    const [ev] = await podero.listElectricVehicles(user);
    const evWire = await wire(`/${user}/electric-vehicles/${electricVehicleIdFor(i, 0)}`);
    expect(ev).toMatchObject({
      chargeTargetMin: evWire.charge_target_min,
      chargeTargetMax: evWire.charge_target_max,
      batteryLevel: evWire.battery_level,
      drivingRange: evWire.driving_range,
      boostState: String(evWire.boost_state).toUpperCase(),
      currentMode: null,
    });
    const [inv] = await podero.listInverters(user);
    const invWire = await wire(`/${user}/inverters/${inverterIdFor(i)}`);
    expect(inv).toMatchObject({
      solarPowerRatingKw: invWire.solar_power_rating_kw,
      isBatteryConnected: invWire.is_battery_connected,
      currentSolarProductionW: invWire.current_solar_production_w,
      isExportingToGrid: invWire.is_exporting_to_grid,
    });
  });

  it('reads the lifecycle error of a failing inverter', async () => {
    const n = personAt(SEED_RULES.inverterLifecycleError);
    const inv = await podero.getInverter(userIdFor(n), inverterIdFor(n));
    expect(inv).toMatchObject({ lifecycleState: 'ERROR', lifecycleError: expect.any(String), isAuthenticated: false });
  });

  it('answers null for an unknown device or another user’s device', async () => {
    expect(await podero.getHeatPump(user, UNKNOWN_ID)).toBeNull();
    const other = personAt((n) => n !== i && SEED_RULES.heatPump(n));
    expect(await podero.getHeatPump(user, heatPumpIdFor(other))).toBeNull();
  });

  it('sees a soft-deleted device only with includeDeleted, in lists and lookups', async () => {
    const n = personAt(SEED_RULES.electricVehicleSoftDeleted);
    const deleted = electricVehicleIdFor(n, 0);
    expect((await podero.listElectricVehicles(userIdFor(n))).map((d) => d.id)).not.toContain(deleted);
    expect((await podero.listElectricVehicles(userIdFor(n), { includeDeleted: true })).map((d) => d.id)).toContain(deleted);
    expect(await podero.getElectricVehicle(userIdFor(n), deleted)).toBeNull();
    expect((await podero.getElectricVehicle(userIdFor(n), deleted, { includeDeleted: true }))?.deletedAt).toBeInstanceOf(Date);
  });

  it('updates a heat pump with only the keys given, dates as ISO strings, and maps the answer', async () => {
    const start = new Date(Date.UTC(2024, 6, 1, 8, 0, 0));
    const { result, requests } = await recorded((c) =>
      c.updateHeatPump(user, heatPumpIdFor(i), { isSmartOptimizationActive: false, optimizationLevel: 'MAX', awayModeStart: start, awayModeEnd: null, comment: null }),
    );
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/partners/v2.0/org/${ORG}/users/${user}/heat-pumps/${heatPumpIdFor(i)}`]);
    expect(jsonBody(requests[0])).toEqual({
      is_smart_optimization_active: false,
      comment: null,
      optimization_level: 'Max',
      away_mode_start: '2024-07-01T08:00:00.000Z',
      away_mode_end: null,
    });
    expect(result).toMatchObject({ kind: 'HEAT_PUMP', isSmartOptimizationActive: false, optimizationLevel: 'MAX', awayModeStart: start, awayModeEnd: null, comment: null });
    expect(result.actions).toEqual([]);
  });

  it('updates vehicles and inverters with exactly one PUT each', async () => {
    const ev = await podero.updateElectricVehicle(user, electricVehicleIdFor(i, 0), { chargeTargetMin: 20, chargeTargetMax: 90, isChargePolicyEnabled: true });
    expect(ev).toMatchObject({ chargeTargetMin: 20, chargeTargetMax: 90, isChargePolicyEnabled: true });
    const { result: inv, requests } = await recorded((c) => c.updateInverter(user, inverterIdFor(i), { batteryCapacityKwh: null, pausePowerUntil: null }));
    expect(jsonBody(requests[0])).toEqual({ battery_capacity_kwh: null, pause_power_until: null });
    expect(inv).toMatchObject({ batteryCapacityKwh: null, pausePowerUntil: null, isPausePowerActive: false });
    expect(routesCalled()).toEqual({
      'PUT /org/:org_id/users/:user_id/electric-vehicles/:electric_vehicle_id': 1,
      'PUT /org/:org_id/users/:user_id/inverters/:inverter_id': 1,
    });
  });

  it('reports an out-of-range value as BAD_USER_INPUT on its input name', async () => {
    const err = await failure(podero.updateElectricVehicle(user, electricVehicleIdFor(i, 0), { chargeTargetMax: 150 }));
    expect(err).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, fieldErrors: [{ path: ['chargeTargetMax'], message: 'is too large' }] });
  });

  it('refuses an invalid Date without calling podero', async () => {
    const err = await failure(podero.updateHeatPump(user, heatPumpIdFor(i), { pausePowerUntil: new Date('nonsense') }));
    expect(err).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, fieldErrors: [{ path: ['pausePowerUntil'], message: expect.any(String) }] });
    expect(emulator.counts().total).toBe(0);
  });

  it('reports NOT_FOUND when updating an unknown device', async () => {
    expect((await failure(podero.updateInverter(user, UNKNOWN_ID, { comment: 'x' }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('listDevices', () => {
  it('returns all three kinds from three list calls made in parallel', async () => {
    const i = personAt((n) => SEED_RULES.heatPump(n) && SEED_RULES.electricVehicles(n) === 2 && SEED_RULES.inverter(n));
    emulator.setFaults({ latencyMs: 150 });
    const started = Date.now();
    const devices: Device[] = await podero.listDevices(userIdFor(i));
    const elapsed = Date.now() - started;
    emulator.setFaults({});
    expect(devices.map((d) => `${d.kind} ${d.id}`)).toEqual([
      `HEAT_PUMP ${heatPumpIdFor(i)}`,
      `ELECTRIC_VEHICLE ${electricVehicleIdFor(i, 0)}`,
      `ELECTRIC_VEHICLE ${electricVehicleIdFor(i, 1)}`,
      `INVERTER ${inverterIdFor(i)}`,
    ]);
    expect(routesCalled()).toEqual({
      'GET /org/:org_id/users/:user_id/heat-pumps': 1,
      'GET /org/:org_id/users/:user_id/electric-vehicles': 1,
      'GET /org/:org_id/users/:user_id/inverters': 1,
    });
    // Three sequential calls would take at least 450 ms.
    expect(elapsed).toBeLessThan(400);
  });

  it('reads every device’s detail too when asked, so actions are known', async () => {
    const i = personAt((n) => SEED_RULES.heatPump(n) && SEED_RULES.electricVehicles(n) === 2 && SEED_RULES.inverter(n));
    const plain = await podero.listDevices(userIdFor(i));
    expect(plain.map((d) => d.actions)).toEqual([null, null, null, null]);
    emulator.reset();
    const devices = await podero.listDevices(userIdFor(i), { details: true });
    expect(devices.map((d) => d.id)).toEqual(plain.map((d) => d.id));
    // In the seeded data a device has a pending action exactly when it lost its authentication.
    expect(devices.map((d) => d.actionNeeded)).toEqual(devices.map((d) => !d.isAuthenticated));
    const second = devices.find((d) => d.id === electricVehicleIdFor(i, 1));
    expect(second?.actions?.map((a) => a.code)).toEqual(['reauthenticate']);
    expect(routesCalled()).toEqual({
      'GET /org/:org_id/users/:user_id/heat-pumps': 1,
      'GET /org/:org_id/users/:user_id/electric-vehicles': 1,
      'GET /org/:org_id/users/:user_id/inverters': 1,
      'GET /org/:org_id/users/:user_id/heat-pumps/:heat_pump_id': 1,
      'GET /org/:org_id/users/:user_id/electric-vehicles/:electric_vehicle_id': 2,
      'GET /org/:org_id/users/:user_id/inverters/:inverter_id': 1,
    });
  });

  it('returns an empty list for a user without devices and NOT_FOUND for an unknown user', async () => {
    const none = personAt((n) => !SEED_RULES.heatPump(n) && !SEED_RULES.inverter(n) && SEED_RULES.electricVehicles(n) === 0);
    expect(await podero.listDevices(userIdFor(none))).toEqual([]);
    expect((await failure(podero.listDevices(UNKNOWN_ID))).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('narrows on kind', async () => {
    const devices = await podero.listDevices(userIdFor(0));
    const summary = devices.map((d) => {
      switch (d.kind) {
        case 'HEAT_PUMP':
          return d.optimizationLevel;
        case 'ELECTRIC_VEHICLE':
          return d.boostState;
        case 'INVERTER':
          return d.isBatteryConnected;
      }
    });
    expect(summary).toHaveLength(4);
  });
});

describe('call options and credentials', () => {
  it('propagates the request id and reports each call with its route', async () => {
    const events: CallEvent[] = [];
    const { requests } = await recorded((c) => c.getUser(userIdFor(0), {}, { requestId: 'req-podero-1', onCall: (e) => events.push(e) }));
    expect(requests[0]!.headers['x-request-id']).toBe('req-podero-1');
    expect(events).toEqual([expect.objectContaining({ upstream: 'podero', method: 'GET', route: '/org/:org_id/users/:user_id', status: 200 })]);
  });

  it('reports a wrong token as UPSTREAM_AUTH_FAILED without the token in the message', async () => {
    const wrong = createPoderoConnector({ client, token: 'wrong-secret-token', orgId: ORG });
    const err = await failure(wrong.listUsers());
    expect(err.code).toBe(ErrorCode.UPSTREAM_AUTH_FAILED);
    expect(err.message).not.toContain('wrong-secret-token');
  });

  it('reports another organization as UPSTREAM_AUTH_FAILED with reason wrong_organization', async () => {
    const elsewhere = createPoderoConnector({ client, token: TOKEN, orgId: UNKNOWN_ID });
    expect(await failure(elsewhere.getUser(userIdFor(0)))).toMatchObject({ code: ErrorCode.UPSTREAM_AUTH_FAILED, reason: 'wrong_organization' });
  });

  it('scopes every path to the organization it was given', async () => {
    const orgId = 'a3c1e7f0-1111-4222-8333-944455556666';
    const other = createPoderoEmulator({ population, orgId });
    const url = await other.listen(0);
    const otherClient = newClient(url);
    try {
      const users = await createPoderoConnector({ client: otherClient, token: TOKEN, orgId }).listUsers();
      expect(new Set(users.map((u) => u.organizationId))).toEqual(new Set([orgId]));
    } finally {
      await otherClient.close();
      await other.close();
    }
  });
});

describe('upstream failures', () => {
  it('reports an injected 500 (an HTML page) as UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ status: 500 });
    const err = await failure(podero.getUser(userIdFor(0)));
    emulator.setFaults({});
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).not.toContain('<h1>');
  });

  it('reports 429 as RATE_LIMITED', async () => {
    emulator.setFaults({ status: 429, retryAfter: 30 });
    const err = await failure(podero.listUsers());
    emulator.setFaults({});
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
  });

  it('does not take a 404 that is not podero’s own for a missing user', async () => {
    const canned = await startCanned('/api/partners/v2.0', 404, '<html><body>nginx: Not Found</body></html>', 'text/html');
    const cannedClient = newClient(canned.baseUrl);
    try {
      const err = await failure(createPoderoConnector({ client: cannedClient, token: TOKEN, orgId: ORG }).getUser(userIdFor(0)));
      expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    } finally {
      await cannedClient.close();
      await canned.close();
    }
  });

  it('reports an answer of the wrong shape as UPSTREAM_UNAVAILABLE naming the field', async () => {
    const canned = await startCanned('/api/partners/v2.0', 200, JSON.stringify([{ id: 'x', organization_id: ORG, role: 'owner', email: 'a@b.example' }]));
    const cannedClient = newClient(canned.baseUrl);
    try {
      const connector = createPoderoConnector({ client: cannedClient, token: TOKEN, orgId: ORG });
      const err = await failure(connector.listUsers());
      expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      expect(err.message).toContain('[0].role');
      const notList = await failure(connector.listHeatPumps(userIdFor(0)));
      expect(notList.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      expect(notList.message).toContain('[0]');
    } finally {
      await cannedClient.close();
      await canned.close();
    }
  });

  it('reports a malformed JSON answer as UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ malformed: true });
    const err = await failure(podero.listUsers());
    emulator.setFaults({});
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
  });
});

describe('describePoderoError', () => {
  it('reads a 422 into field errors in input names, whole-body errors with an empty path', () => {
    const description = describePoderoError(422, {
      detail: [
        { type: 'missing', loc: ['body', 'payload', 'email'], msg: 'Field required' },
        { type: 'float_type', loc: ['body', 'payload', 'longitude'], msg: 'Input should be a valid number' },
        { type: 'uuid_parsing', loc: ['path', 'heat_pump_id'], msg: 'Input should be a valid UUID' },
        { type: 'bool_parsing', loc: ['query', 'include_deleted'], msg: 'Input should be a valid boolean' },
        { type: 'model_attributes_type', loc: ['body', 'payload'], msg: 'Input should be a valid dictionary' },
      ],
    });
    expect(description.reason).toBe('validation_failed');
    expect(description.fieldErrors).toEqual([
      { path: ['email'], message: 'is required' },
      { path: ['address', 'longitude'], message: 'must be a number' },
      { path: ['heatPumpId'], message: 'must be a UUID' },
      { path: ['includeDeleted'], message: 'must be true or false' },
      { path: [], message: 'must be an object' },
    ]);
    expect(description.detail).toContain('body.payload.email: Field required');
  });

  it('names no field the gateway does not send and words no error type it does not know', () => {
    const description = describePoderoError(422, {
      detail: [{ type: 'SELECT * FROM users', loc: ['body', 'payload', 'db-prod-01.internal:5432'], msg: 'at Object.handler (/srv/x.js:1:1)' }],
    });
    expect(description.fieldErrors).toEqual([{ path: [], message: 'is not valid' }]);
  });

  it('never passes on URLs, credentials or bodies that are not podero’s', () => {
    const described = describePoderoError(400, { detail: 'Bad token Bearer abcdefghijklmnop for https://app.podero.com/api/partners/v2.0/org/x' });
    expect(Object.keys(described)).toEqual(['detail']);
    expect(described.detail).not.toContain('abcdefghijklmnop');
    expect(described.detail).not.toContain('https://');
    expect(describePoderoError(500, '<h1>Server Error (500)</h1>')).toEqual({});
    expect(describePoderoError(502, undefined)).toEqual({});
    expect(describePoderoError(418, { detail: 42 })).toEqual({});
  });

  it('bounds the length of upstream text', () => {
    const described = describePoderoError(409, { detail: 'x'.repeat(1000) });
    expect(described.detail?.length).toBeLessThan(260);
  });
});
