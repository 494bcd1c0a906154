/**
 * What `deleteUser` does: delete the person's accounts in the upstreams that document a user deletion
 * (identity, timesheet), then the person (with all their links) in the registry.
 *
 * Order, so that a refusal deletes nothing and a failure leaves a state a retry finishes:
 *
 * 1. Timesheet, asked first (a fresh `GET /users/:id`): the time tracker refuses to delete a member with
 *    recorded time (`dependent`; the user object counts entries and expenses, and a member with either
 *    is taken as one it would refuse). Such a member, or a time tracker that cannot answer, stops the
 *    deletion before anything is deleted.
 * 2. Identity `DELETE` (retried: it is idempotent; a retry's "user not found" means the earlier attempt
 *    went through). Identity refusing (409 while the user is subscribed to other platforms: CONFLICT) or
 *    failing stops the deletion, still with nothing deleted.
 * 3. Timesheet `DELETE` (not retried, as the connector says). A 404 means the member is gone already.
 * 4. The person in the registry.
 *
 * Every account deleted is unlinked at once, so a step failing after it leaves the person with exactly
 * the accounts that still exist, and running the mutation again asks only those: it finishes the work
 * and never deletes twice. A failure after identity was deleted (the time tracker failing, or refusing
 * because time was recorded in between) is the one way a person is left with fewer accounts and no
 * deletion; the payload says so (IDENTITY DELETED, TIMESHEET FAILED, no deleted person id).
 *
 * ev.energy, podero and VRM document no user deletion: their accounts stay where they are, unlinked with
 * the person, reported SKIPPED with the account id that still exists there.
 *
 * Runs under the person's lock (users.ts), so a second deletion of the same person waits and then finds
 * no person (NOT_FOUND), or, after a deletion that stopped, starts again from what is still linked.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../../errors';
import type { AccountLink, Person } from '../../registry/types';
import type { GraphContext } from '../context';
import { everyUpstream, outcome, runPart, type FieldPathMap, type Outcome } from './outcomes';

export interface Removal {
  /** The person removed from the registry; `null` when the deletion stopped before that. */
  deletedPersonId: string | null;
  outcomes: Outcome[];
}

/** Identity's answer to a DELETE whose earlier attempt went through. */
function identityGone(err: unknown): boolean {
  return err instanceof GatewayError && err.code === ErrorCode.NOT_FOUND && err.reason === 'user_not_found';
}

function timesheetGone(err: unknown): boolean {
  return err instanceof GatewayError && err.upstream === 'timesheet' && err.code === ErrorCode.NOT_FOUND;
}

/** The refusal of a member with recorded time, in the gateway's words, whether foreseen or answered. */
function dependent(cause?: GatewayError): GatewayError {
  return new GatewayError(
    ErrorCode.BAD_USER_INPUT,
    'timesheet keeps members with recorded time (entries or expenses), so the person was not deleted: deactivate the member (deactivateUser) and remove the link (unlinkAccount) to delete the person without their timesheet account.',
    { upstream: 'timesheet', reason: 'dependent', fieldErrors: [{ path: ['id'], message: 'the timesheet member has recorded time and cannot be deleted' }], status: cause?.status, detail: cause?.detail, cause },
  );
}

function isDependent(err: unknown): err is GatewayError {
  return err instanceof GatewayError && err.upstream === 'timesheet' && err.code === ErrorCode.BAD_USER_INPUT && err.reason === 'dependent';
}

/** The refusal's field path is the mutation's own argument. */
const AT_ID: FieldPathMap = (path) => (path[0] === 'id' ? ['id'] : null);

export async function removePerson(ctx: GraphContext, person: Person): Promise<Removal> {
  const { registry, upstreams } = ctx.deps;
  const { logger } = ctx;
  const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
  const linkOf = (upstream: UpstreamName): AccountLink | undefined => links.find((l) => l.upstream === upstream);
  const untouched = (upstream: UpstreamName): Outcome => outcome(upstream, 'SKIPPED', linkOf(upstream)?.accountId ?? null);
  const done: Outcome[] = [];
  const stop = (failed: Outcome): Removal => ({ deletedPersonId: null, outcomes: everyUpstream([...done, failed], untouched) });

  const unlinked = async (upstream: UpstreamName, accountId: string): Promise<Outcome> => {
    // At once: should a later step fail, a retry does not ask this upstream again.
    await registry.unlink(person.id, upstream);
    if (upstream === 'identity') ctx.loaders.identityUser.clear(accountId);
    else if (upstream === 'timesheet') ctx.loaders.timesheetUser.clear(accountId);
    return outcome(upstream, 'DELETED');
  };

  const timesheet = linkOf('timesheet');
  if (timesheet) {
    // Read afresh, not from this request's loader: whether the member has recorded time decides.
    let gone = false;
    const check = await runPart(
      'timesheet',
      async () => {
        const member = await upstreams.timesheet.getUser(timesheet.accountId, ctx.call);
        if (member === null) gone = true;
        else if (member.entryCount > 0 || member.expenseCount > 0) throw dependent();
        return untouched('timesheet');
      },
      { accountId: timesheet.accountId, logger, fieldPath: AT_ID },
    );
    if (check.status === 'FAILED') return stop(check);
    if (gone) done.push(await unlinked('timesheet', timesheet.accountId));
  }

  const identity = linkOf('identity');
  if (identity) {
    const result = await runPart(
      'identity',
      async () => {
        try {
          await upstreams.identity.deleteUser(identity.accountId, ctx.call);
        } catch (err) {
          if (!identityGone(err)) throw err;
        }
        return unlinked('identity', identity.accountId);
      },
      { accountId: identity.accountId, logger },
    );
    if (result.status === 'FAILED') return stop(result);
    done.push(result);
  }

  if (timesheet && !done.some((o) => o.upstream === 'TIMESHEET')) {
    const result = await runPart(
      'timesheet',
      async () => {
        try {
          await upstreams.timesheet.deleteUser(timesheet.accountId, ctx.call);
        } catch (err) {
          if (isDependent(err)) throw dependent(err);
          if (!timesheetGone(err)) throw err;
        }
        return unlinked('timesheet', timesheet.accountId);
      },
      { accountId: timesheet.accountId, logger, fieldPath: AT_ID },
    );
    if (result.status === 'FAILED') return stop(result);
    done.push(result);
  }

  await registry.deletePerson(person.id);
  return { deletedPersonId: person.id, outcomes: everyUpstream(done, untouched) };
}
