/**
 * Every mutation, merged from one module per concern: people across upstreams (users.ts), ev.energy
 * preferences and payout (evenergy.ts), VRM tokens and sites (vrm.ts), timesheet member actions
 * (timesheet.ts).
 */
import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';

export const Mutation: MutationResolvers<GraphContext> = {};
