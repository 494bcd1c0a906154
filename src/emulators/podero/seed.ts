/**
 * The podero emulator's seed data, derived from the shared demo population (README.md beside this file
 * lists the rules). Who has an account is `membersOf(population, 'podero')`; which of them are special
 * (a customer id, soft-deleted, a staff role, which devices, which device needs reauthentication)
 * follows fixed arithmetic on the person's index, so tests and people can find the cases without
 * reading data; ids depend on the index alone; the seed changes only names and generated details.
 */
import { EPOCH_MS, hexFor, membersOf, pick, rngFor, uuidFor, type DemoPerson, type Population } from '../population';
import type { WireDeviceCommon, WireDeviceStatus, WirePriceZone, WireRole } from '../../contracts/podero';
import type { Cue, DeviceRecord, ElectricVehicleRecord, HeatPumpRecord, InverterRecord, PoderoData, UserRecord } from './store';
import { isoZ } from './validate';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The rules, by population index `i` (podero members are the even indices). Exported for the tests and README. */
export const SEED_RULES = {
  role(i: number): WireRole {
    if (i % 100 === 50) return 'admin';
    if (i % 50 === 20) return 'staff';
    if (i % 100 === 98) return 'guest';
    return 'user';
  },
  /** A partner customer id for i % 20 === 4, otherwise null. */
  externalUserId: (i: number): string | null => (i % 20 === 4 ? `customer_${10000 + i}` : null),
  softDeleted: (i: number): boolean => i % 30 === 24,
  /** People with i % 8 === 6 have not given an address yet. */
  hasAddress: (i: number): boolean => i % 8 !== 6,
  heatPump: (i: number): boolean => i % 4 === 0,
  /** One vehicle for i % 6 === 0, a second one for i % 24 === 0. */
  electricVehicles: (i: number): number => (i % 24 === 0 ? 2 : i % 6 === 0 ? 1 : 0),
  inverter: (i: number): boolean => i % 10 === 0 || i % 10 === 8,
  /** Which devices lost their authentication (and carry a `reauthenticate` action). */
  heatPumpUnauthenticated: (i: number): boolean => i % 16 === 8,
  /** The second vehicle (i % 24 === 0) is never authenticated. */
  electricVehicleUnauthenticated: (_i: number, n: number): boolean => n === 1,
  inverterUnauthenticated: (i: number): boolean => i % 20 === 18 || i % 40 === 30,
  /** These inverters are also in lifecycle state `error`. */
  inverterLifecycleError: (i: number): boolean => i % 40 === 30,
  /** The first vehicle of these people was soft-deleted. */
  electricVehicleSoftDeleted: (i: number): boolean => i % 36 === 18,
};

export const userIdFor = (i: number): string => uuidFor(`podero:user:${i}`);
export const heatPumpIdFor = (i: number): string => uuidFor(`podero:heat-pump:${i}`);
export const electricVehicleIdFor = (i: number, n: number): string => uuidFor(`podero:electric-vehicle:${i}:${n}`);
export const inverterIdFor = (i: number): string => uuidFor(`podero:inverter:${i}`);

interface Town {
  town: string;
  zip: string;
  country: 'DE' | 'AT';
  latitude: number;
  longitude: number;
}

const TOWNS: Town[] = [
  { town: 'Berlin', zip: '10115', country: 'DE', latitude: 52.532, longitude: 13.3846 },
  { town: 'München', zip: '80331', country: 'DE', latitude: 48.1374, longitude: 11.5755 },
  { town: 'Hamburg', zip: '20095', country: 'DE', latitude: 53.5503, longitude: 10.0007 },
  { town: 'Köln', zip: '50667', country: 'DE', latitude: 50.9384, longitude: 6.9599 },
  { town: 'Leipzig', zip: '04109', country: 'DE', latitude: 51.3397, longitude: 12.3731 },
  { town: 'Freiburg im Breisgau', zip: '79098', country: 'DE', latitude: 47.999, longitude: 7.8421 },
  { town: 'Wien', zip: '1010', country: 'AT', latitude: 48.2082, longitude: 16.3738 },
  { town: 'Graz', zip: '8010', country: 'AT', latitude: 47.0707, longitude: 15.4395 },
  { town: 'Linz', zip: '4020', country: 'AT', latitude: 48.3069, longitude: 14.2858 },
  { town: 'Salzburg', zip: '5020', country: 'AT', latitude: 47.8095, longitude: 13.055 },
];
const STREETS = ['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Lindenallee', 'Schulstraße', 'Mozartgasse', 'Am Sonnenhang', 'Mühlweg'];
const ADDRESS_EXTRAS = ['2. OG', 'Hinterhaus', 'Top 4', 'c/o Hausverwaltung'];
const PRICE_ZONE: Record<Town['country'], WirePriceZone> = { DE: 'DE_LU', AT: 'AT' };

