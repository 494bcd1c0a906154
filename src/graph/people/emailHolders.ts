/**
 * Who else holds an email a person is about to take (DESIGN.md "Auth": an email belongs to whoever
 * proves it). Asked by `updateUser` before any upstream write: once the registry holds an email on a
 * person, discovery and `usergraph sync` link every upstream account with that email to them, so an
 * email that is anyone else's must never get there.
 *
 * An email is taken when the registry holds another person with it (case-insensitively), or when any
 * upstream with a lookup (src/registry/lookup.ts: identity, ev.energy, podero, timesheet) holds an
 * account with it that is not this person's own linked account there. Several accounts with it in one
 * upstream count as taken (at most one could be theirs). An upstream that cannot be asked refuses the
 * change with its own error: "nobody has it" would be a guess, and a wrong guess hands over accounts.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../../errors';
import { findAccountsByEmail, LOOKUP_UPSTREAMS, type EmailMatch } from '../../registry/lookup';
import type { AccountLink, Person } from '../../registry/types';
import type { GraphContext } from '../context';

/** CONFLICT naming the input field; `where` says who holds the email, without naming them. */
export function emailTaken(where: string): GatewayError {
  return new GatewayError(ErrorCode.CONFLICT, `This email is already ${where}; nothing was changed`, {
    fieldErrors: [{ path: ['input', 'email'], message: `already ${where}` }],
  });
}

function upstreamError(upstream: UpstreamName, error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `Could not ask ${upstream} who holds this email; nothing was changed`, { upstream, cause: error });
}

/**
 * Throws CONFLICT (path `['input','email']`) when `email` is another person's in the registry or belongs
 * to an upstream account that is not one of `links`; the upstream's error when one cannot be asked.
 * Costs one registry read and one lookup per upstream (podero's is its user list).
 */
export async function assertEmailFree(ctx: GraphContext, person: Person, links: readonly AccountLink[], email: string): Promise<void> {
  const [holder] = await ctx.deps.registry.getPeopleByEmail([email]);
  if (holder && holder.id !== person.id) throw emailTaken('held by another person');

  const answers = await Promise.all(
    LOOKUP_UPSTREAMS.map(async (upstream) => {
      const [match] = await findAccountsByEmail(ctx.deps.upstreams, upstream, [email], { call: ctx.call });
      return { upstream, match: match as EmailMatch<{ id: string }> };
    }),
  );
  // Conflicts first: an upstream that could not be asked does not hide one that answered "someone else".
  for (const { upstream, match } of answers) {
    const own = links.find((l) => l.upstream === upstream)?.accountId;
    if (match.kind === 'ONE' && match.account.id !== own) throw emailTaken(`held by another ${upstream} account`);
    if (match.kind === 'SEVERAL') throw emailTaken(`held by several ${upstream} accounts`);
  }
  for (const { upstream, match } of answers) {
    if (match.kind === 'FAILED') throw upstreamError(upstream, match.error);
  }
}
