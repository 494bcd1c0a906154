/**
 * How resolvers ask the policy (src/auth/policy.ts) with what the request knows. The policy decides;
 * these only gather its facts: the viewer's own person, whether a VRM token was sent, and the person a
 * field or query is about. Every `User` field resolver is wrapped by `guardUserFields`, so none runs
 * without the policy's yes.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { assertAllowed, canReadUserField, canRunQuery, type Decision, type UserField } from '../../auth/policy';
import type { UserResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';

/**
 * Asks without the viewer's own person first, and again with it when refused: the policy's `own` only
 * widens, so the registry lookup behind it (memoised per request) is made only when it can matter.
 */
export async function askWithOwn(ctx: GraphContext, ask: (own: Person | null | undefined) => Decision): Promise<Decision> {
  const first = ask(undefined);
  return first.allowed ? first : ask(await ctx.viewerPerson());
}

/** What the client proved about VRM without an upstream call: whether it sent a token. */
export const vrmFacts = (ctx: GraphContext): { token: boolean } => ({ token: ctx.vrmCredential !== undefined });

/**
 * Loads the person a query names by id, for the viewer: anonymous viewers and a plain user asking for
 * anyone but themselves are refused before the registry is asked, so existence is never revealed.
 */
export async function readablePerson(ctx: GraphContext, field: 'user' | 'node' | '_entities', personId: string): Promise<Person | null> {
  assertAllowed(await askWithOwn(ctx, (own) => canRunQuery(ctx.viewer, field, { target: { personId }, own })));
  const person = await ctx.loaders.person.load(personId);
  if (!person) return null;
  assertAllowed(await askWithOwn(ctx, (own) => canRunQuery(ctx.viewer, field, { target: { person }, own })));
  return person;
}

/** The `User` field resolvers, one per field of the schema's `User` (plain functions). */
export type UserFieldResolvers = { [F in UserField]-?: Extract<NonNullable<UserResolvers<GraphContext>[F]>, (...args: never[]) => unknown> };

type AnyUserFieldResolver = (person: Person, args: unknown, ctx: GraphContext, info: GraphQLResolveInfo) => unknown;

function guard(field: UserField, resolve: AnyUserFieldResolver): AnyUserFieldResolver {
  return (person, args, ctx, info) => {
    const vrm = vrmFacts(ctx);
    // The common case (an admin, or a viewer whose token names this person) is decided without waiting.
    const first = canReadUserField(ctx.viewer, person, field, { vrm });
    if (first.allowed) return resolve(person, args, ctx, info);
    return askWithOwn(ctx, (own) => canReadUserField(ctx.viewer, person, field, { own, vrm })).then((decision) => {
      assertAllowed(decision);
      return resolve(person, args, ctx, info);
    });
  };
}

/** Wraps every `User` field resolver so that it asks the policy before it resolves. */
export function guardUserFields(fields: UserFieldResolvers): UserFieldResolvers {
  const entries = Object.entries(fields) as [UserField, AnyUserFieldResolver][];
  return Object.fromEntries(entries.map(([field, resolve]) => [field, guard(field, resolve)])) as UserFieldResolvers;
}
