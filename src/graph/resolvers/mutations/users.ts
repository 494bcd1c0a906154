import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';

export const UserMutations: MutationResolvers<GraphContext> = {};
