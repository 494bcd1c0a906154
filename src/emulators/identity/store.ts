/**
 * The identity emulator's in-memory users: lookup by id or email, create, update, delete, and reset to
 * the seeded population. It enforces the data rules (unique email, unique account identifier, no delete
 * while subscribed to other platforms); request validation happens before it is called.
 */
import type { WireUser } from '../../contracts/identity';
import { uuidFor, type Population } from '../population';
import { seedIdentityUsers, wireTimestamp, type IdentityRecord } from './seed';
import type { CreateUserInput, UpdateUserInput } from './validate';

export type CreateResult = { ok: true; user: WireUser } | { ok: false; conflict: 'email' | 'account' };
export type DeleteResult = { ok: true } | { ok: false; conflict: 'other-platforms' };

export interface IdentityStore {
  /** `identifier` is an email (contains `@`) or a user id; both are matched case-insensitively [I]. */
  find(identifier: string): WireUser | undefined;
  create(input: CreateUserInput): CreateResult;
  /** Applies only the given names; `undefined` if no such user. */
  update(identifier: string, input: UpdateUserInput): WireUser | undefined;
  /** `undefined` if no such user. */
  remove(identifier: string): DeleteResult | undefined;
  /** Back to the seeded population. Ids handed out for created records are never handed out again. */
  reset(): void;
}

export interface IdentityStoreOptions {
  population: Population;
  /** The current time; injectable so tests of timestamps need not race the clock. */
  now?: () => number;
}

export function createIdentityStore(options: IdentityStoreOptions): IdentityStore {
  const { population } = options;
  const now = options.now ?? Date.now;
  let byId = new Map<string, IdentityRecord>();
  let idByEmail = new Map<string, string>();
  let accountIdentifiers = new Set<string>();
  /** Every id ever seeded or handed out, so a created id never repeats one (even after a reset). */
  const usedIds = new Set<string>();
  let created = 0;

  const load = (): void => {
    byId = new Map();
    idByEmail = new Map();
    accountIdentifiers = new Set();
    for (const record of seedIdentityUsers(population)) {
      const { user } = record;
      byId.set(user.id, record);
      idByEmail.set(user.email, user.id);
      usedIds.add(user.id);
      if (user.subscription) {
        usedIds.add(user.subscription.id);
        for (const account of user.subscription.accounts) {
          usedIds.add(account.id);
          accountIdentifiers.add(account.identifier);
        }
      }
    }
  };

  /** A fresh UUID in the API's format, from labels the seed never uses. */
  const freshId = (kind: string): string => {
    let id: string;
    do id = uuidFor(`identity:${population.seed}:created-${kind}:${++created}`);
    while (usedIds.has(id));
    usedIds.add(id);
    return id;
  };

  const lookup = (identifier: string): IdentityRecord | undefined => {
    const key = identifier.toLowerCase();
    const id = key.includes('@') ? idByEmail.get(key) : key;
    return id === undefined ? undefined : byId.get(id);
  };

  load();

  return {
    find(identifier) {
      const record = lookup(identifier);
      return record && structuredClone(record.user);
    },

    create(input) {
      if (idByEmail.has(input.email)) return { ok: false, conflict: 'email' };
      if (input.accountIdentifier !== null && accountIdentifiers.has(input.accountIdentifier)) return { ok: false, conflict: 'account' };
      const at = wireTimestamp(now());
      const user: WireUser = {
        id: freshId('user'),
        first_name: input.firstName,
        last_name: input.lastName,
        email: input.email,
        // Documented: new users are pending until they validate their email address.
        status: 'pending',
        internal: input.internal,
        created_at: at,
        updated_at: at,
        // Documented: an account identifier also creates a subscription holding that account.
        subscription:
          input.accountIdentifier === null
            ? null
            : {
                id: freshId('subscription'),
                status: 'active',
                created_at: at,
                updated_at: at,
                accounts: [{ id: freshId('account'), identifier: input.accountIdentifier, status: 'active', created_at: at, updated_at: at }],
              },
      };
      byId.set(user.id, { user, otherPlatforms: [] });
      idByEmail.set(user.email, user.id);
      if (input.accountIdentifier !== null) accountIdentifiers.add(input.accountIdentifier);
      return { ok: true, user: structuredClone(user) };
    },

    update(identifier, input) {
      const record = lookup(identifier);
      if (!record) return undefined;
      if (input.firstName !== undefined) record.user.first_name = input.firstName;
      if (input.lastName !== undefined) record.user.last_name = input.lastName;
      record.user.updated_at = wireTimestamp(now());
      return structuredClone(record.user);
    },

    remove(identifier) {
      const record = lookup(identifier);
      if (!record) return undefined;
      if (record.otherPlatforms.length > 0) return { ok: false, conflict: 'other-platforms' };
      byId.delete(record.user.id);
      idByEmail.delete(record.user.email);
      for (const account of record.user.subscription?.accounts ?? []) accountIdentifiers.delete(account.identifier);
      return { ok: true };
    },

    reset: load,
  };
}
