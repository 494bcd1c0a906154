/**
 * The OpenAPI 3.1 description of exactly what the identity emulator serves (served at
 * `GET /openapi.json` and `/api/v1/openapi.json`). It follows the identity API v1 documentation,
 * snake_case revision 327eb9b, plus DELETE from revision ebbfac7; choices the documentation leaves open
 * are marked [I] in descriptions.
 */
import { BASE_PATHS } from '../../contracts/dev-defaults';
import { MAX_BODY_BYTES } from './responses';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from './validate';

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });

const requestIdHeader = { 'X-Request-Id': { $ref: '#/components/headers/XRequestId' } };

function userResponse(description: string) {
  return { description, headers: requestIdHeader, content: json(ref('UserEnvelope')) };
}

/** Failures every authenticated operation can answer with. */
const common = {
  '401': response('Unauthorized'),
  '406': response('NotAcceptable'),
  '500': response('ServerError'),
  '503': response('Unavailable'),
};

/** Failures of operations that take a JSON body. */
const bodyFailures = {
  '400': response('BadRequest'),
  '413': response('PayloadTooLarge'),
  '415': response('UnsupportedMediaType'),
  '422': response('ValidationFailed'),
};

const timestamp = { type: 'string', format: 'date-time', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$', examples: ['2016-12-01T00:55:47Z'] };
const uuid = { type: 'string', format: 'uuid' };

const document = {
  openapi: '3.1.0',
  info: {
    title: '1MT Authentication API (identity) — usergraph emulator',
    version: '1.0.0',
    description:
      'Users of the MarketTrack identity service, snake_case revision 327eb9b, with DELETE as documented in revision ebbfac7. ' +
      'Every answer is a `{ succeeded, message, data? }` envelope and carries `X-Request-Id` (the one the client sent, or a new UUID). ' +
      'There is no list endpoint and no pagination. A request for a method a path does not serve answers 405 [I]; a path that does not exist answers 404. ' +
      'Test hooks outside the API: `GET /__emulator/requests`, `POST /__emulator/reset`, `POST /__emulator/faults`.',
  },
  servers: [{ url: BASE_PATHS.identity, description: 'Same base path as https://id.markettrack.com/api/v1' }],
  security: [{ bearerAuth: [] }],
  paths: {
    '/': {
      get: {
        operationId: 'hello',
        summary: 'Check the status of the API',
        parameters: [{ $ref: '#/components/parameters/RequestId' }],
        responses: {
          '200': {
            description: 'The API is up: `{ succeeded: true, message: "Hello from 1MT resource server" }`.',
            headers: requestIdHeader,
            content: json(ref('Envelope')),
          },
          ...common,
        },
      },
    },
    '/users': {
      post: {
        operationId: 'createUser',
        summary: 'Create a user (and optionally a subscription with one account)',
        description:
          'New users are `pending`. Giving `account.identifier` also creates a subscription to the calling platform holding that account. ' +
          'Unknown keys are refused with 422 [I]. An email that is already registered answers 409 `User already exists: <email>` [I]; ' +
          'an account identifier already in use answers 409 `Account already exists: <identifier>` [I].',
        parameters: [{ $ref: '#/components/parameters/RequestId' }],
        requestBody: { required: true, content: json(ref('CreateUserBody')) },
        responses: {
          '201': userResponse('Created: message `User created: <id>`, `data.user` the new user.'),
          ...bodyFailures,
          '409': response('Conflict'),
          ...common,
        },
      },
    },
    '/users/{identifier}': {
      parameters: [
        { name: 'identifier', in: 'path', required: true, description: 'Email or id of the user (matched case-insensitively [I]).', schema: { type: 'string' } },
        { $ref: '#/components/parameters/RequestId' },
      ],
      get: {
        operationId: 'getUser',
        summary: 'Get a user by id or email',
        responses: {
          '200': userResponse('Found: message `User found: <identifier>`, `data.user` the user.'),
          '404': response('UserNotFound'),
          ...common,
        },
      },
      patch: {
        operationId: 'updateUser',
        summary: "Update a user's names",
        description:
          'Only `first_name` and `last_name` can be changed, and at least one must be given (an empty body answers 422 with field `body`, rule `minProperties`). ' +
          'Names cannot be cleared: `null` answers 422 [I].',
        requestBody: { required: true, content: json(ref('UpdateUserBody')) },
        responses: {
          '200': userResponse('Updated: message `User updated: <identifier>`, `data.user` the user after the change.'),
          ...bodyFailures,
          '404': response('UserNotFound'),
          ...common,
        },
      },
      delete: {
        operationId: 'deleteUser',
        summary: 'Delete a user',
        description: 'Fails with 409 when the user is subscribed to other platforms.',
        responses: {
          '200': {
            description: 'Deleted: `{ succeeded: true, message: "User deleted: <id>" }`, no `data`.',
            headers: requestIdHeader,
            content: json(ref('Envelope')),
          },
          '404': response('UserNotFound'),
          '409': response('Conflict'),
          ...common,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description: 'The platform access token (a UUID). The emulator accepts the one service credential it was started with.',
      },
    },
    parameters: {
      RequestId: {
        name: 'X-Request-Id',
        in: 'header',
        required: false,
        description: 'Echoed back in the response; a new UUID is generated when absent.',
        schema: { type: 'string' },
      },
    },
    headers: {
      XRequestId: { description: 'The request id: the one the client sent, or a new UUID.', schema: { type: 'string' } },
    },
    schemas: {
      Envelope: {
        type: 'object',
        required: ['succeeded', 'message'],
        properties: { succeeded: { type: 'boolean' }, message: { type: 'string' }, data: { type: 'object' } },
      },
      UserEnvelope: {
        type: 'object',
        required: ['succeeded', 'message', 'data'],
        properties: {
          succeeded: { const: true },
          message: { type: 'string' },
          data: { type: 'object', required: ['user'], properties: { user: ref('User') } },
        },
      },
      ErrorEnvelope: {
        type: 'object',
        required: ['succeeded', 'message'],
        properties: { succeeded: { const: false }, message: { type: 'string' } },
      },
      ValidationErrorEnvelope: {
        type: 'object',
        required: ['succeeded', 'message', 'data'],
        properties: {
          succeeded: { const: false },
          message: { const: 'RAML validation error' },
          data: { type: 'object', required: ['fields'], properties: { fields: { type: 'array', items: ref('FieldError') } } },
        },
      },
      FieldError: {
        type: 'object',
        required: ['field', 'value', 'msg'],
        properties: {
          field: { type: 'string', description: 'Field name as sent; nested fields dotted (`account.identifier`); `body` for a rule on the whole body.' },
          value: { type: 'string', description: 'The received value as text; `"null"` when missing.' },
          msg: { type: 'string', description: '`invalid json (<rule>, <rule value>)`', examples: ['invalid json (required, true)'] },
        },
      },
      User: {
        type: 'object',
        required: ['id', 'first_name', 'last_name', 'email', 'status', 'internal', 'created_at', 'updated_at', 'subscription'],
        properties: {
          id: uuid,
          first_name: { type: 'string' },
          last_name: { type: 'string' },
          email: { type: 'string', pattern: '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$' },
          status: { enum: ['active', 'inactive', 'pending'], description: '`pending`: the email address is not validated yet.' },
          internal: { type: 'boolean' },
          created_at: timestamp,
          updated_at: timestamp,
          subscription: { oneOf: [ref('Subscription'), { type: 'null' }], description: 'Subscription to the calling platform; null when none [I].' },
        },
      },
      Subscription: {
        type: 'object',
        required: ['id', 'status', 'created_at', 'updated_at', 'accounts'],
        properties: {
          id: uuid,
          status: { enum: ['active', 'inactive'] },
          created_at: timestamp,
          updated_at: timestamp,
          accounts: { type: 'array', items: ref('Account') },
        },
      },
      Account: {
        type: 'object',
        required: ['id', 'identifier', 'status', 'created_at', 'updated_at'],
        properties: {
          id: uuid,
          identifier: { type: 'string', description: 'Unique account id on the platform (a username or an email).' },
          status: { enum: ['active', 'inactive'] },
          created_at: timestamp,
          updated_at: timestamp,
        },
      },
      CreateUserBody: {
        type: 'object',
        additionalProperties: false,
        required: ['first_name', 'last_name', 'email'],
        properties: {
          first_name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
          last_name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
          email: { type: 'string', maxLength: MAX_EMAIL_LENGTH, pattern: '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$' },
          internal: { type: 'boolean', default: false },
          account: {
            type: ['object', 'null'],
            additionalProperties: false,
            description: 'The documented `account.identifier`, sent nested [I].',
            properties: { identifier: { type: ['string', 'null'], minLength: 1, maxLength: MAX_NAME_LENGTH, default: null } },
          },
        },
      },
      UpdateUserBody: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          first_name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
          last_name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
        },
      },
    },
    responses: {
      BadRequest: {
        description: 'The body is not valid JSON, or not a JSON object [I].',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      Unauthorized: {
        description: 'No bearer token, or not a valid one. Carries `WWW-Authenticate: Bearer` [I].',
        headers: { ...requestIdHeader, 'WWW-Authenticate': { schema: { type: 'string' } } },
        content: json(ref('ErrorEnvelope')),
      },
      UserNotFound: {
        description: '`User not found: <identifier>`.',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      NotAcceptable: {
        description: '`Accept` does not admit application/json.',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      Conflict: {
        description: 'Create: the email or account identifier is taken [I]. Delete: the user is subscribed to other platforms.',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      PayloadTooLarge: {
        description: `The body is larger than ${MAX_BODY_BYTES} bytes [I].`,
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      UnsupportedMediaType: {
        description: 'The body is not application/json.',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      ValidationFailed: {
        description: '`RAML validation error` with one entry per broken rule in `data.fields`.',
        headers: requestIdHeader,
        content: json(ref('ValidationErrorEnvelope')),
      },
      ServerError: {
        description: 'Unexpected API error (the emulator answers it only when a fault is injected).',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
      Unavailable: {
        description: 'API temporarily offline (the emulator answers it only when a fault is injected).',
        headers: requestIdHeader,
        content: json(ref('ErrorEnvelope')),
      },
    },
  },
} as const;

/** The document; the same object every call (callers serialise it, never change it). */
export function identityOpenApi(): typeof document {
  return document;
}
