/**
 * A person's names as their linked accounts hold them, for `provisionUser`, whose input has none: new
 * identity users need both names, and timesheet and podero accounts should get them too. Identity is
 * asked first (names are its own field), then timesheet, then podero; ev.energy holds no names.
 */
import type { UpstreamName } from '../../errors';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';
import type { PersonNames } from './provision';

type Named = { firstName: string | null; lastName: string | null } | null;

/**
 * The first linked account's names that has both; `null` when none has. When no account answered with
 * names and one of them failed, that failure is thrown: a missing name must not hide an outage.
 */
export async function namesFromAccounts(ctx: GraphContext, person: Person): Promise<PersonNames | null> {
  const links = (await ctx.deps.registry.linksFor([person.id])).get(person.id) ?? [];
  const accountIn = (upstream: UpstreamName): string | undefined => links.find((l) => l.upstream === upstream)?.accountId;
  const sources: [UpstreamName, (id: string) => Promise<Named>][] = [
    ['identity', (id) => ctx.loaders.identityUser.load(id)],
    ['timesheet', (id) => ctx.loaders.timesheetUser.load(id)],
    ['podero', (id) => ctx.loaders.poderoUser.load(id)],
  ];
  let failure: unknown;
  for (const [upstream, load] of sources) {
    const accountId = accountIn(upstream);
    if (accountId === undefined) continue;
    try {
      const account = await load(accountId);
      const firstName = account?.firstName?.trim();
      const lastName = account?.lastName?.trim();
      if (firstName && lastName) return { firstName, lastName };
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
  return null;
}
