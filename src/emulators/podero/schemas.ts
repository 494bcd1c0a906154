/**
 * The request bodies the podero emulator accepts, as field specs (validate.ts) shared by the handlers
 * and the OpenAPI document. Ranges marked [I] are the emulator's choice: the public pages name the
 * fields but not their limits.
 */
import { WIRE_ASSIGNABLE_ROLES, WIRE_OPTIMIZATION_LEVELS, type WireValidationItem } from '../../contracts/podero';
import type { BodySchema, FieldSpec } from './validate';

const text = (description: string, maxLength: number, nullable = true): FieldSpec => ({ type: 'string', description, maxLength, nullable });
const flag = (description: string): FieldSpec => ({ type: 'boolean', description });
const temperature = (description: string, minimum: number, maximum: number, nullable = false): FieldSpec => ({
  type: 'number',
  description: `${description}, °C, ${minimum} to ${maximum} [I]`,
  minimum,
  maximum,
  nullable,
});

const USER_FIELDS: Record<string, FieldSpec> = {
  role: { type: 'enum', values: WIRE_ASSIGNABLE_ROLES, description: 'Role in the organization.' },
  email: { type: 'email', description: 'Email address, unique within the organization (compared case-insensitively).' },
  external_user_id: {
    type: 'string',
    minLength: 1,
    maxLength: 255,
    nullable: true,
    description: "The partner's own id for the user, unique within the organization [I]; `by-ext-id` finds the user by it.",
  },
  first_name: text('Given name.', 150),
  last_name: text('Family name.', 150),
  street_and_number: text('Street and house number.', 255),
  street_add_info: text('Additional address line.', 255),
  zip_code: { type: 'zip', nullable: true, description: 'Postal code: a string, or an integer that is stored as its decimal string.' },
  town: text('Town or city.', 255),
  country: {
    type: 'string',
    pattern: '^[A-Za-z]{2,3}$',
    nullable: true,
    description: 'Country code (ISO 3166-1 alpha-2, or alpha-3 as the parameter reference says); stored upper-case. Also accepted as `country_iso2`.',
  },
  latitude: { type: 'number', minimum: -90, maximum: 90, nullable: true, description: 'Latitude in degrees.' },
  longitude: { type: 'number', minimum: -180, maximum: 180, nullable: true, description: 'Longitude in degrees.' },
};

export const CREATE_USER: BodySchema = { fields: USER_FIELDS, required: ['role', 'email'], aliases: { country_iso2: 'country' } };
/** PUT behaves like PATCH: nothing is required and only the keys sent change. */
export const UPDATE_USER: BodySchema = { fields: USER_FIELDS, aliases: { country_iso2: 'country' } };

/** The user keys that make up the location (`location_last_updated` moves when one of them changes). */
export const LOCATION_FIELDS = ['street_and_number', 'street_add_info', 'zip_code', 'town', 'country', 'latitude', 'longitude'] as const;

const DEVICE_FIELDS: Record<string, FieldSpec> = {
  is_smart_optimization_active: flag('Whether podero optimises the device.'),
  external_device_id: text("The partner's own id for the device.", 255, false),
  comment: text('A free-text note for the back office.', 1000),
  pause_power_until: { type: 'datetime', nullable: true, description: 'Pause power optimisation until this instant; null resumes it.' },
};

