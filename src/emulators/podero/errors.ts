/**
 * The podero emulator's error answers, shaped like django-ninja's defaults (upstream-contracts.md §4.5
 * [I]): `{ detail: string }` for 4xx, `{ detail: [{ type, loc, msg }] }` for 422, and Django's plain HTML
 * page for a 500 (a proxy's for 502–504), since a crashing Django view never answers JSON.
 */
import type { EmulatorErrors, EmulatorResponse } from '../kit';
import type { WireValidationItem } from '../../contracts/podero';

export function detail(status: number, message: string): EmulatorResponse {
  return { status, body: { detail: message } };
}

export function validationFailed(items: WireValidationItem[]): EmulatorResponse {
  return { status: 422, body: { detail: items } };
}

export const notFound = (): EmulatorResponse => detail(404, 'Not Found');
export const forbidden = (): EmulatorResponse => detail(403, 'Forbidden');

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  422: 'Unprocessable Entity',
  429: 'Too many requests.',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function html(status: number, title: string): EmulatorResponse {
  return {
    status,
    rawBody: `<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${title}</h1><p></p>\n</body>\n</html>\n`,
    contentType: 'text/html; charset=utf-8',
  };
}

export const poderoErrors: EmulatorErrors = {
  unauthorized: () => detail(401, 'Unauthorized'),
  notFound,
  methodNotAllowed: () => detail(405, 'Method not allowed'),
  // django-ninja parses the body as JSON whatever its content type, so a body in another format fails
  // the same way as broken JSON.
  malformedJson: () => detail(400, 'Cannot parse request body'),
  unsupportedMediaType: () => detail(400, 'Cannot parse request body'),
  notObject: () =>
    validationFailed([{ type: 'model_attributes_type', loc: ['body', 'payload'], msg: 'Input should be a valid dictionary or object to extract fields from' }]),
  // Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE as a SuspiciousOperation: a plain 400.
  tooLarge: () => detail(400, 'Bad Request'),
  forStatus(status) {
    if (status === 500) return html(500, 'Server Error (500)');
    if (status > 500) return html(status, `${status} ${REASONS[status] ?? 'Server Error'}`);
    return detail(status, REASONS[status] ?? 'Error');
  },
};
