/**
 * The OpenAPI 3.1 document of what the ev.energy emulator serves (`GET /openapi.json`): the users
 * endpoints of the seed document with the emulator's exact schemas, status codes and headers. The
 * emulator's tests validate real responses against these schemas, so the document cannot drift from
 * the behaviour unnoticed.
 */
import { BASE_PATHS } from '../../contracts/dev-defaults';
import { MAX_BODY_BYTES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, NOTIFICATION_GROUPS, WALLETS } from './data';

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const nullableString = { type: ['string', 'null'] };

const problemResponse = (description: string, schema = 'Problem'): Record<string, unknown> => ({
  description,
  headers: { 'EvEnergy-Version': { $ref: '#/components/headers/EvEnergy-Version' } },
  content: { 'application/problem+json': { schema: ref(schema) } },
});

const commonHeaders = {
  'EvEnergy-Version': { $ref: '#/components/headers/EvEnergy-Version' },
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  RetryAfter: { $ref: '#/components/headers/RetryAfter' },
};

const ok = (description: string, schema: unknown, extraHeaders: Record<string, unknown> = {}): Record<string, unknown> => ({
  description,
  headers: { ...commonHeaders, ...extraHeaders },
  content: { 'application/json': { schema } },
});

/** The errors every authenticated operation can answer with. */
const commonErrors = (): Record<string, unknown> => ({
  '400': { $ref: '#/components/responses/BadRequest' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
  '406': { $ref: '#/components/responses/NotAcceptable' },
  '429': { $ref: '#/components/responses/TooManyRequests' },
});

const withUserErrors = (): Record<string, unknown> => ({
  ...commonErrors(),
  '404': { $ref: '#/components/responses/NotFound' },
  '405': { $ref: '#/components/responses/MethodNotAllowed' },
});

const bodyErrors = (): Record<string, unknown> => ({
  '413': { $ref: '#/components/responses/PayloadTooLarge' },
  '415': { $ref: '#/components/responses/UnsupportedMediaType' },
});

const headerParams = [{ $ref: '#/components/parameters/EvEnergy-Version' }, { $ref: '#/components/parameters/EvEnergy-User' }];
const userIdParam = { $ref: '#/components/parameters/UserId' };

const userBodyContent = {
  'application/json': { schema: ref('UserWrite') },
  'application/x-www-form-urlencoded': { schema: ref('UserFormWrite') },
};

export function evenergyOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ev.energy v2 API (usergraph emulator)',
      version: '2.0',
      description:
        'The users endpoints of the ev.energy API v2 as served by the usergraph emulator. Errors are RFC 9457 problem details. ' +
        'Every response carries `EvEnergy-Version: 2`. `EvEnergy-User` (a user id or URL) makes a request act for that user: lists show only that user, ' +
        '`me` names that user, and other users are not found.',
    },
    servers: [{ url: BASE_PATHS.evenergy }],
    security: [{ bearer: [] }],
    paths: {
      '/users': {
        get: {
          operationId: 'listUsers',
          summary: 'List all the users that the authorization token has access to.',
          description: 'Ordered by id (ids sort by creation time). Cursor pagination: `Link` lists `rel="previous"` and `rel="next"` only when they exist.',
          parameters: [
            { name: 'email', in: 'query', required: false, description: 'Case-insensitive exact match; empty means no filter.', schema: { type: 'string' } },
            { name: 'page_after', in: 'query', required: false, description: 'Items after this id.', schema: { type: 'string', pattern: '^[a-z]{4}[A-Z\\d]{26}$' } },
            { name: 'page_before', in: 'query', required: false, description: 'Items before this id. Not together with `page_after`.', schema: { type: 'string', pattern: '^[a-z]{4}[A-Z\\d]{26}$' } },
            { name: 'page_size', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE } },
            ...headerParams,
          ],
          responses: {
            '200': ok('A page of users (a bare array).', { type: 'array', items: ref('User') }, { Link: { $ref: '#/components/headers/Link' } }),
            ...commonErrors(),
          },
        },
        post: {
          operationId: 'createUser',
          summary: 'Create an individual user in the ev.energy system.',
          description: 'Emails are unique (case-sensitively). Without an email the user is created with `email: null`. Not allowed while acting as a user (403).',
          parameters: headerParams,
          requestBody: { required: false, content: userBodyContent },
          responses: {
            '201': { description: 'The created user.', content: { 'application/json': { schema: ref('UserDetail') } }, headers: commonHeaders },
            ...commonErrors(),
            '400': problemResponse('Validation failed (`field_errors`), malformed JSON or a body that is not an object.', 'ValidationProblem'),
            ...bodyErrors(),
          },
        },
      },
      '/users/{user_id}': {
        parameters: [userIdParam],
        get: {
          operationId: 'getUser',
          summary: 'Retrieve information about a single, specific user.',
          parameters: headerParams,
          responses: { '200': ok('The user.', ref('UserDetail')), ...withUserErrors() },
        },
        patch: {
          operationId: 'updateUser',
          summary: 'Update user information.',
          description: 'Only the keys sent change. `default_location` is merged key by key; the address rule is checked on the result.',
          parameters: headerParams,
          requestBody: { required: false, content: userBodyContent },
          responses: {
            '200': ok('The updated user.', ref('UserDetail')),
            ...withUserErrors(),
            '400': problemResponse('Validation failed (`field_errors`), malformed JSON or a body that is not an object.', 'ValidationProblem'),
            ...bodyErrors(),
          },
        },
      },
      '/users/{user_id}/notification_preferences': {
        parameters: [userIdParam],
        get: {
          operationId: 'getNotificationPreferences',
          summary: 'Retrieve the set of notification groups the user is currently subscribed to.',
          parameters: headerParams,
          responses: { '200': ok('Every known group.', ref('UserNotificationPreferences')), ...withUserErrors() },
        },
        patch: {
          operationId: 'updateNotificationPreferences',
          summary: "Update the user's notification group opt-in state.",
          description: 'A partial map: only the groups sent change. `{}` and `{"groups": {}}` are no-ops. An unknown group or a non-boolean value is a 400 with `field_errors.groups`.',
          parameters: headerParams,
          requestBody: { required: false, content: { 'application/json': { schema: ref('NotificationPreferencesUpdate') } } },
          responses: {
            '200': ok('Every known group after the change.', ref('UserNotificationPreferences')),
            ...withUserErrors(),
            '400': problemResponse('Validation failed.', 'ValidationProblem'),
            ...bodyErrors(),
          },
        },
      },
      '/users/{user_id}/payout_method': {
        parameters: [userIdParam],
        get: {
          operationId: 'getPayoutMethod',
          summary: "Retrieve the user's preferred payout method. Returns null fields when none is set.",
          parameters: headerParams,
          responses: { '200': ok('The payout method.', ref('PayoutMethod')), ...withUserErrors() },
        },
        patch: {
          operationId: 'updatePayoutMethod',
          summary: "Create or update the user's preferred payout method.",
          description:
            '`receiver_wallet` is required. PAYPAL needs an email `receiver`, VENMO a phone; for BILL_CREDITS `receiver` must be absent ' +
            '(the linked billing account number is used, "" when none is linked).',
          parameters: headerParams,
          requestBody: { required: false, content: { 'application/json': { schema: ref('PayoutMethodUpdate') } } },
          responses: {
            '200': ok('The payout method now preferred.', ref('PayoutMethod')),
            ...withUserErrors(),
            '400': problemResponse('Validation failed.', 'ValidationProblem'),
            ...bodyErrors(),
          },
        },
        delete: {
          operationId: 'deletePayoutMethod',
          summary: "Clear the user's preferred payout method.",
          description: 'Only the link is cleared; stored payout records are kept. 204 also when none was set.',
          parameters: headerParams,
          responses: { '204': { description: 'Cleared.', headers: commonHeaders }, ...withUserErrors() },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The service credential (`EVENERGY_TOKEN`, default `dev-evenergy-token`).' } },
      parameters: {
        UserId: {
          name: 'user_id',
          in: 'path',
          required: true,
          description: 'A user id, or `me` for the user named by `EvEnergy-User`. Anything else is not found.',
          schema: { type: 'string', pattern: '^(user[A-Z\\d]{26}|me)$' },
        },
        'EvEnergy-Version': {
          name: 'EvEnergy-Version',
          in: 'header',
          required: false,
          description: 'Only `2` is served; another value is a 400 problem titled "Unsupported version".',
          schema: { type: 'string', enum: ['2'] },
        },
        'EvEnergy-User': {
          name: 'EvEnergy-User',
          in: 'header',
          required: false,
          description: 'Act as this user (its id or URL). An unknown user is a 403 problem.',
          schema: { type: 'string' },
        },
      },
      headers: {
        'EvEnergy-Version': { description: 'The API version that answered.', schema: { type: 'string', enum: ['2'] } },
        'X-RateLimit-Limit': { description: 'Requests allowed per hour.', schema: { type: 'string' } },
        'X-RateLimit-Remaining': { description: 'Requests left this hour.', schema: { type: 'string' } },
        RetryAfter: { description: 'Seconds until the rate limit window resets (the spec spells it without a hyphen).', schema: { type: 'string' } },
        Link: { description: 'RFC 8288 links with rel `previous` and `next`, present only when such a page exists.', schema: { type: 'string' } },
        'Retry-After': { description: 'Seconds to wait (429 only).', schema: { type: 'string' } },
      },
      responses: {
        BadRequest: problemResponse('Invalid pagination parameter, unsupported version, or failed validation.', 'ValidationProblem'),
        Unauthorized: problemResponse('Missing or unknown bearer token.'),
        Forbidden: problemResponse('`EvEnergy-User` names no user the token may act for, or the action is not allowed while acting as a user.'),
        NotFound: problemResponse('No such user, or not visible to the caller.'),
        MethodNotAllowed: problemResponse('The path does not serve this method.'),
        NotAcceptable: problemResponse('The `Accept` header allows no JSON type.'),
        PayloadTooLarge: problemResponse(`The body exceeds ${MAX_BODY_BYTES} bytes.`),
        UnsupportedMediaType: problemResponse('The body has a content type this operation does not read.'),
        TooManyRequests: {
          ...problemResponse('Rate limited (injected by the faults hook; the emulator does not limit by itself).'),
          headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
        },
      },
      schemas: {
        Coordinates: {
          type: 'object',
          required: ['latitude', 'longitude'],
          additionalProperties: false,
          properties: { latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 } },
        },
        Location: {
          type: 'object',
          required: ['address_1', 'address_2', 'postal_code', 'country_code', 'city', 'state', 'coordinates', 'tariff', 'evse_site'],
          additionalProperties: false,
          properties: {
            address_1: nullableString,
            address_2: nullableString,
            postal_code: nullableString,
            country_code: { type: ['string', 'null'], pattern: '^[A-Z]{2}$' },
            city: nullableString,
            state: nullableString,
            coordinates: { anyOf: [ref('Coordinates'), { type: 'null' }] },
            tariff: { type: ['string', 'null'], format: 'uri', description: 'The tariff URI (`…/tariffs/tari…`).' },
            evse_site: nullableString,
          },
        },
        LocationDetail: {
          type: 'object',
          required: ['address_1', 'address_2', 'postal_code', 'country_code', 'city', 'state', 'coordinates', 'tariff', 'evse_site', 'current_carbon_intensity_grams_per_kilowatt_hour'],
          additionalProperties: false,
          properties: {
            address_1: nullableString,
            address_2: nullableString,
            postal_code: nullableString,
            country_code: { type: ['string', 'null'], pattern: '^[A-Z]{2}$' },
            city: nullableString,
            state: nullableString,
            coordinates: { anyOf: [ref('Coordinates'), { type: 'null' }] },
            tariff: { type: ['string', 'null'], format: 'uri' },
            evse_site: nullableString,
            current_carbon_intensity_grams_per_kilowatt_hour: { type: ['integer', 'null'] },
          },
        },
        User: {
          type: 'object',
          required: ['id', 'url', 'email', 'full_name', 'joined_at', 'terms_consent_datetime', 'default_location', 'vehicles', 'evses'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', pattern: '^user[A-Z\\d]{26}$' },
            url: { type: 'string', format: 'uri' },
            email: { type: ['string', 'null'], format: 'email' },
            full_name: { type: 'string' },
            joined_at: { type: 'string', format: 'date-time' },
            terms_consent_datetime: { type: ['string', 'null'], format: 'date-time' },
            default_location: ref('Location'),
            vehicles: { type: 'array', items: { type: 'string', format: 'uri' } },
            evses: { type: 'array', items: { type: 'string', format: 'uri' } },
          },
        },
        UserDetail: {
          type: 'object',
          required: ['id', 'url', 'email', 'full_name', 'joined_at', 'terms_consent_datetime', 'default_location', 'vehicles', 'evses'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', pattern: '^user[A-Z\\d]{26}$' },
            url: { type: 'string', format: 'uri' },
            email: { type: ['string', 'null'], format: 'email' },
            full_name: { type: 'string' },
            joined_at: { type: 'string', format: 'date-time' },
            terms_consent_datetime: { type: ['string', 'null'], format: 'date-time' },
            default_location: ref('LocationDetail'),
            vehicles: { type: 'array', items: { type: 'string', format: 'uri' } },
            evses: { type: 'array', items: { type: 'string', format: 'uri' } },
          },
        },
        LocationWrite: {
          type: 'object',
          description:
            'Keys sent replace the stored ones (null clears). If any address part or `coordinates` is non-null afterwards, `address_1`, `city`, ' +
            '`postal_code` and `country_code` must all be non-null. `tariff`, `evse_site` and unknown keys are ignored.',
          properties: {
            address_1: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
            address_2: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
            postal_code: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
            country_code: { type: ['string', 'null'], pattern: '^[A-Z]{2}$' },
            city: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
            state: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
            coordinates: { anyOf: [ref('Coordinates'), { type: 'null' }] },
          },
        },
        UserWrite: {
          type: 'object',
          description: 'Writable fields only; read-only and unknown keys are ignored.',
          properties: { email: { type: 'string', format: 'email', maxLength: 254 }, default_location: ref('LocationWrite') },
        },
        UserFormWrite: {
          type: 'object',
          description: 'Form bodies can carry only `email` (a nested `default_location` cannot be expressed and is refused).',
          properties: { email: { type: 'string', format: 'email', maxLength: 254 } },
        },
        UserNotificationPreferences: {
          type: 'object',
          required: ['url', 'groups'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', format: 'uri' },
            groups: {
              type: 'object',
              required: [...NOTIFICATION_GROUPS],
              additionalProperties: false,
              properties: Object.fromEntries(NOTIFICATION_GROUPS.map((g) => [g, { type: 'boolean' }])),
            },
          },
        },
        NotificationPreferencesUpdate: {
          type: 'object',
          properties: {
            groups: {
              type: 'object',
              description: 'Partial map; groups left out are unchanged.',
              additionalProperties: false,
              properties: Object.fromEntries(NOTIFICATION_GROUPS.map((g) => [g, { type: 'boolean' }])),
            },
          },
        },
        PayoutMethod: {
          type: 'object',
          required: ['url', 'receiver', 'receiver_type', 'receiver_wallet'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', format: 'uri' },
            receiver: { type: ['string', 'null'] },
            receiver_type: { type: ['string', 'null'], enum: ['EMAIL', 'PHONE', 'ACCOUNT_NUMBER', null] },
            receiver_wallet: { type: ['string', 'null'], enum: [...WALLETS, null] },
          },
        },
        PayoutMethodUpdate: {
          type: 'object',
          required: ['receiver_wallet'],
          properties: {
            receiver_wallet: { type: 'string', enum: [...WALLETS] },
            receiver: { type: ['string', 'null'], maxLength: 254, description: 'Email for PAYPAL, phone for VENMO; must be absent for BILL_CREDITS.' },
          },
        },
        Problem: {
          type: 'object',
          required: ['status', 'title', 'detail'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', format: 'uri' },
            status: { type: 'integer' },
            title: { type: 'string' },
            detail: { type: 'string' },
          },
        },
        ValidationProblem: {
          type: 'object',
          required: ['status', 'title', 'detail'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', format: 'uri' },
            status: { type: 'integer' },
            title: { type: 'string' },
            detail: { type: 'string' },
            field_errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  };
}
