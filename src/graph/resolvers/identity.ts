/**
 * Identity-served fields: names, status, internal, timestamps and the subscription with its accounts.
 * All come from one identity lookup per person per request (the `identityUser` loader).
 */
import type { AccountResolvers, IdentitySubscriptionResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import type { IdentityUser } from '../../upstreams/identity/types';
import { fromAccount } from '../access';
import type { GraphContext } from '../context';
import type { UserFieldResolvers } from './askPolicy';
import { toGlobalId } from '../ids';
import type { AccountModel, SubscriptionModel } from '../models';

/** The person's identity user, or null when identity holds no account of theirs. */
export function identityUserOf(ctx: GraphContext, person: Person): Promise<IdentityUser | null> {
  return fromAccount(ctx, person, 'identity', (id) => ctx.loaders.identityUser.load(id));
}

const field =
  <K extends keyof IdentityUser>(key: K) =>
  async (person: Person, _args: unknown, ctx: GraphContext): Promise<IdentityUser[K] | null> => {
    const user = await identityUserOf(ctx, person);
    return user ? user[key] : null;
  };

export const UserIdentityFields: Pick<UserFieldResolvers, 'firstName' | 'lastName' | 'status' | 'internal' | 'createdAt' | 'updatedAt' | 'subscription'> = {
  firstName: field('firstName'),
  lastName: field('lastName'),
  status: field('status'),
  internal: field('internal'),
  createdAt: field('createdAt'),
  updatedAt: field('updatedAt'),
  async subscription(person, _args, ctx) {
    const user = await identityUserOf(ctx, person);
    return user?.subscription ? { ...user.subscription, personId: person.id } : null;
  },
};

export const IdentitySubscription: IdentitySubscriptionResolvers<GraphContext, SubscriptionModel> = {
  id: (s) => toGlobalId('IdentitySubscription', s.personId, s.id),
  subscriptionId: (s) => s.id,
  status: (s) => s.status,
  createdAt: (s) => s.createdAt,
  updatedAt: (s) => s.updatedAt,
  accounts: (s): AccountModel[] => s.accounts.map((a) => ({ ...a, personId: s.personId })),
};

export const Account: AccountResolvers<GraphContext, AccountModel> = {
  id: (a) => toGlobalId('Account', a.personId, a.id),
  accountId: (a) => a.id,
  identifier: (a) => a.identifier,
  status: (a) => a.status,
  createdAt: (a) => a.createdAt,
  updatedAt: (a) => a.updatedAt,
};
