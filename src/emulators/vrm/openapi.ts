/**
 * The OpenAPI 3.1 document of exactly what the VRM emulator serves (`GET /openapi.json`): the seven Users
 * endpoints of seeds/001 with the statuses this emulator answers. Schemas follow the VRM spec; the
 * statuses the spec leaves as "4xx" are the emulator's [I] choices, listed in README.md.
 */

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const ok = (description: string, schema: unknown) => ({ description, content: json(schema) });

const integer = { type: 'integer' };
const string = { type: 'string' };
const boolean = { type: 'boolean' };
const nullable = (type: string) => ({ type: [type, 'null'] });

const commonErrors = {
  '401': error('The X-Authorization header is missing, malformed, unknown, revoked or expired (`error_code: invalid_token`).'),
  '429': error('Rate limited; `Retry-After` says how many seconds to wait (`error_code: rate_limited`).'),
  '500': error('Internal error.'),
  '503': error('Temporarily unavailable.'),
};

const bodyErrors = {
  '400': error('Malformed JSON, a body that is not an object, or invalid fields (`errors` maps each field to a message).'),
  '413': error('The request body is larger than 1 MiB.'),
  '415': error('The request body is not `application/json`.'),
};

const idUser = {
  name: 'idUser',
  in: 'path',
  required: true,
  description: 'User id (integer), or `me` for the requesting user.',
  schema: { type: 'string', pattern: '^(\\d+|me)$' },
};

const identifierBody = {
  required: true,
  content: json({
    type: 'object',
    properties: { installation_identifier: { type: 'string', minLength: 1, maxLength: 64, description: 'The installation\'s VRM portal id (case-insensitive).' } },
    required: ['installation_identifier'],
  }),
};

const siteIdResponse = {
  type: 'object',
  properties: { success: { const: true }, records: { type: 'object', properties: { site_id: { type: 'string', description: 'installation id' } }, required: ['site_id'] } },
  required: ['success', 'records'],
};

const installation = {
  type: 'object',
  description: 'One installation. Only the required fields are sent unless `extended=1`; the access flags describe the requesting user.',
  properties: {
    idSite: integer,
    accessLevel: { type: 'integer', description: 'The requesting user\'s access level: 1 full, 0 read-only.' },
    owner: { type: 'boolean', description: 'True if the requesting user owns this installation.' },
    is_admin: { type: 'boolean', description: 'True if the requesting user is an admin for this installation.' },
    name: string,
    identifier: { type: 'string', description: 'Installation identifier (VRM portal id).' },
    idUser: { type: 'integer', description: 'Installation owner id.' },
    pvMax: integer,
    timezone: string,
    phonenumber: nullable('string'),
    notes: nullable('string'),
    geofence: { type: ['string', 'null'], description: 'Geofence as a JSON document.' },
    geofenceEnabled: boolean,
    realtimeUpdates: boolean,
    hasMains: { type: 'integer', enum: [0, 1] },
    hasGenerator: { type: 'integer', enum: [0, 1] },
    noDataAlarmTimeout: nullable('integer'),
    alarmMonitoring: { type: 'integer', enum: [0, 1, 2] },
    invalidVRMAuthTokenUsedInLogRequest: { type: 'integer', enum: [0, 1] },
    syscreated: { type: 'integer', description: 'Creation time, unix seconds.' },
    shared: boolean,
    device_icon: string,
    alarm: boolean,
    last_timestamp: integer,
    current_time: { type: 'string', pattern: '^\\d{2}:\\d{2}$' },
    timezone_offset: integer,
    demo_mode: boolean,
    mqtt_webhost: string,
    mqtt_host: string,
    high_workload: boolean,
    current_alarms: { type: 'array', items: string },
    num_alarms: integer,
    avatar_url: nullable('string'),
    tags: {
      type: 'array',
      items: { type: 'object', properties: { idTag: integer, name: string, automatic: boolean }, required: ['idTag', 'name', 'automatic'] },
    },
    images: {
      type: 'array',
      items: { type: 'object', properties: { idSiteImage: integer, imageName: string, url: string }, required: ['idSiteImage', 'imageName', 'url'] },
    },
    view_permissions: {
      type: 'object',
      properties: Object.fromEntries(
        ['update_settings', 'settings', 'diagnostics', 'share', 'vnc', 'mqtt_rpc', 'vebus', 'twoway', 'exact_location', 'nodered', 'nodered_dash', 'signalk'].map((k) => [k, boolean]),
      ),
      required: ['update_settings', 'settings', 'diagnostics', 'share', 'vnc', 'mqtt_rpc', 'vebus', 'twoway', 'exact_location', 'nodered', 'nodered_dash', 'signalk'],
    },
    extended: { type: 'array', items: { anyOf: [ref('DataAttribute'), ref('Summary')] } },
  },
  required: [
    'idSite', 'accessLevel', 'owner', 'is_admin', 'name', 'identifier', 'idUser', 'pvMax', 'timezone', 'phonenumber', 'notes',
    'geofence', 'geofenceEnabled', 'realtimeUpdates', 'hasMains', 'hasGenerator', 'noDataAlarmTimeout', 'alarmMonitoring',
    'invalidVRMAuthTokenUsedInLogRequest', 'syscreated', 'shared', 'device_icon',
  ],
};

