/**
 * Reads podero answers into domain values, checking the shape as it goes: an answer that is not what the
 * contract says becomes UPSTREAM_UNAVAILABLE with a message naming the answer, the field, what was
 * expected and what kind of value came (never the value itself, except an unknown enum word).
 */
import type { GatewayError } from '../../errors';
import type {
  BoostState,
  DeviceAction,
  DeviceBase,
  DeviceHealth,
  ElectricVehicle,
  HeatPump,
  HeatPumpMode,
  Inverter,
  OptimizationLevel,
  PoderoRole,
  PoderoUser,
  PriceZone,
} from './types';
import { WIRE_PRICE_ZONES } from '../../contracts/podero';
import { isObject, kindOf, malformedAnswer, type Json } from '../shape';

export { isObject };

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('podero', answer, expected, got, status);
}

/** The API's open vocabularies (`authenticated`, `needs-attention`) in the gateway's UPPER_SNAKE. */
export function upperSnake(word: string): string {
  return word.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase();
}

const ROLES: Readonly<Record<string, PoderoRole>> = { admin: 'ADMIN', staff: 'STAFF', user: 'USER', guest: 'GUEST' };
const HEALTH: Readonly<Record<string, DeviceHealth>> = { ok: 'OK', warning: 'WARNING', error: 'ERROR', unknown: 'UNKNOWN' };
const PRICE_ZONES: Readonly<Record<string, PriceZone>> = Object.fromEntries(WIRE_PRICE_ZONES.map((z) => [z, z]));
const LEVELS: Readonly<Record<string, OptimizationLevel>> = { Low: 'LOW', Mid: 'MID', Max: 'MAX' };
const MODES: Readonly<Record<string, HeatPumpMode>> = { min: 'MIN', low: 'LOW', mid: 'MID', max: 'MAX' };
const BOOST: Readonly<Record<string, BoostState>> = { available: 'AVAILABLE', requested: 'REQUESTED', ongoing: 'ONGOING', unavailable: 'UNAVAILABLE' };

/** Reads fields of one JSON object, naming the answer and the path in every failure. */
class Fields {
  private constructor(
    private readonly answer: string,
    readonly path: string,
    private readonly value: Json,
  ) {}

  static of(answer: string, path: string, value: unknown): Fields {
    if (!isObject(value)) throw malformed(answer, `${path} to be an object`, kindOf(value));
    return new Fields(answer, path, value);
  }

  private fail(key: string, expected: string): GatewayError {
    return malformed(this.answer, `${this.path}.${key} to be ${expected}`, kindOf(this.value[key]));
  }

  object(key: string): Fields {
    return Fields.of(this.answer, `${this.path}.${key}`, this.value[key]);
  }

  has(key: string): boolean {
    return key in this.value;
  }

  /** Absent or null. */
  isNullish(key: string): boolean {
    return this.value[key] === undefined || this.value[key] === null;
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') throw this.fail(key, 'a string');
    return v;
  }

  stringOrNull(key: string): string | null {
    const v = this.value[key];
    if (v === null) return null;
    if (typeof v !== 'string') throw this.fail(key, 'a string or null');
    return v;
  }

  number(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number');
    return v;
  }

  numberOrNull(key: string): number | null {
    const v = this.value[key];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number or null');
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw this.fail(key, 'a boolean');
    return v;
  }

  booleanOrNull(key: string): boolean | null {
    const v = this.value[key];
    if (v === null) return null;
    if (typeof v !== 'boolean') throw this.fail(key, 'a boolean or null');
    return v;
  }

  date(key: string): Date {
    const date = new Date(this.string(key));
    if (Number.isNaN(date.getTime())) throw malformed(this.answer, `${this.path}.${key} to be an ISO-8601 timestamp`, 'text that is not one');
    return date;
  }

  dateOrNull(key: string): Date | null {
    return this.value[key] === null ? null : this.date(key);
  }

  /** A wire word mapped onto its UPPER_SNAKE domain value; an unknown word breaks the contract. */
  enumOf<T extends string>(key: string, values: Readonly<Record<string, T>>): T {
    const word = this.string(key);
    const mapped = Object.prototype.hasOwnProperty.call(values, word) ? values[word] : undefined;
    if (mapped === undefined) {
      throw malformed(this.answer, `${this.path}.${key} to be one of ${Object.keys(values).join(', ')}`, JSON.stringify(word.slice(0, 40)));
    }
    return mapped;
  }

  enumOrNull<T extends string>(key: string, values: Readonly<Record<string, T>>): T | null {
    return this.value[key] === null ? null : this.enumOf(key, values);
  }

  array(key: string): unknown[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw this.fail(key, 'an array');
    return v;
  }
}

