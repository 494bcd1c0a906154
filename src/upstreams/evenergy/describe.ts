/**
 * Reads ev.energy's RFC 9457 problem bodies into words that are safe to show (ErrorDescription): the
 * title and detail, one field error per message with the field path in the connector's input names
 * (`receiver_wallet` → `wallet`, `default_location.postal_code` → `defaultLocation.postalCode`), and the
 * problem type's slug as the reason (`validation-failed-update-payout-method`). Never included: URLs
 * (the `type` and `instance` URIs included), credentials, or the raw body.
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { isProblem } from './map';
import { isObject, safeText } from '../shape';

/** More field errors than this are not useful to a client and would only grow the response. */
const MAX_FIELD_ERRORS = 20;

/** Wire names whose input name is not just their camelCase. */
const INPUT_NAMES: Readonly<Record<string, string>> = {
  receiver_wallet: 'wallet',
  address_1: 'address1',
  address_2: 'address2',
};

/** `default_location.postal_code` → `['defaultLocation', 'postalCode']`. */
export function inputPath(field: string): string[] {
  return field
    .split('.')
    .filter(Boolean)
    .map((segment) => INPUT_NAMES[segment] ?? segment.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .map(safeText);
}

/** `https://api.ev.energy/v2/problems/pagination-parameters/` → `pagination-parameters`. */
function reasonOf(type: unknown, title: string): string | undefined {
  // The spec reuses the pagination type for an unsupported version (sic); the title tells them apart.
  if (title === 'Unsupported version') return 'unsupported-version';
  if (typeof type !== 'string') return undefined;
  const match = /\/problems\/([a-z0-9-]+)\/?$/.exec(type);
  return match?.[1];
}

export function describeEvenergyError(status: number, body: unknown): ErrorDescription {
  if (!isProblem(body)) return {};
  const title = safeText(body.title);
  const detail = safeText(body.detail);
  const separator = /[.!?]$/.test(title) ? ' ' : ': ';
  const description: ErrorDescription = { message: `evenergy answered ${status}: ${title}${detail ? `${separator}${detail}` : ''}` };

  const fieldErrors: FieldError[] = [];
  if (isObject(body.field_errors)) {
    for (const [field, messages] of Object.entries(body.field_errors)) {
      const list = Array.isArray(messages) ? messages : [messages];
      for (const message of list) {
        if (typeof message !== 'string' || fieldErrors.length >= MAX_FIELD_ERRORS) continue;
        fieldErrors.push({ path: inputPath(field), message: safeText(message) });
      }
    }
  }
  if (fieldErrors.length) description.fieldErrors = fieldErrors;

  const reason = reasonOf(body.type, body.title);
  if (reason) description.reason = reason;
  return description;
}
