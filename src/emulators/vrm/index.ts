/**
 * The Victron VRM API v2 emulator: the seven Users endpoints of seeds/001 under `/v2`, with VRM's
 * `X-Authorization` check, `{ success, … }` envelopes and `{ success: false, errors, error_code }`
 * failures. Rules it enforces (issue 2; README.md lists the inferred ones):
 * - an access token's secret is returned once, at create, and never listed;
 * - the token list shows only the requesting user's tokens, whatever `idUser` says;
 * - creating and revoking act on the caller's own tokens only; `*` revokes them all and says how many;
 * - users see their own (and shared) installations, admins everyone's;
 * - `addsite` links an unclaimed installation by identifier; `get-site-id` finds a site among the
 *   caller's installations (admins: any installation).
 */
import { randomBytes } from 'node:crypto';
import { BASE_PATHS, DEV_TOKENS } from '../../contracts/dev-defaults';
import { asRecord, createEmulator, type AuthResult, type Emulator, type EmulatorResponse, type RequestContext, type Route } from '../kit';
import type { Population } from '../population';
import type {
  WireCreateAccessTokenResponse,
  WireInstallationsResponse,
  WireListAccessTokensResponse,
  WireMeResponse,
  WireRevokeAccessTokenResponse,
  WireSiteIdResponse,
} from '../../contracts/vrm';
import { validationError, vrmError, vrmErrors } from './errors';
import { vrmOpenApi } from './openapi';
import { relationOf, renderInstallation, renderToken } from './render';
import { buildVrmData, type VrmData, type VrmTokenRecord, type VrmUserRecord } from './seed';

export interface VrmEmulatorOptions {
  population: Population;
  /** The service credential, owned by the emulator's admin user. Default `DEV_TOKENS.vrm`. */
  token?: string;
  /** The clock (ms since the epoch) for token expiry, `createdOn` and sites' local time. Default `Date.now`. */
  now?: () => number;
}

interface Caller {
  user: VrmUserRecord;
  token: VrmTokenRecord;
}

type Ctx = RequestContext<Caller>;
type Result<T> = { ok: true; value: T } | { ok: false; response: EmulatorResponse };

const MAX_TOKEN_NAME = 255;
const MAX_IDENTIFIER = 64;
/** 9999-12-31T23:59:59Z: the largest expiry accepted. */
const MAX_EXPIRY = 253_402_300_799;

function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function ok<T>(body: T): EmulatorResponse {
  return { status: 200, body };
}

