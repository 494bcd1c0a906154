/**
 * The gateway's own view of an identity (MarketTrack 1MT) user: camelCase, `Date` timestamps,
 * UPPER_SNAKE enums that map 1:1 onto the GraphQL enums, string ids. Public: resolvers, loaders and
 * mutations use these; the wire format stays in `wire.ts`.
 */
import { WIRE_EMAIL_PATTERN } from '../../contracts/identity';

export type IdentityUserStatus = 'ACTIVE' | 'INACTIVE' | 'PENDING';
export type IdentitySubscriptionStatus = 'ACTIVE' | 'INACTIVE';
export type IdentityAccountStatus = 'ACTIVE' | 'INACTIVE';

/** An account of the user on the gateway's platform. */
export interface IdentityAccount {
  /** UUID. */
  id: string;
  /** Unique on the platform: a username or an email. */
  identifier: string;
  status: IdentityAccountStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** The user's subscription to the gateway's platform. */
export interface IdentitySubscription {
  /** UUID. */
  id: string;
  status: IdentitySubscriptionStatus;
  createdAt: Date;
  updatedAt: Date;
  accounts: IdentityAccount[];
}

export interface IdentityUser {
  /** UUID. */
  id: string;
  firstName: string;
  lastName: string;
  /** Lower case. */
  email: string;
  /** `PENDING`: the email address is not validated yet. */
  status: IdentityUserStatus;
  /** A MarketTrack staff member. */
  internal: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** `null` when the user has no subscription to the gateway's platform. */
  subscription: IdentitySubscription | null;
}

export interface CreateIdentityUserInput {
  firstName: string;
  lastName: string;
  /** Must match `IDENTITY_EMAIL_PATTERN`. */
  email: string;
  /** Omitted: the upstream default, false. */
  internal?: boolean;
  /** Given: the user also gets a subscription holding an account with this identifier. */
  accountIdentifier?: string | null;
}

/** Omitted keys stay untouched; `null` is sent as null (which the upstream refuses: names cannot be cleared). */
export interface UpdateIdentityUserInput {
  firstName?: string | null;
  lastName?: string | null;
}

/** The identity API's email rule, for validating input before any upstream call. */
export const IDENTITY_EMAIL_PATTERN: RegExp = WIRE_EMAIL_PATTERN;
