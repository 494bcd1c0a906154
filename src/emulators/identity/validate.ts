/**
 * Request body validation of the identity emulator, reporting failures the way the real API's RAML
 * validator does: one `{ field, value, msg }` per broken rule, `msg` = `invalid json (<rule>, <value>)`
 * (upstream-contracts.md §3.2). All failures of a body are reported at once. Unknown keys are refused
 * rather than ignored [I], so a write never half-applies what the caller meant.
 */
import { WIRE_EMAIL_PATTERN, type WireFieldError } from '../../contracts/identity';

/** How the pattern is quoted in `msg` (the documented form, without anchors). */
const EMAIL_PATTERN_TEXT = '[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}';

/** Longest accepted name, account identifier [I], and email (RFC 5321). */
export const MAX_NAME_LENGTH = 255;
export const MAX_EMAIL_LENGTH = 254;

export interface CreateUserInput {
  firstName: string;
  lastName: string;
  email: string;
  internal: boolean;
  /** `null`: create no subscription. */
  accountIdentifier: string | null;
}

export interface UpdateUserInput {
  firstName?: string;
  lastName?: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; fields: WireFieldError[] };

/** Longest rendering of a received value echoed back in `value` [I]. */
const MAX_VALUE_TEXT = 256;

/** The received value as text, the way the API echoes it: `"null"` for a missing field. */
function render(value: unknown): string {
  let text: string;
  if (value === undefined || value === null) text = 'null';
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value);
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT)}…` : text;
}

function fail(field: string, value: unknown, rule: string, ruleValue: string | number | boolean): WireFieldError {
  return { field, value: render(value), msg: `invalid json (${rule}, ${String(ruleValue)})` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a string field's type and length and returns it when valid; `required` makes missing and
 * `null` a failure.
 */
function checkString(
  fields: WireFieldError[],
  name: string,
  value: unknown,
  options: { required: boolean; maxLength: number },
): string | undefined {
  if (value === undefined || value === null) {
    if (options.required) fields.push(fail(name, value, 'required', true));
    return undefined;
  }
  if (typeof value !== 'string') {
    fields.push(fail(name, value, 'type', 'string'));
    return undefined;
  }
  if (value.length < 1) {
    fields.push(fail(name, value, 'minLength', 1));
    return undefined;
  }
  if (value.length > options.maxLength) {
    fields.push(fail(name, value, 'maxLength', options.maxLength));
    return undefined;
  }
  return value;
}

function refuseUnknown(fields: WireFieldError[], body: Record<string, unknown>, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) fields.push(fail(prefix + key, body[key], 'additionalProperties', false));
  }
}

const CREATE_KEYS = ['first_name', 'last_name', 'email', 'internal', 'account'] as const;

/** `POST /users`: `first_name`, `last_name`, `email` required; `internal` and `account.identifier` optional. */
export function validateCreateUser(body: unknown): Validated<CreateUserInput> {
  const b = isObject(body) ? body : {};
  const fields: WireFieldError[] = [];
  refuseUnknown(fields, b, CREATE_KEYS);

  const firstName = checkString(fields, 'first_name', b.first_name, { required: true, maxLength: MAX_NAME_LENGTH });
  const lastName = checkString(fields, 'last_name', b.last_name, { required: true, maxLength: MAX_NAME_LENGTH });
  let email = checkString(fields, 'email', b.email, { required: true, maxLength: MAX_EMAIL_LENGTH });
  if (email !== undefined && !WIRE_EMAIL_PATTERN.test(email)) {
    fields.push(fail('email', email, 'pattern', EMAIL_PATTERN_TEXT));
    email = undefined;
  }

  let internal = false;
  if (b.internal !== undefined) {
    if (typeof b.internal === 'boolean') internal = b.internal;
    else fields.push(fail('internal', b.internal, 'type', 'boolean'));
  }

  // `account.identifier` defaults to null: an absent or null account means no subscription.
  let accountIdentifier: string | null = null;
  if (b.account !== undefined && b.account !== null) {
    if (!isObject(b.account)) {
      fields.push(fail('account', b.account, 'type', 'object'));
    } else {
      refuseUnknown(fields, b.account, ['identifier'], 'account.');
      accountIdentifier = checkString(fields, 'account.identifier', b.account.identifier, { required: false, maxLength: MAX_NAME_LENGTH }) ?? null;
    }
  }

  if (fields.length > 0 || firstName === undefined || lastName === undefined || email === undefined) return { ok: false, fields };
  return { ok: true, value: { firstName, lastName, email, internal, accountIdentifier } };
}

const UPDATE_KEYS = ['first_name', 'last_name'] as const;

/**
 * `PATCH /users/:identifier`: only `first_name` and `last_name`, at least one of them. A name cannot be
 * cleared, so `null` is refused like any other non-string [I].
 */
export function validateUpdateUser(body: unknown): Validated<UpdateUserInput> {
  const b = isObject(body) ? body : {};
  const fields: WireFieldError[] = [];
  if (Object.keys(b).length === 0) {
    return { ok: false, fields: [fail('body', body === undefined ? {} : body, 'minProperties', 1)] };
  }
  refuseUnknown(fields, b, UPDATE_KEYS);
  const value: UpdateUserInput = {};
  for (const [key, name] of [['first_name', 'firstName'], ['last_name', 'lastName']] as const) {
    if (!(key in b)) continue;
    const v = b[key];
    if (v === null) {
      fields.push(fail(key, v, 'type', 'string'));
      continue;
    }
    const text = checkString(fields, key, v, { required: false, maxLength: MAX_NAME_LENGTH });
    if (text !== undefined) value[name] = text;
  }
  return fields.length > 0 ? { ok: false, fields } : { ok: true, value };
}
