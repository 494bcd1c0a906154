/**
 * The registry-served fields of `User`: ids, email and which upstreams hold the person. The upstream
 * fields live with their upstream (identity.ts, evenergy.ts, vrm.ts, podero.ts, timesheet.ts).
 */
import type { UpstreamAccountResolvers, UserResolvers } from '../../generated/graphql';
import type { AccountLink } from '../../registry/types';
import type { GraphContext } from '../context';
import { toGlobalId } from '../ids';
import { ENUM_FROM_UPSTREAM } from './Query';

export const User: UserResolvers<GraphContext> = {
  id: (person) => toGlobalId('User', person.id),
  personId: (person) => person.id,
  email: (person) => person.email,
  accounts: (person, _args, ctx) => ctx.loaders.links.load(person.id),
};

export const UpstreamAccount: UpstreamAccountResolvers<GraphContext, AccountLink> = {
  upstream: (link) => ENUM_FROM_UPSTREAM[link.upstream],
  accountId: (link) => link.accountId,
  linkedAt: (link) => link.linkedAt,
};
