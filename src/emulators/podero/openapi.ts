/**
 * The OpenAPI 3.1 document of what the podero emulator serves (`GET /openapi.json`): every path,
 * method, parameter, body, status code and content type. Request bodies are generated from the same
 * field specs the emulator validates with (schemas.ts), so the document cannot promise what the
 * emulator refuses.
 */
import { BASE_PATHS } from '../../contracts/dev-defaults';
import {
  WIRE_BOOST_STATES,
  WIRE_DEVICE_STATUSES,
  WIRE_HEAT_PUMP_MODES,
  WIRE_OPTIMIZATION_LEVELS,
  WIRE_PRICE_ZONES,
  WIRE_ROLES,
} from '../../contracts/podero';
import { CREATE_USER, RESOLVE_CUE, UPDATE_ELECTRIC_VEHICLE, UPDATE_HEAT_PUMP, UPDATE_INVERTER, UPDATE_USER } from './schemas';
import type { BodySchema, FieldSpec } from './validate';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const nstr = (description?: string): Schema => nullable('string', description ? { description } : {});
const num = (): Schema => ({ type: 'number' });
const nnum = (description?: string): Schema => nullable('number', description ? { description } : {});
const bool = (): Schema => ({ type: 'boolean' });
const nbool = (): Schema => nullable('boolean');
const uuid = (): Schema => ({ type: 'string', format: 'uuid' });
const dt = (): Schema => ({ type: 'string', format: 'date-time' });
const ndt = (description?: string): Schema => nullable('string', { format: 'date-time', ...(description ? { description } : {}) });
const enumOf = (values: readonly string[]): Schema => ({ type: 'string', enum: [...values] });

/** Every key listed is required and present (the API always sends every field, null or not). */
function object(properties: Record<string, Schema>, description?: string): Schema {
  return { type: 'object', ...(description ? { description } : {}), required: Object.keys(properties), properties };
}

