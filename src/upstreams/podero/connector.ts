/**
 * The podero connector: one typed function per endpoint of the partner API's user and device endpoints
 * (seed document 003, upstream-contracts.md §4), speaking its wire format through the shared HTTP
 * client and answering in domain types (`types.ts`). Every path is scoped to the gateway's organization.
 * The API does not paginate (lists are plain arrays), so there is no "all pages" helper.
 *
 * Write bodies carry exactly the keys the caller gave: `undefined` leaves a key out (the API leaves
 * that field as it is), `null` is sent as null (the API clears it).
 */
import { badInput, UnreachableCaseError } from '../../errors';
import type { CallOptions, UpstreamClient } from '../types';
import { userResource } from '../shape';
import { isDetailBody, malformed, readElectricVehicle, readHeatPump, readInverter, readList, readUser } from './map';
import type {
  CreatePoderoUserInput,
  Device,
  DevicePatch,
  ElectricVehicle,
  ElectricVehiclePatch,
  HeatPump,
  HeatPumpPatch,
  Inverter,
  InverterPatch,
  ListDevicesOptions,
  ListPoderoOptions,
  PoderoAddressPatch,
  PoderoAssignableRole,
  PoderoUser,
  PoderoUserPatch,
} from './types';
import type {
  WireAddressBody,
  WireAssignableRole,
  WireCreateUserBody,
  WireDeviceCollection,
  WireDeviceUpdateCommon,
  WireElectricVehicleUpdateBody,
  WireHeatPumpUpdateBody,
  WireInverterUpdateBody,
  WireUpdateUserBody,
} from '../../contracts/podero';

export { describePoderoError } from './describe';

export interface PoderoConnectorOptions {
  client: UpstreamClient;
  /** The client-credentials access token, sent as `Authorization: Bearer <token>`. */
  token: string;
  /** The organization every path is scoped to (`PODERO_ORG_ID`; the configuration supplies its default). */
  orgId: string;
}

