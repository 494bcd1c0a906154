/**
 * Root query fields over the registry: `me`, `user`, `userByEmail`, `users`, `node` (the VRM query
 * `siteIdByIdentifier` lives in vrm.ts). Who may see whom is the policy module's decision
 * (src/auth/policy.ts); these resolvers only ask it.
 */
import { assertAllowed, canRunQuery, restrictPeopleFilter } from '../../auth/policy';
import { ErrorCode, GatewayError, type UpstreamName } from '../../errors';
import type { QueryResolvers, Upstream } from '../../generated/graphql';
import { encodeCursor } from '../../registry/validate';
import type { GraphContext } from '../context';
import { fromGlobalId, personIdFromArgument } from '../ids';
import { readablePerson } from './askPolicy';
import { resolveNode } from './node';

export const UPSTREAM_FROM_ENUM: Record<Upstream, UpstreamName> = {
  IDENTITY: 'identity',
  EVENERGY: 'evenergy',
  VRM: 'vrm',
  PODERO: 'podero',
  TIMESHEET: 'timesheet',
};

export const ENUM_FROM_UPSTREAM: Record<UpstreamName, Upstream> = {
  identity: 'IDENTITY',
  evenergy: 'EVENERGY',
  vrm: 'VRM',
  podero: 'PODERO',
  timesheet: 'TIMESHEET',
};

export const Query: QueryResolvers<GraphContext> = {
  async me(_parent, _args, ctx) {
    // The viewer's own person is theirs by definition; anonymous viewers have none (null, no error).
    assertAllowed(canRunQuery(ctx.viewer, 'me'));
    return ctx.viewerPerson();
  },

  async user(_parent, { id }, ctx) {
    return readablePerson(ctx, 'user', personIdFromArgument(id));
  },

  async userByEmail(_parent, { email }, ctx) {
    // A plain user may look up only their own email; refused before the registry or any upstream is asked.
    assertAllowed(canRunQuery(ctx.viewer, 'userByEmail', { target: { email } }));
    const person = await ctx.loaders.personByEmail.load(email);
    if (person) assertAllowed(canRunQuery(ctx.viewer, 'userByEmail', { target: { person } }));
    return person;
  },

  async users(_parent, { first, after, filter }, ctx) {
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      throw new GatewayError(ErrorCode.BAD_USER_INPUT, `first must be from 1 to 100, but got: ${size}`, { fieldErrors: [{ path: ['first'], message: 'must be from 1 to 100' }] });
    }
    const own = ctx.viewer.kind === 'user' ? await ctx.viewerPerson() : null;
    const args = restrictPeopleFilter(ctx.viewer, own, {
      first: size,
      after: after ?? undefined,
      emailEquals: filter?.email ?? undefined,
      emailContains: filter?.emailContains ?? undefined,
      hasAccountIn: filter?.hasAccountIn?.map((u) => UPSTREAM_FROM_ENUM[u]),
    });
    if (args === null) {
      return { edges: [], nodes: [], totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
    }
    const page = await ctx.deps.registry.listPeople(args);
    for (const p of page.people) ctx.loaders.person.prime(p.id, p);
    return {
      edges: page.people.map((node) => ({ node, cursor: encodeCursor({ createdAtMs: node.createdAt.getTime(), id: node.id }) })),
      nodes: page.people,
      totalCount: page.totalCount,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: page.people[0] ? encodeCursor({ createdAtMs: page.people[0].createdAt.getTime(), id: page.people[0].id }) : null,
        endCursor: page.endCursor,
      },
    };
  },

  async node(_parent, { id }, ctx) {
    return resolveNode(ctx, fromGlobalId(id));
  },
};