interface Model {
  manufacturer: string;
  model: string;
  year: number | null;
}
const HEAT_PUMPS: Model[] = [
  { manufacturer: 'Nibe', model: 'S2125', year: 2022 },
  { manufacturer: 'Viessmann', model: 'Vitocal 250-A', year: 2023 },
  { manufacturer: 'Daikin', model: 'Altherma 3 H HT', year: 2021 },
  { manufacturer: 'Vaillant', model: 'aroTHERM plus', year: null },
  { manufacturer: 'Stiebel Eltron', model: 'WPL 25 A', year: 2020 },
];
const VEHICLES: (Model & { capacityKwh: number })[] = [
  { manufacturer: 'Tesla', model: 'Model 3', year: 2022, capacityKwh: 57.5 },
  { manufacturer: 'Volkswagen', model: 'ID.4', year: 2023, capacityKwh: 77 },
  { manufacturer: 'Renault', model: 'Zoe', year: 2020, capacityKwh: 52 },
  { manufacturer: 'BMW', model: 'i4', year: 2023, capacityKwh: 80.7 },
  { manufacturer: 'Hyundai', model: 'Kona Elektro', year: 2021, capacityKwh: 64.8 },
  { manufacturer: 'Škoda', model: 'Enyaq iV 80', year: null, capacityKwh: 77 },
];
const INVERTERS: Model[] = [
  { manufacturer: 'Fronius', model: 'Symo GEN24 Plus', year: 2022 },
  { manufacturer: 'SMA', model: 'Sunny Tripower X', year: 2023 },
  { manufacturer: 'Huawei', model: 'SUN2000-10KTL-M1', year: 2021 },
  { manufacturer: 'SolarEdge', model: 'Home Hub', year: null },
  { manufacturer: 'Kostal', model: 'Plenticore plus', year: 2020 },
];

const round = (value: number, decimals: number): number => Math.round(value * 10 ** decimals) / 10 ** decimals;
const between = (rng: () => number, min: number, max: number): number => min + rng() * (max - min);
const int = (rng: () => number, min: number, max: number): number => Math.floor(between(rng, min, max + 1));

function seedUser(person: DemoPerson, rng: () => number, orgId: string): UserRecord {
  const i = person.index;
  const joinedMs = EPOCH_MS - int(rng, 30, 700) * DAY_MS - int(rng, 0, 86_399) * 1000;
  const lastLogin = rng() < 0.25 ? null : isoZ(joinedMs + Math.floor(rng() * (EPOCH_MS - joinedMs) / 1000) * 1000);
  const town = pick(rng, TOWNS);
  const address = SEED_RULES.hasAddress(i);
  return {
    id: userIdFor(i),
    organization_id: orgId,
    role: SEED_RULES.role(i),
    email: person.email,
    external_user_id: SEED_RULES.externalUserId(i),
    first_name: person.firstName,
    last_name: person.lastName,
    is_onboarded: address,
    street_and_number: address ? `${pick(rng, STREETS)} ${int(rng, 1, 120)}` : null,
    street_add_info: address && rng() < 0.2 ? pick(rng, ADDRESS_EXTRAS) : null,
    zip_code: address ? town.zip : null,
    town: address ? town.town : null,
    country: address ? town.country : null,
    latitude: address ? round(town.latitude + between(rng, -0.03, 0.03), 5) : null,
    longitude: address ? round(town.longitude + between(rng, -0.03, 0.03), 5) : null,
    location_last_updated: address ? isoZ(joinedMs) : null,
    last_login: lastLogin,
    joined_at: isoZ(joinedMs),
    deleted_at: SEED_RULES.softDeleted(i) ? isoZ(EPOCH_MS - ((i % 7) + 1) * DAY_MS) : null,
  };
}

interface DeviceContext {
  user: UserRecord;
  rng: () => number;
  authenticated: boolean;
  deleted: boolean;
  /** A suffix for `external_device_id` of customers with a partner id. */
  suffix: string;
}

function cueFor(deviceId: string): Cue {
  return { id: uuidFor(`podero:cue:${deviceId}`), secret: hexFor(`podero:cue-secret:${deviceId}`, 40) };
}

