/**
 * Reads the timesheet API's error bodies into words that are safe to show (ErrorDescription). The API
 * answers `{message}` (parsing errors, 503), `{message, errors: [{resource, field, code}]}` (422
 * validation and refusals), or nothing at all (404, 403, 429, and 400 for fields in the wrong format).
 * Field errors name the connector's input fields; a refusal of the whole action (`field: "base"`) and
 * the first field code become `reason` (`not_pending`, `already_exists` …). Never included: URLs,
 * credentials, or the raw body.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { isObject, safeText } from '../shape';

/** The documented codes in words. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  missing: 'does not exist',
  missing_field: 'is required',
  already_exists: 'is already taken',
  reached_user_limit: 'the account has reached its user limit',
  deactivated: 'the user is deactivated',
  not_pending: 'the user is not pending, so there is no invitation to resend',
  not_deactivated: 'the user is not deactivated',
  deletable: 'the user has no entries: delete the user instead of deactivating',
  not_a_freelancer: 'the user is not a freelancer',
  already_has_access: 'the freelancer already has access to one of the projects',
  dependent: 'the user has entries and cannot be deleted: deactivate the user instead',
};

/** Wire field → the connector's input name (CreateTimesheetUserInput, UpdateTimesheetUserInput, project access). */
const INPUT_NAMES: Readonly<Record<string, string>> = {
  email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  role: 'role',
  projects: 'projectIds',
};

/** When the API sends no body, the status alone says what happened. */
const STATUS_WORDS: Readonly<Record<number, string>> = {
  400: 'timesheet refused the request: a field or parameter was not in the correct format',
  401: 'timesheet did not accept the service credentials',
  403: 'timesheet does not permit this action with the service credentials',
  404: 'timesheet has no such user',
  429: 'timesheet is limiting the request rate',
  500: 'timesheet failed to answer the request',
  503: 'timesheet is temporarily unavailable',
};

/** A code is passed on only when it looks like one (`snake_case` word), so no free text rides along. */
function safeCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z][a-z_]{0,39}$/.test(value) ? value : undefined;
}

function inputName(field: string): string {
  return INPUT_NAMES[field] ?? safeText(field).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function describeTimesheetError(status: number, body: unknown): ErrorDescription {
  if (!isObject(body)) return STATUS_WORDS[status] ? { message: STATUS_WORDS[status] } : {};
  const fieldErrors: FieldError[] = [];
  const refusals: string[] = [];
  let reason: string | undefined;
  for (const error of Array.isArray(body.errors) ? body.errors : []) {
    if (!isObject(error)) continue;
    const code = safeCode(error.code);
    if (!code) continue;
    reason ??= code;
    const words = CODE_WORDS[code] ?? `was refused (${code})`;
    const field = typeof error.field === 'string' ? error.field : 'base';
    if (field === 'base') refusals.push(CODE_WORDS[code] ?? `the action was refused (${code})`);
    else fieldErrors.push({ path: [inputName(field)], message: words });
  }
  const parts = [...refusals, ...fieldErrors.map((e) => `${e.path.join('.')} ${e.message}`)];
  // The upstream's own `message` is free text and never passed on (DESIGN.md: no upstream body reaches a
  // client); our words for the status say what happened.
  const message = parts.length ? `timesheet refused the request: ${parts.join('; ')}` : STATUS_WORDS[status];
  return {
    ...(message ? { message } : {}),
    ...(fieldErrors.length ? { fieldErrors } : {}),
    ...(reason ? { reason } : {}),
  };
}