export interface PoderoConnector {
  /** `GET /org/:org_id/users`: every user (plain array). */
  listUsers(options?: ListPoderoOptions, call?: CallOptions): Promise<PoderoUser[]>;
  /** `GET /org/:org_id/users/:user_id`; `null` when the API has no such (visible) user. */
  getUser(userId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<PoderoUser | null>;
  /** `GET /org/:org_id/users/by-ext-id/:external_id` (exact match); `null` when there is none. */
  getUserByExternalId(externalId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<PoderoUser | null>;
  /** `POST /org/:org_id/users`. CONFLICT (`email_taken`, `external_user_id_taken`) when taken. */
  createUser(input: CreatePoderoUserInput, call?: CallOptions): Promise<PoderoUser>;
  /** `PUT /org/:org_id/users/:user_id` with only the keys given (the API's PUT behaves like PATCH; an empty patch reads the user back unchanged). */
  updateUser(userId: string, patch: PoderoUserPatch, call?: CallOptions): Promise<PoderoUser>;

  /** `GET …/users/:user_id/heat-pumps`. Items lack the detail-only fields (`actions` … are null). */
  listHeatPumps(userId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<HeatPump[]>;
  /** `GET …/heat-pumps/:heat_pump_id` with its actions; `null` when there is none for this user. */
  getHeatPump(userId: string, heatPumpId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<HeatPump | null>;
  /** `PUT …/heat-pumps/:heat_pump_id` with only the keys given. */
  updateHeatPump(userId: string, heatPumpId: string, patch: HeatPumpPatch, call?: CallOptions): Promise<HeatPump>;
  listElectricVehicles(userId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<ElectricVehicle[]>;
  getElectricVehicle(userId: string, electricVehicleId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<ElectricVehicle | null>;
  updateElectricVehicle(userId: string, electricVehicleId: string, patch: ElectricVehiclePatch, call?: CallOptions): Promise<ElectricVehicle>;
  listInverters(userId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<Inverter[]>;
  getInverter(userId: string, inverterId: string, options?: ListPoderoOptions, call?: CallOptions): Promise<Inverter | null>;
  updateInverter(userId: string, inverterId: string, patch: InverterPatch, call?: CallOptions): Promise<Inverter>;

  /**
   * Every device of the user: heat pumps, then vehicles, then inverters, from three list calls made in
   * parallel. List items lack the detail-only fields (`actions` … are null) unless `details` is set,
   * which reads every device's detail too. NOT_FOUND when the user does not exist.
   */
  listDevices(userId: string, options?: ListDevicesOptions, call?: CallOptions): Promise<Device[]>;
}

const ROLES: Readonly<Record<PoderoAssignableRole, WireAssignableRole>> = { ADMIN: 'admin', STAFF: 'staff', USER: 'user' };
const LEVELS = { LOW: 'Low', MID: 'Mid', MAX: 'Max' } as const;

/** Sets `body[key]` only when a value (or null) was given: the one place omitted ≠ null is decided. */
function put<W, K extends keyof W>(body: W, key: K, value: W[K] | undefined): void {
  if (value !== undefined) body[key] = value;
}

function segment(name: string, value: string): string {
  // An empty id would address the collection instead of one record.
  if (value.trim() === '') throw badInput([name], `expected a non-empty ${name}, but got an empty string`, 'podero');
  return encodeURIComponent(value);
}

function instant(name: string, value: Date | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (Number.isNaN(value.getTime())) throw badInput([name], 'expected a valid date, but got an invalid Date', 'podero');
  return value.toISOString();
}

function addressBody(body: WireAddressBody, address: PoderoAddressPatch | null | undefined): void {
  if (address === undefined) return;
  const a: PoderoAddressPatch =
    address === null
      ? { streetAndNumber: null, streetAddInfo: null, zipCode: null, town: null, country: null, latitude: null, longitude: null }
      : address;
  put(body, 'street_and_number', a.streetAndNumber);
  put(body, 'street_add_info', a.streetAddInfo);
  put(body, 'zip_code', a.zipCode);
  put(body, 'town', a.town);
  put(body, 'country', a.country);
  put(body, 'latitude', a.latitude);
  put(body, 'longitude', a.longitude);
}

function deviceBody(body: WireDeviceUpdateCommon, patch: DevicePatch): void {
  put(body, 'is_smart_optimization_active', patch.isSmartOptimizationActive);
  put(body, 'external_device_id', patch.externalDeviceId);
  put(body, 'comment', patch.comment);
  put(body, 'pause_power_until', instant('pausePowerUntil', patch.pausePowerUntil));
}

function heatPumpBody(patch: HeatPumpPatch): WireHeatPumpUpdateBody {
  const body: WireHeatPumpUpdateBody = {};
  deviceBody(body, patch);
  put(body, 'optimization_level', patch.optimizationLevel === undefined ? undefined : LEVELS[patch.optimizationLevel]);
  put(body, 'is_forecasting_enabled', patch.isForecastingEnabled);
  put(body, 'indoor_target_temperature_offset', patch.indoorTargetTemperatureOffset);
  put(body, 'dhw_standard_temperature', patch.dhwStandardTemperature);
  put(body, 'is_hot_water_heating_enabled', patch.isHotWaterHeatingEnabled);
  put(body, 'is_space_heating_enabled', patch.isSpaceHeatingEnabled);
  put(body, 'is_pool_heating_enabled', patch.isPoolHeatingEnabled);
  put(body, 'is_space_cooling_enabled', patch.isSpaceCoolingEnabled);
  put(body, 'heating_policy_name', patch.heatingPolicyName);
  put(body, 'maximum_temperature_limit', patch.maximumTemperatureLimit);
  put(body, 'minimum_temperature_limit', patch.minimumTemperatureLimit);
  put(body, 'minimum_dhw_temperature_limit', patch.minimumDhwTemperatureLimit);
  put(body, 'is_heating_policy_enabled', patch.isHeatingPolicyEnabled);
  put(body, 'away_mode_start', instant('awayModeStart', patch.awayModeStart));
  put(body, 'away_mode_end', instant('awayModeEnd', patch.awayModeEnd));
  put(body, 'is_away_mode_enabled', patch.isAwayModeEnabled);
  put(body, 'away_mode_minimum_temperature_limit', patch.awayModeMinimumTemperatureLimit);
  return body;
}

function electricVehicleBody(patch: ElectricVehiclePatch): WireElectricVehicleUpdateBody {
  const body: WireElectricVehicleUpdateBody = {};
  deviceBody(body, patch);
  put(body, 'charge_target_min', patch.chargeTargetMin);
  put(body, 'charge_target_max', patch.chargeTargetMax);
  put(body, 'is_charge_policy_enabled', patch.isChargePolicyEnabled);
  return body;
}

function inverterBody(patch: InverterPatch): WireInverterUpdateBody {
  const body: WireInverterUpdateBody = {};
  deviceBody(body, patch);
  put(body, 'solar_power_rating_kw', patch.solarPowerRatingKw);
  put(body, 'battery_capacity_kwh', patch.batteryCapacityKwh);
  put(body, 'is_inverter_forced_mode_enabled', patch.isInverterForcedModeEnabled);
  return body;
}

const USERS_ROUTE = '/org/:org_id/users';
const USER_ROUTE = '/org/:org_id/users/:user_id';
const BY_EXT_ROUTE = '/org/:org_id/users/by-ext-id/:external_id';

/** How one device kind is addressed and read. */
interface DeviceKindSpec<D> {
  collection: WireDeviceCollection;
  param: string;
  read: (answer: string, value: unknown, path?: string) => D;
}

export function createPoderoConnector(options: PoderoConnectorOptions): PoderoConnector {
  const { client } = options;
  const org = `/org/${segment('orgId', options.orgId)}/users`;
  // The auth header goes with each request, not into the client's defaults, which carry nothing secret.
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${options.token}`, accept: 'application/json' });
  const query = (o: ListPoderoOptions | undefined) => (o?.includeDeleted ? { include_deleted: true } : undefined);

  /** A GET that may miss: `null` only for the API's own 404 body, not for a proxy's or a wrong base URL's. */
  const lookup = async <T>(path: string, route: string, resource: string | undefined, o: ListPoderoOptions | undefined, call: CallOptions | undefined, read: (body: unknown) => T): Promise<T | null> => {
    const res = await client.request({ method: 'GET', path, route, resource, query: query(o), headers: headers(), acceptStatus: [404], call });
    if (res.status === 404) {
      if (isDetailBody(res.body)) return null;
      throw malformed(`answer to GET ${route}`, 'the API’s {"detail"} body with status 404', 'another body', 404);
    }
    return read(res.body);
  };

  const list = async <T>(path: string, route: string, resource: string | undefined, o: ListPoderoOptions | undefined, call: CallOptions | undefined, read: (answer: string, item: unknown, path: string) => T): Promise<T[]> => {
    const res = await client.request({ method: 'GET', path, route, resource, query: query(o), headers: headers(), call });
    return readList(`answer to GET ${route}`, res.body, read);
  };

  const write = async <T>(method: 'POST' | 'PUT', path: string, route: string, resource: string | undefined, body: object, call: CallOptions | undefined, read: (answer: string, value: unknown) => T): Promise<T> => {
    const res = await client.request({ method, path, route, resource, headers: headers(), body, call });
    return read(`answer to ${method} ${route}`, res.body);
  };

  // Every function is async so that refused input rejects like an upstream failure instead of throwing.
  const devices = <D, P>(kind: DeviceKindSpec<D>, toBody: (patch: P) => object) => {
    const listRoute = `${USER_ROUTE}/${kind.collection}`;
    const oneRoute = `${listRoute}/:${kind.param}`;
    const listPath = (userId: string) => `${org}/${segment('userId', userId)}/${kind.collection}`;
    const onePath = (userId: string, id: string) => `${listPath(userId)}/${segment('deviceId', id)}`;
    return {
      list: async (userId: string, o?: ListPoderoOptions, call?: CallOptions) => list(listPath(userId), listRoute, userResource(userId), o, call, kind.read),
      get: async (userId: string, id: string, o?: ListPoderoOptions, call?: CallOptions) =>
        lookup(onePath(userId, id), oneRoute, userResource(userId), o, call, (body) => kind.read(`answer to GET ${oneRoute}`, body)),
      update: async (userId: string, id: string, patch: P, call?: CallOptions) =>
        write('PUT', onePath(userId, id), oneRoute, userResource(userId), toBody(patch), call, kind.read),
    };
  };

  const heatPumps = devices({ collection: 'heat-pumps', param: 'heat_pump_id', read: readHeatPump }, heatPumpBody);
  const vehicles = devices({ collection: 'electric-vehicles', param: 'electric_vehicle_id', read: readElectricVehicle }, electricVehicleBody);
  const inverters = devices({ collection: 'inverters', param: 'inverter_id', read: readInverter }, inverterBody);

  return {
    listUsers: async (o, call) => list(org, USERS_ROUTE, undefined, o, call, readUser),

    getUser: async (userId, o, call) =>
      lookup(`${org}/${segment('userId', userId)}`, USER_ROUTE, userResource(userId), o, call, (body) => readUser(`answer to GET ${USER_ROUTE}`, body)),

    // By another key than the user's id: filed with the queries, so that every write invalidates it.
    getUserByExternalId: async (externalId, o, call) =>
      lookup(`${org}/by-ext-id/${segment('externalId', externalId)}`, BY_EXT_ROUTE, undefined, o, call, (body) => readUser(`answer to GET ${BY_EXT_ROUTE}`, body)),

    async createUser(input, call) {
      const body: WireCreateUserBody = { role: ROLES[input.role ?? 'USER'], email: input.email };
      put(body, 'external_user_id', input.externalUserId);
      put(body, 'first_name', input.firstName);
      put(body, 'last_name', input.lastName);
      addressBody(body, input.address);
      return write('POST', org, USERS_ROUTE, undefined, body, call, readUser);
    },

    async updateUser(userId, patch, call) {
      const body: WireUpdateUserBody = {};
      put(body, 'email', patch.email);
      put(body, 'role', patch.role === undefined ? undefined : ROLES[patch.role]);
      put(body, 'external_user_id', patch.externalUserId);
      put(body, 'first_name', patch.firstName);
      put(body, 'last_name', patch.lastName);
      addressBody(body, patch.address);
      return write('PUT', `${org}/${segment('userId', userId)}`, USER_ROUTE, userResource(userId), body, call, readUser);
    },

    listHeatPumps: heatPumps.list,
    getHeatPump: heatPumps.get,
    updateHeatPump: heatPumps.update,
    listElectricVehicles: vehicles.list,
    getElectricVehicle: vehicles.get,
    updateElectricVehicle: vehicles.update,
    listInverters: inverters.list,
    getInverter: inverters.get,
    updateInverter: inverters.update,

    async listDevices(userId, o, call) {
      const lists = { includeDeleted: o?.includeDeleted };
      const [hps, evs, invs] = await Promise.all([heatPumps.list(userId, lists, call), vehicles.list(userId, lists, call), inverters.list(userId, lists, call)]);
      const all: Device[] = [...hps, ...evs, ...invs];
      if (!o?.details) return all;
      // Only the detail answers carry the pending actions. A device deleted between the two reads is left out.
      const detailed = await Promise.all(
        all.map((d): Promise<Device | null> => {
          const read = { includeDeleted: o.includeDeleted };
          switch (d.kind) {
            case 'HEAT_PUMP':
              return heatPumps.get(userId, d.id, read, call);
            case 'ELECTRIC_VEHICLE':
              return vehicles.get(userId, d.id, read, call);
            case 'INVERTER':
              return inverters.get(userId, d.id, read, call);
            default:
              throw new UnreachableCaseError(d);
          }
        }),
      );
      return detailed.filter((d): d is Device => d !== null);
    },
  };
}
