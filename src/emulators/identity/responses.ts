/**
 * Every answer of the identity emulator in the API's `{ succeeded, message, data? }` envelope
 * (upstream-contracts.md §3.2), including the failures the emulator kit detects itself. Statuses and
 * messages not fixed by the documentation are marked [I] and listed in README.md.
 */
import http from 'node:http';
import type { WireFieldError, WireUser } from '../../contracts/identity';
import type { EmulatorErrors, EmulatorResponse } from '../kit';

/** Largest request body, as Express's JSON body parser (which serves this API [I]) allows by default. */
export const MAX_BODY_BYTES = 100 * 1024;

export function success(status: number, message: string, data?: unknown): EmulatorResponse {
  return { status, body: data === undefined ? { succeeded: true, message } : { succeeded: true, message, data } };
}

export function failure(status: number, message: string, data?: unknown, headers?: Record<string, string>): EmulatorResponse {
  return { status, body: data === undefined ? { succeeded: false, message } : { succeeded: false, message, data }, headers };
}

export function userAnswer(status: number, message: string, user: WireUser): EmulatorResponse {
  return success(status, message, { user });
}

/** 422, the documented validation failure. */
export function validationFailed(fields: WireFieldError[]): EmulatorResponse {
  return failure(422, 'RAML validation error', { fields });
}

export function userNotFound(identifier: string): EmulatorResponse {
  return failure(404, `User not found: ${identifier}`);
}

/** 406 [D status]: the client asked for something other than JSON. */
export function notAcceptable(): EmulatorResponse {
  return failure(406, 'Not acceptable: this API only produces application/json');
}

/** RFC 6750 challenge sent with every 401 [I]. */
const REALM = 'Bearer realm="id.markettrack.com"';

export const identityErrors: EmulatorErrors = {
  unauthorized(reason) {
    return reason === 'missing'
      ? failure(401, 'Unauthorized: no access token; send Authorization: Bearer <access_token>', undefined, { 'www-authenticate': REALM })
      : failure(401, 'Unauthorized: the access token is invalid or has expired', undefined, {
          'www-authenticate': `${REALM}, error="invalid_token"`,
        });
  },
  notFound() {
    return failure(404, 'Not found: no such resource');
  },
  // [I] 405: not in the documented list, but what a request for an undocumented method gets.
  methodNotAllowed() {
    return failure(405, 'Method not allowed on this resource');
  },
  malformedJson() {
    return failure(400, 'Bad request: the body is not valid JSON');
  },
  notObject() {
    return failure(400, 'Bad request: the body must be a JSON object');
  },
  unsupportedMediaType() {
    return failure(415, 'Unsupported media type: request bodies must be application/json');
  },
  // [I] 413: not in the documented list; the body parser's answer to an oversized body.
  tooLarge() {
    return failure(413, `Payload too large: request bodies are limited to ${MAX_BODY_BYTES / 1024} kB`);
  },
  forStatus(status) {
    const text = http.STATUS_CODES[status] ?? 'Error';
    return status >= 400 ? failure(status, text) : success(status, text);
  },
};
