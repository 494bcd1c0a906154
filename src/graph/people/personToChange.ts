/**
 * The person an id-addressed mutation acts on, found only after the policy allowed the viewer to ask
 * (src/auth/policy.ts decides; this module only asks it). Order, so that nothing leaks and nothing is
 * called in vain: admin-only mutations and anonymous viewers are judged first; then the id is read
 * (BAD_USER_INPUT naming the argument); then the person is looked up in the registry and the viewer is
 * judged against them — a plain user asking for someone else gets FORBIDDEN whether that person exists
 * or not; only a viewer who may act on the id learns that it does not exist (NOT_FOUND, naming the
 * argument). No upstream is called here.
 */
import { assertAllowed, canMutate, type MutationName } from '../../auth/policy';
import { ErrorCode, GatewayError } from '../../errors';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';
import { personIdFromArgument } from '../ids';

export async function personToChange(ctx: GraphContext, mutation: MutationName, id: string, argument = 'id'): Promise<Person> {
  assertAllowed(canMutate(ctx.viewer, mutation));
  const personId = personIdFromArgument(id, argument);
  // A plain user's own person is looked up now, before the mutation can change its email: the payload's
  // fields, asked of the policy afterwards, still know it as theirs.
  const own = ctx.viewer.kind === 'user' ? await ctx.viewerPerson() : undefined;
  const person = await ctx.loaders.person.load(personId);
  // Judged by id alone when there is no such person, so a plain user cannot probe which ids exist.
  assertAllowed(canMutate(ctx.viewer, mutation, { target: person ? { person } : { personId }, own }));
  if (!person) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `${mutation}: no person has the id ${personId}`, {
      fieldErrors: [{ path: [argument], message: 'no person has this id' }],
    });
  }
  return person;
}
