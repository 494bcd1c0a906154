/**
 * What every upstream-served field needs: the person's account in that upstream (from the registry's
 * links) and the one-error-per-failure rule. Resolvers call these; they never call HTTP.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';
import type { Person } from '../registry/types';
import type { GraphContext } from './context';

/** The person's account id in one upstream, or null when that upstream holds no account of theirs. */
export async function accountOf(ctx: GraphContext, person: Person, upstream: UpstreamName): Promise<string | null> {
  const links = await ctx.loaders.links.load(person.id);
  return links.find((l) => l.upstream === upstream)?.accountId ?? null;
}

/**
 * Codes that say an upstream failed (or the operation may not reach it any more), rather than answering
 * something about the one thing a field asked for: the README's "one error per failing upstream".
 */
const UPSTREAM_FAILURES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.UPSTREAM_AUTH_FAILED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.BUDGET_EXCEEDED,
]);

/**
 * Runs an upstream-served field. A failure nulls the field, with one GraphQL error per failing upstream
 * per operation: the first field that meets an upstream's failure reports it, and every later field
 * failing on that upstream resolves to null without an error of its own, whichever call it made. An
 * answer about one field's own request (NOT_FOUND, BAD_USER_INPUT, CONFLICT) is reported once per error:
 * fields sharing one loader failure share its one error.
 */
export async function upstreamField<T>(ctx: GraphContext, run: () => Promise<T | null>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GatewayError && err.upstream) {
      if (ctx.seenErrors.has(err)) return null;
      ctx.seenErrors.add(err);
      if (UPSTREAM_FAILURES.has(err.code)) {
        if (ctx.failedUpstreams.has(err.upstream)) return null;
        ctx.failedUpstreams.add(err.upstream);
      }
    }
    throw err;
  }
}

/** Loads the upstream record behind a field: null without an account, the loader's value otherwise. */
export async function fromAccount<T>(
  ctx: GraphContext,
  person: Person,
  upstream: UpstreamName,
  load: (accountId: string) => Promise<T | null>,
): Promise<T | null> {
  return upstreamField(ctx, async () => {
    const accountId = await accountOf(ctx, person, upstream);
    return accountId === null ? null : load(accountId);
  });
}
