/**
 * Reads the timesheet API's error bodies (ErrorDescription). The API answers `{message}` (parsing
 * errors, 503), `{message, errors: [{resource, field, code}]}` (422 validation and refusals), or nothing
 * at all (404, 403, 429, and 400 for fields in the wrong format). Field errors name the connector's
 * input fields (a field the gateway does not send → `[]`) with the gateway's words for the documented
 * code; a refusal of the whole action (`field: "base"`) and the first field code become `reason`
 * (`not_pending`, `already_exists` …) when documented. The `message` is free text and goes to the
 * log-only `detail`, never to a client.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { detailText, isObject } from '../shape';

/** The documented codes, in the gateway's words. */
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

/** The gateway's words for a documented reason (`not_pending` → "the user is not pending, …"). */
export function timesheetReasonWords(reason: string | undefined): string | undefined {
  return reason !== undefined && Object.prototype.hasOwnProperty.call(CODE_WORDS, reason) ? CODE_WORDS[reason] : undefined;
}

/** A code the API documents (CODE_WORDS), so no free text rides along as a reason. */
function knownCode(value: unknown): string | undefined {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CODE_WORDS, value) ? value : undefined;
}

/** What the body said, for the logs. */
function detailOf(body: Record<string, unknown>): string {
  const errors = (Array.isArray(body.errors) ? body.errors : []).filter(isObject).map((e) => `${String(e.field)} ${String(e.code)}`);
  return detailText([typeof body.message === 'string' ? body.message : '', ...errors].filter(Boolean).join('; '));
}

export function describeTimesheetError(_status: number, body: unknown): ErrorDescription {
  if (!isObject(body)) return {};
  const fieldErrors: FieldError[] = [];
  let reason: string | undefined;
  for (const error of Array.isArray(body.errors) ? body.errors : []) {
    if (!isObject(error)) continue;
    const code = knownCode(error.code);
    reason ??= code;
    const field = typeof error.field === 'string' ? error.field : 'base';
    // A refusal of the whole action (`base`) is the reason alone (timesheetReasonWords words it).
    if (field === 'base') continue;
    const name = INPUT_NAMES[field];
    fieldErrors.push({ path: name === undefined ? [] : [name], message: code ? CODE_WORDS[code]! : 'was refused' });
  }
  return {
    ...(fieldErrors.length ? { fieldErrors } : {}),
    ...(reason ? { reason } : {}),
    detail: detailOf(body),
  };
}
