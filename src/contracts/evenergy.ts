/**
 * ev.energy API v2 wire types: exactly what the API sends and accepts (upstream-contracts.md §1.3,
 * §1.4). Internal to the evenergy connector; the rest of the gateway sees `types.ts`.
 */

export type WireWallet = 'PAYPAL' | 'VENMO' | 'BILL_CREDITS';
export type WireReceiverType = 'EMAIL' | 'PHONE' | 'ACCOUNT_NUMBER';

export interface WireCoordinates {
  latitude: number;
  longitude: number;
}

/** `Location` in lists, `LocationDetail` (with the carbon intensity) for one user. */
export interface WireLocation {
  address_1: string | null;
  address_2: string | null;
  postal_code: string | null;
  country_code: string | null;
  city: string | null;
  state: string | null;
  coordinates: WireCoordinates | null;
  /** A tariff URI (or, with `expand`, an object; the connector never expands). */
  tariff: string | null;
  evse_site: string | null;
  current_carbon_intensity_grams_per_kilowatt_hour?: number | null;
}

/** `User`: only `id` and `url` are required by the spec. */
export interface WireUser {
  id: string;
  url: string;
  email?: string | null;
  full_name?: string;
  joined_at?: string;
  terms_consent_datetime?: string | null;
  default_location?: WireLocation;
  /** Vehicle URIs: `…/vehicles/vhcl…`. */
  vehicles?: string[];
  /** EVSE URIs: `…/evses/evse…`. */
  evses?: string[];
}

export interface WireNotificationPreferences {
  url: string;
  groups: Record<string, boolean>;
}

/** All four keys always present; the last three all null when no method is set. */
export interface WirePayoutMethod {
  url: string;
  receiver: string | null;
  receiver_type: WireReceiverType | null;
  receiver_wallet: WireWallet | null;
}

/** A `default_location` write: keys sent replace (null clears), keys left out stay. */
export interface WireLocationWrite {
  address_1?: string | null;
  address_2?: string | null;
  postal_code?: string | null;
  country_code?: string | null;
  city?: string | null;
  state?: string | null;
  coordinates?: WireCoordinates | null;
}

/** POST and PATCH `/users`: only the writable fields. */
export interface WireUserWrite {
  email?: string;
  default_location?: WireLocationWrite;
}

/** PATCH `/notification_preferences`: a partial map of groups. */
export interface WireNotificationPreferencesUpdate {
  groups: Record<string, boolean>;
}

/** PATCH `/payout_method`: `receiver` is absent for BILL_CREDITS. */
export interface WirePayoutMethodUpdate {
  receiver_wallet: WireWallet;
  receiver?: string | null;
}

/** RFC 9457 problem details (`application/problem+json`). */
export interface WireProblem {
  type?: string;
  status?: number;
  title: string;
  detail: string;
  instance?: string;
  /** Field name (dotted for nested fields) → messages. */
  field_errors?: Record<string, string[]>;
}
