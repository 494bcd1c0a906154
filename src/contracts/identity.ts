/**
 * The MarketTrack identity API v1 ("1MT Authentication API") wire format, snake_case revision 327eb9b,
 * exactly as the API sends and accepts it (seeds/002, upstream-contracts.md §3). Both the emulator and
 * the connector speak these types; nothing outside `src/upstreams/identity/` and
 * `src/emulators/identity/` should need them.
 */

/**
 * The documented email pattern `[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`, matched against the whole value
 * [I: the documentation does not anchor it]. Upper case does not match: emails are lower case.
 */
export const WIRE_EMAIL_PATTERN = /^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/;

/** ISO-8601 UTC with second precision: `2016-12-01T00:55:47Z`. */
export type WireTimestamp = string;

export type WireUserStatus = 'active' | 'inactive' | 'pending';
export type WireSubscriptionStatus = 'active' | 'inactive';
export type WireAccountStatus = 'active' | 'inactive';

export interface WireAccount {
  /** UUID. */
  id: string;
  /** The account's unique identifier on the calling platform (a username or an email). */
  identifier: string;
  status: WireAccountStatus;
  created_at: WireTimestamp;
  updated_at: WireTimestamp;
}

/** The user's subscription to the calling platform. */
export interface WireSubscription {
  /** UUID. */
  id: string;
  status: WireSubscriptionStatus;
  created_at: WireTimestamp;
  updated_at: WireTimestamp;
  accounts: WireAccount[];
}

export interface WireUser {
  /** UUID. */
  id: string;
  first_name: string;
  last_name: string;
  /** Lower case, matching `[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`. */
  email: string;
  status: WireUserStatus;
  internal: boolean;
  created_at: WireTimestamp;
  updated_at: WireTimestamp;
  /** `null` when the user has no subscription to the calling platform [I]. */
  subscription: WireSubscription | null;
}

/** Every response body, success or failure: `{ succeeded, message, data? }`. */
export interface WireEnvelope<D = unknown> {
  succeeded: boolean;
  message: string;
  data?: D;
}

/** `data` of a create, get or update answer. */
export interface WireUserData {
  user: WireUser;
}

/** One failed field of a `422 RAML validation error`. */
export interface WireFieldError {
  /** Field name as sent, dotted for nested fields: `account.identifier`. */
  field: string;
  /** The received value rendered as text; `"null"` when the field was missing. */
  value: string;
  /** `invalid json (<rule>, <rule value>)`, e.g. `invalid json (required, true)`. */
  msg: string;
}

export interface WireValidationData {
  fields: WireFieldError[];
}

/** Body of `POST /users`. `account.identifier` (the documented dotted name) is sent nested. */
export interface WireCreateUserBody {
  first_name: string;
  last_name: string;
  email: string;
  internal?: boolean;
  account?: { identifier: string | null };
}

/** Body of `PATCH /users/:identifier`: only the keys to change, at least one. */
export interface WireUpdateUserBody {
  first_name?: string | null;
  last_name?: string | null;
}
