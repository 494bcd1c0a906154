/**
 * The people mutations: `createUser`, `provisionUser`, `updateUser`, `deleteUser`, `unlinkAccount`. Each asks the policy
 * first (src/auth/policy.ts: a user changes only their own person and never creates or deletes people;
 * an admin may do all), then checks its input, and only then calls upstreams. The work itself lives in
 * src/graph/people/: create-or-link (provision.ts), per-upstream writes (updatePerson.ts), deletion
 * (removePerson.ts); these resolvers tie them to the registry and to the payload. Each read-decide-write
 * sequence runs under the locks of its person and email (mutations/locks.ts), so replicas sharing one
 * registry never interleave two changes of one person or two create-or-links of one email.
 */
import { assertAllowed, canChangeEmail, canMutate } from '../../../auth/policy';
import { ErrorCode, GatewayError } from '../../../errors';
import type { MutationResolvers } from '../../../generated/graphql';
import type { GraphContext } from '../../context';
import { toGlobalId } from '../../ids';
import { UPSTREAM_FROM_ENUM } from '../Query';
import { forgetPerson } from '../../people/forgetPerson';
import { namesFromAccounts } from '../../people/namesFromAccounts';
import { assertEmailFree, emailTaken } from '../../people/emailHolders';
import { anySuccess, type Outcome } from '../../people/outcomes';
import { personToChange } from '../../people/personToChange';
import { provisionAccounts } from '../../people/provision';
import { removePerson } from '../../people/removePerson';
import { updatePersonEverywhere } from '../../people/updatePerson';
import { createFieldPaths, EMAIL_MAX_LENGTH, InputProblems, readCreateUserInput, readUpdateUserInput, readUpstreams } from '../../people/userInput';
import { withEmailLocked, withPersonLocked } from '../../people/locks';

/** Upstreams whose account holds the person's email, and so must follow an email change. */
const EMAIL_HOLDERS = new Set<Outcome['upstream']>(['EVENERGY', 'PODERO', 'TIMESHEET']);
/** Longer than any email change takes; a reservation left by a crashed replica lapses after it. */
const EMAIL_RESERVATION_TTL_MS = 5 * 60_000;

export const UserMutations: MutationResolvers<GraphContext> = {
  async createUser(_parent, { input }, ctx) {
    assertAllowed(canMutate(ctx.viewer, 'createUser'));
    const plan = readCreateUserInput(input);
    const { registry } = ctx.deps;
    // One create-or-link per email at a time on every replica: a concurrent or retried call waits, then
    // finds the accounts this one linked (LINKED, no second POST) instead of racing it.
    return withEmailLocked(ctx, plan.email, async () => {
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
      // (unless discovery linked something meanwhile), and no user is answered.
      if (created && !anySuccess(outcomes)) {
        const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
        if (links.length === 0) {
          await registry.deletePerson(person.id);
          return { user: null, outcomes };
        }
      }
      return { user: person, outcomes };
    });
  },

  async provisionUser(_parent, { id, upstreams }, ctx) {
    assertAllowed(canMutate(ctx.viewer, 'provisionUser'));
    const problems = new InputProblems();
    const chosen = readUpstreams(problems, ['upstreams'], upstreams);
    problems.throwIfAny();
    const found = await personToChange(ctx, 'provisionUser', id);
    return withPersonLocked(ctx, found, [], async (person) => {
      const outcomes = await provisionAccounts(ctx, {
        person,
        email: person.email,
        upstreams: chosen,
        whenAlreadyLinked: 'UNCHANGED',
        names: () => namesFromAccounts(ctx, person),
      });
      forgetPerson(ctx, found, person);
      return { user: person, outcomes };
    });
  },

  async updateUser(_parent, { id, input }, ctx) {
    const found = await personToChange(ctx, 'updateUser', id);
    const { registry } = ctx.deps;
    // The new email's lock too: a createUser or another change for it waits until this one is decided.
    const newEmail = typeof input.email === 'string' && input.email.length <= EMAIL_MAX_LENGTH ? [input.email] : [];
    return withPersonLocked(ctx, found, newEmail, async (person) => {
      const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
      const changes = readUpdateUserInput(input, person, links);
      const newAddress = changes.email !== undefined && changes.email.toLowerCase() !== person.email.toLowerCase() ? changes.email : undefined;
      if (newAddress !== undefined) {
        // An email belongs to whoever proves it: a plain user may take only their token's verified email.
        assertAllowed(canChangeEmail(ctx.viewer, person, newAddress));
        // Nobody else may hold it, in the registry or in any upstream, or the next discovery or sync
        // would link their accounts to this person. Asked before the reservation: while it is held,
        // discovery of the email answers this person.
        await assertEmailFree(ctx, person, links, newAddress);
        // Held for this person while the upstreams change, so discovery of the new email finds this
        // person instead of creating another; committed by updateEmail below, released otherwise.
        try {
          await registry.reserveEmail(person.id, newAddress, EMAIL_RESERVATION_TTL_MS);
        } catch (err) {
          if (err instanceof GatewayError && err.code === ErrorCode.CONFLICT) throw emailTaken('held by another person');
          throw err;
        }
      }
      let current = person;
      let committed = false;
      try {
        const outcomes = await updatePersonEverywhere(ctx, links, changes);
        if (changes.email !== undefined) {
          // The registry follows as soon as one upstream holds the new email (or none holds any): a retry
          // then finishes the rest. When every upstream refused, the person keeps the old email everywhere.
          const asked = outcomes.filter((o) => EMAIL_HOLDERS.has(o.upstream) && (o.status === 'UPDATED' || o.status === 'FAILED'));
          if (asked.length === 0 || asked.some((o) => o.status === 'UPDATED')) {
            current = await registry.updateEmail(person.id, changes.email);
            committed = true;
          }
        }
        forgetPerson(ctx, found, person, current);
        return { user: current, outcomes };
      } finally {
        if (newAddress !== undefined && !committed) await registry.releaseEmail(person.id, newAddress);
      }
    });
  },

  async unlinkAccount(_parent, { personId, upstream }, ctx) {
    // Admin only (the policy): the way back from a wrong link. Only the registry changes; the account
    // stays as it is upstream, and the next sync or lookup links it to the person whose email it has.
    const found = await personToChange(ctx, 'unlinkAccount', personId, 'personId');
    return withPersonLocked(ctx, found, [], async (person) => {
      const removed = await ctx.deps.registry.unlink(person.id, UPSTREAM_FROM_ENUM[upstream]);
      forgetPerson(ctx, found, person);
      ctx.logger.info({ personId: person.id, upstream: UPSTREAM_FROM_ENUM[upstream], accountId: removed?.accountId ?? null }, 'unlinkAccount');
      return { user: person, upstream, status: removed ? 'UNLINKED' : 'NOT_LINKED', accountId: removed?.accountId ?? null };
    });
  },

  async deleteUser(_parent, { id }, ctx) {
    const found = await personToChange(ctx, 'deleteUser', id);
    // Under the person's lock: an update waiting for it then finds no person and writes nowhere.
    return withPersonLocked(ctx, found, [], async (person) => {
      const removal = await removePerson(ctx, person);
      forgetPerson(ctx, found, person);
      return { ...removal, deletedUserId: removal.deletedPersonId === null ? null : toGlobalId('User', removal.deletedPersonId) };
    });
  },
};
