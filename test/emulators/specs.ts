/**
 * One entry per emulator for the contract every emulator keeps through the kit (contract.test.ts): how
 * its API carries the credential, a read and a write that succeed, and the answers its real API gives
 * where the kit itself answers (refused credentials, unknown routes, injected faults). Paths are below
 * the base path; route keys are the kit's (`GET /users/:id`); operations are the OpenAPI document's.
 */
import type { UpstreamName } from '../../src/errors';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createEvenergyEmulator } from '../../src/emulators/evenergy';
import { createIdentityEmulator } from '../../src/emulators/identity';
import type { Emulator } from '../../src/emulators/kit';
import { createPoderoEmulator } from '../../src/emulators/podero';
import { userIdFor as poderoUserIdFor } from '../../src/emulators/podero/seed';
import type { Population } from '../../src/emulators/population';
import { createTimesheetEmulator } from '../../src/emulators/timesheet';
import { createVrmEmulator } from '../../src/emulators/vrm';

/** What an answer must be: status, content type (null: none), and the exact body or text. */
export interface Expected {
  status: number;
  contentType: string | null;
  /** The exact JSON body. */
  body?: unknown;
  /** The exact text (for answers without a JSON body). */
  text?: string;
  /** Text the body must contain (for HTML error pages). */
  contains?: string;
  /** Headers the answer carries: a string is matched exactly, a RegExp as a pattern. */
  headers?: Record<string, string | RegExp>;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface Sample extends Call {
  /** The kit's route key of this call. */
  route: string;
  /** The OpenAPI path of this call. */
  operation: string;
  status: number;
}

export interface EmulatorSpec {
  name: UpstreamName;
  basePath: string;
  create(options: { population: Population; token?: string }): Emulator;
  /** The development service credential the emulator accepts by default. */
  token: string;
  /** Headers carrying `token` the way this API expects it. */
  credentials(token: string): Record<string, string>;
  /** Headers every request needs besides the credential. */
  headers?: Record<string, string>;
  /** A read that succeeds with the service credential. */
  read: Sample;
  /** A write that succeeds and changes what `shows` answers. */
  write: Sample & { shows: string };
  /** Paths below the base path that no route serves. */
  unknownPaths: string[];
  /** Served paths asked with a method they do not serve. */
  wrongMethods: Call[];
  /** Values for the path parameters when every documented operation is called (default `1`). */
  pathValues?: Record<string, string>;
  answers: {
    missingCredential: Expected;
    wrongCredential: Expected;
    notFound: Expected;
    methodNotAllowed: Expected;
    /** The injected failure's answer for 500, 503 and 429. */
    fault: Record<500 | 503 | 429, Expected>;
  };
  /** Every operation of the seed document, as `GET /users/{id}`. */
  operations: string[];
}

const ORG = DEV_PODERO_ORG_ID;
const NEW_EMAIL = 'contract@example.org';

const problem = (status: number, title: string, detail: string, type?: string): Expected => ({
  status,
  contentType: 'application/problem+json',
  body: { ...(type ? { type } : {}), status, title, detail },
});

const envelope = (status: number, message: string, headers?: Record<string, string>): Expected => ({
  status,
  contentType: 'application/json',
  body: { succeeded: false, message },
  ...(headers ? { headers } : {}),
});

const detail = (status: number, text: string): Expected => ({ status, contentType: 'application/json', body: { detail: text } });

const vrmError = (status: number, errors: string, errorCode: string | null = null): Expected => ({
  status,
  contentType: 'application/json',
  body: { success: false, errors, error_code: errorCode },
});

const message = (status: number, text: string): Expected => ({ status, contentType: 'application/json', body: { message: text } });
const empty = (status: number): Expected => ({ status, contentType: null, text: '' });

export const SPECS: EmulatorSpec[] = [
  {
    name: 'evenergy',
    basePath: '/v2',
    create: (options) => createEvenergyEmulator(options),
    token: DEV_TOKENS.evenergy,
    credentials: (token) => ({ authorization: `Bearer ${token}` }),
    read: { method: 'GET', path: '/users?page_size=2', route: 'GET /users', operation: '/users', status: 200 },
    write: { method: 'POST', path: '/users', body: { email: NEW_EMAIL }, route: 'POST /users', operation: '/users', status: 201, shows: `/users?email=${encodeURIComponent(NEW_EMAIL)}` },
    unknownPaths: ['/vehicles', '/users/user00000000000000000000000000/vehicles'],
    wrongMethods: [
      { method: 'DELETE', path: '/users' },
      { method: 'DELETE', path: '/users/user00000000000000000000000000' },
      { method: 'PUT', path: '/users/user00000000000000000000000000/payout_method', body: {} },
    ],
    pathValues: { user_id: 'user00000000000000000000000000' },
    answers: {
      missingCredential: { ...problem(401, 'Unauthorized', 'Authentication credentials were not provided.'), headers: { 'www-authenticate': /^Bearer/ } },
      wrongCredential: { ...problem(401, 'Unauthorized', 'Authentication credentials were not provided.'), headers: { 'www-authenticate': /^Bearer/ } },
      notFound: problem(404, 'Not found', 'Resource does not exist or cannot be accessed.'),
      methodNotAllowed: problem(405, 'Method Not Allowed', 'Could not satisfy this HTTP method.'),
      fault: {
        500: problem(500, 'Internal Server Error', 'A server error occurred.'),
        503: problem(503, 'Service Unavailable', 'The server answered with status 503.'),
        429: problem(429, 'Too Many Requests', 'Request was rate limited. Try again in 60 seconds', 'https://api.ev.energy/v2/problems/rate-limit-exceeded/'),
      },
    },
    operations: [
      'GET /users',
      'POST /users',
      'GET /users/{user_id}',
      'PATCH /users/{user_id}',
      'GET /users/{user_id}/notification_preferences',
      'PATCH /users/{user_id}/notification_preferences',
      'GET /users/{user_id}/payout_method',
      'PATCH /users/{user_id}/payout_method',
      'DELETE /users/{user_id}/payout_method',
    ],
  },
  {
    name: 'identity',
    basePath: '/api/v1',
    create: (options) => createIdentityEmulator(options),
    token: DEV_TOKENS.identity,
    credentials: (token) => ({ authorization: `Bearer ${token}` }),
    read: { method: 'GET', path: '/', route: 'GET /', operation: '/', status: 200 },
    write: {
      method: 'POST',
      path: '/users',
      body: { first_name: 'Con', last_name: 'Tract', email: NEW_EMAIL },
      route: 'POST /users',
      operation: '/users',
      status: 201,
      shows: `/users/${encodeURIComponent(NEW_EMAIL)}`,
    },
    unknownPaths: ['/subscriptions', '/users/a/b'],
    wrongMethods: [
      { method: 'PUT', path: '/users/x' },
      { method: 'GET', path: '/users' },
      { method: 'DELETE', path: '/users' },
    ],
    answers: {
      missingCredential: envelope(401, 'Unauthorized: no access token; send Authorization: Bearer <access_token>', { 'www-authenticate': 'Bearer realm="id.markettrack.com"' }),
      wrongCredential: envelope(401, 'Unauthorized: the access token is invalid or has expired', {
        'www-authenticate': 'Bearer realm="id.markettrack.com", error="invalid_token"',
      }),
      notFound: envelope(404, 'Not found: no such resource'),
      methodNotAllowed: envelope(405, 'Method not allowed on this resource'),
      fault: {
        500: envelope(500, 'Internal Server Error'),
        503: envelope(503, 'Service Unavailable'),
        429: envelope(429, 'Too Many Requests'),
      },
    },
    operations: ['GET /', 'POST /users', 'GET /users/{identifier}', 'PATCH /users/{identifier}', 'DELETE /users/{identifier}'],
  },
  {
    name: 'podero',
    basePath: '/api/partners/v2.0',
    create: (options) => createPoderoEmulator(options),
    token: DEV_TOKENS.podero,
    credentials: (token) => ({ authorization: `Bearer ${token}` }),
    read: { method: 'GET', path: `/org/${ORG}/users`, route: 'GET /org/:org_id/users', operation: '/org/{org_id}/users', status: 200 },
    write: {
      method: 'POST',
      path: `/org/${ORG}/users`,
      body: { role: 'user', email: NEW_EMAIL },
      route: 'POST /org/:org_id/users',
      operation: '/org/{org_id}/users',
      status: 200,
      shows: `/org/${ORG}/users?include_deleted=true`,
    },
    unknownPaths: [`/org/${ORG}/users/${poderoUserIdFor(0)}/wallboxes`, '/users'],
    wrongMethods: [{ method: 'DELETE', path: `/org/${ORG}/users/${poderoUserIdFor(0)}` }],
    pathValues: { org_id: ORG },
    answers: {
      missingCredential: detail(401, 'Unauthorized'),
      wrongCredential: detail(401, 'Unauthorized'),
      notFound: detail(404, 'Not Found'),
      methodNotAllowed: detail(405, 'Method not allowed'),
      fault: {
        500: { status: 500, contentType: 'text/html; charset=utf-8', contains: 'Server Error (500)' },
        503: { status: 503, contentType: 'text/html; charset=utf-8', contains: '503 Service Unavailable' },
        429: detail(429, 'Too many requests.'),
      },
    },
    operations: [
      'GET /org/{org_id}/users',
      'POST /org/{org_id}/users',
      'GET /org/{org_id}/users/by-ext-id/{external_id}',
      'GET /org/{org_id}/users/{user_id}',
      'PUT /org/{org_id}/users/{user_id}',
      'GET /org/{org_id}/users/{user_id}/heat-pumps',
      'GET /org/{org_id}/users/{user_id}/heat-pumps/{heat_pump_id}',
      'PUT /org/{org_id}/users/{user_id}/heat-pumps/{heat_pump_id}',
      'GET /org/{org_id}/users/{user_id}/electric-vehicles',
      'GET /org/{org_id}/users/{user_id}/electric-vehicles/{electric_vehicle_id}',
      'PUT /org/{org_id}/users/{user_id}/electric-vehicles/{electric_vehicle_id}',
      'GET /org/{org_id}/users/{user_id}/inverters',
      'GET /org/{org_id}/users/{user_id}/inverters/{inverter_id}',
      'PUT /org/{org_id}/users/{user_id}/inverters/{inverter_id}',
      'POST /cues/{cue_id}/resolve',
    ],
  },
  {
    name: 'timesheet',
    basePath: '/v2',
    create: (options) => createTimesheetEmulator(options),
    token: DEV_TOKENS.timesheet,
    credentials: (token) => ({ 'X-FreckleToken': token }),
    headers: { 'User-Agent': 'usergraph-tests/1.0' },
    read: { method: 'GET', path: '/users?per_page=2', route: 'GET /users', operation: '/users', status: 200 },
    write: { method: 'POST', path: '/users', body: { email: NEW_EMAIL }, route: 'POST /users', operation: '/users', status: 200, shows: `/users?email=${encodeURIComponent(NEW_EMAIL)}` },
    unknownPaths: ['/projects', '/users/5000/invoices'],
    wrongMethods: [
      { method: 'POST', path: '/users/5000' },
      { method: 'DELETE', path: '/users' },
    ],
    answers: {
      missingCredential: message(401, 'Unauthorized'),
      wrongCredential: message(401, 'Unauthorized'),
      notFound: empty(404),
      methodNotAllowed: empty(405),
      fault: {
        500: message(500, 'Internal Server Error'),
        503: message(503, 'Freckle is changing the internal data for your account so you can start using hashtags'),
        429: empty(429),
      },
    },
    operations: [
      'GET /users',
      'POST /users',
      'GET /users/{id}',
      'PATCH /users/{id}',
      'DELETE /users/{id}',
      'GET /users/{id}/entries',
      'GET /users/{id}/expenses',
      'GET /users/{id}/participating_projects',
      'PUT /users/{id}/resend_invitation_email',
      'PUT /users/{id}/activate',
      'PUT /users/{id}/deactivate',
      'PUT /users/{id}/give_access_to_projects',
      'PUT /users/{id}/revoke_access_to_projects',
    ],
  },
  {
    name: 'vrm',
    basePath: '/v2',
    create: (options) => createVrmEmulator(options),
    token: DEV_TOKENS.vrm,
    credentials: (token) => ({ 'x-authorization': `Token ${token}` }),
    read: { method: 'GET', path: '/users/me', route: 'GET /users/me', operation: '/users/me', status: 200 },
    write: {
      method: 'POST',
      path: '/users/me/accesstokens/create',
      body: { name: 'contract' },
      route: 'POST /users/:idUser/accesstokens/create',
      operation: '/users/{idUser}/accesstokens/create',
      status: 200,
      shows: '/users/me/accesstokens/list',
    },
    unknownPaths: ['/users', '/nope/users/me'],
    wrongMethods: [
      { method: 'DELETE', path: '/users/me' },
      { method: 'POST', path: '/users/me/installations', body: {} },
    ],
    pathValues: { idUser: 'me' },
    answers: {
      missingCredential: vrmError(401, 'Authentication token is missing', 'invalid_token'),
      wrongCredential: vrmError(401, 'Authentication token is invalid', 'invalid_token'),
      notFound: vrmError(404, 'Route not found'),
      methodNotAllowed: vrmError(405, 'Method not allowed'),
      fault: {
        500: vrmError(500, 'Internal server error'),
        503: vrmError(503, 'Service temporarily unavailable'),
        429: vrmError(429, 'Too many requests, please retry later', 'rate_limited'),
      },
    },
    operations: [
      'GET /users/me',
      'POST /users/{idUser}/accesstokens/create',
      'GET /users/{idUser}/accesstokens/list',
      'GET /users/{idUser}/accesstokens/{idAccessToken}/revoke',
      'POST /users/{idUser}/addsite',
      'POST /users/{idUser}/get-site-id',
      'GET /users/{idUser}/installations',
    ],
  },
];