function fieldSchema(spec: FieldSpec): Schema {
  let schema: Schema;
  switch (spec.type) {
    case 'string':
      schema = { type: 'string', minLength: spec.minLength, maxLength: spec.maxLength, pattern: spec.pattern };
      break;
    case 'email':
      schema = { type: 'string', format: 'email', maxLength: 254 };
      break;
    case 'enum':
      schema = { type: 'string', enum: spec.nullable ? [...spec.values, null] : [...spec.values] };
      break;
    case 'boolean':
      schema = { type: 'boolean' };
      break;
    case 'number':
    case 'integer':
      schema = { type: spec.type, minimum: spec.minimum, maximum: spec.maximum };
      break;
    case 'datetime':
      schema = { type: 'string', format: 'date-time' };
      break;
    case 'url':
      schema = { type: 'string', format: 'uri' };
      break;
    case 'zip':
      schema = { type: ['string', 'integer'], maxLength: 16, minimum: 0 };
      break;
  }
  if (spec.nullable && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  else if (spec.nullable && Array.isArray(schema.type)) schema.type = [...schema.type, 'null'];
  const clean = Object.fromEntries(Object.entries(schema).filter(([, v]) => v !== undefined));
  return { ...clean, description: spec.description };
}

function bodySchema(schema: BodySchema, description: string): Schema {
  const properties: Record<string, Schema> = {};
  for (const [name, spec] of Object.entries(schema.fields)) properties[name] = fieldSchema(spec);
  for (const [alias, main] of Object.entries(schema.aliases ?? {})) {
    const target = schema.fields[main];
    if (target) properties[alias] = { ...fieldSchema(target), description: `Alias of \`${main}\`; \`${main}\` wins when both are sent.` };
  }
  return {
    type: 'object',
    description: `${description} Unknown keys are ignored.`,
    ...(schema.required?.length ? { required: [...schema.required] } : {}),
    properties,
  };
}

const USER = object({
  id: uuid(),
  organization_id: uuid(),
  role: enumOf(WIRE_ROLES),
  email: str(),
  num_inverters: { type: 'integer' },
  num_heat_pumps: { type: 'integer' },
  num_electric_vehicles: { type: 'integer' },
  num_wallboxes: { type: 'integer' },
  external_user_id: nstr(),
  first_name: nstr(),
  last_name: nstr(),
  is_onboarded: nbool(),
  street_and_number: nstr(),
  street_add_info: nstr(),
  zip_code: nstr(),
  town: nstr(),
  country: nstr(),
  latitude: nnum(),
  longitude: nnum(),
  location_last_updated: ndt('When an address or coordinate value last changed.'),
  last_login: ndt(),
  joined_at: dt(),
  deleted_at: ndt('Set when the user is soft-deleted.'),
}, 'An end user of the organization. Device counts leave out soft-deleted devices.');

const status = enumOf(WIRE_DEVICE_STATUSES);
const DEVICE_COMMON: Record<string, Schema> = {
  id: uuid(),
  created_at: dt(),
  updated_at: dt(),
  deleted_at: ndt('Set ⇒ soft-deleted (hidden unless include_deleted=true).'),
  owner: ref('DeviceOwner'),
  building: nullable('string', { format: 'uuid' }),
  device_model: ref('DeviceModel'),
  connection_status: status,
  monitoring_status: status,
  steering_status: status,
  price_zone: { type: ['string', 'null'], enum: [...WIRE_PRICE_ZONES, null] },
  lifecycle_state: str('Open vocabulary: `authenticated`, `error` …'),
  lifecycle_error: nstr('Why, when lifecycle_state is `error`.'),
  pause_power_until: ndt(),
  is_pause_power_active: bool(),
  external_device_id: str('Default "".'),
  is_authenticated: bool(),
  is_smart_optimization_active: bool(),
  optimization_score: nnum(),
  comment: nstr(),
  current_state_last_updated_at: ndt(),
  last_monitoring_executed_at: ndt(),
  is_inverter_forced_mode_enabled: bool(),
  is_inverter_forced_mode_active: bool(),
  inverter_forced_mode_since: ndt(),
  is_trading_enabled: bool(),
  actual_steering_state: str('Open vocabulary (`unknown` …).'),
};

const DETAIL_FIELDS: Record<string, Schema> = {
  action_needed: { type: 'boolean', description: 'True when at least one action is pending.' },
  has_unread_notifications: bool(),
  onboarding_form_url: nstr(),
  authorization_url: nstr(),
  actions: { type: 'array', items: ref('DeviceAction') },
};

const HEAT_PUMP = object({
  ...DEVICE_COMMON,
  current_mode: { type: ['string', 'null'], enum: [...WIRE_HEAT_PUMP_MODES, null] },
  optimization_level: enumOf(WIRE_OPTIMIZATION_LEVELS),
  is_forecasting_enabled: bool(),
  indoor_target_temperature_offset: num(),
  dhw_standard_temperature: nnum(),
  is_hot_water_heating_enabled: bool(),
  is_space_heating_enabled: bool(),
  is_pool_heating_enabled: bool(),
  is_space_cooling_enabled: bool(),
  heating_policy_name: nstr(),
  maximum_temperature_limit: num(),
  minimum_temperature_limit: num(),
  minimum_dhw_temperature_limit: nnum(),
  is_heating_policy_enabled: bool(),
  away_mode_start: ndt(),
  away_mode_end: ndt(),
  is_away_mode_enabled: bool(),
  away_mode_minimum_temperature_limit: nnum(),
  current_power_consumption_w: nnum(),
  outdoor_temperature: nnum(),
  indoor_actual_temperature: nnum(),
  indoor_target_temperature: nnum(),
  inlet_temperature: nnum(),
  outlet_temperature: nnum(),
  dhw_temperature: nnum(),
}, 'A heat pump as the list endpoint sends it.');

const ELECTRIC_VEHICLE = object({
  ...DEVICE_COMMON,
  current_mode: nstr(),
  charge_target_min: num(),
  charge_target_max: num(),
  is_charge_policy_enabled: bool(),
  is_plugged_in: nbool(),
  is_charging: nbool(),
  is_fully_charged: nbool(),
  charge_rate_w: nnum(),
  battery_level: nnum('Percent, 0–100.'),
  battery_capacity_kwh: nnum(),
  driving_range: nnum('Kilometres.'),
  boost_state: enumOf(WIRE_BOOST_STATES),
}, 'An electric vehicle as the list endpoint sends it.');

const INVERTER = object({
  ...DEVICE_COMMON,
  current_mode: nstr(),
  solar_power_rating_kw: nnum(),
  battery_capacity_kwh: nnum(),
  is_battery_connected: bool(),
  current_solar_production_w: nnum(),
  household_consumption_w: nnum(),
  battery_charge_discharge_power_w: nnum(),
  is_battery_discharging: nbool(),
  current_power_to_grid_w: nnum(),
  is_exporting_to_grid: nbool(),
  battery_charge_level_percent: nnum(),
  solar_surplus_w: nnum(),
}, 'A solar inverter as the list endpoint sends it.');

function detailOf(name: string): Schema {
  return { allOf: [ref(name), object(DETAIL_FIELDS)], description: `${name} with the detail-only fields.` };
}

const json = (schema: Schema) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('DetailError')) });
const ERRORS = {
  '400': error('Body is not JSON ("Cannot parse request body") or is too large ("Bad Request").'),
  '401': error('Missing or wrong bearer token.'),
  '422': { description: 'Invalid path, query or body; every failure at once.', content: json(ref('ValidationError')) },
  '500': { description: 'Django error page.', content: { 'text/html': { schema: { type: 'string' } } } },
};
const ORG_ERRORS = { ...ERRORS, '403': error('Another organization than the one of the token.') };
const ok = (description: string, schema: Schema) => ({ description, content: json(schema) });

