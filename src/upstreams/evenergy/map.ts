/**
 * Reads ev.energy answers into domain values with the shared reader (`../shape.ts`), and writes domain
 * inputs as wire bodies. An answer that is not what the contract says becomes UPSTREAM_UNAVAILABLE with a
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
import { BOOLEAN, ISO_TIME, NUMBER, STRING, WireRecord, arrayOf, enumOf, isObject, kindOf, malformedAnswer, type Json, type Kind } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('evenergy', answer, expected, got, status);
}

/** True for an RFC 9457 problem body as ev.energy sends them (title and detail are required). */
export function isProblem(value: unknown): value is Json & { title: string; detail: string } {
  return isObject(value) && typeof value.title === 'string' && typeof value.detail === 'string';
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

/** The id a reference points to: the last segment of a URI, the `id` of an expanded object, or a bare id. */
const REFERENCE: Kind<string> = {
  expected: 'a URI or an object with an id',
  take: (v) => (isObject(v) && typeof v.id === 'string' ? v.id : typeof v === 'string' ? idFromReference(v) : undefined),
};
const WALLETS = enumOf<EvenergyWallet>(['PAYPAL', 'VENMO', 'BILL_CREDITS']);
const RECEIVER_TYPES = enumOf<EvenergyReceiverType>(['EMAIL', 'PHONE', 'ACCOUNT_NUMBER']);
const STRINGS = arrayOf(STRING);

function readCoordinates(c: WireRecord | null): EvenergyCoordinates | null {
  return c && { latitude: c.number('latitude'), longitude: c.number('longitude') };
}

function readLocation(fields: WireRecord): EvenergyLocation {
  return {
    address1: fields.optional('address_1', STRING),
    address2: fields.optional('address_2', STRING),
    postalCode: fields.optional('postal_code', STRING),
    city: fields.optional('city', STRING),
    state: fields.optional('state', STRING),
    countryCode: fields.optional('country_code', STRING),
    coordinates: readCoordinates(fields.optionalObject('coordinates')),
    tariffId: fields.optional('tariff', REFERENCE),
    evseSite: fields.optional('evse_site', REFERENCE),
    carbonIntensityGramsPerKwh: fields.optional('current_carbon_intensity_grams_per_kilowatt_hour', NUMBER),
  };
}

/** One `User` (list or detail variant). */
export function readUser(answer: string, value: unknown, path = 'user'): EvenergyUser {
  const f = WireRecord.of('evenergy', answer, path, value);
  const fullName = f.optional('full_name', STRING);
  const location = f.optionalObject('default_location');
  return {
    id: f.string('id'),
    email: f.optional('email', STRING),
    fullName: fullName === null || fullName.trim() === '' ? null : fullName,
    joinedAt: f.optional('joined_at', ISO_TIME),
    termsConsentAt: f.optional('terms_consent_datetime', ISO_TIME),
    defaultLocation: location ? readLocation(location) : null,
    // Absent counts as empty: the spec does not require the lists.
    vehicleIds: (f.optional('vehicles', STRINGS) ?? []).map(idFromReference),
    evseIds: (f.optional('evses', STRINGS) ?? []).map(idFromReference),
  };
}

/** The bare array `GET /users` answers. */
export function readUserList(answer: string, value: unknown): EvenergyUser[] {
  if (!Array.isArray(value)) throw malformed(answer, 'a JSON array of users', kindOf(value));
  return value.map((item, i) => readUser(answer, item, `users[${i}]`));
}

export function readPreferences(answer: string, value: unknown): EvenergyNotificationPreferences {
  const groups: Record<string, boolean> = {};
  const wire = WireRecord.of('evenergy', answer, 'preferences', value).object('groups');
  for (const name of wire.keys()) groups[name] = wire.get(name, BOOLEAN);
  return { groups };
}

export function readPayoutMethod(answer: string, value: unknown): EvenergyPayoutMethod {
  const f = WireRecord.of('evenergy', answer, 'payout_method', value);
  return {
    receiver: f.optional('receiver', STRING),
    receiverType: f.optional('receiver_type', RECEIVER_TYPES),
    wallet: f.optional('receiver_wallet', WALLETS),
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
