/**
 * Every mutation, merged from one module per concern: people across upstreams (users.ts), ev.energy
 * preferences and payout (evenergy.ts), VRM tokens and sites (vrm.ts), timesheet member actions
 * (timesheet.ts).
 */
import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';
import { EvenergyMutations } from './evenergy';
import { TimesheetMutations } from './timesheet';
import { UserMutations } from './users';
import { VrmMutations } from './vrm';

export const Mutation: MutationResolvers<GraphContext> = { ...UserMutations, ...EvenergyMutations, ...VrmMutations, ...TimesheetMutations };
