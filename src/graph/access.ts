/**
 * What every upstream-served field needs: the person's account in that upstream (from the registry's
 * links) and the one-error-per-failure rule. Resolvers call these; they never call HTTP.
 */
import { GatewayError, type UpstreamName } from '../errors';
import type { Person } from '../registry/types';
import type { GraphContext } from './context';

/** The person's account id in one upstream, or null when that upstream holds no account of theirs. */
export async function accountOf(ctx: GraphContext, person: Person, upstream: UpstreamName): Promise<string | null> {
  const links = await ctx.loaders.links.load(person.id);
  return links.find((l) => l.upstream === upstream)?.accountId ?? null;
}

/**
 * Runs an upstream-served field. A failure nulls the field; the first field that meets a given failure
 * reports it, and every other field failing for the same cause (the same loader promise) resolves to null
 * without a second error: one GraphQL error per upstream failure.
 */
export async function upstreamField<T>(ctx: GraphContext, run: () => Promise<T | null>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GatewayError && err.upstream) {
      if (ctx.seenErrors.has(err)) return null;
      ctx.seenErrors.add(err);
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
