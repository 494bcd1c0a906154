/**
 * Reads podero answers into domain values with the shared reader (`../shape.ts`): an answer that is not
 * what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming the answer, the field, what was
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
import { BOOLEAN, ISO_TIME, NUMBER, STRING, WireRecord, arrayOf, enumOf, isObject, kindOf, malformedAnswer } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('podero', answer, expected, got, status);
}

/** The API's open vocabularies (`authenticated`, `needs-attention`) in the gateway's UPPER_SNAKE. */
export function upperSnake(word: string): string {
  return word.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase();
}

const ROLES = enumOf<PoderoRole>({ admin: 'ADMIN', staff: 'STAFF', user: 'USER', guest: 'GUEST' });
const HEALTH = enumOf<DeviceHealth>({ ok: 'OK', warning: 'WARNING', error: 'ERROR', unknown: 'UNKNOWN' });
const PRICE_ZONES = enumOf<PriceZone>(WIRE_PRICE_ZONES);
const LEVELS = enumOf<OptimizationLevel>({ Low: 'LOW', Mid: 'MID', Max: 'MAX' });
const MODES = enumOf<HeatPumpMode>({ min: 'MIN', low: 'LOW', mid: 'MID', max: 'MAX' });
const BOOST = enumOf<BoostState>({ available: 'AVAILABLE', requested: 'REQUESTED', ongoing: 'ONGOING', unavailable: 'UNAVAILABLE' });
const STRINGS = arrayOf(STRING);

/** Reads a user (the answer of every user endpoint). */
export function readUser(answer: string, value: unknown, path = 'user'): PoderoUser {
  const f = WireRecord.of('podero', answer, path, value);
  return {
    id: f.string('id'),
    organizationId: f.string('organization_id'),
    role: f.get('role', ROLES),
    email: f.string('email'),
    externalUserId: f.nullable('external_user_id', STRING),
    firstName: f.nullable('first_name', STRING),
    lastName: f.nullable('last_name', STRING),
    isOnboarded: f.nullable('is_onboarded', BOOLEAN),
    address: {
      streetAndNumber: f.nullable('street_and_number', STRING),
      streetAddInfo: f.nullable('street_add_info', STRING),
      zipCode: f.nullable('zip_code', STRING),
      town: f.nullable('town', STRING),
      country: f.nullable('country', STRING),
      latitude: f.nullable('latitude', NUMBER),
      longitude: f.nullable('longitude', NUMBER),
    },
    // Optional on the wire: only the getting-started guide's response shows it.
    locationLastUpdated: f.optional('location_last_updated', ISO_TIME),
    deviceCounts: {
      heatPumps: f.number('num_heat_pumps'),
      electricVehicles: f.number('num_electric_vehicles'),
      inverters: f.number('num_inverters'),
      wallboxes: f.number('num_wallboxes'),
    },
    lastLogin: f.nullable('last_login', ISO_TIME),
    joinedAt: f.get('joined_at', ISO_TIME),
    // Not in the documented user object; present when the API reports soft deletion.
    deletedAt: f.optional('deleted_at', ISO_TIME),
  };
}

export function readList<T>(answer: string, value: unknown, read: (answer: string, item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) throw malformed(answer, 'a JSON array', kindOf(value));
  return value.map((item, i) => read(answer, item, `[${i}]`));
}

function readAction(f: WireRecord): DeviceAction {
  const link = f.optionalObject('resolution_link');
  return { code: f.string('code'), resolutionLink: link && { url: link.string('url'), requiredParameters: link.get('required_parameters', STRINGS) } };
}

