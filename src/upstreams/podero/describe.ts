/**
 * Reads podero's django-ninja error bodies (`{ detail: string }`, and `{ detail: [{ type, loc, msg }] }`
 * for 422) into words that are safe to show (ErrorDescription): field errors in the connector's input
 * names, our own message for the failures the contract names, and a reason code. Never included: URLs,
 * credentials or the raw body (an HTML error page, say, is not read at all).
 */
import type { FieldError } from '../../errors';
import type { ErrorDescription } from '../types';
import { isObject, safeText } from '../shape';

/** Wire names that sit elsewhere in the connector's inputs (the address is nested there). */
const INPUT_PATHS: Readonly<Record<string, string[]>> = {
  street_and_number: ['address', 'streetAndNumber'],
  street_add_info: ['address', 'streetAddInfo'],
  zip_code: ['address', 'zipCode'],
  town: ['address', 'town'],
  country: ['address', 'country'],
  country_iso2: ['address', 'country'],
  latitude: ['address', 'latitude'],
  longitude: ['address', 'longitude'],
};

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * `['body', 'payload', 'first_name']` → `['firstName']`; `['path', 'user_id']` → `['userId']`;
 * `['body', 'payload']` (the whole body) → `[]`.
 */
function inputPath(loc: unknown): string[] {
  if (!Array.isArray(loc)) return [];
  const parts = loc.map(String);
  if (parts[0] === 'body' || parts[0] === 'path' || parts[0] === 'query') parts.shift();
  if (parts[0] === 'payload') parts.shift();
  const [first, ...rest] = parts;
  if (first === undefined) return [];
  return [...(INPUT_PATHS[first] ?? [camel(first)]), ...rest.map(camel)];
}

function validationErrors(detail: unknown[]): FieldError[] {
  const out: FieldError[] = [];
  for (const item of detail) {
    if (!isObject(item)) continue;
    const message = typeof item.msg === 'string' ? safeText(item.msg) : 'is invalid';
    out.push({ path: inputPath(item.loc), message });
  }
  return out;
}

/**
 * The `describeError` of the podero client. `reason` is one of `validation_failed`, `email_taken`,
 * `external_user_id_taken`, `wrong_organization`, or absent.
 */
export function describePoderoError(status: number, body: unknown): ErrorDescription {
  if (!isObject(body)) return {};
  const { detail } = body;

  if (Array.isArray(detail)) {
    const fieldErrors = validationErrors(detail);
    if (fieldErrors.length === 0) return { message: 'podero rejected the request', reason: 'validation_failed' };
    const summary = fieldErrors.map((f) => (f.path.length ? `${f.path.join('.')}: ${f.message}` : f.message)).join('; ');
    return { message: safeText(`podero rejected the input: ${summary}`), fieldErrors, reason: 'validation_failed' };
  }
  if (typeof detail !== 'string') return {};

  if (status === 401) return { message: 'podero refused the gateway’s access token: it is missing, invalid or expired' };
  if (status === 403) {
    return { message: 'podero refused access: the gateway’s token does not cover this organization (check PODERO_ORG_ID)', reason: 'wrong_organization' };
  }
  if (status === 409 && /\bemail\b/i.test(detail)) {
    return {
      message: 'podero already has a user with this email in the organization',
      reason: 'email_taken',
      fieldErrors: [{ path: ['email'], message: 'is already in use in the organization' }],
    };
  }
  if (status === 409 && /external_user_id/i.test(detail)) {
    return {
      message: 'podero already has a user with this external id in the organization',
      reason: 'external_user_id_taken',
      fieldErrors: [{ path: ['externalUserId'], message: 'is already in use in the organization' }],
    };
  }
  if (status === 400 && detail.startsWith('Cannot parse request body')) return { message: 'podero could not parse the request body' };
  return { message: `podero: ${safeText(detail)}` };
}
