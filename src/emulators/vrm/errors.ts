/**
 * VRM's error answers: every failure carries `{ success: false, errors, error_code }` as
 * `application/json` (upstream-contracts.md §2.2). Statuses and wording beyond the documented 401 and
 * 403 are [I] and listed in README.md.
 */
import type { EmulatorErrors, EmulatorResponse } from '../kit';
import type { WireErrorBody } from '../../contracts/vrm';

export function vrmError(status: number, errors: WireErrorBody['errors'], errorCode: string | null = null): EmulatorResponse {
  const body: WireErrorBody = { success: false, errors, error_code: errorCode };
  return { status, body };
}

/** A 400 naming the request fields that were wrong. */
export function validationError(fields: Record<string, string>): EmulatorResponse {
  return vrmError(400, fields);
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication token is invalid',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests, please retry later',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

export const vrmErrors: EmulatorErrors = {
  unauthorized(reason) {
    return vrmError(401, reason === 'missing' ? 'Authentication token is missing' : 'Authentication token is invalid', 'invalid_token');
  },
  notFound: () => vrmError(404, 'Route not found'),
  methodNotAllowed: () => vrmError(405, 'Method not allowed'),
  malformedJson: () => vrmError(400, 'Request body is not valid JSON'),
  notObject: () => vrmError(400, 'Request body must be a JSON object'),
  unsupportedMediaType: () => vrmError(415, 'Content-Type must be application/json'),
  tooLarge: () => vrmError(413, 'Request body is too large'),
  forStatus(status) {
    return vrmError(status, STATUS_MESSAGES[status] ?? `Request failed with status ${status}`, status === 429 ? 'rate_limited' : null);
  },
};
