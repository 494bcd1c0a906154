/**
 * The upstream writes of `updateUser`: each change goes to every upstream of the person that holds that
 * field, with only the fields sent (DESIGN.md "Mutations": PATCH bodies carry only the provided keys).
 *
 * | change    | identity        | ev.energy     | podero          | timesheet        |
 * |-----------|-----------------|---------------|-----------------|------------------|
 * | names     | PATCH /users/:i | —             | PUT (partial)   | PATCH /users/:id |
 * | email     | — (cannot)      | PATCH email   | PUT email       | PATCH email      |
 * | address   | —               | —             | PUT (partial)   | —                |
 *
 * The changes arrive checked (userInput.ts): identity is never asked to change an email, and `null`
 * appears only for the address, which podero can clear. The writes run side by side; each upstream's
 * outcome is UPDATED, FAILED, UNCHANGED (an account, but nothing of it to change) or SKIPPED (no account).
 * The records the writes answer are primed into the request's loaders, so the payload's `user` shows them
 * without another call.
 */
import type { UpstreamName } from '../../errors';
import type { AccountLink } from '../../registry/types';
import type { PoderoAddressPatch, PoderoUserPatch } from '../../upstreams/podero/types';
import type { UpdateTimesheetUserInput } from '../../upstreams/timesheet/types';
import type { GraphContext } from '../context';
import { outcome, runPart, type FieldPathMap, type Outcome } from './outcomes';

/** Checked changes: `undefined` = not sent; `address: null` clears every address field. */
export interface PersonChanges {
  firstName?: string;
  lastName?: string;
  email?: string;
  address?: PoderoAddressPatch | null;
}

/** Maps the connectors' field names onto `updateUser`'s input. */
export const UPDATE_FIELD_PATHS: FieldPathMap = (path) => {
  const [first, ...rest] = path;
  if (first === 'firstName' || first === 'lastName' || first === 'email') return ['input', first];
  if (first === 'address') return ['input', 'address', ...rest];
  return null;
};

export async function updatePersonEverywhere(ctx: GraphContext, links: readonly AccountLink[], changes: PersonChanges): Promise<Outcome[]> {
  const { upstreams } = ctx.deps;
  const { logger } = ctx;
  const { call } = ctx;
  // Only the keys sent become keys: "not sent" must never reach an upstream as a key.
  const names: { firstName?: string; lastName?: string } = {};
  if (changes.firstName !== undefined) names.firstName = changes.firstName;
  if (changes.lastName !== undefined) names.lastName = changes.lastName;
  const withEmail = changes.email !== undefined ? { email: changes.email } : {};

  /** One upstream's write: SKIPPED without an account, UNCHANGED with nothing to send, else the write. */
  const part = (upstream: UpstreamName, hasChanges: boolean, write: (accountId: string) => Promise<void>): Promise<Outcome> => {
    const accountId = links.find((l) => l.upstream === upstream)?.accountId;
    if (accountId === undefined) return Promise.resolve(outcome(upstream, 'SKIPPED'));
    if (!hasChanges) return Promise.resolve(outcome(upstream, 'UNCHANGED', accountId));
    return runPart(
      upstream,
      async () => {
        await write(accountId);
        return outcome(upstream, 'UPDATED', accountId);
      },
      { accountId, fieldPath: UPDATE_FIELD_PATHS, logger },
    );
  };

  const poderoPatch: PoderoUserPatch = { ...names, ...withEmail, ...(changes.address !== undefined ? { address: changes.address } : {}) };
  const timesheetPatch: UpdateTimesheetUserInput = { ...names, ...withEmail };

  return Promise.all([
    part('identity', Object.keys(names).length > 0, async (id) => {
      ctx.loaders.identityUser.clear(id);
      const user = await upstreams.identity.updateUser(id, names, call);
      ctx.loaders.identityUser.prime(id, user);
    }),
    part('evenergy', changes.email !== undefined, async (id) => {
      // ev.energy's unique email is case-sensitive: sent lower-cased, as accounts are created there.
      await upstreams.evenergy.updateUser(id, { email: changes.email!.toLowerCase() }, call);
    }),
    // VRM holds none of these fields (and has no endpoint to change its user): never asked.
    part('vrm', false, async () => undefined),
    part('podero', Object.keys(poderoPatch).length > 0, async (id) => {
      ctx.loaders.poderoUser.clear(id);
      const user = await upstreams.podero.updateUser(id, poderoPatch, call);
      ctx.loaders.poderoUser.prime(id, user);
    }),
    part('timesheet', Object.keys(timesheetPatch).length > 0, async (id) => {
      ctx.loaders.timesheetUser.clear(id);
      const user = await upstreams.timesheet.updateUser(id, timesheetPatch, call);
      ctx.loaders.timesheetUser.prime(id, user);
    }),
  ]);
}
