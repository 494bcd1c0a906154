/**
 * Reads podero's django-ninja error bodies (`{ detail: string }`, and `{ detail: [{ type, loc, msg }] }`
 * for 422) (ErrorDescription): field errors in the connector's input names (a field the gateway does not
 * write → `[]`) with a reason the gateway wrote from pydantic's machine-readable `type`
 * (`missing`, `less_than_equal` …), and a reason code for the failures the contract names. The `detail`
 * text and every `msg` go to the log-only `detail`, never to a client (an HTML error page, say, is not
 * read at all).
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { detailText, isObject } from '../shape';

/** Wire names that sit elsewhere in the connector's inputs (the address is nested there). */
const INPUT_PATHS: Readonly<Record<string, string[]>> = {
  street_and_number: ['address', 'streetAndNumber'],
  street_add_info: ['address', 'streetAddInfo'],
  zip_code: ['address', 'zipCode'],
  town: ['address', 'town'],
  country: ['address', 'country'],
  country_iso2: ['address', 'country'],
  latitude: ['address', 'latitude'],
  longitude: ['address', 'longitude'],
};

/** The other wire names the gateway sends (src/contracts/podero.ts, the path and query parameters). */
const WIRE_NAMES: ReadonlySet<string> = new Set([
  'email', 'first_name', 'last_name', 'external_user_id', 'language', 'role', 'comment', 'location',
  'user_id', 'external_id', 'heat_pump_id', 'electric_vehicle_id', 'inverter_id', 'external_device_id', 'include_deleted',
  'away_mode_end', 'away_mode_minimum_temperature_limit', 'away_mode_start', 'battery_capacity_kwh',
  'charge_target_max', 'charge_target_min', 'dhw_standard_temperature', 'heating_policy_name',
  'indoor_target_temperature_offset', 'is_away_mode_enabled', 'is_charge_policy_enabled', 'is_forecasting_enabled',
  'is_heating_policy_enabled', 'is_hot_water_heating_enabled', 'is_inverter_forced_mode_enabled',
  'is_pool_heating_enabled', 'is_smart_optimization_active', 'is_space_cooling_enabled', 'is_space_heating_enabled',
  'maximum_temperature_limit', 'minimum_dhw_temperature_limit', 'minimum_temperature_limit', 'optimization_level',
  'pause_power_until', 'solar_power_rating_kw',
]);

/** pydantic's error types (`type`), in the gateway's words; any other type is "is not valid". */
const TYPE_WORDS: Readonly<Record<string, string>> = {
  missing: 'is required',
  extra_forbidden: 'is not accepted here',
  string_type: 'must be a string',
  string_too_short: 'is too short',
  string_too_long: 'is too long',
  string_pattern_mismatch: 'is not in the expected format',
  value_error: 'is not valid',
  enum: 'is not one of the values podero accepts',
  literal_error: 'is not one of the values podero accepts',
  bool_type: 'must be true or false',
  bool_parsing: 'must be true or false',
  int_type: 'must be an integer',
  int_parsing: 'must be an integer',
  float_type: 'must be a number',
  float_parsing: 'must be a number',
  greater_than: 'is too small',
  greater_than_equal: 'is too small',
  less_than: 'is too large',
  less_than_equal: 'is too large',
  uuid_type: 'must be a UUID',
  uuid_parsing: 'must be a UUID',
  datetime_type: 'must be a date and time',
  datetime_parsing: 'must be a date and time',
  datetime_from_date_parsing: 'must be a date and time',
  date_parsing: 'must be a date',
  model_attributes_type: 'must be an object',
  dict_type: 'must be an object',
  list_type: 'must be a list',
  json_invalid: 'is not valid JSON',
};

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * `['body', 'payload', 'first_name']` → `['firstName']`; `['path', 'user_id']` → `['userId']`;
 * `['body', 'payload']` (the whole body) and any name the gateway does not send → `[]`.
 */
function inputPath(loc: unknown): string[] {
  if (!Array.isArray(loc)) return [];
  const parts = [...loc];
  if (parts[0] === 'body' || parts[0] === 'path' || parts[0] === 'query') parts.shift();
  if (parts[0] === 'payload') parts.shift();
  const path: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (typeof part === 'number' && Number.isInteger(part) && part >= 0) path.push(String(part));
    else if (typeof part === 'string' && i === 0 && INPUT_PATHS[part]) path.push(...INPUT_PATHS[part]);
    else if (typeof part === 'string' && WIRE_NAMES.has(part)) path.push(camel(part));
    else return [];
  }
  return path;
}

function validationErrors(detail: unknown[]): FieldError[] {
  const out: FieldError[] = [];
  for (const item of detail) {
    if (!isObject(item)) continue;
    const words = typeof item.type === 'string' ? TYPE_WORDS[item.type] : undefined;
    out.push({ path: inputPath(item.loc), message: words ?? 'is not valid' });
  }
  return out;
}

/** What the body said, for the logs. */
function detailOf(detail: unknown): string {
  if (typeof detail === 'string') return detailText(detail);
  if (!Array.isArray(detail)) return '';
  const items = detail.filter(isObject).map((d) => `${Array.isArray(d.loc) ? d.loc.join('.') : '?'}: ${typeof d.msg === 'string' ? d.msg : String(d.type)}`);
  return detailText(items.join('; '));
}

/**
 * The `describeError` of the podero client. `reason` is one of `validation_failed`, `email_taken`,
 * `external_user_id_taken`, `wrong_organization`, `unparsable_body`, or absent.
 */
export function describePoderoError(status: number, body: unknown): ErrorDescription {
  if (!isObject(body)) return {};
  const { detail } = body;
  const logged = detailOf(detail);

  if (Array.isArray(detail)) {
    const fieldErrors = validationErrors(detail);
    return fieldErrors.length ? { fieldErrors, reason: 'validation_failed', detail: logged } : { reason: 'validation_failed', detail: logged };
  }
  if (typeof detail !== 'string') return {};

  if (status === 403) return { reason: 'wrong_organization', detail: logged };
  if (status === 409 && /\bemail\b/i.test(detail)) {
    return { reason: 'email_taken', fieldErrors: [{ path: ['email'], message: 'is already in use in the organization' }], detail: logged };
  }
  if (status === 409 && /external_user_id/i.test(detail)) {
    return { reason: 'external_user_id_taken', fieldErrors: [{ path: ['externalUserId'], message: 'is already in use in the organization' }], detail: logged };
  }
  if (status === 400 && detail.startsWith('Cannot parse request body')) return { reason: 'unparsable_body', detail: logged };
  return { detail: logged };
}
