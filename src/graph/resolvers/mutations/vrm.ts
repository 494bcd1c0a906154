/**
 * VRM mutations (access tokens, adding a site; the query `siteIdByIdentifier` is in ../vrm.ts). VRM access
 * tokens and a VRM account's sites belong to their owner alone, so all of these act with the client's own
 * VRM token (`X-Vrm-Authorization`), never the gateway's service token, and for the viewer's own person.
 *
 * Contract of every mutation here, in order: the policy's checks that need no upstream (signed in, a VRM
 * token sent), the input checks the contract states (with the field path), then the token's VRM account
 * (`/users/me`, which also links it to the viewer's person on first use) and the policy's ownership check
 * (the token is the person's own VRM account), then the one write. No write is retried: create and
 * addsite are POSTs, and revoke is a GET that writes (a retry would report 0 or 404 for what was removed).
 */
import { assertAllowed, canMutate, type MutationName } from '../../../auth/policy';
import { ErrorCode, GatewayError } from '../../../errors';
import type { MutationResolvers } from '../../../generated/graphql';
import type { Person } from '../../../registry/types';
import type { VrmAccessToken, VrmCredential } from '../../../upstreams/vrm/types';
import { accountOf } from '../../access';
import type { GraphContext } from '../../context';
import { vrmFacts } from '../askPolicy';
import { checkIdentifier, CONTROL_CHARACTERS, invalidInput, sentVrmToken, vrmAccountOf } from '../vrm';

/** VRM's `[I]` limits: names trimmed, 1–255 characters. */
const MAX_TOKEN_NAME = 255;
/** The latest expiry VRM accepts: 9999-12-31T23:59:59Z, in unix seconds. */
const MAX_EXPIRY_SECONDS = 253402300799;
const TOKEN_ID = /^\d{1,15}$/;
/** The scope VRM gives a token made by `accesstokens/create`, which takes no scope (seeds/001, [I]). */
const CREATED_TOKEN_SCOPE = 'all';

interface VrmActor {
  person: Person;
  /** The VRM account of the person, which is also the one the credential belongs to. */
  accountId: string;
}

/**
 * The policy's checks that need no upstream call: a signed-in viewer who sent a VRM token. Returns that
 * token.
 */
function vrmTokenSent(ctx: GraphContext, mutation: MutationName): VrmCredential {
  assertAllowed(canMutate(ctx.viewer, mutation, { vrm: vrmFacts(ctx) }));
  return sentVrmToken(ctx);
}

/**
 * The viewer's person and VRM account, after the policy's ownership check (the token is the person's own
 * VRM account). An unlinked person gets the token's account linked now (holding the token proves
 * ownership, see `vrmAccountOf`); for a linked one the token's account is read from `/users/me` to
 * compare. Either way one `/users/me` call, and none for a viewer without a person of their own.
 */
async function vrmActor(ctx: GraphContext, mutation: MutationName, credential: VrmCredential): Promise<VrmActor> {
  const person = await ctx.viewerPerson();
  if (person === null) {
    assertAllowed(canMutate(ctx.viewer, mutation, { target: null, vrm: vrmFacts(ctx) }));
    throw new Error(`the policy allowed ${mutation} without a person to act on`);
  }
  const linked = await accountOf(ctx, person, 'vrm');
  const personAccountId = linked ?? (await vrmAccountOf(ctx, person));
  const tokenAccountId = linked === null ? personAccountId : (await ctx.loaders.vrmMe.load(credential)).id;
  const vrm = { token: true, tokenAccountId: tokenAccountId ?? undefined, personAccountId };
  assertAllowed(canMutate(ctx.viewer, mutation, { target: { person }, own: person, vrm }));
  if (personAccountId === null) throw new Error(`the policy allowed ${mutation} for a person without a VRM account`);
  return { person, accountId: personAccountId };
}

/**
 * VRM's refusals of `addsite` with the argument they are about: an unknown identifier (404) and one that
 * is already linked or registered to someone (409, reason `site_already_linked` / `site_already_registered`).
 */
function addSiteRefusal(err: unknown, identifier: string): unknown {
  if (!(err instanceof GatewayError) || err.upstream !== 'vrm') return err;
  const path = ['installationIdentifier'];
  if (err.code === ErrorCode.NOT_FOUND) {
    return new GatewayError(ErrorCode.NOT_FOUND, `VRM knows no installation with the identifier ${JSON.stringify(identifier)}`, {
      upstream: 'vrm',
      reason: err.reason,
      fieldErrors: [{ path, message: 'no such installation' }],
      cause: err,
    });
  }
  if (err.code === ErrorCode.CONFLICT && !err.fieldErrors?.length) {
    return new GatewayError(ErrorCode.CONFLICT, err.message, { upstream: 'vrm', reason: err.reason, fieldErrors: [{ path, message: err.message }], cause: err });
  }
  return err;
}

