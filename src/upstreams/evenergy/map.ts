/**
 * Reads ev.energy answers into domain values, checking the shape as it goes, and writes domain inputs
 * as wire bodies. An answer that is not what the contract says becomes UPSTREAM_UNAVAILABLE with a
 * message naming the answer, the field, what was expected and what kind of value came (never the value,
 * except an unknown enum word, which is safe and says what to add).
 */
import type { GatewayError } from '../../errors';
import type {
  EvenergyCoordinates,
  EvenergyLocation,
  EvenergyLocationInput,
  EvenergyNotificationPreferences,
  EvenergyPayoutMethod,
  EvenergyReceiverType,
  EvenergyUser,
  EvenergyWallet,
} from './types';
import type { WireLocationWrite } from '../../contracts/evenergy';
import { isObject, kindOf, malformedAnswer, type Json } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('evenergy', answer, expected, got, status);
}

/** True for an RFC 9457 problem body as ev.energy sends them (title and detail are required). */
export function isProblem(value: unknown): value is Json & { title: string; detail: string } {
  return isObject(value) && typeof value.title === 'string' && typeof value.detail === 'string';
}

/** Reads the fields of one JSON object, naming the answer and the path in every failure. */
class Fields {
  private constructor(
    private readonly answer: string,
    private readonly path: string,
    private readonly value: Json,
  ) {}

  static of(answer: string, path: string, value: unknown): Fields {
    if (!isObject(value)) throw malformed(answer, `${path} to be an object`, kindOf(value));
    return new Fields(answer, path, value);
  }

  private fail(key: string, expected: string): GatewayError {
    return malformed(this.answer, `${this.path}.${key} to be ${expected}`, kindOf(this.value[key]));
  }

  /** Present and not null. */
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  object(key: string): Fields {
    return Fields.of(this.answer, `${this.path}.${key}`, this.value[key]);
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') throw this.fail(key, 'a string');
    return v;
  }

  /** A string, or null when the key is null or absent (optional fields of the spec). */
  optionalString(key: string): string | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw this.fail(key, 'a string or null');
    return v;
  }

  optionalNumber(key: string): number | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number or null');
    return v;
  }

  number(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number');
    return v;
  }

  optionalDate(key: string): Date | null {
    const text = this.optionalString(key);
    if (text === null) return null;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw malformed(this.answer, `${this.path}.${key} to be an ISO-8601 timestamp`, 'text that is not one');
    return date;
  }

  /** An array of strings; absent counts as empty (the spec does not require it). */
  strings(key: string): string[] {
    const v = this.value[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) throw this.fail(key, 'an array of strings');
    return v;
  }

  /** An UPPER_SNAKE wire word from a known set, or null. */
  optionalEnum<T extends string>(key: string, values: readonly T[]): T | null {
    const word = this.optionalString(key);
    if (word === null) return null;
    const known = values.find((v) => v === word);
    if (known === undefined) throw malformed(this.answer, `${this.path}.${key} to be one of ${values.join(', ')} or null`, JSON.stringify(word.slice(0, 40)));
    return known;
  }

  /** The id a reference points to: the last segment of a URI, the `id` of an expanded object, or a bare id. */
  optionalReference(key: string): string | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    if (isObject(v) && typeof v.id === 'string') return v.id;
    if (typeof v !== 'string') throw this.fail(key, 'a URI, an object with an id, or null');
    return idFromReference(v);
  }

  entries(): [string, unknown][] {
    return Object.entries(this.value);
  }
}

/** `https://api.ev.energy/v2/vehicles/vhcl01…` → `vhcl01…`; a string that is no URI is taken as the id. */
export function idFromReference(reference: string): string {
  try {
    const segments = new URL(reference).pathname.split('/').filter(Boolean);
    return segments[segments.length - 1] ?? reference;
  } catch {
    return reference;
  }
}

const WALLETS: readonly EvenergyWallet[] = ['PAYPAL', 'VENMO', 'BILL_CREDITS'];
const RECEIVER_TYPES: readonly EvenergyReceiverType[] = ['EMAIL', 'PHONE', 'ACCOUNT_NUMBER'];

function readCoordinates(fields: Fields, key: string): EvenergyCoordinates | null {
  if (!fields.has(key)) return null;
  const c = fields.object(key);
  return { latitude: c.number('latitude'), longitude: c.number('longitude') };
}

function readLocation(fields: Fields): EvenergyLocation {
  return {
    address1: fields.optionalString('address_1'),
    address2: fields.optionalString('address_2'),
    postalCode: fields.optionalString('postal_code'),
    city: fields.optionalString('city'),
    state: fields.optionalString('state'),
    countryCode: fields.optionalString('country_code'),
    coordinates: readCoordinates(fields, 'coordinates'),
    tariffId: fields.optionalReference('tariff'),
    evseSite: fields.optionalReference('evse_site'),
    carbonIntensityGramsPerKwh: fields.optionalNumber('current_carbon_intensity_grams_per_kilowatt_hour'),
  };
}

/** One `User` (list or detail variant). */
export function readUser(answer: string, value: unknown, path = 'user'): EvenergyUser {
  const f = Fields.of(answer, path, value);
  const fullName = f.optionalString('full_name');
  return {
    id: f.string('id'),
    email: f.optionalString('email'),
    fullName: fullName === null || fullName.trim() === '' ? null : fullName,
    joinedAt: f.optionalDate('joined_at'),
    termsConsentAt: f.optionalDate('terms_consent_datetime'),
    defaultLocation: f.has('default_location') ? readLocation(f.object('default_location')) : null,
    vehicleIds: f.strings('vehicles').map(idFromReference),
    evseIds: f.strings('evses').map(idFromReference),
  };
}

/** The bare array `GET /users` answers. */
export function readUserList(answer: string, value: unknown): EvenergyUser[] {
  if (!Array.isArray(value)) throw malformed(answer, 'a JSON array of users', kindOf(value));
  return value.map((item, i) => readUser(answer, item, `users[${i}]`));
}

export function readPreferences(answer: string, value: unknown): EvenergyNotificationPreferences {
  const groups: Record<string, boolean> = {};
  for (const [name, enabled] of Fields.of(answer, 'preferences', value).object('groups').entries()) {
    if (typeof enabled !== 'boolean') throw malformed(answer, `preferences.groups.${name} to be a boolean`, kindOf(enabled));
    groups[name] = enabled;
  }
  return { groups };
}

export function readPayoutMethod(answer: string, value: unknown): EvenergyPayoutMethod {
  const f = Fields.of(answer, 'payout_method', value);
  return {
    receiver: f.optionalString('receiver'),
    receiverType: f.optionalEnum('receiver_type', RECEIVER_TYPES),
    wallet: f.optionalEnum('receiver_wallet', WALLETS),
  };
}

/** A location input as its wire write: only the keys given, null kept as null. */
export function locationWrite(input: EvenergyLocationInput): WireLocationWrite {
  const out: WireLocationWrite = {};
  if (input.address1 !== undefined) out.address_1 = input.address1;
  if (input.address2 !== undefined) out.address_2 = input.address2;
  if (input.postalCode !== undefined) out.postal_code = input.postalCode;
  if (input.city !== undefined) out.city = input.city;
  if (input.state !== undefined) out.state = input.state;
  if (input.countryCode !== undefined) out.country_code = input.countryCode;
  if (input.coordinates !== undefined) out.coordinates = input.coordinates === null ? null : { latitude: input.coordinates.latitude, longitude: input.coordinates.longitude };
  return out;
}