const path = (name: string, description: string, format: 'uuid' | undefined = 'uuid') => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: format ? { type: 'string', format } : { type: 'string' },
});
const ORG = path('org_id', 'The organization (the emulator serves one; another answers 403).');
const USER_ID = path('user_id', 'The user.');
const INCLUDE_DELETED = {
  name: 'include_deleted',
  in: 'query',
  required: false,
  description: 'Also return soft-deleted records (pydantic boolean: true/false/1/0/yes/no/on/off).',
  schema: { type: 'boolean', default: false },
};
const body = (schema: Schema) => ({ required: true, content: json(schema) });

function deviceOps(collection: string, param: string, schema: string, update: string) {
  const one = path(param, 'The device (of this user).');
  const notFound = error('Unknown user or device, the device of another user, or soft-deleted without include_deleted.');
  return {
    [`/org/{org_id}/users/{user_id}/${collection}`]: {
      get: {
        operationId: `list_${schema}`,
        summary: `The user's ${collection} (plain array, no pagination; list items lack the detail-only fields)`,
        parameters: [ORG, USER_ID, INCLUDE_DELETED],
        responses: { '200': ok('The devices.', { type: 'array', items: ref(schema) }), '404': error('Unknown or soft-deleted user.'), ...ORG_ERRORS },
      },
    },
    [`/org/{org_id}/users/{user_id}/${collection}/{${param}}`]: {
      get: {
        operationId: `get_${schema}`,
        summary: 'One device with its pending actions',
        parameters: [ORG, USER_ID, one, INCLUDE_DELETED],
        responses: { '200': ok('The device.', ref(`${schema}Detail`)), '404': notFound, ...ORG_ERRORS },
      },
      put: {
        operationId: `update_${schema}`,
        summary: 'Partial update: only the keys sent change',
        parameters: [ORG, USER_ID, one],
        requestBody: body(ref(update)),
        responses: { '200': ok('The device after the update.', ref(`${schema}Detail`)), '404': notFound, ...ORG_ERRORS },
      },
    },
  };
}

