/**
 * VRM-served fields. Sites are read with the gateway's service credential for the person's linked VRM
 * account. Access tokens belong to their owner alone: they are read only with the person's own VRM token
 * (`X-Vrm-Authorization`), and only for the viewer's own person. A VRM account is linked the first time
 * its owner calls with that token.
 */
import { ErrorCode, GatewayError } from '../../errors';
import type { AccessTokenResolvers, AddSitePayloadResolvers, SiteAttributeResolvers, SiteResolvers, UserResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import { accountOf, upstreamField } from '../access';
import type { GraphContext } from '../context';
import { toGlobalId } from '../ids';
import type { AccessTokenModel, AddSitePayloadModel, SiteAttributeModel, SiteModel } from '../models';

/** True when the request carries a VRM token and the person is the viewer's own. */
async function ownVrmToken(ctx: GraphContext, person: Person): Promise<boolean> {
  if (!ctx.vrmCredential) return false;
  const own = await ctx.viewerPerson();
  return own?.id === person.id;
}

/** The person's VRM account id, linking it from the owner's own token when it is not linked yet. */
export async function vrmAccountOf(ctx: GraphContext, person: Person): Promise<string | null> {
  const linked = await accountOf(ctx, person, 'vrm');
  if (linked !== null || !(await ownVrmToken(ctx, person))) return linked;
  const { accountId, result } = await ctx.deps.linker.linkVrm(person, ctx.vrmCredential!, ctx.call, (c) => ctx.loaders.vrmMe.load(c));
  ctx.loaders.links.clear(person.id);
  if (result.status === 'CONFLICT') {
    throw new GatewayError(ErrorCode.CONFLICT, 'This VRM account is already linked to another person, or this person to another VRM account', { upstream: 'vrm' });
  }
  return accountId;
}

export const UserVrmFields: Pick<UserResolvers<GraphContext>, 'accessTokens' | 'sites'> = {
  async accessTokens(person, _args, ctx) {
    if (!(await ownVrmToken(ctx, person))) {
      throw new GatewayError(
        ErrorCode.FORBIDDEN,
        'accessTokens needs the person\'s own VRM token: send X-Vrm-Authorization: Token <access token> when reading your own user',
        { upstream: 'vrm' },
      );
    }
    return upstreamField(ctx, async () => {
      await vrmAccountOf(ctx, person);
      const tokens = await ctx.loaders.accessTokens.load(ctx.vrmCredential!);
      return tokens.map((t) => ({ ...t, personId: person.id }));
    });
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