const document = {
  openapi: '3.1.0',
  info: {
    title: 'VRM API (usergraph emulator)',
    version: '2',
    description:
      'The Users endpoints of the Victron VRM API v2 as served by the usergraph emulator. Authenticate with `X-Authorization: Token <access token>` (or `Bearer <same token>`).',
  },
  servers: [{ url: '/v2' }],
  security: [{ xAuthorization: [] }],
  paths: {
    '/users/me': {
      get: {
        operationId: 'users/me',
        summary: 'Basic information about logged in user',
        tags: ['Users'],
        responses: {
          '200': ok('The requesting user.', {
            type: 'object',
            properties: {
              success: { const: true },
              user: { type: 'object', properties: { id: integer, name: string, email: string, country: string }, required: ['id', 'name', 'email', 'country'] },
            },
            required: ['success', 'user'],
          }),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/accesstokens/create': {
      post: {
        operationId: 'users/idUser/accesstokens/create',
        summary: 'Create an access token for a user.',
        description: 'Only for the requesting user\'s own id. The secret is returned here once and can never be retrieved again.',
        tags: ['Users'],
        parameters: [idUser],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 255, description: 'Must not already exist for this user.' },
              expiry: { type: 'integer', description: 'Expiry, unix seconds, in the future. Omitted: never expires.' },
            },
            required: ['name'],
          }),
        },
        responses: {
          '200': ok('Token created.', {
            type: 'object',
            properties: { success: { const: true }, token: { type: 'string', pattern: '^[0-9a-f]{64}$' }, idAccessToken: { type: 'string', pattern: '^\\d+$' } },
            required: ['success', 'token', 'idAccessToken'],
          }),
          ...bodyErrors,
          '403': error('`idUser` is not the requesting user.'),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/accesstokens/list': {
      get: {
        operationId: 'users/idUser/accesstokens/list',
        summary: 'List all access tokens for a user.',
        description: 'Always the requesting user\'s tokens, whatever `idUser` says; never the secrets.',
        tags: ['Users'],
        parameters: [{ ...idUser, schema: { type: 'string' } }],
        responses: {
          '200': ok('The requesting user\'s tokens, oldest first.', {
            type: 'object',
            properties: { success: { const: true }, tokens: { type: 'array', items: ref('AccessToken') } },
            required: ['success', 'tokens'],
          }),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/accesstokens/{idAccessToken}/revoke': {
      get: {
        operationId: 'users/idUser/accesstokens/revoke',
        summary: 'Revoke an access token for a user.',
        description: 'Only for the requesting user\'s own id. `*` revokes every token of the user, including the one in use.',
        tags: ['Users'],
        parameters: [idUser, { name: 'idAccessToken', in: 'path', required: true, description: 'Token id, or `*` for all.', schema: { type: 'string' } }],
        responses: {
          '200': ok('How many tokens were revoked.', {
            type: 'object',
            properties: { success: { const: true }, data: { type: 'object', properties: { removed: integer }, required: ['removed'] } },
            required: ['success', 'data'],
          }),
          '400': error('`idUser` is not an integer or `me`.'),
          '403': error('`idUser` is not the requesting user.'),
          '404': error('No token with this id among the requesting user\'s tokens.'),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/addsite': {
      post: {
        operationId: 'users/idUser/addsite',
        summary: 'Adds a new site',
        description: 'Links an installation that no user owns yet to the user, as its owner. Admins may add sites to any user.',
        tags: ['Users'],
        parameters: [idUser],
        requestBody: identifierBody,
        responses: {
          '200': ok('Site added.', siteIdResponse),
          ...bodyErrors,
          '403': error('A non-admin asked for another user.'),
          '404': error('No installation has this identifier, or (admins) the user does not exist.'),
          '409': error('The installation is already linked to this user (`site_already_linked`) or owned by another (`site_already_registered`).'),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/get-site-id': {
      post: {
        operationId: 'users/idUser/get-site-id',
        summary: 'Returns site id given site identifier',
        description: 'Looks the identifier up among the user\'s installations. Admins can retrieve any installation.',
        tags: ['Users'],
        parameters: [idUser],
        requestBody: identifierBody,
        responses: {
          '200': ok('The site id.', siteIdResponse),
          ...bodyErrors,
          '403': error('A non-admin asked for another user.'),
          '404': error('No visible installation has this identifier, or (admins) the user does not exist.'),
          ...commonErrors,
        },
      },
    },
    '/users/{idUser}/installations': {
      get: {
        operationId: 'users/idUser/installations',
        summary: 'All installations/sites for a given user',
        description: 'Users see their own installations (owned and shared with them), admins those of any user. Sorted by idSite.',
        tags: ['Users'],
        parameters: [
          idUser,
          { name: 'extended', in: 'query', required: false, description: 'If 1, include all optional response values.', schema: integer },
          { name: 'idSite', in: 'query', required: false, description: 'Only this site (an empty list when the user cannot see it).', schema: integer },
        ],
        responses: {
          '200': ok('The installations, empty if none.', {
            type: 'object',
            properties: { success: { const: true }, records: { type: 'array', items: ref('Installation') } },
            required: ['success', 'records'],
          }),
          '400': error('`idUser`, `extended` or `idSite` is not an integer.'),
          '403': error('Not authorized to view installations for this user.'),
          '404': error('(admins) The user does not exist.'),
          ...commonErrors,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      xAuthorization: { type: 'apiKey', in: 'header', name: 'X-Authorization', description: '`Token <64-hex access token>` or `Bearer <same token>`.' },
    },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          success: { const: false },
          errors: { oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] },
          error_code: nullable('string'),
        },
        required: ['success', 'errors', 'error_code'],
      },
      AccessToken: {
        type: 'object',
        properties: {
          name: string,
          idAccessToken: { type: 'string', pattern: '^\\d+$' },
          createdOn: { type: 'string', pattern: '^\\d+$', description: 'Unix seconds.' },
          scope: string,
          expires: { type: ['string', 'null'], pattern: '^\\d+$', description: 'Unix seconds; null: never expires.' },
        },
        required: ['name', 'idAccessToken', 'createdOn', 'scope', 'expires'],
      },
      Installation: installation,
      DataAttribute: {
        type: 'object',
        properties: {
          idDataAttribute: integer,
          code: string,
          description: string,
          formatWithUnit: string,
          dataType: { type: 'string', enum: ['string', 'float', 'enum'] },
          textValue: string,
          instance: string,
          timestamp: string,
          dbusServiceType: string,
          dbusPath: string,
          rawValue: string,
          formattedValue: string,
          dataAttributeEnumValues: {
            type: 'array',
            items: { type: 'object', properties: { nameEnum: string, valueEnum: integer }, required: ['nameEnum', 'valueEnum'] },
          },
        },
        required: ['idDataAttribute', 'code', 'description', 'formatWithUnit', 'dataType', 'textValue', 'instance', 'timestamp', 'dbusServiceType', 'dbusPath', 'rawValue', 'formattedValue'],
      },
      Summary: {
        type: 'object',
        properties: {
          code: string,
          description: string,
          rawValue: nullable('number'),
          formattedValue: string,
          textValue: nullable('string'),
          formatWithUnit: string,
          idDataAttribute: nullable('integer'),
          dataAttributes: {
            type: 'array',
            items: { type: 'object', properties: { instance: integer, dbusServiceType: string, dbusPath: string }, required: ['instance', 'dbusServiceType', 'dbusPath'] },
          },
        },
        required: ['code', 'dataAttributes', 'description', 'formattedValue', 'formatWithUnit', 'rawValue', 'textValue', 'idDataAttribute'],
      },
    },
  },
};

/** A fresh copy each call, so a caller cannot change what the next one gets. */
export function vrmOpenApi(): unknown {
  return structuredClone(document);
}
