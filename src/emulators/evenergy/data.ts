/**
 * The ev.energy emulator's records and how they are seeded from the demo population. Seeding is a pure
 * function of the population: the same seed and size give the same records (ids included) every run,
 * which README.md relies on for its table of ids. Records are stored close to the wire format; URLs are
 * not stored but built per response from the emulator's own base URL.
 */
import { EPOCH_MS, membersOf, pick, prefixedUlidFor, rngFor, type DemoPerson, type Population } from '../population';

/** The documented notification groups, in the order the API lists them. */
export const NOTIFICATION_GROUPS = ['charging_flow', 'charging_issues', 'charging_optimisation', 'deals_and_offers', 'power_supply_notifications'] as const;
export type NotificationGroup = (typeof NOTIFICATION_GROUPS)[number];

export function isNotificationGroup(name: string): name is NotificationGroup {
  return (NOTIFICATION_GROUPS as readonly string[]).includes(name);
}

export const WALLETS = ['PAYPAL', 'VENMO', 'BILL_CREDITS'] as const;
export type Wallet = (typeof WALLETS)[number];

export function isWallet(value: unknown): value is Wallet {
  return typeof value === 'string' && (WALLETS as readonly string[]).includes(value);
}

/** receiver_type is derived from the wallet by the server (§1.3). */
export const RECEIVER_TYPES: Record<Wallet, 'EMAIL' | 'PHONE' | 'ACCOUNT_NUMBER'> = {
  PAYPAL: 'EMAIL',
  VENMO: 'PHONE',
  BILL_CREDITS: 'ACCOUNT_NUMBER',
};

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** [I] the contract names no limit; bodies larger than this get a 413 problem. */
export const MAX_BODY_BYTES = 256 * 1024;

/** `user` + 26 upper-case Crockford characters (the documented `user_id` pattern). */
export const USER_ID_PATTERN = /^user[A-Z\d]{26}$/;
/** The documented pattern of pagination cursors: any prefixed id. */
export const CURSOR_PATTERN = /^[a-z]{4}[A-Z\d]{26}$/;

export interface Coordinates {
  latitude: number;
  longitude: number;
}

export interface StoredLocation {
  address_1: string | null;
  address_2: string | null;
  postal_code: string | null;
  city: string | null;
  state: string | null;
  country_code: string | null;
  coordinates: Coordinates | null;
  /** Tariff id (`tari…`); served as a URI. Read-only in the emulator. */
  tariff: string | null;
  /** Read-only in the emulator and never seeded (the contract leaves its format open). */
  evse_site: string | null;
  /** Served only in the detail variant (`LocationDetail`). */
  current_carbon_intensity_grams_per_kilowatt_hour: number | null;
}

/** One payout method the user has stored. DELETE clears only the user's link to it (§1.3). */
export interface PayoutRecord {
  receiver_wallet: Wallet;
  receiver: string;
  created_at: string;
}

export interface StoredUser {
  id: string;
  email: string | null;
  full_name: string;
  joined_at: string;
  terms_consent_datetime: string | null;
  default_location: StoredLocation;
  /** Vehicle ids (`vhcl…`); served as URIs. */
  vehicles: string[];
  /** EVSE ids (`evse…`); served as URIs. */
  evses: string[];
  groups: Record<NotificationGroup, boolean>;
  /** The linked billing account a BILL_CREDITS payout goes to; null when none is linked (receiver is then ""). */
  billing_account: string | null;
  payout_records: PayoutRecord[];
  /** Index into `payout_records` of the preferred method; null when none is set. */
  preferred_payout: number | null;
}

export function emptyLocation(): StoredLocation {
  return {
    address_1: null,
    address_2: null,
    postal_code: null,
    city: null,
    state: null,
    country_code: null,
    coordinates: null,
    tariff: null,
    evse_site: null,
    current_carbon_intensity_grams_per_kilowatt_hour: null,
  };
}