/** The fields every device kind shares. */
function common(id: string, ctx: DeviceContext, model: Model, type: { short_name: string; long_name: string }): Omit<WireDeviceCommon, 'owner'> {
  const { rng, user, authenticated } = ctx;
  const joined = Date.parse(user.joined_at);
  const createdMs = joined + Math.floor(rng() * (EPOCH_MS - joined) * 0.5 / 1000) * 1000;
  const updatedMs = createdMs + Math.floor(rng() * (EPOCH_MS - createdMs) / 1000) * 1000;
  const health = (): WireDeviceStatus => (!authenticated ? 'unknown' : rng() < 0.1 ? 'warning' : 'ok');
  const lastState = authenticated ? EPOCH_MS - int(rng, 1, 15) * MINUTE_MS : EPOCH_MS - int(rng, 2, 20) * DAY_MS;
  return {
    id,
    created_at: isoZ(createdMs),
    updated_at: isoZ(updatedMs),
    deleted_at: ctx.deleted ? isoZ(EPOCH_MS - 2 * DAY_MS) : null,
    building: null,
    device_model: {
      device_type: type,
      manufacturer: model.manufacturer,
      model: model.model,
      cloud_service_instructions: null,
      cloud_service_signup_link: null,
      year: model.year,
      cloud_service: uuidFor(`podero:cloud-service:${model.manufacturer}`),
    },
    connection_status: authenticated ? 'ok' : 'error',
    monitoring_status: health(),
    steering_status: health(),
    price_zone: user.country === 'DE' || user.country === 'AT' ? PRICE_ZONE[user.country] : null,
    lifecycle_state: 'authenticated',
    lifecycle_error: null,
    pause_power_until: null,
    is_pause_power_active: false,
    external_device_id: user.external_user_id ? `${user.external_user_id}-${ctx.suffix}` : '',
    is_authenticated: authenticated,
    is_smart_optimization_active: rng() < 0.8,
    optimization_score: authenticated ? int(rng, 55, 98) : null,
    comment: null,
    current_state_last_updated_at: isoZ(lastState),
    last_monitoring_executed_at: isoZ(lastState),
    is_inverter_forced_mode_enabled: false,
    is_inverter_forced_mode_active: false,
    inverter_forced_mode_since: null,
    is_trading_enabled: rng() < 0.2,
    actual_steering_state: 'unknown',
  };
}

function heatPump(i: number, ctx: DeviceContext): HeatPumpRecord {
  const { rng } = ctx;
  const id = heatPumpIdFor(i);
  const base = common(id, ctx, pick(rng, HEAT_PUMPS), { short_name: 'hp_atw', long_name: 'Heat Pump (Air-to-Water)' });
  const inlet = round(between(rng, 25, 40), 1);
  return {
    collection: 'heat-pumps',
    userId: ctx.user.id,
    cue: ctx.authenticated ? null : cueFor(id),
    hasUnreadNotifications: !ctx.authenticated,
    wire: {
      ...base,
      current_mode: pick(rng, ['min', 'low', 'mid', 'max'] as const),
      optimization_level: pick(rng, ['Low', 'Mid', 'Max'] as const),
      is_forecasting_enabled: rng() < 0.7,
      indoor_target_temperature_offset: pick(rng, [-1, 0, 0, 0.5, 1]),
      dhw_standard_temperature: 50,
      is_hot_water_heating_enabled: true,
      is_space_heating_enabled: true,
      is_pool_heating_enabled: false,
      is_space_cooling_enabled: rng() < 0.2,
      heating_policy_name: rng() < 0.3 ? 'Comfort' : null,
      maximum_temperature_limit: int(rng, 23, 25),
      minimum_temperature_limit: int(rng, 18, 20),
      minimum_dhw_temperature_limit: 40,
      is_heating_policy_enabled: rng() < 0.5,
      away_mode_start: null,
      away_mode_end: null,
      is_away_mode_enabled: false,
      away_mode_minimum_temperature_limit: null,
      current_power_consumption_w: int(rng, 300, 3500),
      outdoor_temperature: round(between(rng, -5, 15), 1),
      indoor_actual_temperature: rng() < 0.15 ? null : round(between(rng, 19, 23), 1),
      indoor_target_temperature: round(between(rng, 20, 22), 1),
      inlet_temperature: inlet,
      outlet_temperature: round(inlet + between(rng, 3, 8), 1),
      dhw_temperature: round(between(rng, 45, 55), 1),
    },
  };
}