export const UPDATE_HEAT_PUMP: BodySchema = {
  fields: {
    ...DEVICE_FIELDS,
    optimization_level: { type: 'enum', values: WIRE_OPTIMIZATION_LEVELS, description: 'How aggressively podero optimises.' },
    is_forecasting_enabled: flag('Whether forecasting is used.'),
    indoor_target_temperature_offset: { type: 'number', minimum: -5, maximum: 5, description: 'Offset to the indoor target, K, -5 to 5 [I].' },
    dhw_standard_temperature: temperature('Standard domestic hot water temperature', 30, 65, true),
    is_hot_water_heating_enabled: flag('Whether hot water heating is on.'),
    is_space_heating_enabled: flag('Whether space heating is on.'),
    is_pool_heating_enabled: flag('Whether pool heating is on.'),
    is_space_cooling_enabled: flag('Whether space cooling is on.'),
    heating_policy_name: text('Name of the heating policy.', 100),
    maximum_temperature_limit: temperature('Highest indoor temperature', 5, 35),
    minimum_temperature_limit: temperature('Lowest indoor temperature; must not exceed the maximum', 5, 35),
    minimum_dhw_temperature_limit: temperature('Lowest domestic hot water temperature', 30, 65, true),
    is_heating_policy_enabled: flag('Whether the heating policy applies.'),
    away_mode_start: { type: 'datetime', nullable: true, description: 'Start of away mode; must not be after its end.' },
    away_mode_end: { type: 'datetime', nullable: true, description: 'End of away mode.' },
    is_away_mode_enabled: flag('Whether away mode is on.'),
    away_mode_minimum_temperature_limit: temperature('Lowest indoor temperature while away', 5, 35, true),
  },
};

export const UPDATE_ELECTRIC_VEHICLE: BodySchema = {
  fields: {
    ...DEVICE_FIELDS,
    charge_target_min: { type: 'integer', minimum: 0, maximum: 100, description: 'Charge always kept, percent (default 50); must not exceed the maximum.' },
    charge_target_max: { type: 'integer', minimum: 0, maximum: 100, description: 'Charge to stop at, percent.' },
    is_charge_policy_enabled: flag('Whether the charge policy applies.'),
  },
};

export const UPDATE_INVERTER: BodySchema = {
  fields: {
    ...DEVICE_FIELDS,
    solar_power_rating_kw: { type: 'number', minimum: 0, maximum: 1000, nullable: true, description: 'Rated solar power, kW, 0 to 1000 [I].' },
    battery_capacity_kwh: { type: 'number', minimum: 0, maximum: 1000, nullable: true, description: 'Battery capacity, kWh, 0 to 1000 [I].' },
    is_inverter_forced_mode_enabled: flag('Whether podero may force the inverter mode.'),
  },
};

export const RESOLVE_CUE: BodySchema = {
  fields: {
    successUrl: { type: 'url', description: 'Where to send the person after the action succeeded.' },
    cancelUrl: { type: 'url', description: 'Where to send the person when they cancel.' },
    language: text('Language of the pages shown, e.g. `de`.', 10, false),
    location: text('Where the person is, free text.', 255, false),
  },
  required: ['successUrl', 'cancelUrl'],
};

/**
 * Rules between two fields, checked on the device as it would be after the update (so a PUT that sends
 * only one side is checked against the stored other side). The error sits on the field that was sent.
 */
export function orderingErrors(
  merged: Record<string, unknown>,
  sent: Record<string, unknown>,
  pairs: readonly (readonly [lower: string, upper: string])[],
): WireValidationItem[] {
  const items: WireValidationItem[] = [];
  for (const [lower, upper] of pairs) {
    const low = merged[lower];
    const high = merged[upper];
    if (low === null || high === null || low === undefined || high === undefined) continue;
    const a = typeof low === 'string' ? Date.parse(low) : Number(low);
    const b = typeof high === 'string' ? Date.parse(high) : Number(high);
    if (a <= b) continue;
    const field = lower in sent ? lower : upper;
    items.push({ type: 'value_error', loc: ['body', 'payload', field], msg: `Value error, ${lower} must not be greater than ${upper}` });
  }
  return items;
}

export const HEAT_PUMP_ORDERING = [
  ['minimum_temperature_limit', 'maximum_temperature_limit'],
  ['away_mode_start', 'away_mode_end'],
] as const;
export const ELECTRIC_VEHICLE_ORDERING = [['charge_target_min', 'charge_target_max']] as const;