const PLACES = [
  { street: 'Main Street', city: 'London', postal_code: 'N1 1AA', state: null, country_code: 'GB', latitude: 51.5257, longitude: -0.0836 },
  { street: 'Deansgate', city: 'Manchester', postal_code: 'M3 4LQ', state: null, country_code: 'GB', latitude: 53.4794, longitude: -2.2484 },
  { street: 'Park Street', city: 'Bristol', postal_code: 'BS1 5NT', state: null, country_code: 'GB', latitude: 51.4545, longitude: -2.6027 },
  { street: 'Congress Avenue', city: 'Austin', postal_code: '78701', state: 'TX', country_code: 'US', latitude: 30.2672, longitude: -97.7431 },
  { street: 'Burnside Street', city: 'Portland', postal_code: '97209', state: 'OR', country_code: 'US', latitude: 45.5231, longitude: -122.6765 },
  { street: 'Larimer Street', city: 'Denver', postal_code: '80202', state: 'CO', country_code: 'US', latitude: 39.7392, longitude: -104.9903 },
] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Second-precision UTC timestamps, as the API sends them: `2024-02-01T09:30:00Z`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function digits(rng: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(Math.floor(rng() * 10));
  return out;
}

/** The person index whose second account (same email, upper-cased) is the sync-conflict case. */
export const DUPLICATE_ACCOUNT_INDEX = 42;

/** The email as ev.energy holds it: index % 7 === 3 has a capitalised first letter. */
export function seededEmail(person: DemoPerson): string {
  return person.index % 7 === 3 ? person.email[0]!.toUpperCase() + person.email.slice(1) : person.email;
}

function seededGroups(index: number, rng: () => number): Record<NotificationGroup, boolean> {
  if (index % 6 === 0) return { charging_flow: true, charging_issues: true, charging_optimisation: true, deals_and_offers: true, power_supply_notifications: true };
  if (index % 6 === 5) return { charging_flow: false, charging_issues: false, charging_optimisation: false, deals_and_offers: false, power_supply_notifications: false };
  return {
    charging_flow: rng() < 0.85,
    charging_issues: rng() < 0.85,
    charging_optimisation: rng() < 0.6,
    deals_and_offers: rng() < 0.3,
    power_supply_notifications: rng() < 0.5,
  };
}

function seededLocation(index: number, rng: () => number, seed: number): StoredLocation {
  if (index % 9 === 4) return emptyLocation();
  const place = pick(rng, PLACES);
  const jitter = (): number => Math.round((rng() - 0.5) * 200) / 10_000;
  return {
    address_1: `${1 + Math.floor(rng() * 180)} ${place.street}`,
    address_2: rng() < 0.25 ? `Flat ${1 + Math.floor(rng() * 30)}` : null,
    postal_code: place.postal_code,
    city: place.city,
    state: place.state,
    country_code: place.country_code,
    coordinates: { latitude: Math.round((place.latitude + jitter()) * 10_000) / 10_000, longitude: Math.round((place.longitude + jitter()) * 10_000) / 10_000 },
    tariff: rng() < 0.8 ? prefixedUlidFor('tari', `evenergy:${seed}:${index}:tariff`, EPOCH_MS - 400 * DAY_MS) : null,
    evse_site: null,
    current_carbon_intensity_grams_per_kilowatt_hour: null,
  };
}

/** Whether a location holds an address (any part or the coordinates set). */
export function hasAddress(location: StoredLocation): boolean {
  return (
    location.address_1 !== null ||
    location.address_2 !== null ||
    location.postal_code !== null ||
    location.city !== null ||
    location.state !== null ||
    location.country_code !== null ||
    location.coordinates !== null
  );
}

/**
 * The grid's carbon intensity where the user lives: a stable function of the postal code and country,
 * so seeded and written addresses agree; null without an address (nothing to look up).
 */