export function poderoOpenApi(orgId: string): unknown {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Podero Partner API (usergraph emulator)',
      version: '2.0',
      description: `What the emulator serves of the Podero partner API v2.0: the users of organization ${orgId} and their devices. Lists are plain arrays without pagination. Errors are django-ninja style.`,
    },
    servers: [{ url: BASE_PATHS.podero }],
    security: [{ bearer: [] }],
    paths: {
      '/org/{org_id}/users': {
        get: {
          operationId: 'list_users',
          summary: 'Every user of the organization (plain array, no pagination)',
          parameters: [ORG, INCLUDE_DELETED],
          responses: { '200': ok('The users.', { type: 'array', items: ref('User') }), ...ORG_ERRORS },
        },
        post: {
          operationId: 'create_user',
          summary: 'Creates a user',
          parameters: [ORG],
          requestBody: body(ref('CreateUserBody')),
          responses: { '200': ok('The new user.', ref('User')), '409': error('Email or external_user_id already used in the organization.'), ...ORG_ERRORS },
        },
      },
      '/org/{org_id}/users/by-ext-id/{external_id}': {
        get: {
          operationId: 'get_user_by_external_id',
          summary: "The user with this partner id (exact match)",
          parameters: [ORG, path('external_id', 'The `external_user_id`.', undefined), INCLUDE_DELETED],
          responses: { '200': ok('The user.', ref('User')), '404': error('No such (visible) user.'), ...ORG_ERRORS },
        },
      },
      '/org/{org_id}/users/{user_id}': {
        get: {
          operationId: 'get_user',
          summary: 'One user',
          parameters: [ORG, USER_ID, INCLUDE_DELETED],
          responses: { '200': ok('The user.', ref('User')), '404': error('Unknown or soft-deleted user.'), ...ORG_ERRORS },
        },
        put: {
          operationId: 'update_user',
          summary: 'Partial update: only the keys sent change (PUT behaves like PATCH)',
          parameters: [ORG, USER_ID],
          requestBody: body(ref('UpdateUserBody')),
          responses: {
            '200': ok('The user after the update.', ref('User')),
            '404': error('Unknown or soft-deleted user.'),
            '409': error('Email or external_user_id already used by another user.'),
            ...ORG_ERRORS,
          },
        },
      },
      ...deviceOps('heat-pumps', 'heat_pump_id', 'HeatPump', 'HeatPumpUpdateBody'),
      ...deviceOps('electric-vehicles', 'electric_vehicle_id', 'ElectricVehicle', 'ElectricVehicleUpdateBody'),
      ...deviceOps('inverters', 'inverter_id', 'Inverter', 'InverterUpdateBody'),
      '/cues/{cue_id}/resolve': {
        post: {
          operationId: 'resolve_cue',
          summary: "Starts a pending action from its resolution link. The emulator completes a reauthentication at once and redirects to successUrl.",
          security: [],
          parameters: [
            path('cue_id', 'From the resolution link.'),
            { name: 'secret', in: 'query', required: true, description: 'The signed secret from the resolution link.', schema: { type: 'string' } },
          ],
          requestBody: body(ref('ResolveCueBody')),
          responses: {
            '200': ok('Where to send the person.', ref('ResolveCueResponse')),
            '403': error('Wrong secret.'),
            '404': error('Unknown or already resolved cue.'),
            '400': ERRORS['400'],
            '422': ERRORS['422'],
            '500': ERRORS['500'],
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The access token of the client-credentials grant.' } },
      schemas: {
        User: USER,
        CreateUserBody: bodySchema(CREATE_USER, 'A new user.'),
        UpdateUserBody: bodySchema(UPDATE_USER, 'The keys to change; null clears a nullable field.'),
        DeviceOwner: object({ id: uuid(), email: str(), first_name: nstr(), last_name: nstr(), external_id: nstr("The owner's external_user_id.") }),
        DeviceModel: object({
          device_type: object({ short_name: str(), long_name: str() }),
          manufacturer: str(),
          model: str(),
          cloud_service_instructions: nstr(),
          cloud_service_signup_link: nstr(),
          year: nullable('integer'),
          cloud_service: nullable('string', { format: 'uuid' }),
        }),
        ResolutionLink: object({
          url: str('`…/cues/{cue_id}/resolve?secret=…`'),
          required_parameters: { type: 'array', items: { type: 'string' }, description: 'Body parameters the resolve call needs.' },
        }),
        DeviceAction: object({ code: str('`reauthenticate` is the documented code.'), resolution_link: { oneOf: [ref('ResolutionLink'), { type: 'null' }] } }),
        HeatPump: HEAT_PUMP,
        HeatPumpDetail: detailOf('HeatPump'),
        ElectricVehicle: ELECTRIC_VEHICLE,
        ElectricVehicleDetail: detailOf('ElectricVehicle'),
        Inverter: INVERTER,
        InverterDetail: detailOf('Inverter'),
        HeatPumpUpdateBody: bodySchema(UPDATE_HEAT_PUMP, 'The heat pump keys to change.'),
        ElectricVehicleUpdateBody: bodySchema(UPDATE_ELECTRIC_VEHICLE, 'The vehicle keys to change.'),
        InverterUpdateBody: bodySchema(UPDATE_INVERTER, 'The inverter keys to change.'),
        ResolveCueBody: bodySchema(RESOLVE_CUE, 'Where to send the person afterwards.'),
        ResolveCueResponse: object({ redirect_url: str() }),
        DetailError: object({ detail: str() }),
        ValidationError: object({
          detail: {
            type: 'array',
            items: object({ type: str('pydantic error type'), loc: { type: 'array', items: { type: ['string', 'integer'] } }, msg: str() }),
          },
        }),
      },
    },
  };
}