export function createVrmEmulator(options: VrmEmulatorOptions): Emulator {
  const adminToken = options.token ?? DEV_TOKENS.vrm;
  const clock = options.now ?? Date.now;
  let data: VrmData = buildVrmData(options.population, adminToken);

  const authenticate = (headers: NodeJS.Dict<string | string[]>): AuthResult<Caller> => {
    const header = headers['x-authorization'];
    const value = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!value) return { ok: false, response: vrmErrors.unauthorized('missing') };
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(value);
    const id = match ? data.bySecret.get(match[1]!) : undefined;
    const token = id === undefined ? undefined : data.tokens.get(id);
    const user = token ? data.users.get(token.idUser) : undefined;
    if (!token || !user) return { ok: false, response: vrmErrors.unauthorized('invalid') };
    if (token.expires !== null && token.expires * 1000 <= clock()) {
      return { ok: false, response: vrmError(401, 'Authentication token has expired', 'invalid_token') };
    }
    return { ok: true, caller: { user, token } };
  };

  /** The `idUser` path parameter: a decimal user id or the alias `me`. */
  const targetUser = (ctx: Ctx): Result<number> => {
    const raw = ctx.params.idUser ?? '';
    if (raw === 'me') return { ok: true, value: ctx.auth.user.idUser };
    if (!/^\d{1,15}$/.test(raw)) {
      return { ok: false, response: validationError({ idUser: `idUser must be an integer user id or "me", but got: ${shown(raw)}` }) };
    }
    return { ok: true, value: Number(raw) };
  };

  /** Users act for themselves; admins may act for any existing user. */
  const userOrAdmin = (ctx: Ctx, what: string): Result<number> => {
    const target = targetUser(ctx);
    if (!target.ok) return target;
    if (target.value === ctx.auth.user.idUser) return target;
    if (!ctx.auth.user.admin) return { ok: false, response: vrmError(403, `Not allowed to ${what} of user ${target.value}`) };
    if (!data.users.has(target.value)) return { ok: false, response: vrmError(404, `User ${target.value} not found`) };
    return target;
  };

  /** Access tokens belong to their owner alone: not even an admin manages another user's. */
  const selfOnly = (ctx: Ctx): Result<number> => {
    const target = targetUser(ctx);
    if (!target.ok || target.value === ctx.auth.user.idUser) return target;
    return { ok: false, response: vrmError(403, `Access tokens can only be managed by their own user; you are user ${ctx.auth.user.idUser}, not ${target.value}`) };
  };

  const readIdentifier = (body: unknown): Result<string> => {
    const value = asRecord(body).installation_identifier;
    const fail = (message: string): Result<string> => ({ ok: false, response: validationError({ installation_identifier: message }) });
    if (value === undefined || value === null) return fail('installation_identifier is required');
    if (typeof value !== 'string') return fail(`installation_identifier must be a string, but got: ${shown(value)}`);
    const trimmed = value.trim();
    if (!trimmed) return fail('installation_identifier must not be empty');
    if (trimmed.length > MAX_IDENTIFIER) return fail(`installation_identifier must be at most ${MAX_IDENTIFIER} characters, but got ${trimmed.length}`);
    return { ok: true, value: trimmed.toLowerCase() };
  };

  /** A new token's name, or why it cannot be used. */
  const readTokenName = (value: unknown, idUser: number): { name: string } | { problem: string } => {
    if (value === undefined || value === null) return { problem: 'name is required' };
    if (typeof value !== 'string') return { problem: `name must be a string, but got: ${shown(value)}` };
    const name = value.trim();
    if (!name) return { problem: 'name must not be empty' };
    if (name.length > MAX_TOKEN_NAME) return { problem: `name must be at most ${MAX_TOKEN_NAME} characters, but got ${name.length}` };
    if (tokensOf(idUser).some((t) => t.name === name)) return { problem: `an access token named ${shown(name)} already exists for this user` };
    return { name };
  };

  /** A new token's expiry in unix seconds (null: never), or why it cannot be used. */
  const readExpiry = (value: unknown, now: number): { expires: number | null } | { problem: string } => {
    // The spec types expiry as an integer and leaves it optional: omit it for a token that never expires.
    if (value === undefined) return { expires: null };
    if (typeof value !== 'number' || !Number.isInteger(value)) return { problem: `expiry must be an integer unix timestamp, but got: ${shown(value)}` };
    if (value <= now) return { problem: `expiry must be in the future (after ${now}), but got: ${value}` };
    if (value > MAX_EXPIRY) return { problem: `expiry must be at most ${MAX_EXPIRY}, but got: ${value}` };
    return { expires: value };
  };

  const tokensOf = (idUser: number): VrmTokenRecord[] =>
    [...data.tokens.values()].filter((t) => t.idUser === idUser).sort((a, b) => a.idAccessToken - b.idAccessToken);

  const removeToken = (token: VrmTokenRecord): void => {
    data.tokens.delete(token.idAccessToken);
    data.bySecret.delete(token.secret);
  };

  const routes: Route<Caller>[] = [
    {
      method: 'GET',
      path: '/users/me',
      handler: (ctx) => {
        const { idUser, name, email, country } = ctx.auth.user;
        return ok<WireMeResponse>({ success: true, user: { id: idUser, name, email, country } });
      },
    },
    {
      method: 'POST',
      path: '/users/:idUser/accesstokens/create',
      handler: (ctx) => {
        const target = selfOnly(ctx);
        if (!target.ok) return target.response;
        const body = asRecord(ctx.body);
        const now = Math.floor(clock() / 1000);
        const name = readTokenName(body.name, target.value);
        const expiry = readExpiry(body.expiry, now);
        if ('problem' in name || 'problem' in expiry) {
          return validationError({
            ...('problem' in name ? { name: name.problem } : {}),
            ...('problem' in expiry ? { expiry: expiry.problem } : {}),
          });
        }
        let secret = randomBytes(32).toString('hex');
        while (data.bySecret.has(secret)) secret = randomBytes(32).toString('hex');
        const token: VrmTokenRecord = {
          idAccessToken: data.nextTokenId++,
          idUser: target.value,
          name: name.name,
          secret,
          createdOn: now,
          expires: expiry.expires,
          scope: 'all',
        };
        data.tokens.set(token.idAccessToken, token);
        data.bySecret.set(secret, token.idAccessToken);
        return ok<WireCreateAccessTokenResponse>({ success: true, token: secret, idAccessToken: String(token.idAccessToken) });
      },
    },
    {
      method: 'GET',
      path: '/users/:idUser/accesstokens/list',
      // Documented: always the requesting user's tokens, never another's, whatever idUser says.
      handler: (ctx) => ok<WireListAccessTokensResponse>({ success: true, tokens: tokensOf(ctx.auth.user.idUser).map(renderToken) }),
    },
    {
      method: 'GET',
      path: '/users/:idUser/accesstokens/:idAccessToken/revoke',
      handler: (ctx) => {
        const target = selfOnly(ctx);
        if (!target.ok) return target.response;
        const which = ctx.params.idAccessToken ?? '';
        const mine = tokensOf(target.value);
        const removing = which === '*' ? mine : mine.filter((t) => /^\d{1,15}$/.test(which) && t.idAccessToken === Number(which));
        if (which !== '*' && removing.length === 0) return vrmError(404, `Access token ${shown(which)} not found among your access tokens`);
        removing.forEach(removeToken);
        return ok<WireRevokeAccessTokenResponse>({ success: true, data: { removed: removing.length } });
      },
    },
    {
      method: 'POST',
      path: '/users/:idUser/addsite',
      handler: (ctx) => {
        const target = userOrAdmin(ctx, 'add sites to the account');
        if (!target.ok) return target.response;
        const identifier = readIdentifier(ctx.body);
        if (!identifier.ok) return identifier.response;
        const idSite = data.byIdentifier.get(identifier.value);
        const site = idSite === undefined ? undefined : data.sites.get(idSite);
        if (!site) return vrmError(404, `No installation found with identifier ${shown(identifier.value)}`);
        if (site.ownerId === target.value || site.shares.has(target.value)) {
          return vrmError(409, `Installation ${shown(identifier.value)} is already linked to user ${target.value}`, 'site_already_linked');
        }
        if (site.ownerId !== null) {
          return vrmError(409, `Installation ${shown(identifier.value)} is registered to another user, who must share it`, 'site_already_registered');
        }
        site.ownerId = target.value;
        return ok<WireSiteIdResponse>({ success: true, records: { site_id: String(site.idSite) } });
      },
    },
    {
      method: 'POST',
      path: '/users/:idUser/get-site-id',
      handler: (ctx) => {
        const target = userOrAdmin(ctx, 'look up the installations');
        if (!target.ok) return target.response;
        const identifier = readIdentifier(ctx.body);
        if (!identifier.ok) return identifier.response;
        const idSite = data.byIdentifier.get(identifier.value);
        const site = idSite === undefined ? undefined : data.sites.get(idSite);
        // Admins can retrieve any installation; users only those they can see (a user's target is themselves).
        if (!site || (!ctx.auth.user.admin && relationOf(site, ctx.auth.user) === undefined)) return vrmError(404, `No installation with identifier ${shown(identifier.value)} among the user's installations`);
        return ok<WireSiteIdResponse>({ success: true, records: { site_id: String(site.idSite) } });
      },
    },
    {
      method: 'GET',
      path: '/users/:idUser/installations',
      handler: (ctx) => {
        const target = userOrAdmin(ctx, 'view the installations');
        if (!target.ok) return target.response;
        const problems: Record<string, string> = {};
        const extendedRaw = ctx.query.get('extended');
        const idSiteRaw = ctx.query.get('idSite');
        if (extendedRaw !== null && !/^-?\d{1,15}$/.test(extendedRaw)) problems.extended = `extended must be an integer (1 to include all optional values), but got: ${shown(extendedRaw)}`;
        if (idSiteRaw !== null && !/^\d{1,15}$/.test(idSiteRaw)) problems.idSite = `idSite must be an integer site id, but got: ${shown(idSiteRaw)}`;
        if (Object.keys(problems).length > 0) return validationError(problems);
        const extended = extendedRaw !== null && Number(extendedRaw) === 1;
        const only = idSiteRaw === null ? undefined : Number(idSiteRaw);
        const now = new Date(clock());
        const records = [...data.sites.values()]
          .filter((s) => (s.ownerId === target.value || s.shares.has(target.value)) && (only === undefined || s.idSite === only))
          .sort((a, b) => a.idSite - b.idSite)
          .flatMap((site) => {
            const relation = relationOf(site, ctx.auth.user);
            return relation ? [renderInstallation(site, relation, { extended, baseUrl: ctx.baseUrl, now })] : [];
          });
        return ok<WireInstallationsResponse>({ success: true, records });
      },
    },
  ];

  return createEmulator<Caller>({
    name: 'vrm',
    basePath: BASE_PATHS.vrm,
    authenticate,
    errors: vrmErrors,
    routes,
    resetData() {
      data = buildVrmData(options.population, adminToken);
    },
    openapi: vrmOpenApi,
  });
}