function readCommon(f: WireRecord): DeviceBase {
  const owner = f.object('owner');
  const model = f.object('device_model');
  const type = model.object('device_type');
  // The detail-only fields: present on detail and update answers, absent from list items.
  const detail = f.present('actions');
  return {
    id: f.string('id'),
    userId: owner.string('id'),
    owner: {
      id: owner.string('id'),
      email: owner.string('email'),
      firstName: owner.nullable('first_name', STRING),
      lastName: owner.nullable('last_name', STRING),
      externalId: owner.nullable('external_id', STRING),
    },
    createdAt: f.get('created_at', ISO_TIME),
    updatedAt: f.get('updated_at', ISO_TIME),
    deletedAt: f.nullable('deleted_at', ISO_TIME),
    buildingId: f.nullable('building', STRING),
    model: {
      typeShortName: type.string('short_name'),
      typeLongName: type.string('long_name'),
      manufacturer: model.string('manufacturer'),
      model: model.string('model'),
      year: model.nullable('year', NUMBER),
      cloudServiceId: model.nullable('cloud_service', STRING),
      cloudServiceInstructions: model.nullable('cloud_service_instructions', STRING),
      cloudServiceSignupLink: model.nullable('cloud_service_signup_link', STRING),
    },
    connectionStatus: f.get('connection_status', HEALTH),
    monitoringStatus: f.get('monitoring_status', HEALTH),
    steeringStatus: f.get('steering_status', HEALTH),
    priceZone: f.nullable('price_zone', PRICE_ZONES),
    lifecycleState: upperSnake(f.string('lifecycle_state')),
    lifecycleError: f.nullable('lifecycle_error', STRING),
    pausePowerUntil: f.nullable('pause_power_until', ISO_TIME),
    isPausePowerActive: f.boolean('is_pause_power_active'),
    externalDeviceId: f.string('external_device_id'),
    isAuthenticated: f.boolean('is_authenticated'),
    isSmartOptimizationActive: f.boolean('is_smart_optimization_active'),
    optimizationScore: f.nullable('optimization_score', NUMBER),
    comment: f.nullable('comment', STRING),
    currentStateLastUpdatedAt: f.nullable('current_state_last_updated_at', ISO_TIME),
    lastMonitoringExecutedAt: f.nullable('last_monitoring_executed_at', ISO_TIME),
    isInverterForcedModeEnabled: f.boolean('is_inverter_forced_mode_enabled'),
    isInverterForcedModeActive: f.boolean('is_inverter_forced_mode_active'),
    inverterForcedModeSince: f.nullable('inverter_forced_mode_since', ISO_TIME),
    isTradingEnabled: f.boolean('is_trading_enabled'),
    actualSteeringState: upperSnake(f.string('actual_steering_state')),
    actionNeeded: detail ? f.boolean('action_needed') : null,
    hasUnreadNotifications: detail ? f.boolean('has_unread_notifications') : null,
    onboardingFormUrl: detail ? f.nullable('onboarding_form_url', STRING) : null,
    authorizationUrl: detail ? f.nullable('authorization_url', STRING) : null,
    actions: detail ? f.records('actions').map(readAction) : null,
  };
}

function openWord(f: WireRecord, key: string): string | null {
  const word = f.nullable(key, STRING);
  return word === null ? null : upperSnake(word);
}

