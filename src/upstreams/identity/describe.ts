/**
 * Reads the identity API's error envelope `{ succeeded: false, message, data?: { fields } }`
 * (ErrorDescription): field errors in the connector's input names (a field the gateway does not write
 * → `[]`) with a reason the gateway wrote from the machine-readable rule (`required`, `maxLength` …),
 * and a reason code for the failures the contract names. The envelope's message and every field's
 * `msg` and `value` go to the log-only `detail`, never to a client.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { detailText, isObject } from '../shape';

/** Wire field → the connector's input name (CreateIdentityUserInput / UpdateIdentityUserInput). */
const INPUT_NAMES: Readonly<Record<string, string>> = {
  first_name: 'firstName',
  last_name: 'lastName',
  firstName: 'firstName',
  lastName: 'lastName',
  email: 'email',
  internal: 'internal',
  account: 'accountIdentifier',
  'account.identifier': 'accountIdentifier',
  accountIdentifier: 'accountIdentifier',
};

/** JSON types a `type` rule can name; any other word is not repeated. */
const JSON_TYPES: ReadonlySet<string> = new Set(['string', 'boolean', 'integer', 'number', 'object', 'array', 'null']);

/** `invalid json (<rule>, <value>)` in the gateway's words, from the rule's name (and a number or type word). */
function ruleInWords(msg: string): string {
  const match = /^invalid json \((\w+), (.*)\)$/.exec(msg);
  if (!match) return 'is not valid';
  const [, rule, value = ''] = match;
  const count = /^\d{1,6}$/.test(value) ? value : undefined;
  switch (rule) {
    case 'required':
      return 'is required';
    case 'type':
      return JSON_TYPES.has(value) ? `must be a ${value}` : 'has the wrong type';
    case 'minLength':
      if (value === '1') return 'must not be empty';
      return count ? `must be at least ${count} characters long` : 'is too short';
    case 'maxLength':
      return count ? `must be at most ${count} characters long` : 'is too long';
    case 'pattern':
      return 'is not in the expected format';
    case 'additionalProperties':
      return 'is not accepted here';
    case 'minProperties':
      return 'needs at least one field to change';
    default:
      return 'is not valid';
  }
}

function fieldErrors(data: unknown): FieldError[] {
  if (!isObject(data) || !Array.isArray(data.fields)) return [];
  const out: FieldError[] = [];
  for (const entry of data.fields) {
    if (!isObject(entry) || typeof entry.field !== 'string') continue;
    // The whole-body rule (an empty PATCH), and a name the gateway does not write, have no input field.
    const name = INPUT_NAMES[entry.field];
    out.push({ path: name === undefined ? [] : [name], message: typeof entry.msg === 'string' ? ruleInWords(entry.msg) : 'is not valid' });
  }
  return out;
}

/** What the body said, for the logs: the message and each field's rule (never its `value`). */
function detailOf(message: string, data: unknown): string {
  const fields = isObject(data) && Array.isArray(data.fields) ? data.fields.filter(isObject) : [];
  const rules = fields.map((f) => `${String(f.field)}: ${typeof f.msg === 'string' ? f.msg.replace(/, .*\)$/, ')') : 'invalid'}`);
  return detailText([message, ...rules].join('; '));
}

/**
 * The `describeError` of the identity client. `reason` is one of `user_not_found`, `user_exists`,
 * `account_exists`, `subscribed_to_other_platforms`, `validation_failed`, or absent.
 */
export function describeIdentityError(status: number, body: unknown): ErrorDescription {
  if (!isObject(body) || typeof body.message !== 'string') return {};
  const upstreamMessage = body.message;
  const detail = detailOf(upstreamMessage, body.data);
  const fields = fieldErrors(body.data);

  if (status === 404 && upstreamMessage.startsWith('User not found')) return { reason: 'user_not_found', detail };
  if (status === 409 && upstreamMessage.startsWith('User already exists')) {
    return { reason: 'user_exists', fieldErrors: [{ path: ['email'], message: 'is already registered' }], detail };
  }
  if (status === 409 && upstreamMessage.startsWith('Account already exists')) {
    return { reason: 'account_exists', fieldErrors: [{ path: ['accountIdentifier'], message: 'is already in use' }], detail };
  }
  if (status === 409 && /subscribed to other platforms/i.test(upstreamMessage)) return { reason: 'subscribed_to_other_platforms', detail };
  if ((status === 422 || status === 400) && fields.length > 0) return { fieldErrors: fields, reason: 'validation_failed', detail };
  return { detail };
}