export function carbonIntensityFor(location: StoredLocation): number | null {
  if (!hasAddress(location)) return null;
  let h = 0;
  for (const ch of `${location.country_code ?? ''}:${location.postal_code ?? ''}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return 40 + (h % 300);
}

/** The location with its derived fields brought up to date after a write. */
export function withDerived(location: StoredLocation): StoredLocation {
  return { ...location, current_carbon_intensity_grams_per_kilowatt_hour: carbonIntensityFor(location) };
}

/**
 * Payout rule by index % 5: 0 never set, 1 PAYPAL (the person's email), 2 VENMO (a 555 phone),
 * 3 BILL_CREDITS (the billing account, "" when none is linked), 4 set once to PAYPAL and then deleted
 * (GET is all-null but the record is kept).
 */
function seededPayout(person: DemoPerson, rng: () => number, billingAccount: string | null, joinedMs: number): Pick<StoredUser, 'payout_records' | 'preferred_payout'> {
  const created_at = isoSeconds(joinedMs + 3 * DAY_MS);
  switch (person.index % 5) {
    case 1:
      return { payout_records: [{ receiver_wallet: 'PAYPAL', receiver: person.email, created_at }], preferred_payout: 0 };
    case 2:
      return { payout_records: [{ receiver_wallet: 'VENMO', receiver: `+1555${digits(rng, 7)}`, created_at }], preferred_payout: 0 };
    case 3:
      return { payout_records: [{ receiver_wallet: 'BILL_CREDITS', receiver: billingAccount ?? '', created_at }], preferred_payout: 0 };
    case 4:
      return { payout_records: [{ receiver_wallet: 'PAYPAL', receiver: person.email, created_at }], preferred_payout: null };
    default:
      return { payout_records: [], preferred_payout: null };
  }
}

function seededUser(person: DemoPerson, seed: number): StoredUser {
  const rng = rngFor(seed, 'evenergy', person.index);
  const joinedMs = Math.floor((EPOCH_MS - Math.floor(rng() * 730 * DAY_MS)) / 1000) * 1000;
  const id = prefixedUlidFor('user', `evenergy:${seed}:${person.index}`, joinedMs);
  const billingAccount = person.index % 3 === 0 ? null : digits(rng, 10);
  const vehicleCount = Math.floor(rng() * 3);
  const vehicles = Array.from({ length: vehicleCount }, (_, v) => prefixedUlidFor('vhcl', `evenergy:${seed}:${person.index}:vehicle:${v}`, joinedMs + (v + 1) * DAY_MS));
  const evses = rng() < 0.4 ? [prefixedUlidFor('evse', `evenergy:${seed}:${person.index}:evse`, joinedMs + DAY_MS)] : [];
  return {
    id,
    email: seededEmail(person),
    full_name: `${person.firstName} ${person.lastName}`,
    joined_at: isoSeconds(joinedMs),
    terms_consent_datetime: rng() < 0.15 ? null : isoSeconds(joinedMs + Math.floor(rng() * 600) * 1000),
    default_location: withDerived(seededLocation(person.index, rng, seed)),
    vehicles,
    evses,
    groups: seededGroups(person.index, rng),
    billing_account: billingAccount,
    ...seededPayout(person, rng, billingAccount, joinedMs),
  };
}

/** Person 42's second account: same email upper-cased, joined a day before the epoch, nothing else set. */
function duplicateAccount(person: DemoPerson, seed: number): StoredUser {
  const joinedMs = EPOCH_MS - DAY_MS;
  return {
    id: prefixedUlidFor('user', `evenergy:${seed}:${person.index}:duplicate`, joinedMs),
    email: person.email.toUpperCase(),
    full_name: `${person.firstName} ${person.lastName}`,
    joined_at: isoSeconds(joinedMs),
    terms_consent_datetime: isoSeconds(joinedMs + 60_000),
    default_location: emptyLocation(),
    vehicles: [],
    evses: [],
    groups: { charging_flow: true, charging_issues: true, charging_optimisation: false, deals_and_offers: false, power_supply_notifications: false },
    billing_account: null,
    payout_records: [],
    preferred_payout: null,
  };
}

export interface SeededUser {
  /** The population index of the person this account belongs to. */
  index: number;
  user: StoredUser;
}

/** Every seeded account, in population order (person 42's duplicate right after its first account). */
export function seedUsers(population: Population): SeededUser[] {
  const out: SeededUser[] = [];
  const seen = new Set<string>();
  const add = (index: number, user: StoredUser): void => {
    // Ids are hashes of distinct labels; a clash would silently merge two people, so it is refused loudly.
    if (seen.has(user.id)) throw new Error(`ev.energy seed produced the id ${user.id} twice (person ${index})`);
    seen.add(user.id);
    out.push({ index, user });
  };
  for (const person of membersOf(population, 'evenergy')) {
    add(person.index, seededUser(person, population.seed));
    if (person.index === DUPLICATE_ACCOUNT_INDEX) add(person.index, duplicateAccount(person, population.seed));
  }
  return out;
}

export function cloneUser(user: StoredUser): StoredUser {
  return structuredClone(user);
}