export function readHeatPump(answer: string, value: unknown, path = 'device'): HeatPump {
  const f = WireRecord.of('podero', answer, path, value);
  return {
    ...readCommon(f),
    kind: 'HEAT_PUMP',
    currentMode: f.nullable('current_mode', MODES),
    optimizationLevel: f.get('optimization_level', LEVELS),
    isForecastingEnabled: f.boolean('is_forecasting_enabled'),
    indoorTargetTemperatureOffset: f.number('indoor_target_temperature_offset'),
    dhwStandardTemperature: f.nullable('dhw_standard_temperature', NUMBER),
    isHotWaterHeatingEnabled: f.boolean('is_hot_water_heating_enabled'),
    isSpaceHeatingEnabled: f.boolean('is_space_heating_enabled'),
    isPoolHeatingEnabled: f.boolean('is_pool_heating_enabled'),
    isSpaceCoolingEnabled: f.boolean('is_space_cooling_enabled'),
    heatingPolicyName: f.nullable('heating_policy_name', STRING),
    maximumTemperatureLimit: f.number('maximum_temperature_limit'),
    minimumTemperatureLimit: f.number('minimum_temperature_limit'),
    minimumDhwTemperatureLimit: f.nullable('minimum_dhw_temperature_limit', NUMBER),
    isHeatingPolicyEnabled: f.boolean('is_heating_policy_enabled'),
    awayModeStart: f.nullable('away_mode_start', ISO_TIME),
    awayModeEnd: f.nullable('away_mode_end', ISO_TIME),
    isAwayModeEnabled: f.boolean('is_away_mode_enabled'),
    awayModeMinimumTemperatureLimit: f.nullable('away_mode_minimum_temperature_limit', NUMBER),
    currentPowerConsumptionW: f.nullable('current_power_consumption_w', NUMBER),
    outdoorTemperature: f.nullable('outdoor_temperature', NUMBER),
    indoorActualTemperature: f.nullable('indoor_actual_temperature', NUMBER),
    indoorTargetTemperature: f.nullable('indoor_target_temperature', NUMBER),
    inletTemperature: f.nullable('inlet_temperature', NUMBER),
    outletTemperature: f.nullable('outlet_temperature', NUMBER),
    dhwTemperature: f.nullable('dhw_temperature', NUMBER),
  };
}

export function readElectricVehicle(answer: string, value: unknown, path = 'device'): ElectricVehicle {
  const f = WireRecord.of('podero', answer, path, value);
  return {
    ...readCommon(f),
    kind: 'ELECTRIC_VEHICLE',
    currentMode: openWord(f, 'current_mode'),
    chargeTargetMin: f.number('charge_target_min'),
    chargeTargetMax: f.number('charge_target_max'),
    isChargePolicyEnabled: f.boolean('is_charge_policy_enabled'),
    isPluggedIn: f.nullable('is_plugged_in', BOOLEAN),
    isCharging: f.nullable('is_charging', BOOLEAN),
    isFullyCharged: f.nullable('is_fully_charged', BOOLEAN),
    chargeRateW: f.nullable('charge_rate_w', NUMBER),
    batteryLevel: f.nullable('battery_level', NUMBER),
    batteryCapacityKwh: f.nullable('battery_capacity_kwh', NUMBER),
    drivingRange: f.nullable('driving_range', NUMBER),
    boostState: f.get('boost_state', BOOST),
  };
}

export function readInverter(answer: string, value: unknown, path = 'device'): Inverter {
  const f = WireRecord.of('podero', answer, path, value);
  return {
    ...readCommon(f),
    kind: 'INVERTER',
    currentMode: openWord(f, 'current_mode'),
    solarPowerRatingKw: f.nullable('solar_power_rating_kw', NUMBER),
    batteryCapacityKwh: f.nullable('battery_capacity_kwh', NUMBER),
    isBatteryConnected: f.boolean('is_battery_connected'),
    currentSolarProductionW: f.nullable('current_solar_production_w', NUMBER),
    householdConsumptionW: f.nullable('household_consumption_w', NUMBER),
    batteryChargeDischargePowerW: f.nullable('battery_charge_discharge_power_w', NUMBER),
    // Inferred names (contracts "(+ discharging)", "(+ export)"): absent means not reported.
    isBatteryDischarging: f.optional('is_battery_discharging', BOOLEAN),
    currentPowerToGridW: f.nullable('current_power_to_grid_w', NUMBER),
    isExportingToGrid: f.optional('is_exporting_to_grid', BOOLEAN),
    batteryChargeLevelPercent: f.nullable('battery_charge_level_percent', NUMBER),
    solarSurplusW: f.nullable('solar_surplus_w', NUMBER),
  };
}

/** Whether a body is django-ninja's `{ detail: string }`: a 404 that is the API's own, not a proxy's page. */
export function isDetailBody(value: unknown): boolean {
  return isObject(value) && typeof value.detail === 'string';
}
