/**
 * ev.energy's error bodies: RFC 9457 problem details sent as `application/problem+json`
 * (upstream-contracts.md §1.4). The titles and details are the documented ones (they are Django REST
 * framework's wording); where the contract gives none, the choice is marked [I] and listed in README.md.
 * Every response of the emulator, success or problem, carries the documented common headers.
 */
import http from 'node:http';
import type { EmulatorErrors, EmulatorResponse } from '../kit';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem `type` URIs the contract documents (they are absolute URIs of the real API, not of the emulator). */
export const PROBLEM_TYPES = {
  pagination: 'https://api.ev.energy/v2/problems/pagination-parameters/',
  notificationPreferences: 'https://api.ev.energy/v2/problems/validation-failed-update-notification-preferences/',
  payoutMethod: 'https://api.ev.energy/v2/problems/validation-failed-update-payout-method/',
  /** [I] the contract shows this pattern for vehicles only. */
  createUser: 'https://api.ev.energy/v2/problems/validation-failed-create-user/',
  /** [I] as above. */
  updateUser: 'https://api.ev.energy/v2/problems/validation-failed-update-user/',
  /** [I] a request body that is not JSON at all. */
  malformedRequest: 'https://api.ev.energy/v2/problems/malformed-request/',
  rateLimit: 'https://api.ev.energy/v2/problems/rate-limit-exceeded/',
} as const;

/** Field name → messages, as in the documented `field_errors`. */
export type FieldErrors = Record<string, string[]>;

export interface Problem {
  type?: string;
  title: string;
  detail: string;
  field_errors?: FieldErrors;
}

/** The only `EvEnergy-Version` the API serves; echoed on every response. */
export const API_VERSION = '2';

/**
 * Documented response headers of (almost) every operation. The emulator does not rate-limit by itself
 * (inject a 429 with the faults hook), so the documented defaults are sent. `RetryAfter` without a
 * hyphen is the spec's own spelling.
 */
export function commonHeaders(): Record<string, string> {
  return {
    'evenergy-version': API_VERSION,
    'x-ratelimit-limit': '1000',
    'x-ratelimit-remaining': '999',
    retryafter: '3600',
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers: { ...commonHeaders(), ...headers } };
}

export function noContent(): EmulatorResponse {
  return { status: 204, headers: commonHeaders() };
}

export function problem(status: number, p: Problem, headers: Record<string, string> = {}): EmulatorResponse {
  const body: Record<string, unknown> = {};
  if (p.type !== undefined) body.type = p.type;
  body.status = status;
  body.title = p.title;
  body.detail = p.detail;
  if (p.field_errors !== undefined) body.field_errors = p.field_errors;
  return { status, body, contentType: PROBLEM_CONTENT_TYPE, headers: { ...commonHeaders(), ...headers } };
}

/** A 400 validation problem: `detail` names the failing fields in the documented `Error on fields: …` form. */
export function validationProblem(type: string, fieldErrors: FieldErrors): EmulatorResponse {
  return problem(400, {
    type,
    title: 'Request failed validation.',
    detail: `Error on fields: ${Object.keys(fieldErrors).join(', ')}`,
    field_errors: fieldErrors,
  });
}

export function paginationProblem(parameter: string): EmulatorResponse {
  return problem(400, {
    type: PROBLEM_TYPES.pagination,
    title: 'Invalid pagination parameter',
    detail: `Invalid value for pagination parameter: ${parameter}`,
  });
}

export function unsupportedVersionProblem(requested: string): EmulatorResponse {
  // The spec reuses the pagination problem type for this one (sic); kept as documented.
  return problem(400, {
    type: PROBLEM_TYPES.pagination,
    title: 'Unsupported version',
    detail: `Unsupported version requested: ${requested}`,
  });
}

export function unauthorizedProblem(): EmulatorResponse {
  // django-oauth-toolkit treats a missing and an unknown bearer token alike: both are "not provided".
  return problem(401, { title: 'Unauthorized', detail: 'Authentication credentials were not provided.' }, { 'www-authenticate': 'Bearer realm="api"' });
}

export function forbiddenProblem(): EmulatorResponse {
  return problem(403, { title: 'Forbidden', detail: 'You do not have permission to perform this action.' });
}

export function notFoundProblem(): EmulatorResponse {
  return problem(404, { title: 'Not found', detail: 'Resource does not exist or cannot be accessed.' });
}

export function notAcceptableProblem(): EmulatorResponse {
  return problem(406, { title: 'Not Acceptable', detail: 'Could not satisfy the request Accept header.' });
}

const DEFAULT_RETRY_AFTER_SECONDS = 60;

/** The body an injected fault status carries: the documented ones where the contract has them. */
export function problemForStatus(status: number): EmulatorResponse {
  switch (status) {
    case 401:
      return unauthorizedProblem();
    case 403:
      return forbiddenProblem();
    case 404:
      return notFoundProblem();
    case 405:
      return problem(405, { title: 'Method Not Allowed', detail: 'Could not satisfy this HTTP method.' });
    case 406:
      return notAcceptableProblem();
    case 429:
      return problem(
        429,
        {
          type: PROBLEM_TYPES.rateLimit,
          title: 'Too Many Requests',
          detail: `Request was rate limited. Try again in ${DEFAULT_RETRY_AFTER_SECONDS} seconds`,
        },
        { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) },
      );
    case 500:
      return problem(500, { title: 'Internal Server Error', detail: 'A server error occurred.' });
    default:
      return problem(status, { title: http.STATUS_CODES[status] ?? 'Error', detail: `The server answered with status ${status}.` });
  }
}

export function evenergyErrors(maxBodyBytes: number): EmulatorErrors {
  return {
    unauthorized: () => unauthorizedProblem(),
    notFound: () => notFoundProblem(),
    methodNotAllowed: () => problemForStatus(405),
    malformedJson: () =>
      problem(400, { type: PROBLEM_TYPES.malformedRequest, title: 'Malformed request.', detail: 'JSON parse error: the request body is not valid JSON.' }),
    notObject: () =>
      problem(400, {
        type: PROBLEM_TYPES.malformedRequest,
        title: 'Request failed validation.',
        detail: 'Error on fields: non_field_errors',
        field_errors: { non_field_errors: ['Invalid data. Expected a dictionary, but got another type.'] },
      }),
    unsupportedMediaType: () => problem(415, { title: 'Unsupported Media Type', detail: 'Unsupported media type in request.' }),
    tooLarge: () =>
      problem(413, { title: 'Request Entity Too Large', detail: `The request body exceeds the maximum accepted size of ${maxBodyBytes} bytes.` }),
    forStatus: problemForStatus,
  };
}
