/**
 * What `deleteUser` does: the person's identity user is deleted first, then the person (with all their
 * links) in the registry. Identity refusing (409 while the user is subscribed to other platforms, which
 * becomes CONFLICT) or failing stops everything: nothing else is deleted and the person stays, so the
 * deletion can be retried. A retried DELETE that identity answers with its own "user not found" means
 * the earlier attempt went through (its answer was lost), so it counts as deleted.
 *
 * The other upstreams have no user deletion the gateway uses (ev.energy and podero offer none; timesheet
 * keeps members with recorded time): their accounts stay where they are, unlinked, reported SKIPPED with
 * the account id that still exists there.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../../errors';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';
import { everyUpstream, outcome, runPart, type Outcome } from './outcomes';

export interface Removal {
  /** The person removed from the registry; `null` when the deletion stopped before that. */
  deletedPersonId: string | null;
  outcomes: Outcome[];
}

function alreadyGone(err: unknown): boolean {
  return err instanceof GatewayError && err.code === ErrorCode.NOT_FOUND && err.reason === 'user_not_found';
}

export async function removePerson(ctx: GraphContext, person: Person): Promise<Removal> {
  const { registry, upstreams } = ctx.deps;
  const { logger } = ctx;
  const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
  const untouched = (upstream: UpstreamName): Outcome => outcome(upstream, 'SKIPPED', links.find((l) => l.upstream === upstream)?.accountId ?? null);

  const identity = links.find((l) => l.upstream === 'identity');
  const done: Outcome[] = [];
  if (identity) {
    const result = await runPart(
      'identity',
      async () => {
        try {
          await upstreams.identity.deleteUser(identity.accountId, ctx.call);
        } catch (err) {
          if (!alreadyGone(err)) throw err;
        }
        // Unlinked at once: should the registry step fail, a retry does not ask identity again.
        await registry.unlink(person.id, 'identity');
        ctx.loaders.identityUser.clear(identity.accountId);
        return outcome('identity', 'DELETED');
      },
      { accountId: identity.accountId, logger },
    );
    if (result.status === 'FAILED') return { deletedPersonId: null, outcomes: everyUpstream([result], untouched) };
    done.push(result);
  }
  await registry.deletePerson(person.id);
  return { deletedPersonId: person.id, outcomes: everyUpstream(done, untouched) };
}
