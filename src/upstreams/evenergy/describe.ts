/**
 * Reads ev.energy's RFC 9457 problem bodies (ErrorDescription). What a client may see is the gateway's
 * own: one field error per message, at the field's path in the connector's input names
 * (`receiver_wallet` → `wallet`, `default_location.postal_code` → `defaultLocation.postalCode`; a field
 * the gateway does not know → `[]`) with a reason the gateway wrote for the kind of message, and the
 * problem type's slug as the reason when it is one the contract documents
 * (`validation-failed-update-payout-method`). The title, detail and field texts go to the log-only
 * `detail`: Django's messages are free text, so they are recognised, never passed on.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { isProblem } from './map';
import { detailText, isObject } from '../shape';

/** More field errors than this are not useful to a client and would only grow the response. */
const MAX_FIELD_ERRORS = 20;

/** Wire field names the gateway writes (seeds/002, src/contracts/evenergy.ts) → their input names. */
const INPUT_NAMES: Readonly<Record<string, string>> = {
  email: 'email',
  default_location: 'defaultLocation',
  address_1: 'address1',
  address_2: 'address2',
  postal_code: 'postalCode',
  country_code: 'countryCode',
  city: 'city',
  state: 'state',
  coordinates: 'coordinates',
  latitude: 'latitude',
  longitude: 'longitude',
  groups: 'groups',
  receiver_wallet: 'wallet',
  receiver: 'receiver',
};

/** The problem type slugs the contract documents; any other `type` is not passed on. */
const KNOWN_REASONS: ReadonlySet<string> = new Set([
  'pagination-parameters',
  'unsupported-version',
  'validation-failed-update-notification-preferences',
  'validation-failed-update-payout-method',
  'validation-failed-create-user',
  'validation-failed-update-user',
  'malformed-request',
  'rate-limit-exceeded',
]);

/**
 * `default_location.postal_code` → `['defaultLocation', 'postalCode']`; `non_field_errors` (the whole
 * body) and any name the gateway does not write → `[]`.
 */
export function inputPath(field: string): string[] {
  const segments = field.split('.').filter(Boolean);
  const names = segments.map((segment) => INPUT_NAMES[segment]);
  return names.every((name): name is string => name !== undefined) ? names : [];
}

/** The field error ev.energy's "already exists" becomes (provisioning treats the email as taken). */
export const EVENERGY_TAKEN = 'is already taken';

/** Django's field messages, recognised by their kind, in the gateway's words (first match wins). */
const FIELD_REASONS: readonly (readonly [RegExp, string])[] = [
  [/already exists/i, EVENERGY_TAKEN],
  [/must not be supplied/i, 'must not be given here'],
  [/valid email/i, 'must be an email address'],
  [/valid phone/i, 'must be a phone number in E.164 form'],
  [/required|may not be null|may not be blank/i, 'is required'],
  [/no more than|too long/i, 'is too long'],
  [/at least|too short/i, 'is too short'],
  [/valid choice|unknown/i, 'is not one of the values ev.energy accepts'],
  [/valid string/i, 'must be a string'],
  [/valid (?:number|integer)/i, 'must be a number'],
  [/boolean/i, 'must be true or false'],
  [/dictionary/i, 'must be an object'],
];

export function fieldReason(message: string): string {
  return FIELD_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? 'is not valid';
}

/** `https://api.ev.energy/v2/problems/pagination-parameters/` → `pagination-parameters`, when documented. */
function reasonOf(type: unknown, title: string): string | undefined {
  // The spec reuses the pagination type for an unsupported version (sic); the title tells them apart.
  if (title === 'Unsupported version') return 'unsupported-version';
  if (typeof type !== 'string') return undefined;
  const slug = /\/problems\/([a-z0-9-]+)\/?$/.exec(type)?.[1];
  return slug !== undefined && KNOWN_REASONS.has(slug) ? slug : undefined;
}

export function describeEvenergyError(_status: number, body: unknown): ErrorDescription {
  if (!isProblem(body)) return {};
  const texts: string[] = [body.title, body.detail];
  const fieldErrors: FieldError[] = [];
  if (isObject(body.field_errors)) {
    for (const [field, messages] of Object.entries(body.field_errors)) {
      const list = Array.isArray(messages) ? messages : [messages];
      for (const message of list) {
        if (typeof message !== 'string' || fieldErrors.length >= MAX_FIELD_ERRORS) continue;
        fieldErrors.push({ path: inputPath(field), message: fieldReason(message) });
        texts.push(`${field}: ${message}`);
      }
    }
  }
  const description: ErrorDescription = { detail: detailText(texts.filter(Boolean).join('; ')) };
  if (fieldErrors.length) description.fieldErrors = fieldErrors;
  const reason = reasonOf(body.type, body.title);
  if (reason) description.reason = reason;
  return description;
}
