/**
 * Reads the identity API's error envelope `{ succeeded: false, message, data?: { fields } }` into words
 * that are safe to show (ErrorDescription): our own message for the failures the contract names, field
 * errors in the connector's input names, and a reason code. Never included: the received `value` of a
 * field error, URLs, credentials or the raw body.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { isObject, safeText } from '../shape';

/** Wire field → the connector's input name (CreateIdentityUserInput / UpdateIdentityUserInput). */
const INPUT_NAMES: Readonly<Record<string, string>> = {
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  internal: 'internal',
  account: 'accountIdentifier',
  'account.identifier': 'accountIdentifier',
};

function inputName(field: string): string {
  const known = INPUT_NAMES[field];
  if (known !== undefined) return known;
  // Unknown names (a key the API refused) in the same camelCase as the input names.
  return field.replace(/[._]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `invalid json (<rule>, <value>)` in words; anything else is passed on (made safe). */
function ruleInWords(msg: string): string {
  const match = /^invalid json \((\w+), (.*)\)$/.exec(msg);
  if (!match) return safeText(msg);
  const [, rule, value] = match;
  switch (rule) {
    case 'required':
      return 'is required';
    case 'type':
      return `must be a ${safeText(value ?? '')}`;
    case 'minLength':
      return value === '1' ? 'must not be empty' : `must be at least ${safeText(value ?? '')} characters long`;
    case 'maxLength':
      return `must be at most ${safeText(value ?? '')} characters long`;
    case 'pattern':
      return `must match the pattern ${safeText(value ?? '')}`;
    case 'additionalProperties':
      return 'is not accepted here';
    case 'minProperties':
      return 'needs at least one field to change';
    default:
      return safeText(msg);
  }
}

function fieldErrors(data: unknown): FieldError[] {
  if (!isObject(data) || !Array.isArray(data.fields)) return [];
  const out: FieldError[] = [];
  for (const entry of data.fields) {
    if (!isObject(entry) || typeof entry.field !== 'string') continue;
    // The whole-body rule (an empty PATCH) has no input field of its own.
    const path = entry.field === 'body' ? [] : [inputName(entry.field)];
    out.push({ path, message: typeof entry.msg === 'string' ? ruleInWords(entry.msg) : 'is invalid' });
  }
  return out;
}

/**
 * The `describeError` of the identity client. `reason` is one of `user_not_found`, `user_exists`,
 * `account_exists`, `subscribed_to_other_platforms`, `validation_failed`, or absent.
 */
export function describeIdentityError(status: number, body: unknown): ErrorDescription {
  if (!isObject(body) || typeof body.message !== 'string') return {};
  const upstreamMessage = body.message;
  const fields = fieldErrors(body.data);

  if (status === 401) {
    return { message: 'identity refused the gateway’s access token: it is missing, invalid or expired' };
  }
  if (status === 404 && upstreamMessage.startsWith('User not found')) {
    return { message: 'identity has no user with this identifier', reason: 'user_not_found' };
  }
  if (status === 409 && upstreamMessage.startsWith('User already exists')) {
    return { message: 'identity already has a user with this email', reason: 'user_exists', fieldErrors: [{ path: ['email'], message: 'is already registered' }] };
  }
  if (status === 409 && upstreamMessage.startsWith('Account already exists')) {
    return {
      message: 'identity already has an account with this identifier',
      reason: 'account_exists',
      fieldErrors: [{ path: ['accountIdentifier'], message: 'is already in use' }],
    };
  }
  if (status === 409 && /subscribed to other platforms/i.test(upstreamMessage)) {
    return { message: 'identity cannot delete a user who is subscribed to other platforms', reason: 'subscribed_to_other_platforms' };
  }
  if ((status === 422 || status === 400) && fields.length > 0) {
    const summary = fields.map((f) => (f.path.length ? `${f.path.join('.')} ${f.message}` : f.message)).join('; ');
    return { message: safeText(`identity rejected the input: ${summary}`), fieldErrors: fields, reason: 'validation_failed' };
  }
  return { message: `identity: ${safeText(upstreamMessage)}` };
}