/** Reads a user (the answer of every user endpoint). */
export function readUser(answer: string, value: unknown, path = 'user'): PoderoUser {
  const f = Fields.of(answer, path, value);
  return {
    id: f.string('id'),
    organizationId: f.string('organization_id'),
    role: f.enumOf('role', ROLES),
    email: f.string('email'),
    externalUserId: f.stringOrNull('external_user_id'),
    firstName: f.stringOrNull('first_name'),
    lastName: f.stringOrNull('last_name'),
    isOnboarded: f.booleanOrNull('is_onboarded'),
    address: {
      streetAndNumber: f.stringOrNull('street_and_number'),
      streetAddInfo: f.stringOrNull('street_add_info'),
      zipCode: f.stringOrNull('zip_code'),
      town: f.stringOrNull('town'),
      country: f.stringOrNull('country'),
      latitude: f.numberOrNull('latitude'),
      longitude: f.numberOrNull('longitude'),
    },
    // Optional on the wire: only the getting-started guide's response shows it.
    locationLastUpdated: f.has('location_last_updated') ? f.dateOrNull('location_last_updated') : null,
    deviceCounts: {
      heatPumps: f.number('num_heat_pumps'),
      electricVehicles: f.number('num_electric_vehicles'),
      inverters: f.number('num_inverters'),
      wallboxes: f.number('num_wallboxes'),
    },
    lastLogin: f.dateOrNull('last_login'),
    joinedAt: f.date('joined_at'),
    // Not in the documented user object; present when the API reports soft deletion.
    deletedAt: f.has('deleted_at') ? f.dateOrNull('deleted_at') : null,
  };
}

export function readList<T>(answer: string, value: unknown, read: (answer: string, item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) throw malformed(answer, 'a JSON array', kindOf(value));
  return value.map((item, i) => read(answer, item, `[${i}]`));
}

function readAction(answer: string, value: unknown, path: string): DeviceAction {
  const f = Fields.of(answer, path, value);
  let resolutionLink: DeviceAction['resolutionLink'] = null;
  if (!f.isNullish('resolution_link')) {
    const link = f.object('resolution_link');
    const parameters = link.array('required_parameters').map((p, i) => {
      if (typeof p !== 'string') throw malformed(answer, `${path}.resolution_link.required_parameters[${i}] to be a string`, kindOf(p));
      return p;
    });
    resolutionLink = { url: link.string('url'), requiredParameters: parameters };
  }
  return { code: f.string('code'), resolutionLink };
}

function readCommon(answer: string, f: Fields): DeviceBase {
  const owner = f.object('owner');
  const model = f.object('device_model');
  const type = model.object('device_type');
  // The detail-only fields: present on detail and update answers, absent from list items.
  const detail = f.has('actions');
  return {
    id: f.string('id'),
    userId: owner.string('id'),
    owner: {
      id: owner.string('id'),
      email: owner.string('email'),
      firstName: owner.stringOrNull('first_name'),
      lastName: owner.stringOrNull('last_name'),
      externalId: owner.stringOrNull('external_id'),
    },
    createdAt: f.date('created_at'),
    updatedAt: f.date('updated_at'),
    deletedAt: f.dateOrNull('deleted_at'),
    buildingId: f.stringOrNull('building'),
    model: {
      typeShortName: type.string('short_name'),
      typeLongName: type.string('long_name'),
      manufacturer: model.string('manufacturer'),
      model: model.string('model'),
      year: model.numberOrNull('year'),
      cloudServiceId: model.stringOrNull('cloud_service'),
      cloudServiceInstructions: model.stringOrNull('cloud_service_instructions'),
      cloudServiceSignupLink: model.stringOrNull('cloud_service_signup_link'),
    },
    connectionStatus: f.enumOf('connection_status', HEALTH),
    monitoringStatus: f.enumOf('monitoring_status', HEALTH),
    steeringStatus: f.enumOf('steering_status', HEALTH),
    priceZone: f.enumOrNull('price_zone', PRICE_ZONES),
    lifecycleState: upperSnake(f.string('lifecycle_state')),
    lifecycleError: f.stringOrNull('lifecycle_error'),
    pausePowerUntil: f.dateOrNull('pause_power_until'),
    isPausePowerActive: f.boolean('is_pause_power_active'),
    externalDeviceId: f.string('external_device_id'),
    isAuthenticated: f.boolean('is_authenticated'),
    isSmartOptimizationActive: f.boolean('is_smart_optimization_active'),
    optimizationScore: f.numberOrNull('optimization_score'),
    comment: f.stringOrNull('comment'),
    currentStateLastUpdatedAt: f.dateOrNull('current_state_last_updated_at'),
    lastMonitoringExecutedAt: f.dateOrNull('last_monitoring_executed_at'),
    isInverterForcedModeEnabled: f.boolean('is_inverter_forced_mode_enabled'),
    isInverterForcedModeActive: f.boolean('is_inverter_forced_mode_active'),
    inverterForcedModeSince: f.dateOrNull('inverter_forced_mode_since'),
    isTradingEnabled: f.boolean('is_trading_enabled'),
    actualSteeringState: upperSnake(f.string('actual_steering_state')),
    actionNeeded: detail ? f.boolean('action_needed') : null,
    hasUnreadNotifications: detail ? f.boolean('has_unread_notifications') : null,
    onboardingFormUrl: detail ? f.stringOrNull('onboarding_form_url') : null,
    authorizationUrl: detail ? f.stringOrNull('authorization_url') : null,
    actions: detail ? f.array('actions').map((a, i) => readAction(answer, a, `${f.path}.actions[${i}]`)) : null,
  };
}

