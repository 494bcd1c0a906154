import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';

export const TimesheetMutations: MutationResolvers<GraphContext> = {};
