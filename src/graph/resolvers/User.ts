/**
 * The registry-served fields of `User`: ids, email and which upstreams hold the person. The upstream
 * fields live with their upstream (identity.ts, evenergy.ts, vrm.ts, podero.ts, timesheet.ts).
 */
import type { UpstreamAccountResolvers } from '../../generated/graphql';
import type { AccountLink } from '../../registry/types';
import type { GraphContext } from '../context';
import { toGlobalId } from '../ids';
import type { UserFieldResolvers } from './askPolicy';
import { ENUM_FROM_UPSTREAM } from './Query';
import { vrmAccountOf } from './vrm';

export const User: Pick<UserFieldResolvers, 'id' | 'personId' | 'email' | 'accounts'> = {
  id: (person) => toGlobalId('User', person.id),
  personId: (person) => person.id,
  email: (person) => person.email,
  async accounts(person, _args, ctx) {
    // A request carrying the person's own VRM token links their VRM account; do that first so the
    // list already shows it (it costs nothing when the account is linked or no token was sent).
    if (ctx.vrmCredential) {
      try {
        await vrmAccountOf(ctx, person);
      } catch {
        // A VRM failure must not hide the other accounts; the VRM fields report it.
      }
    }
    return ctx.loaders.links.load(person.id);
  },
};

export const UpstreamAccount: UpstreamAccountResolvers<GraphContext, AccountLink> = {
  upstream: (link) => ENUM_FROM_UPSTREAM[link.upstream],
  accountId: (link) => link.accountId,
  linkedAt: (link) => link.linkedAt,
};