function openWord(f: Fields, key: string): string | null {
  const word = f.stringOrNull(key);
  return word === null ? null : upperSnake(word);
}

export function readHeatPump(answer: string, value: unknown, path = 'device'): HeatPump {
  const f = Fields.of(answer, path, value);
  return {
    ...readCommon(answer, f),
    kind: 'HEAT_PUMP',
    currentMode: f.enumOrNull('current_mode', MODES),
    optimizationLevel: f.enumOf('optimization_level', LEVELS),
    isForecastingEnabled: f.boolean('is_forecasting_enabled'),
    indoorTargetTemperatureOffset: f.number('indoor_target_temperature_offset'),
    dhwStandardTemperature: f.numberOrNull('dhw_standard_temperature'),
    isHotWaterHeatingEnabled: f.boolean('is_hot_water_heating_enabled'),
    isSpaceHeatingEnabled: f.boolean('is_space_heating_enabled'),
    isPoolHeatingEnabled: f.boolean('is_pool_heating_enabled'),
    isSpaceCoolingEnabled: f.boolean('is_space_cooling_enabled'),
    heatingPolicyName: f.stringOrNull('heating_policy_name'),
    maximumTemperatureLimit: f.number('maximum_temperature_limit'),
    minimumTemperatureLimit: f.number('minimum_temperature_limit'),
    minimumDhwTemperatureLimit: f.numberOrNull('minimum_dhw_temperature_limit'),
    isHeatingPolicyEnabled: f.boolean('is_heating_policy_enabled'),
    awayModeStart: f.dateOrNull('away_mode_start'),
    awayModeEnd: f.dateOrNull('away_mode_end'),
    isAwayModeEnabled: f.boolean('is_away_mode_enabled'),
    awayModeMinimumTemperatureLimit: f.numberOrNull('away_mode_minimum_temperature_limit'),
    currentPowerConsumptionW: f.numberOrNull('current_power_consumption_w'),
    outdoorTemperature: f.numberOrNull('outdoor_temperature'),
    indoorActualTemperature: f.numberOrNull('indoor_actual_temperature'),
    indoorTargetTemperature: f.numberOrNull('indoor_target_temperature'),
    inletTemperature: f.numberOrNull('inlet_temperature'),
    outletTemperature: f.numberOrNull('outlet_temperature'),
    dhwTemperature: f.numberOrNull('dhw_temperature'),
  };
}

export function readElectricVehicle(answer: string, value: unknown, path = 'device'): ElectricVehicle {
  const f = Fields.of(answer, path, value);
  return {
    ...readCommon(answer, f),
    kind: 'ELECTRIC_VEHICLE',
    currentMode: openWord(f, 'current_mode'),
    chargeTargetMin: f.number('charge_target_min'),
    chargeTargetMax: f.number('charge_target_max'),
    isChargePolicyEnabled: f.boolean('is_charge_policy_enabled'),
    isPluggedIn: f.booleanOrNull('is_plugged_in'),
    isCharging: f.booleanOrNull('is_charging'),
    isFullyCharged: f.booleanOrNull('is_fully_charged'),
    chargeRateW: f.numberOrNull('charge_rate_w'),
    batteryLevel: f.numberOrNull('battery_level'),
    batteryCapacityKwh: f.numberOrNull('battery_capacity_kwh'),
    drivingRange: f.numberOrNull('driving_range'),
    boostState: f.enumOf('boost_state', BOOST),
  };
}

export function readInverter(answer: string, value: unknown, path = 'device'): Inverter {
  const f = Fields.of(answer, path, value);
  return {
    ...readCommon(answer, f),
    kind: 'INVERTER',
    currentMode: openWord(f, 'current_mode'),
    solarPowerRatingKw: f.numberOrNull('solar_power_rating_kw'),
    batteryCapacityKwh: f.numberOrNull('battery_capacity_kwh'),
    isBatteryConnected: f.boolean('is_battery_connected'),
    currentSolarProductionW: f.numberOrNull('current_solar_production_w'),
    householdConsumptionW: f.numberOrNull('household_consumption_w'),
    batteryChargeDischargePowerW: f.numberOrNull('battery_charge_discharge_power_w'),
    // Inferred names (contracts "(+ discharging)", "(+ export)"): absent means not reported.
    isBatteryDischarging: f.has('is_battery_discharging') ? f.booleanOrNull('is_battery_discharging') : null,
    currentPowerToGridW: f.numberOrNull('current_power_to_grid_w'),
    isExportingToGrid: f.has('is_exporting_to_grid') ? f.booleanOrNull('is_exporting_to_grid') : null,
    batteryChargeLevelPercent: f.numberOrNull('battery_charge_level_percent'),
    solarSurplusW: f.numberOrNull('solar_surplus_w'),
  };
}

/** Whether a body is django-ninja's `{ detail: string }`: a 404 that is the API's own, not a proxy's page. */
export function isDetailBody(value: unknown): boolean {
  return isObject(value) && typeof value.detail === 'string';
}
