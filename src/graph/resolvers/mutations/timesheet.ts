/**
 * Timesheet team member actions: activate, deactivate and resend the invitation (the time tracker's PUT
 * actions). Team membership is the team admin's business, so the policy allows these to admins only.
 *
 * Contract of every action, in order: the policy (admin), the person (NOT_FOUND at `userId`), their
 * timesheet account (NOT_FOUND naming timesheet without one), then the one PUT, never retried: a retry
 * after a lost answer would be refused (`not_deactivated`) or send a second invitation email. The time
 * tracker's refusals (`not_pending`, `not_deactivated`, `deletable`, `deactivated`) reach the client as
 * BAD_USER_INPUT with the refusal code as `extensions.reason` and `userId` as the field path.
 */
import { assertAllowed, canMutate, type MutationName } from '../../../auth/policy';
import { ErrorCode, GatewayError } from '../../../errors';
import type { MutationResolvers } from '../../../generated/graphql';
import type { Person } from '../../../registry/types';
import type { CallOptions } from '../../../upstreams/types';
import { timesheetReasonWords } from '../../../upstreams/timesheet/describe';
import { accountOf } from '../../access';
import type { GraphContext } from '../../context';
import { personIdFromArgument } from '../../ids';

type TeamAction = Extract<MutationName, 'activateUser' | 'deactivateUser' | 'resendInvitation'>;

/** The person an admin acts on; NOT_FOUND at `userId` when the registry has no such person. */
async function personToChange(ctx: GraphContext, mutation: TeamAction, userId: string): Promise<Person> {
  assertAllowed(canMutate(ctx.viewer, mutation));
  const personId = personIdFromArgument(userId, 'userId');
  const person = await ctx.loaders.person.load(personId);
  if (!person) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `No person has the id ${personId}`, { fieldErrors: [{ path: ['userId'], message: 'no such person' }] });
  }
  assertAllowed(canMutate(ctx.viewer, mutation, { target: { person } }));
  return person;
}

/**
 * A timesheet refusal or "no such user" re-raised with the argument it is about, in the gateway's words
 * for the refusal's reason (`not_pending` …), or its message where the reason is not documented.
 */
function refusalAt(err: unknown): unknown {
  if (!(err instanceof GatewayError) || err.upstream !== 'timesheet') return err;
  if (err.code !== ErrorCode.BAD_USER_INPUT && err.code !== ErrorCode.NOT_FOUND && err.code !== ErrorCode.CONFLICT) return err;
  if (err.fieldErrors?.length) return err;
  const fieldErrors = [{ path: ['userId'], message: timesheetReasonWords(err.reason) ?? err.message }];
  return new GatewayError(err.code, err.message, {
    upstream: 'timesheet',
    reason: err.reason,
    status: err.status,
    detail: err.detail,
    fieldErrors,
    cause: err,
  });
}

/** Runs one action for the person named by `userId` and answers the person, whose team state is read afresh. */
async function teamAction(
  ctx: GraphContext,
  mutation: TeamAction,
  userId: string,
  act: (accountId: string, call: CallOptions) => Promise<void>,
): Promise<{ user: Person }> {
  const person = await personToChange(ctx, mutation, userId);
  const accountId = await accountOf(ctx, person, 'timesheet');
  if (accountId === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, 'This person has no timesheet account, so there is no team member to change', {
      upstream: 'timesheet',
      fieldErrors: [{ path: ['userId'], message: 'the person has no timesheet account' }],
    });
  }
  try {
    await act(accountId, ctx.call);
  } catch (err) {
    throw refusalAt(err);
  }
  ctx.loaders.timesheetUser.clear(accountId);
  return { user: person };
}

export const TimesheetMutations: Pick<MutationResolvers<GraphContext>, 'activateUser' | 'deactivateUser' | 'resendInvitation'> = {
  activateUser: (_parent, { userId }, ctx) => teamAction(ctx, 'activateUser', userId, (id, call) => ctx.deps.upstreams.timesheet.activateUser(id, call)),
  deactivateUser: (_parent, { userId }, ctx) => teamAction(ctx, 'deactivateUser', userId, (id, call) => ctx.deps.upstreams.timesheet.deactivateUser(id, call)),
  resendInvitation: (_parent, { userId }, ctx) =>
    teamAction(ctx, 'resendInvitation', userId, (id, call) => ctx.deps.upstreams.timesheet.resendInvitation(id, call)),
};
