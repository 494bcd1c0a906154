/**
 * VRM-served fields and the VRM query `siteIdByIdentifier`. Sites are read with the gateway's service
 * credential for the person's linked VRM account, and only a linked account is read: a VRM account is
 * linked the first time its owner calls with their own token, and only when VRM's email for it is the
 * person's. Access tokens belong to their owner alone: the policy lets them be read only with the
 * person's own VRM token (`X-Vrm-Authorization`), the token of the person's linked VRM account.
 */
import { assertAllowed, canLinkVrmAccount, canReadUserField, canRunQuery } from '../../auth/policy';
import { ErrorCode, GatewayError } from '../../errors';
import type { AccessTokenResolvers, AddSitePayloadResolvers, QueryResolvers, SiteAttributeResolvers, SiteResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import type { VrmCredential } from '../../upstreams/vrm/types';
import { accountOf, upstreamField } from '../access';
import type { GraphContext } from '../context';
import { toGlobalId } from '../ids';
import type { AccessTokenModel, AddSitePayloadModel, SiteAttributeModel, SiteModel } from '../models';
import { vrmFacts, type UserFieldResolvers } from './askPolicy';

/** VRM's `[I]` limit: installation identifiers are at most 64 characters. */
const MAX_IDENTIFIER = 64;
/** Characters VRM refuses in names and identifiers. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function invalidInput(path: string, message: string): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `Invalid input at ${path}: ${message}`, { fieldErrors: [{ path: [path], message }] });
}

/** An installation identifier (VRM portal id) as VRM accepts it, trimmed. */
export function checkIdentifier(path: string, identifier: string): string {
  const trimmed = identifier.trim();
  if (trimmed === '') throw invalidInput(path, 'expected a VRM portal id (the installation identifier), but got an empty string');
  if (trimmed.length > MAX_IDENTIFIER) throw invalidInput(path, `expected at most ${MAX_IDENTIFIER} characters, but got ${trimmed.length}`);
  if (CONTROL_CHARACTERS.test(trimmed)) throw invalidInput(path, 'expected an identifier without control characters');
  return trimmed;
}

/**
 * The client's VRM token, once the policy required one. Its absence after that would be a bug in the
 * caller, not a refusal, and fails as one.
 */
export function sentVrmToken(ctx: GraphContext): VrmCredential {
  if (!ctx.vrmCredential) throw new Error('a VRM token was required by the policy, but the request carries none');
  return ctx.vrmCredential;
}

/**
 * The person's VRM account id, linking it from the owner's own token when it is not linked yet. A token
 * whose VRM account has another email than the person's is FORBIDDEN (policy: canLinkVrmAccount):
 * nothing is linked and nothing is read with it, so a shared or borrowed token never makes another
 * person's VRM account (and its sites, read with the service credential) the caller's.
 */
export async function vrmAccountOf(ctx: GraphContext, person: Person): Promise<string | null> {
  const linked = await accountOf(ctx, person, 'vrm');
  if (linked !== null || !ctx.vrmCredential) return linked;
  const own = await ctx.viewerPerson();
  if (!canLinkVrmAccount(ctx.viewer, person, { own, vrm: vrmFacts(ctx) }).allowed) return linked;
  const me = await ctx.loaders.vrmMe.load(ctx.vrmCredential);
  assertAllowed(canLinkVrmAccount(ctx.viewer, person, { own, vrm: { ...vrmFacts(ctx), tokenAccountId: me.id, tokenEmail: me.email } }));
  const { accountId, result } = await ctx.deps.linker.linkVrm(person, ctx.vrmCredential, ctx.call, async () => me);
  ctx.loaders.links.clear(person.id);
  if (result.status === 'CONFLICT') {
    throw new GatewayError(ErrorCode.CONFLICT, 'This VRM account is already linked to another person, or this person to another VRM account', { upstream: 'vrm' });
  }
  return accountId;
}

/**
 * The person's VRM access tokens, as VRM lists them to the client's token. The policy (asked by the
 * caller first, with what needs no VRM call) is asked again with both accounts, so only the tokens of the
 * person's own linked VRM account are listed, never those of whatever account the presented token
 * belongs to, labelled as the person's.
 */
export async function personAccessTokens(ctx: GraphContext, person: Person): Promise<AccessTokenModel[]> {
  const credential = sentVrmToken(ctx);
  const personAccountId = await vrmAccountOf(ctx, person);
  const me = await ctx.loaders.vrmMe.load(credential);
  const own = await ctx.viewerPerson();
  assertAllowed(canReadUserField(ctx.viewer, person, 'accessTokens', { own, vrm: { token: true, tokenAccountId: me.id, personAccountId } }));
  const tokens = await ctx.loaders.accessTokens.load(credential);
  return tokens.map((t) => ({ ...t, personId: person.id }));
}

export const UserVrmFields: Pick<UserFieldResolvers, 'accessTokens' | 'sites'> = {
  // The policy (asked by guardUserFields) requires a VRM token and the viewer's own person before this runs.
  async accessTokens(person, _args, ctx) {
    sentVrmToken(ctx);
    return upstreamField(ctx, () => personAccessTokens(ctx, person));
  },
  async sites(person, { extended, siteId }, ctx) {
    return upstreamField(ctx, async () => {
      const accountId = await vrmAccountOf(ctx, person);
      if (accountId === null) return null;
      const sites = await ctx.loaders.sites.load({ accountId, extended: extended ?? false, siteId: siteId ?? null });
      return sites.map((s) => ({ ...s, personId: person.id, vrmAccountId: accountId }));
    });
  },
};

export const VrmQueries: Pick<QueryResolvers<GraphContext>, 'siteIdByIdentifier'> = {
  async siteIdByIdentifier(_parent, { identifier }, ctx) {
    assertAllowed(canRunQuery(ctx.viewer, 'siteIdByIdentifier', { vrm: vrmFacts(ctx) }));
    const credential = sentVrmToken(ctx);
    const wanted = checkIdentifier('identifier', identifier);
    // VRM looks among the installations of the token's own account, which `/users/me` names.
    const me = await ctx.loaders.vrmMe.load(credential);
    return ctx.deps.upstreams.vrm.getSiteId(me.id, wanted, credential, ctx.call);
  },
};

export const AccessToken: AccessTokenResolvers<GraphContext, AccessTokenModel> = {
  id: (t) => toGlobalId('AccessToken', t.personId, t.id),
  tokenId: (t) => t.id,
  name: (t) => t.name,
  createdAt: (t) => t.createdAt,
  scope: (t) => t.scope,
  expiresAt: (t) => t.expiresAt,
};

export const Site: SiteResolvers<GraphContext, SiteModel> = {
  id: (s) => toGlobalId('Site', s.personId, s.id),
  siteId: (s) => Number(s.id),
  name: (s) => s.name,
  identifier: (s) => s.identifier,
  // VRM's `owner` describes the caller; sites are read with the service credential, so ownership is
  // derived from the site's owner id instead.
  owner: (s) => s.ownerId === s.vrmAccountId,
  isAdmin: (s) => s.isAdmin,
  accessLevel: (s) => s.accessLevel,
  timezone: (s) => s.timezone,
  pvMax: (s) => s.pvMax,
  phoneNumber: (s) => s.phoneNumber,
  notes: (s) => s.notes,
  hasMains: (s) => s.hasMains,
  hasGenerator: (s) => s.hasGenerator,
  realtimeUpdates: (s) => s.realtimeUpdates,
  alarmMonitoring: (s) => s.alarmMonitoring,
  shared: (s) => s.shared,
  deviceIcon: (s) => s.deviceIcon,
  createdAt: (s) => s.createdAt,
  lastSeenAt: (s) => s.lastSeenAt,
  extended: (s) => s.extended,
};

export const SiteAttribute: SiteAttributeResolvers<GraphContext, SiteAttributeModel> = {
  code: (a) => a.code,
  description: (a) => a.description,
  formattedValue: (a) => a.formattedValue,
  rawValue: (a) => (a.rawValue === null ? null : String(a.rawValue)),
  textValue: (a) => a.textValue,
};

/** `addSite`'s answer: the site is read with the service credential, as `sites(siteId:)` reads it, only when selected. */
export const AddSitePayload: AddSitePayloadResolvers<GraphContext, AddSitePayloadModel> = {
  siteId: (p) => p.siteId,
  user: (p) => p.person,
  async site(p, _args, ctx) {
    if (!/^\d+$/.test(p.siteId)) return null;
    const sites = await ctx.loaders.sites.load({ accountId: p.vrmAccountId, extended: false, siteId: Number(p.siteId) });
    const site = sites.find((s) => s.id === p.siteId);
    return site ? { ...site, personId: p.person.id, vrmAccountId: p.vrmAccountId } : null;
  },
};
