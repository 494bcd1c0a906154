/**
 * The Podero partner API v2.0 wire format, exactly as the API sends and accepts it (seeds/003,
 * upstream-contracts.md §4). Both the emulator and the connector speak these types; nothing outside
 * `src/upstreams/podero/` and `src/emulators/podero/` should need them.
 *
 * Podero is a django-ninja service: snake_case keys, UUID ids, ISO 8601 timestamps in UTC, plain JSON
 * arrays for lists (no pagination), and `{ detail }` error bodies.
 */

/** A UTC timestamp as Django renders it: `2024-01-15T10:30:00Z` (milliseconds only when non-zero). */
export type WireDateTime = string;

/** 401, 403, 404, 405, 409 and 400 answers: one human-readable sentence. */
export interface WireDetailError {
  detail: string;
}

/** One failed rule of a 422 answer (pydantic v2 via django-ninja). */
export interface WireValidationItem {
  /** pydantic's error type: `missing`, `string_type`, `enum`, `value_error`, `uuid_parsing` … */
  type: string;
  /** Where: `['body', 'payload', 'email']`, `['path', 'user_id']`, `['query', 'include_deleted']`. */
  loc: (string | number)[];
  msg: string;
}

/** 422 answers: every failed rule of the request at once. */
export interface WireValidationError {
  detail: WireValidationItem[];
}

export const WIRE_ROLES = ['admin', 'staff', 'user', 'guest'] as const;
export type WireRole = (typeof WIRE_ROLES)[number];
/** Roles a partner may give when creating or updating a user (`guest` is only ever sent by the API). */
export const WIRE_ASSIGNABLE_ROLES = ['admin', 'staff', 'user'] as const;
export type WireAssignableRole = (typeof WIRE_ASSIGNABLE_ROLES)[number];

/** An end user of the organization. */
export interface WireUser {
  id: string;
  organization_id: string;
  role: WireRole;
  email: string;
  num_inverters: number;
  num_heat_pumps: number;
  num_electric_vehicles: number;
  num_wallboxes: number;
  external_user_id: string | null;
  first_name: string | null;
  last_name: string | null;
  is_onboarded: boolean | null;
  street_and_number: string | null;
  street_add_info: string | null;
  /** A string, although the parameter reference calls it an integer (contracts §4.2 [C]). */
  zip_code: string | null;
  town: string | null;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  /** When the address or coordinates last changed (the getting-started guide's response). */
  location_last_updated: WireDateTime | null;
  last_login: WireDateTime | null;
  joined_at: WireDateTime;
  /** Set when the user is soft-deleted; such users are hidden unless `include_deleted=true`. */
  deleted_at: WireDateTime | null;
}

/** The address and coordinate keys that `POST` and `PUT` accept. */
export interface WireAddressBody {
  street_and_number?: string | null;
  street_add_info?: string | null;
  /** Accepted as a string or an integer; always sent back as a string. */
  zip_code?: string | number | null;
  town?: string | null;
  country?: string | null;
  /** The guide's name for `country`; accepted as an alias (contracts §4.2 [C]). */
  country_iso2?: string | null;
  latitude?: number | null;
  longitude?: number | null;
}

/** `POST /org/{org_id}/users`. */
export interface WireCreateUserBody extends WireAddressBody {
  role: WireAssignableRole;
  /** Unique within the organization. */
  email: string;
  external_user_id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
}

/** `PUT /org/{org_id}/users/{user_id}`: only the keys present are changed. */
export interface WireUpdateUserBody extends WireAddressBody {
  external_user_id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string;
  role?: WireAssignableRole;
}

export const WIRE_DEVICE_STATUSES = ['ok', 'warning', 'error', 'unknown'] as const;
export type WireDeviceStatus = (typeof WIRE_DEVICE_STATUSES)[number];

export const WIRE_PRICE_ZONES = [
  'AT', 'AT_HOURLY', 'BE', 'CH', 'EE', 'DE_LU', 'HU', 'IT_CNOR', 'IT_CSUD', 'IT_NORD', 'IT_PUN', 'IT_SARD',
  'IT_SICI', 'IT_SUD', 'PT', 'RO', 'SE_1', 'SE_2', 'SE_3', 'SE_4', 'UK',
] as const;
export type WirePriceZone = (typeof WIRE_PRICE_ZONES)[number];

