/**
 * Request body rules of the ev.energy emulator. Each validator reads an untrusted body field by field
 * and either returns the value to store or the documented `field_errors` map; nothing is written until
 * a whole body has passed, so a refused write leaves the data as it was. Messages follow Django REST
 * framework's wording, as the documented ones do.
 */
import type { FieldErrors } from './problems';
import { RECEIVER_TYPES, WALLETS, hasAddress, isNotificationGroup, isWallet, type Coordinates, type NotificationGroup, type StoredLocation, type Wallet } from './data';

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const MAX_EMAIL = 254;
const MAX_RECEIVER = 254;
const MAX_ADDRESS_PART = 255;
const EMAIL_PATTERN = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;

/** Python's name for a JSON value's type, as DRF puts it in messages. */
function pyType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function add(errors: FieldErrors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

export function isEmail(value: string): boolean {
  return EMAIL_PATTERN.test(value);
}

/** [I] the contract leaves the phone format open: an optional `+`, digits and separators, 7–15 digits. */
export function isPhone(value: string): boolean {
  const digitCount = value.replace(/\D/g, '').length;
  return /^\+?[\d\s().-]+$/.test(value) && digitCount >= 7 && digitCount <= 15;
}

/** Checks an `email` value sent for create or update; undefined when it is fine. */
function emailProblem(value: unknown): string | undefined {
  if (value === null) return 'This field may not be null.';
  if (typeof value !== 'string') return 'Not a valid string.';
  if (value.trim() === '') return 'This field may not be blank.';
  if (value.length > MAX_EMAIL) return `Ensure this field has no more than ${MAX_EMAIL} characters.`;
  if (!isEmail(value)) return 'Enter a valid email address.';
  return undefined;
}

const ADDRESS_STRINGS = ['address_1', 'address_2', 'postal_code', 'city', 'state'] as const;
/** When any address part or the coordinates are set, these must all be set (§1.3). */
const ADDRESS_REQUIRED = ['address_1', 'city', 'postal_code', 'country_code'] as const;

function coordinatesValue(value: unknown, errors: FieldErrors, field: string): Coordinates | null | undefined {
  if (value === null) return null;
  if (!isPlainObject(value)) {
    add(errors, field, `Expected a dictionary of items but got type "${pyType(value)}".`);
    return undefined;
  }
  const axis = (name: 'latitude' | 'longitude', limit: number): number | undefined => {
    const v = value[name];
    if (v === undefined) add(errors, `${field}.${name}`, 'This field is required.');
    else if (typeof v !== 'number' || !Number.isFinite(v)) add(errors, `${field}.${name}`, 'A valid number is required.');
    else if (v < -limit || v > limit) add(errors, `${field}.${name}`, `Ensure this value is between -${limit} and ${limit}.`);
    else return v;
    return undefined;
  };
  const latitude = axis('latitude', 90);
  const longitude = axis('longitude', 180);
  return latitude === undefined || longitude === undefined ? undefined : { latitude, longitude };
}

/**
 * Merges a sent `default_location` onto the stored one: keys sent replace (null clears), keys left out
 * stay. Read-only keys (`tariff`, `evse_site`, the carbon intensity) and unknown keys are ignored, as
 * DRF ignores them. The address rule is checked on the merged result, so clearing an address means
 * sending nulls for all its parts.
 */
function locationValue(value: unknown, stored: StoredLocation, errors: FieldErrors): StoredLocation | undefined {
  const field = 'default_location';
  if (value === null) {
    add(errors, field, 'This field may not be null.');
    return undefined;
  }
  if (!isPlainObject(value)) {
    add(errors, field, `Expected a dictionary of items but got type "${pyType(value)}".`);
    return undefined;
  }
  const before = Object.keys(errors).length;
  const merged: StoredLocation = { ...stored };
  for (const key of ADDRESS_STRINGS) {
    const v = value[key];
    if (v === undefined) continue;
    if (v !== null && typeof v !== 'string') add(errors, `${field}.${key}`, 'Not a valid string.');
    else if (v !== null && v.trim() === '') add(errors, `${field}.${key}`, 'This field may not be blank.');
    else if (v !== null && v.length > MAX_ADDRESS_PART) add(errors, `${field}.${key}`, `Ensure this field has no more than ${MAX_ADDRESS_PART} characters.`);
    else merged[key] = v;
  }
  const country = value.country_code;
  if (country !== undefined) {
    if (country === null) merged.country_code = null;
    else if (typeof country === 'string' && /^[A-Z]{2}$/.test(country)) merged.country_code = country;
    else add(errors, `${field}.country_code`, `"${String(country)}" is not a valid choice.`);
  }
  if (value.coordinates !== undefined) {
    const coordinates = coordinatesValue(value.coordinates, errors, `${field}.coordinates`);
    if (coordinates !== undefined) merged.coordinates = coordinates;
  }
  if (Object.keys(errors).length > before) return undefined;
  if (hasAddress(merged)) {
    for (const key of ADDRESS_REQUIRED) {
      if (merged[key] === null) add(errors, `${field}.${key}`, 'This field is required when an address is given.');
    }
  }
  if (Object.keys(errors).length > before) return undefined;
  return merged;
}

export interface UserWrite {
  /** Undefined: leave as is. */
  email?: string;
  /** Undefined: leave as is. */
  default_location?: StoredLocation;
}

/** Validates a POST or PATCH `/users` body against the stored location it applies to (empty for POST). */
export function validateUserWrite(body: Record<string, unknown>, storedLocation: StoredLocation): Validated<UserWrite> {
  const errors: FieldErrors = {};
  const value: UserWrite = {};
  if (body.email !== undefined) {
    const problem = emailProblem(body.email);
    if (problem) add(errors, 'email', problem);
    else if (typeof body.email === 'string') value.email = body.email.trim();
  }
  if (body.default_location !== undefined) {
    const location = locationValue(body.default_location, storedLocation, errors);
    if (location) value.default_location = location;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value };
}

/**
 * Validates a PATCH `/notification_preferences` body: `groups` is a partial map of known group names to
 * booleans. `{}` and `{"groups": {}}` are valid and change nothing.
 */
export function validateGroupsPatch(body: Record<string, unknown>): Validated<Partial<Record<NotificationGroup, boolean>>> {
  const groups = body.groups;
  if (groups === undefined) return { ok: true, value: {} };
  if (!isPlainObject(groups)) {
    return { ok: false, errors: { groups: [groups === null ? 'This field may not be null.' : `Expected a dictionary of items but got type "${pyType(groups)}".`] } };
  }
  const messages: string[] = [];
  const changes: Partial<Record<NotificationGroup, boolean>> = {};
  for (const [name, enabled] of Object.entries(groups)) {
    if (!isNotificationGroup(name)) messages.push(`Unknown notification group: '${name}'.`);
    else if (typeof enabled !== 'boolean') messages.push(`Must be a valid boolean: '${name}'.`);
    else changes[name] = enabled;
  }
  return messages.length ? { ok: false, errors: { groups: messages } } : { ok: true, value: changes };
}

export interface PayoutWrite {
  wallet: Wallet;
  /** Undefined for BILL_CREDITS: the server derives it. */
  receiver?: string;
}

/**
 * Validates a PATCH `/payout_method` body: `receiver_wallet` is required; PAYPAL needs an email
 * receiver, VENMO a phone, and BILL_CREDITS must not send the `receiver` key at all (not even null).
 */
export function validatePayoutWrite(body: Record<string, unknown>): Validated<PayoutWrite> {
  const wallet = body.receiver_wallet;
  const receiver = body.receiver;
  if (wallet === undefined) return { ok: false, errors: { receiver_wallet: ['This field is required.'] } };
  if (wallet === null) return { ok: false, errors: { receiver_wallet: ['This field may not be null.'] } };
  if (!isWallet(wallet)) {
    return { ok: false, errors: { receiver_wallet: [`"${typeof wallet === 'string' ? wallet : JSON.stringify(wallet)}" is not a valid choice. Expected one of ${WALLETS.join(', ')}.`] } };
  }
  if (wallet === 'BILL_CREDITS') {
    if (receiver !== undefined) return { ok: false, errors: { receiver: ['Must not be supplied when receiver_wallet is BILL_CREDITS.'] } };
    return { ok: true, value: { wallet } };
  }
  if (receiver === undefined || receiver === null || receiver === '') return { ok: false, errors: { receiver: [`Required when receiver_wallet is ${wallet}.`] } };
  if (typeof receiver !== 'string') return { ok: false, errors: { receiver: ['Not a valid string.'] } };
  if (receiver.length > MAX_RECEIVER) return { ok: false, errors: { receiver: [`Ensure this field has no more than ${MAX_RECEIVER} characters.`] } };
  const kind = RECEIVER_TYPES[wallet];
  if (kind === 'EMAIL' && !isEmail(receiver)) return { ok: false, errors: { receiver: [`Enter a valid email address (required when receiver_wallet is ${wallet}).`] } };
  if (kind === 'PHONE' && !isPhone(receiver)) return { ok: false, errors: { receiver: [`Enter a valid phone number (required when receiver_wallet is ${wallet}).`] } };
  return { ok: true, value: { wallet, receiver } };
}
