/**
 * The timesheet API's own error answers (upstream-contracts.md 5.3), for the failures the kit detects
 * and for the handlers' refusals. Documented: 400 `{"message":"JSON Parsing Error"}`, 400
 * `{"message":"Body should be JSON Hash"}`, 400 with no body for fields in the wrong format, 403 with no
 * body, 404 with no body, 422 `{"message":"Validation Failed","errors":[{resource,field,code}]}`, empty
 * 429, 503 `{"message":…}`. Inferred ([I], README.md): the 401 and missing-User-Agent bodies, 405, 413,
 * and the 500 body.
 */
import type { EmulatorErrors, EmulatorResponse } from '../kit';
import type { WireErrorBody, WireErrorCode } from '../../contracts/timesheet';

export const MIGRATION_MESSAGE = 'Freckle is changing the internal data for your account so you can start using hashtags';

function message(status: number, text: string): EmulatorResponse {
  const body: WireErrorBody = { message: text };
  return { status, body };
}

/** 400 with no body: "Fields were not in the correct format" (a query or body value of the wrong type or range). */
export function wrongFormat(): EmulatorResponse {
  return { status: 400 };
}

/** 422 "Validation Failed" with one entry per refused field; `base` for a refusal of the whole action. */
export function validationFailed(...errors: { resource?: string; field: string; code: WireErrorCode }[]): EmulatorResponse {
  const body: WireErrorBody = {
    message: 'Validation Failed',
    errors: errors.map((e) => ({ resource: e.resource ?? 'User', field: e.field, code: e.code })),
  };
  return { status: 422, body };
}

/** A refusal of a whole action with one of the documented custom codes (`not_pending`, `deletable` …). */
export function refused(code: WireErrorCode): EmulatorResponse {
  return validationFailed({ field: 'base', code });
}

export function missingUserAgent(): EmulatorResponse {
  return message(400, 'A User-Agent header is required, e.g. User-Agent: My-Freckle-App');
}

export const timesheetErrors: EmulatorErrors = {
  unauthorized: () => message(401, 'Unauthorized'),
  notFound: () => ({ status: 404 }),
  methodNotAllowed: () => ({ status: 405 }),
  malformedJson: () => message(400, 'JSON Parsing Error'),
  notObject: () => message(400, 'Body should be JSON Hash'),
  // All data is sent as JSON; a body of another type cannot be parsed as JSON.
  unsupportedMediaType: () => message(400, 'JSON Parsing Error'),
  tooLarge: () => message(413, 'Request Entity Too Large'),
  forStatus(status: number): EmulatorResponse {
    if (status === 400) return wrongFormat();
    if (status === 401) return message(401, 'Unauthorized');
    if (status === 422) return validationFailed({ field: 'base', code: 'missing' });
    if (status === 503) return message(503, MIGRATION_MESSAGE);
    if (status >= 500) return message(status, 'Internal Server Error');
    // 403, 404, 429 and the rest carry no body, as documented.
    return { status };
  },
};