/** The device's owner as embedded in every device. */
export interface WireDeviceOwner {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  /** The owner's `external_user_id`. */
  external_id: string | null;
}

export interface WireDeviceModel {
  device_type: { short_name: string; long_name: string };
  manufacturer: string;
  model: string;
  cloud_service_instructions: string | null;
  cloud_service_signup_link: string | null;
  year: number | null;
  cloud_service: string | null;
}

/** Fields every device kind sends, in lists and in detail answers. */
export interface WireDeviceCommon {
  id: string;
  created_at: WireDateTime;
  updated_at: WireDateTime;
  /** Set ⇒ soft-deleted: hidden unless `include_deleted=true`. */
  deleted_at: WireDateTime | null;
  owner: WireDeviceOwner;
  building: string | null;
  device_model: WireDeviceModel;
  connection_status: WireDeviceStatus;
  monitoring_status: WireDeviceStatus;
  steering_status: WireDeviceStatus;
  price_zone: WirePriceZone | null;
  /** An open vocabulary: `authenticated`, `error` (then `lifecycle_error` says why) … */
  lifecycle_state: string;
  lifecycle_error: string | null;
  pause_power_until: WireDateTime | null;
  is_pause_power_active: boolean;
  external_device_id: string;
  is_authenticated: boolean;
  is_smart_optimization_active: boolean;
  optimization_score: number | null;
  comment: string | null;
  current_state_last_updated_at: WireDateTime | null;
  last_monitoring_executed_at: WireDateTime | null;
  is_inverter_forced_mode_enabled: boolean;
  is_inverter_forced_mode_active: boolean;
  inverter_forced_mode_since: WireDateTime | null;
  is_trading_enabled: boolean;
  /** An open vocabulary (`unknown` …). */
  actual_steering_state: string;
}

/** A pending action; `reauthenticate` is the only documented code. */
export interface WireDeviceAction {
  code: string;
  resolution_link: WireResolutionLink | null;
}

export interface WireResolutionLink {
  /** `…/cues/{cue_id}/resolve?secret=…`: a signed link, valid for one hour. */
  url: string;
  /** Body parameters `POST /cues/{cue_id}/resolve` needs (`successUrl`, `cancelUrl`). */
  required_parameters: string[];
}

/** Fields only the detail endpoints send. */
export interface WireDeviceDetailFields {
  /** True when at least one action is pending. */
  action_needed: boolean;
  has_unread_notifications: boolean;
  onboarding_form_url: string | null;
  /** Base URL for authorizing the device with its cloud service. */
  authorization_url: string | null;
  actions: WireDeviceAction[];
}

export const WIRE_OPTIMIZATION_LEVELS = ['Low', 'Mid', 'Max'] as const;
export type WireOptimizationLevel = (typeof WIRE_OPTIMIZATION_LEVELS)[number];
export const WIRE_HEAT_PUMP_MODES = ['min', 'low', 'mid', 'max'] as const;
export type WireHeatPumpMode = (typeof WIRE_HEAT_PUMP_MODES)[number];

export interface WireHeatPump extends WireDeviceCommon {
  current_mode: WireHeatPumpMode | null;
  optimization_level: WireOptimizationLevel;
  is_forecasting_enabled: boolean;
  indoor_target_temperature_offset: number;
  dhw_standard_temperature: number | null;
  is_hot_water_heating_enabled: boolean;
  is_space_heating_enabled: boolean;
  is_pool_heating_enabled: boolean;
  is_space_cooling_enabled: boolean;
  heating_policy_name: string | null;
  maximum_temperature_limit: number;
  minimum_temperature_limit: number;
  minimum_dhw_temperature_limit: number | null;
  is_heating_policy_enabled: boolean;
  away_mode_start: WireDateTime | null;
  away_mode_end: WireDateTime | null;
  is_away_mode_enabled: boolean;
  away_mode_minimum_temperature_limit: number | null;
  current_power_consumption_w: number | null;
  outdoor_temperature: number | null;
  indoor_actual_temperature: number | null;
  indoor_target_temperature: number | null;
  inlet_temperature: number | null;
  outlet_temperature: number | null;
  dhw_temperature: number | null;
}