/** VRM trims names; the trimmed name is sent, so the answer's name is the one VRM stores. */
function checkTokenName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw invalidInput('name', 'expected a token name, but got an empty string');
  if (trimmed.length > MAX_TOKEN_NAME) throw invalidInput('name', `expected at most ${MAX_TOKEN_NAME} characters, but got ${trimmed.length}`);
  if (CONTROL_CHARACTERS.test(trimmed)) throw invalidInput('name', 'expected a name without control characters');
  return trimmed;
}

/** `null` and omitted both mean "never expires" for a token being created: there is nothing to clear. */
function checkExpiry(expiresAt: Date | null | undefined, now: number): Date | undefined {
  if (expiresAt === undefined || expiresAt === null) return undefined;
  const ms = expiresAt.getTime();
  if (ms <= now) throw invalidInput('expiresAt', `expected an instant in the future, but got ${expiresAt.toISOString()}, which has passed`);
  if (Math.floor(ms / 1000) > MAX_EXPIRY_SECONDS) throw invalidInput('expiresAt', 'expected an instant no later than 9999-12-31T23:59:59Z');
  return expiresAt;
}

export const VrmMutations: Pick<MutationResolvers<GraphContext>, 'createAccessToken' | 'revokeAccessToken' | 'revokeAllAccessTokens' | 'addSite'> = {
  async createAccessToken(_parent, { name, expiresAt }, ctx) {
    const credential = vrmTokenSent(ctx, 'createAccessToken');
    const tokenName = checkTokenName(name);
    const expiry = checkExpiry(expiresAt, Date.now());
    const actor = await vrmActor(ctx, 'createAccessToken', credential);
    const vrm = ctx.deps.upstreams.vrm;
    const requestedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const created = await vrm.createAccessToken(actor.accountId, { name: tokenName, expiresAt: expiry }, credential, ctx.call);
    ctx.loaders.accessTokens.clear(credential);

    // VRM's create answer has only the secret and the id. createdAt and scope are read from VRM's own
    // token list (one GET, retried like every read). If that read fails anyway, the secret must still
    // reach the client, as it can never be read again: the time the create was sent stands in for
    // createdAt, and the scope is VRM's scope for tokens made here (create takes no scope; `all`).
    let listed: VrmAccessToken | undefined;
    try {
      listed = (await ctx.loaders.accessTokens.load(credential)).find((t) => t.id === created.id);
    } catch {
      ctx.loaders.accessTokens.clear(credential);
    }
    return {
      token: created.token,
      user: actor.person,
      accessToken: {
        id: created.id,
        name: listed?.name ?? created.name,
        createdAt: listed?.createdAt ?? requestedAt,
        scope: listed?.scope ?? CREATED_TOKEN_SCOPE,
        expiresAt: listed ? listed.expiresAt : created.expiresAt,
        personId: actor.person.id,
      },
    };
  },

  async revokeAccessToken(_parent, { id }, ctx) {
    const credential = vrmTokenSent(ctx, 'revokeAccessToken');
    if (!TOKEN_ID.test(id)) {
      throw invalidInput('id', `expected a tokenId (a decimal integer, as accessTokens lists it), but got ${JSON.stringify(id.slice(0, 40))}`);
    }
    const actor = await vrmActor(ctx, 'revokeAccessToken', credential);
    let revokedCount: number;
    try {
      revokedCount = await ctx.deps.upstreams.vrm.revokeAccessToken(actor.accountId, id, credential, ctx.call);
    } catch (err) {
      if (err instanceof GatewayError && err.code === ErrorCode.NOT_FOUND && err.upstream === 'vrm') {
        throw new GatewayError(ErrorCode.NOT_FOUND, `None of your VRM access tokens has the tokenId ${id}`, {
          upstream: 'vrm',
          fieldErrors: [{ path: ['id'], message: 'no such access token among yours' }],
          cause: err,
        });
      }
      throw err;
    }
    ctx.loaders.accessTokens.clear(credential);
    return { revokedCount, user: actor.person };
  },

  async revokeAllAccessTokens(_parent, _args, ctx) {
    const credential = vrmTokenSent(ctx, 'revokeAllAccessTokens');
    const actor = await vrmActor(ctx, 'revokeAllAccessTokens', credential);
    // `*` removes every token of the caller, the one in X-Vrm-Authorization included (VRM documents it).
    const revokedCount = await ctx.deps.upstreams.vrm.revokeAccessToken(actor.accountId, '*', credential, ctx.call);
    // None is left, and the header's token can no longer list them: the payload's user.accessTokens is [].
    ctx.loaders.accessTokens.clear(credential).prime(credential, []);
    return { revokedCount, user: actor.person };
  },

  async addSite(_parent, { installationIdentifier }, ctx) {
    const credential = vrmTokenSent(ctx, 'addSite');
    const identifier = checkIdentifier('installationIdentifier', installationIdentifier);
    const actor = await vrmActor(ctx, 'addSite', credential);
    let siteId: string;
    try {
      siteId = await ctx.deps.upstreams.vrm.addSite(actor.accountId, identifier, credential, ctx.call);
    } catch (err) {
      throw addSiteRefusal(err, identifier);
    }
    // Every cached site list of this request may now lack the new site.
    ctx.loaders.sites.clearAll();
    return { siteId, person: actor.person, vrmAccountId: actor.accountId };
  },
};
