import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';

export const VrmMutations: MutationResolvers<GraphContext> = {};

export const VrmQueries: Pick<import('../../../generated/graphql').QueryResolvers<GraphContext>, 'siteIdByIdentifier'> = {};