function electricVehicle(i: number, n: number, ctx: DeviceContext): ElectricVehicleRecord {
  const { rng } = ctx;
  const id = electricVehicleIdFor(i, n);
  const model = pick(rng, VEHICLES);
  const base = common(id, ctx, model, { short_name: 'ev', long_name: 'Electric Vehicle' });
  const targetMax = pick(rng, [80, 90, 100]);
  const level = int(rng, 10, 100);
  const plugged = rng() < 0.5;
  const full = level >= targetMax;
  const charging = plugged && !full && rng() < 0.6;
  return {
    collection: 'electric-vehicles',
    userId: ctx.user.id,
    cue: ctx.authenticated ? null : cueFor(id),
    hasUnreadNotifications: !ctx.authenticated,
    wire: {
      ...base,
      current_mode: null,
      charge_target_min: pick(rng, [30, 40, 50, 50]),
      charge_target_max: targetMax,
      is_charge_policy_enabled: rng() < 0.6,
      is_plugged_in: plugged,
      is_charging: charging,
      is_fully_charged: full,
      charge_rate_w: charging ? pick(rng, [3700, 7400, 11000]) : 0,
      battery_level: level,
      battery_capacity_kwh: model.capacityKwh,
      driving_range: Math.round((level / 100) * model.capacityKwh * 6.2),
      boost_state: ctx.authenticated && plugged && !full ? (charging ? 'ongoing' : 'available') : 'unavailable',
    },
  };
}

function inverter(i: number, ctx: DeviceContext): InverterRecord {
  const { rng } = ctx;
  const id = inverterIdFor(i);
  const base = common(id, ctx, pick(rng, INVERTERS), { short_name: 'inverter', long_name: 'Solar Inverter' });
  const rating = round(between(rng, 4, 15), 1);
  const battery = rng() < 0.6;
  const production = Math.round(rng() * rating * 800);
  const household = int(rng, 200, 2500);
  const surplus = Math.max(0, production - household);
  const batteryPower = battery ? int(rng, 0, 3000) : null;
  const error = SEED_RULES.inverterLifecycleError(i);
  return {
    collection: 'inverters',
    userId: ctx.user.id,
    cue: ctx.authenticated ? null : cueFor(id),
    hasUnreadNotifications: !ctx.authenticated,
    wire: {
      ...base,
      lifecycle_state: error ? 'error' : base.lifecycle_state,
      lifecycle_error: error ? 'The cloud service rejected the stored credentials.' : null,
      is_inverter_forced_mode_enabled: rng() < 0.3,
      current_mode: null,
      solar_power_rating_kw: rating,
      battery_capacity_kwh: battery ? pick(rng, [5.1, 7.7, 10.2, 13.5]) : null,
      is_battery_connected: battery,
      current_solar_production_w: production,
      household_consumption_w: household,
      battery_charge_discharge_power_w: batteryPower,
      is_battery_discharging: battery ? production < household : null,
      current_power_to_grid_w: surplus,
      is_exporting_to_grid: surplus > 0,
      battery_charge_level_percent: battery ? int(rng, 5, 100) : null,
      solar_surplus_w: surplus,
    },
  };
}

/** Builds the whole seeded organization: the same population and org id give the same data every run. */
export function seedPodero(population: Population, orgId: string): PoderoData {
  const data: PoderoData = { users: new Map(), devices: new Map() };
  for (const person of membersOf(population, 'podero')) {
    const i = person.index;
    const rng = rngFor(population.seed, 'podero', i);
    const user = seedUser(person, rng, orgId);
    data.users.set(user.id, user);
    const add = (device: DeviceRecord): void => void data.devices.set(device.wire.id, device);
    const ctx = (authenticated: boolean, suffix: string, deleted = false): DeviceContext => ({ user, rng, authenticated, deleted, suffix });
    if (SEED_RULES.heatPump(i)) add(heatPump(i, ctx(!SEED_RULES.heatPumpUnauthenticated(i), 'hp')));
    for (let n = 0; n < SEED_RULES.electricVehicles(i); n++) {
      const deleted = n === 0 && SEED_RULES.electricVehicleSoftDeleted(i);
      add(electricVehicle(i, n, ctx(!SEED_RULES.electricVehicleUnauthenticated(i, n), `ev${n + 1}`, deleted)));
    }
    if (SEED_RULES.inverter(i)) add(inverter(i, ctx(!SEED_RULES.inverterUnauthenticated(i), 'inv')));
  }
  return data;
}
