/**
 * The people mutations: `createUser`, `provisionUser`, `updateUser`, `deleteUser`. Each asks the policy
 * first (src/auth/policy.ts: a user changes only their own person and never creates or deletes people;
 * an admin may do all), then checks its input, and only then calls upstreams. The work itself lives in
 * src/graph/mutations/: create-or-link (provision.ts), per-upstream writes (updatePerson.ts), deletion
 * (removePerson.ts); these resolvers tie them to the registry and to the payload.
 */
import { assertAllowed, canMutate } from '../../../auth/policy';
import { ErrorCode, GatewayError } from '../../../errors';
import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';
import { forgetPerson } from '../../people/forgetPerson';
import { namesFromAccounts } from '../../people/namesFromAccounts';
import { anySuccess, type Outcome } from '../../people/outcomes';
import { personToChange } from '../../people/personToChange';
import { provisionAccounts } from '../../people/provision';
import { removePerson } from '../../people/removePerson';
import { updatePersonEverywhere } from '../../people/updatePerson';
import { createFieldPaths, InputProblems, readCreateUserInput, readUpdateUserInput, readUpstreams } from '../../people/userInput';

/** Upstreams whose account holds the person's email, and so must follow an email change. */
const EMAIL_HOLDERS = new Set<Outcome['upstream']>(['EVENERGY', 'PODERO', 'TIMESHEET']);

export const UserMutations: MutationResolvers<GraphContext> = {
  async createUser(_parent, { input }, ctx) {
    assertAllowed(canMutate(ctx.viewer, 'createUser'));
    const plan = readCreateUserInput(input);
    const { registry } = ctx.deps;
    const [found] = await registry.findOrCreatePeopleByEmail([plan.email]);
    if (!found) throw new Error('registry.findOrCreatePeopleByEmail answered no slot for one email');
    const { person, created } = found;
    const outcomes = await provisionAccounts(ctx, {
      person,
      email: plan.email,
      upstreams: plan.upstreams,
      // A person who already has the account gets the same answer as the run that linked it.
      whenAlreadyLinked: 'LINKED',
      names: async () => plan.names,
      options: plan.options,
      fieldPaths: createFieldPaths,
    });
    forgetPerson(ctx, person);
    // The registry holds exactly the successes: a person made by this call with none is removed again
    // (unless a concurrent call linked something meanwhile), and no user is answered.
    if (created && !anySuccess(outcomes)) {
      const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
      if (links.length === 0) {
        await registry.deletePerson(person.id);
        return { user: null, outcomes };
      }
    }
    return { user: person, outcomes };
  },

  async provisionUser(_parent, { id, upstreams }, ctx) {
    assertAllowed(canMutate(ctx.viewer, 'provisionUser'));
    const problems = new InputProblems();
    const chosen = readUpstreams(problems, ['upstreams'], upstreams);
    problems.throwIfAny();
    const person = await personToChange(ctx, 'provisionUser', id);
    const outcomes = await provisionAccounts(ctx, {
      person,
      email: person.email,
      upstreams: chosen,
      whenAlreadyLinked: 'UNCHANGED',
      names: () => namesFromAccounts(ctx, person),
    });
    forgetPerson(ctx, person);
    return { user: person, outcomes };
  },

  async updateUser(_parent, { id, input }, ctx) {
    const person = await personToChange(ctx, 'updateUser', id);
    const { registry } = ctx.deps;
    const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
    const changes = readUpdateUserInput(input, person, links);
    if (changes.email !== undefined) {
      const [holder] = await registry.getPeopleByEmail([changes.email]);
      if (holder && holder.id !== person.id) {
        throw new GatewayError(ErrorCode.CONFLICT, 'Another person already has this email; nothing was changed', {
          fieldErrors: [{ path: ['input', 'email'], message: 'belongs to another person' }],
        });
      }
    }
    const outcomes = await updatePersonEverywhere(ctx, links, changes);
    let current = person;
    if (changes.email !== undefined) {
      // The registry follows as soon as one upstream holds the new email (or none holds any): a retry
      // then finishes the rest. When every upstream refused, the person keeps the old email everywhere.
      const asked = outcomes.filter((o) => EMAIL_HOLDERS.has(o.upstream) && (o.status === 'UPDATED' || o.status === 'FAILED'));
      if (asked.length === 0 || asked.some((o) => o.status === 'UPDATED')) current = await registry.updateEmail(person.id, changes.email);
    }
    forgetPerson(ctx, person, current);
    return { user: current, outcomes };
  },

  async deleteUser(_parent, { id }, ctx) {
    const person = await personToChange(ctx, 'deleteUser', id);
    const removal = await removePerson(ctx, person);
    forgetPerson(ctx, person);
    return removal;
  },
};
