/**
 * The identity emulator's seeded users, derived from the demo population (README.md beside this file
 * lists who has what). What makes a person an interesting case follows fixed rules on the person's
 * index, so tests and people can find cases without reading data; `rngFor` only varies timestamps and
 * the names of the other platforms.
 */
import type { WireAccount, WireSubscription, WireUser, WireUserStatus } from '../../contracts/identity';
import { EPOCH_MS, membersOf, pick, rngFor, uuidFor, type DemoPerson, type Population } from '../population';

/** A stored user: the wire record plus what the API knows but does not serve. */
export interface IdentityRecord {
  user: WireUser;
  /**
   * Other MarketTrack platforms this user is subscribed to. The API serves only the subscription to the
   * calling platform, but refuses to delete a user who has any of these (409).
   */
  otherPlatforms: string[];
}

/** Platforms other than the caller's that a seeded user may be subscribed to. */
const OTHER_PLATFORMS = ['PriceVision', 'PromoTrack', 'ShelfScan'] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `pending` for index % 10 === 8, `inactive` for index % 10 === 9, otherwise `active`. */
export function seededStatus(index: number): WireUserStatus {
  if (index % 10 === 8) return 'pending';
  if (index % 10 === 9) return 'inactive';
  return 'active';
}

/** Internal (MarketTrack staff) users: index % 15 === 7. */
export function seededInternal(index: number): boolean {
  return index % 15 === 7;
}

/**
 * How many accounts the subscription to the calling platform holds, or `null` for no subscription:
 * none for index % 4 === 2; an empty subscription for index % 20 === 17; two accounts (the second one
 * inactive) for index % 8 === 3; one account otherwise.
 */
export function seededAccountCount(index: number): number | null {
  if (index % 4 === 2) return null;
  if (index % 20 === 17) return 0;
  if (index % 8 === 3) return 2;
  return 1;
}

/** Users also subscribed to other platforms, whom DELETE refuses with 409: index % 6 === 5. */
export function seededHasOtherPlatforms(index: number): boolean {
  return index % 6 === 5;
}

/** The API's timestamp format: ISO-8601 UTC to the second, `2016-12-01T00:55:47Z`. */
export function wireTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The label each seeded id is derived from; created ids use other labels, so they cannot collide. */
export function seededIdLabel(seed: number, kind: 'user' | 'subscription' | 'account', index: number, k = 0): string {
  return `identity:${seed}:${kind}:${index}:${k}`;
}

function seedAccount(seed: number, person: DemoPerson, k: number, createdMs: number): WireAccount {
  const username = `${person.firstName}${person.lastName}${person.index}`.toLowerCase();
  return {
    id: uuidFor(seededIdLabel(seed, 'account', person.index, k)),
    identifier: k === 0 ? person.email : username,
    status: k === 0 ? 'active' : 'inactive',
    created_at: wireTimestamp(createdMs),
    updated_at: wireTimestamp(createdMs),
  };
}

function seedUser(seed: number, person: DemoPerson): IdentityRecord {
  const rng = rngFor(seed, 'identity', person.index);
  const i = person.index;
  // Created between 30 and 730 days before the epoch, updated at some point since.
  const createdMs = EPOCH_MS - (30 + Math.floor(rng() * 700)) * DAY_MS - Math.floor(rng() * DAY_MS);
  const updatedMs = createdMs + Math.floor(rng() * (EPOCH_MS - createdMs));
  const status = seededStatus(i);

  let subscription: WireSubscription | null = null;
  const accountCount = seededAccountCount(i);
  if (accountCount !== null) {
    const subCreatedMs = createdMs + Math.floor(rng() * 7 * DAY_MS);
    const accounts: WireAccount[] = [];
    for (let k = 0; k < accountCount; k++) accounts.push(seedAccount(seed, person, k, subCreatedMs + (k + 1) * 60_000));
    subscription = {
      id: uuidFor(seededIdLabel(seed, 'subscription', i)),
      // A disabled user's subscription is disabled with them.
      status: status === 'inactive' ? 'inactive' : 'active',
      created_at: wireTimestamp(subCreatedMs),
      updated_at: wireTimestamp(subCreatedMs),
      accounts,
    };
  }

  const otherPlatforms = seededHasOtherPlatforms(i) ? [pick(rng, OTHER_PLATFORMS)] : [];
  return {
    user: {
      id: uuidFor(seededIdLabel(seed, 'user', i)),
      first_name: person.firstName,
      last_name: person.lastName,
      email: person.email,
      status,
      internal: seededInternal(i),
      created_at: wireTimestamp(createdMs),
      updated_at: wireTimestamp(updatedMs),
      subscription,
    },
    otherPlatforms,
  };
}

/** One identity user per population member (everyone is), in population order. */
export function seedIdentityUsers(population: Population): IdentityRecord[] {
  return membersOf(population, 'identity').map((person) => seedUser(population.seed, person));
}
