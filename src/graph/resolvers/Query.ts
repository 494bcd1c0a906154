/**
 * Root query fields over the registry: `me`, `user`, `userByEmail`, `users`, `node` (the VRM query
 * `siteIdByIdentifier` lives in vrm.ts). Who may see whom is the policy module's decision
 * (src/auth/policy.ts); these resolvers only ask it.
 */
import { assertAllowed, canRunQuery, restrictPeopleFilter } from '../../auth/policy';
import type { UpstreamName } from '../../errors';
import type { QueryResolvers, Upstream } from '../../generated/graphql';
import { decodeCursor, encodeCursor } from '../../registry/validate';
import type { GraphContext } from '../context';
import { fromGlobalId, personIdFromArgument } from '../ids';
import { badCursor, pageSizeOf, USERS_DEFAULT_PAGE } from '../paging';
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

  async users(_parent, { first, after, last, before, filter }, ctx) {
    const page = pageSizeOf({ first, last }, USERS_DEFAULT_PAGE);
    // Cursors are checked before anything is asked, also for a viewer who will see an empty page.
    const cursor = (argument: 'after' | 'before', value: string | null | undefined): string | undefined => {
      if (value === null || value === undefined) return undefined;
      try {
        decodeCursor(value, [argument]);
      } catch {
        throw badCursor(argument, value);
      }
      return value;
    };
    const own = ctx.viewer.kind === 'user' ? await ctx.viewerPerson() : null;
    const args = restrictPeopleFilter(ctx.viewer, own, {
      ...(page.direction === 'forward' ? { first: page.size } : { last: page.size }),
      after: cursor('after', after),
      before: cursor('before', before),
      emailEquals: filter?.email ?? undefined,
      emailContains: filter?.emailContains ?? undefined,
      hasAccountIn: filter?.hasAccountIn?.map((u) => UPSTREAM_FROM_ENUM[u]),
    });
    if (args === null) {
      return { edges: [], nodes: [], totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
    }
    const found = await ctx.deps.registry.listPeople(args);
    for (const p of found.people) ctx.loaders.person.prime(p.id, p);
    return {
      edges: found.people.map((node) => ({ node, cursor: encodeCursor({ createdAtMs: node.createdAt.getTime(), id: node.id }) })),
      nodes: found.people,
      totalCount: found.totalCount,
      pageInfo: { hasNextPage: found.hasNextPage, hasPreviousPage: found.hasPreviousPage, startCursor: found.startCursor, endCursor: found.endCursor },
    };
  },

  async node(_parent, { id }, ctx) {
    return resolveNode(ctx, fromGlobalId(id));
  },
};
