/**
 * Timesheet team member actions: activate, deactivate and resend the invitation (the time tracker's PUT
 * actions), and give or revoke a freelancer's access to projects. Team membership is the team admin's
 * business, so the policy allows these to admins only.
 *
 * Contract of every action, in order: the policy (admin), the arguments (BAD_USER_INPUT at `userId`, or
 * at `projectIds` / `projectIds.<i>`), the person (NOT_FOUND at `userId`), their timesheet account
 * (NOT_FOUND naming timesheet without one), then the one PUT, never retried: a retry after a lost answer
 * would be refused (`not_deactivated`, `already_has_access`) or send a second invitation email. The time
 * tracker's refusals (`not_pending`, `not_deactivated`, `deletable`, `deactivated`, `not_a_freelancer`)
 * reach the client as BAD_USER_INPUT with the refusal code as `extensions.reason` and `userId` as the
 * field path; those about the projects (`already_has_access`, `missing`) at `projectIds`.
 */
import { assertAllowed, canMutate, type MutationName } from '../../../auth/policy';
import { ErrorCode, GatewayError } from '../../../errors';
import type { MutationResolvers } from '../../../generated/graphql';
import type { Person } from '../../../registry/types';
import type { CallOptions } from '../../../upstreams/types';
import { timesheetReasonWords } from '../../../upstreams/timesheet/describe';
import { accountOf } from '../../access';
import type { GraphContext } from '../../context';
import { decodeGlobalId, personIdFromArgument } from '../../ids';

type TeamAction = Extract<MutationName, 'activateUser' | 'deactivateUser' | 'resendInvitation' | 'giveAccessToProjects' | 'revokeAccessToProjects'>;

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

/** The gateway's words for the refusals about the projects of a project access change. */
const PROJECT_REFUSALS: Readonly<Record<string, string>> = {
  already_has_access: 'the freelancer already has access to at least one of these projects; nothing was granted',
  missing: 'at least one of these projects does not exist in the time tracker; nothing was changed',
};

/**
 * A timesheet refusal or "no such user" re-raised with the argument it is about, in the gateway's words
 * for the refusal's reason (`not_pending` …), or its message where the reason is not documented. A
 * refusal about the projects (the time tracker names its `projects` field) is at `projectIds`.
 */
function refusalAt(err: unknown): unknown {
  if (!(err instanceof GatewayError) || err.upstream !== 'timesheet') return err;
  if (err.code !== ErrorCode.BAD_USER_INPUT && err.code !== ErrorCode.NOT_FOUND && err.code !== ErrorCode.CONFLICT) return err;
  const aboutProjects = err.fieldErrors?.some((f) => f.path[0] === 'projectIds') ?? false;
  if (err.fieldErrors?.length && !aboutProjects) return err;
  const fieldErrors = aboutProjects
    ? [{ path: ['projectIds'], message: (err.reason !== undefined ? PROJECT_REFUSALS[err.reason] : undefined) ?? timesheetReasonWords(err.reason) ?? 'was refused' }]
    : [{ path: ['userId'], message: timesheetReasonWords(err.reason) ?? err.message }];
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
  return { user: await actOnMember(ctx, person, act) };
}

/** The one PUT on the person's timesheet member; this request's reads of the member are dropped after it. */
async function actOnMember(ctx: GraphContext, person: Person, act: (accountId: string, call: CallOptions) => Promise<void>): Promise<Person> {
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
  ctx.loaders.timesheetPages.projects.clearAll();
  return person;
}

/** How many projects one access change may name. */
const MAX_PROJECT_IDS = 100;
const PROJECT_ID = /^[1-9]\d{0,14}$/;
/** Longer than any `Project` global id (type, a person UUID and a project id, base64url). */
const MAX_GLOBAL_ID_LENGTH = 120;

function badProjectIds(path: string[], message: string): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `Invalid input at ${path.join('.')}: ${message}`, { fieldErrors: [{ path, message }] });
}

/** One project: the time tracker's id as a decimal, or the project id inside a `Project` global id. */
function projectIdOf(value: string, index: number): string {
  if (PROJECT_ID.test(value)) return value;
  const path = ['projectIds', String(index)];
  const shown = JSON.stringify(value.slice(0, 40));
  const decoded = value.length <= MAX_GLOBAL_ID_LENGTH ? decodeGlobalId(value) : null;
  // A Project id is the project's person (whose list it came from) and its time tracker id.
  if (decoded?.type === 'Project' && decoded.parts.length === 2 && PROJECT_ID.test(decoded.parts[1]!)) return decoded.parts[1]!;
  throw badProjectIds(path, `expected a time tracker project id (a positive integer, as Project.projectId) or a Project id, but got ${shown}`);
}

/**
 * The projects of an access change, checked before anything is looked up: 1 to MAX_PROJECT_IDS of them,
 * each a project id or a `Project` id, none named twice (the path of a bad one is `projectIds.<i>`).
 */
function readProjectIds(values: readonly string[]): string[] {
  if (values.length === 0) throw badProjectIds(['projectIds'], 'expected at least one project, but got an empty list');
  if (values.length > MAX_PROJECT_IDS) throw badProjectIds(['projectIds'], `expected at most ${MAX_PROJECT_IDS} projects, but got ${values.length}`);
  const seen = new Map<string, number>();
  return values.map((value, i) => {
    const id = projectIdOf(value, i);
    const first = seen.get(id);
    if (first !== undefined) throw badProjectIds(['projectIds', String(i)], `the project ${id} is already named at projectIds.${first}`);
    seen.set(id, i);
    return id;
  });
}

/** Gives or revokes access: the arguments first, then the person, then the one PUT. */
async function projectAccess(
  ctx: GraphContext,
  mutation: Extract<TeamAction, 'giveAccessToProjects' | 'revokeAccessToProjects'>,
  userId: string,
  projectIds: readonly string[],
): Promise<{ user: Person; projectIds: string[] }> {
  assertAllowed(canMutate(ctx.viewer, mutation));
  personIdFromArgument(userId, 'userId');
  const ids = readProjectIds(projectIds);
  const person = await personToChange(ctx, mutation, userId);
  const { timesheet } = ctx.deps.upstreams;
  const user = await actOnMember(ctx, person, (accountId, call) =>
    mutation === 'giveAccessToProjects' ? timesheet.giveAccessToProjects(accountId, ids, call) : timesheet.revokeAccessToProjects(accountId, ids, call),
  );
  return { user, projectIds: ids };
}

export const TimesheetMutations: Pick<MutationResolvers<GraphContext>, TeamAction> = {
  activateUser: (_parent, { userId }, ctx) => teamAction(ctx, 'activateUser', userId, (id, call) => ctx.deps.upstreams.timesheet.activateUser(id, call)),
  deactivateUser: (_parent, { userId }, ctx) => teamAction(ctx, 'deactivateUser', userId, (id, call) => ctx.deps.upstreams.timesheet.deactivateUser(id, call)),
  resendInvitation: (_parent, { userId }, ctx) =>
    teamAction(ctx, 'resendInvitation', userId, (id, call) => ctx.deps.upstreams.timesheet.resendInvitation(id, call)),
  giveAccessToProjects: (_parent, { userId, projectIds }, ctx) => projectAccess(ctx, 'giveAccessToProjects', userId, projectIds),
  revokeAccessToProjects: (_parent, { userId, projectIds }, ctx) => projectAccess(ctx, 'revokeAccessToProjects', userId, projectIds),
};
