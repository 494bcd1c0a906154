/**
 * The gateway's ev.energy domain types: what the evenergy connector answers and accepts. camelCase,
 * `Date` timestamps, UPPER_SNAKE enums that map 1:1 onto the GraphQL enums (`Wallet`, `ReceiverType`),
 * string ids. Public: resolvers, loaders and sync use these.
 */

export type EvenergyWallet = 'PAYPAL' | 'VENMO' | 'BILL_CREDITS';
export type EvenergyReceiverType = 'EMAIL' | 'PHONE' | 'ACCOUNT_NUMBER';

export interface EvenergyCoordinates {
  latitude: number;
  longitude: number;
}

export interface EvenergyLocation {
  address1: string | null;
  address2: string | null;
  postalCode: string | null;
  city: string | null;
  state: string | null;
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
  coordinates: EvenergyCoordinates | null;
  /** The tariff's id (`tari…`), read from its URI. */
  tariffId: string | null;
  evseSite: string | null;
  /** Only single-user answers carry it; null in lists and where there is no address. */
  carbonIntensityGramsPerKwh: number | null;
}

export interface EvenergyUser {
  /** `user` + 26 characters. */
  id: string;
  /** Null for accounts created without one. */
  email: string | null;
  /** Null when ev.energy has none (accounts created through the API have an empty name). */
  fullName: string | null;
  joinedAt: Date | null;
  termsConsentAt: Date | null;
  defaultLocation: EvenergyLocation | null;
  /** Vehicle ids (`vhcl…`), read from their URIs. */
  vehicleIds: string[];
  /** EVSE ids (`evse…`), read from their URIs. */
  evseIds: string[];
}

export interface ListEvenergyUsersParams {
  /** Case-insensitive exact match. An empty string is refused (the API would read it as no filter). */
  email?: string;
  /** Users after this id (a `nextCursor`). */
  pageAfter?: string;
  /** Users before this id (a `previousCursor`). Not together with `pageAfter`. */
  pageBefore?: string;
  /** 1–100; the API's default is 25. */
  pageSize?: number;
}

export interface EvenergyUserPage {
  users: EvenergyUser[];
  /** `pageAfter` for the next page; null on the last page. */
  nextCursor: string | null;
  /** `pageBefore` for the previous page; null on the first page. */
  previousCursor: string | null;
}

/**
 * A `defaultLocation` write. Omitted = leave as is, null = clear. If any address part or `coordinates`
 * is set afterwards, `address1`, `city`, `postalCode` and `countryCode` must all be set (the API checks).
 */
export interface EvenergyLocationInput {
  address1?: string | null;
  address2?: string | null;
  postalCode?: string | null;
  city?: string | null;
  state?: string | null;
  countryCode?: string | null;
  coordinates?: EvenergyCoordinates | null;
}

export interface CreateEvenergyUserInput {
  email?: string;
  defaultLocation?: EvenergyLocationInput;
}

/** Only the fields given are sent. */
export interface UpdateEvenergyUserInput {
  email?: string;
  defaultLocation?: EvenergyLocationInput;
}

export interface EvenergyNotificationPreferences {
  /** Every group ev.energy reports, by its upstream name (`charging_flow`, …): new groups need no code change. */
  groups: Record<string, boolean>;
}

/** Every field is null when no payout method is set. */
export interface EvenergyPayoutMethod {
  receiver: string | null;
  receiverType: EvenergyReceiverType | null;
  wallet: EvenergyWallet | null;
}

export interface SetEvenergyPayoutMethodInput {
  wallet: EvenergyWallet;
  /**
   * An email for PAYPAL, a phone for VENMO (at most 254 characters); must be left out for BILL_CREDITS.
   * Null is never valid (the API derives the BILL_CREDITS receiver itself) and is refused before any call.
   */
  receiver?: string | null;
}