export const WIRE_BOOST_STATES = ['available', 'requested', 'ongoing', 'unavailable'] as const;
export type WireBoostState = (typeof WIRE_BOOST_STATES)[number];

export interface WireElectricVehicle extends WireDeviceCommon {
  /** Not documented for vehicles; the emulator sends null. */
  current_mode: string | null;
  charge_target_min: number;
  charge_target_max: number;
  is_charge_policy_enabled: boolean;
  is_plugged_in: boolean | null;
  is_charging: boolean | null;
  is_fully_charged: boolean | null;
  charge_rate_w: number | null;
  /** Percent, 0–100. */
  battery_level: number | null;
  battery_capacity_kwh: number | null;
  /** Kilometres. */
  driving_range: number | null;
  boost_state: WireBoostState;
}

export interface WireInverter extends WireDeviceCommon {
  /** Not documented for inverters; the emulator sends null. */
  current_mode: string | null;
  solar_power_rating_kw: number | null;
  battery_capacity_kwh: number | null;
  is_battery_connected: boolean;
  current_solar_production_w: number | null;
  household_consumption_w: number | null;
  battery_charge_discharge_power_w: number | null;
  /** Direction of `battery_charge_discharge_power_w` (contracts "(+ discharging)"; name [I]). */
  is_battery_discharging: boolean | null;
  current_power_to_grid_w: number | null;
  /** Direction of `current_power_to_grid_w` (contracts "(+ export)"; name [I]). */
  is_exporting_to_grid: boolean | null;
  battery_charge_level_percent: number | null;
  solar_surplus_w: number | null;
}

export type WireHeatPumpDetail = WireHeatPump & WireDeviceDetailFields;
export type WireElectricVehicleDetail = WireElectricVehicle & WireDeviceDetailFields;
export type WireInverterDetail = WireInverter & WireDeviceDetailFields;

/** Keys every device kind accepts in `PUT`. */
export interface WireDeviceUpdateCommon {
  is_smart_optimization_active?: boolean;
  external_device_id?: string;
  comment?: string | null;
  pause_power_until?: WireDateTime | null;
}

export interface WireHeatPumpUpdateBody extends WireDeviceUpdateCommon {
  optimization_level?: WireOptimizationLevel;
  is_forecasting_enabled?: boolean;
  indoor_target_temperature_offset?: number;
  dhw_standard_temperature?: number | null;
  is_hot_water_heating_enabled?: boolean;
  is_space_heating_enabled?: boolean;
  is_pool_heating_enabled?: boolean;
  is_space_cooling_enabled?: boolean;
  heating_policy_name?: string | null;
  maximum_temperature_limit?: number;
  minimum_temperature_limit?: number;
  minimum_dhw_temperature_limit?: number | null;
  is_heating_policy_enabled?: boolean;
  away_mode_start?: WireDateTime | null;
  away_mode_end?: WireDateTime | null;
  is_away_mode_enabled?: boolean;
  away_mode_minimum_temperature_limit?: number | null;
}

export interface WireElectricVehicleUpdateBody extends WireDeviceUpdateCommon {
  charge_target_min?: number;
  charge_target_max?: number;
  is_charge_policy_enabled?: boolean;
}

export interface WireInverterUpdateBody extends WireDeviceUpdateCommon {
  solar_power_rating_kw?: number | null;
  battery_capacity_kwh?: number | null;
  is_inverter_forced_mode_enabled?: boolean;
}

/** `POST /cues/{cue_id}/resolve?secret=…` (authenticated by the signed secret, not the bearer token). */
export interface WireResolveCueBody {
  successUrl: string;
  cancelUrl: string;
  language?: string;
  location?: string;
  clientInfo?: unknown;
}

export interface WireResolveCueResponse {
  redirect_url: string;
}

/** The path segment of each device kind's collection. */
export const WIRE_DEVICE_COLLECTIONS = ['heat-pumps', 'electric-vehicles', 'inverters'] as const;
export type WireDeviceCollection = (typeof WIRE_DEVICE_COLLECTIONS)[number];
