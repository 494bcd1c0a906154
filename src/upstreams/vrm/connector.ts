/**
 * The VRM connector: one typed function per Users endpoint of seeds/001, speaking VRM's wire format
 * (`wire.ts`) and answering the gateway's domain types (`types.ts`).
 *
 * Every function takes the credential to call with as an explicit argument, defaulting to the service
 * token: access-token calls act for the person whose own VRM token the client passed, and VRM lists,
 * creates and revokes only the caller's own tokens. A 401 or 403 on a person's own credential is that
 * person's failure (UNAUTHENTICATED / FORBIDDEN), not the gateway's (UPSTREAM_AUTH_FAILED).
 *
 * VRM does not paginate the Users endpoints: lists come whole, so there is no "all pages" helper.
 *
 * No request names a cache resource (`UpstreamRequest.resource`): the access-token endpoints answer for
 * the credential's own user whatever `idUser` says, so every VRM write (a token created or revoked, a
 * site added) invalidates everything cached of VRM. Reads with a person's own token are cached under
 * that token alone (the client keys answers by the headers it sends).
 */
import { ErrorCode, GatewayError, badInput, type FieldError } from '../../errors';
import type { CallOptions, ErrorDescription, UpstreamClient, UpstreamRequest, UpstreamResponse } from '../types';
import { STRING, detailText } from '../shape';
import { ID, successBody, toAccessToken, toSite, toUser } from './map';
import type {
  CreateVrmAccessTokenInput,
  ListVrmInstallationsOptions,
  VrmAccessToken,
  VrmCreatedAccessToken,
  VrmCredential,
  VrmSite,
  VrmUser,
} from './types';
import type { WireCreateAccessTokenBody, WireSiteIdentifierBody } from '../../contracts/vrm';

export type { VrmCredential } from './types';

export interface VrmConnectorOptions {
  client: UpstreamClient;
  /** The gateway's service access token (`VRM_TOKEN`). */
  token: string;
}

/** A VRM user id: a decimal `idUser` (string or integer) or `me`, the credential's own user. */
export type VrmUserRef = string | number;

export interface VrmConnector {
  /** The user the credential belongs to. */
  getMe(credential?: VrmCredential, call?: CallOptions): Promise<VrmUser>;
  /** The credential owner's tokens, never the secrets: VRM ignores `idUser` here. */
  listAccessTokens(idUser: VrmUserRef, credential?: VrmCredential, call?: CallOptions): Promise<VrmAccessToken[]>;
  /** Creates a token for the credential's own user (`idUser` must be theirs); the secret is returned once. */
  createAccessToken(idUser: VrmUserRef, input: CreateVrmAccessTokenInput, credential?: VrmCredential, call?: CallOptions): Promise<VrmCreatedAccessToken>;
  /** Revokes one token by id, or all of the user's with `*`; resolves to how many were removed. */
  revokeAccessToken(idUser: VrmUserRef, idOrStar: string, credential?: VrmCredential, call?: CallOptions): Promise<number>;
  /** Adds an installation to the user by its VRM portal id; resolves to its site id. */
  addSite(idUser: VrmUserRef, installationIdentifier: string, credential?: VrmCredential, call?: CallOptions): Promise<string>;
  /** The site id of an installation the user can see (admins: any); null when there is none. */
  getSiteId(idUser: VrmUserRef, installationIdentifier: string, credential?: VrmCredential, call?: CallOptions): Promise<string | null>;
  /** The user's installations (owned or shared with them), optionally one site, optionally with every optional value. */
  listInstallations(idUser: VrmUserRef, options?: ListVrmInstallationsOptions, credential?: VrmCredential, call?: CallOptions): Promise<VrmSite[]>;
}

const SCHEMES: Record<VrmCredential['kind'], string> = { token: 'Token', bearer: 'Bearer' };

/** The wire field names of VRM validation errors → the connector's argument names. */
const FIELD_NAMES: Record<string, string> = {
  expiry: 'expiresAt',
  installation_identifier: 'installationIdentifier',
  idUser: 'idUser',
  name: 'name',
  idSite: 'siteId',
  extended: 'extended',
};

/** The `error_code`s VRM documents or answers (seeds/001, src/emulators/vrm); any other is not passed on. */
const KNOWN_REASONS: ReadonlySet<string> = new Set(['invalid_token', 'rate_limited', 'site_already_linked', 'site_already_registered']);

/** A reason of the whole request that is about one argument, in the gateway's words. */
const REASON_FIELDS: Readonly<Record<string, FieldError>> = {
  site_already_linked: { path: ['installationIdentifier'], message: 'is already linked to this user' },
  site_already_registered: { path: ['installationIdentifier'], message: 'is registered to another user' },
};

/** VRM's field messages, recognised by their kind, in the gateway's words (first match wins). */
const FIELD_REASONS: readonly (readonly [RegExp, string])[] = [
  [/already exists/i, 'is already taken'],
  [/required/i, 'is required'],
  [/must not be empty/i, 'must not be empty'],
  [/in the future/i, 'must be in the future'],
  [/at most/i, 'is too large or too long'],
  [/must be an? (?:integer|string|number)|unix timestamp/i, 'has the wrong type'],
];

function fieldReason(message: string): string {
  return FIELD_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? 'is not valid';
}

/**
 * Reads VRM's error body `{ success: false, errors: string | { field: message }, error_code }`
 * (ErrorDescription): one field error per field the gateway sends (named as the connector's arguments;
 * another name → `[]`) with a reason the gateway wrote, and `error_code` as the reason when VRM
 * documents it. The `errors` texts go to the log-only `detail`, never to a client.
 */
export function describeVrmError(_status: number, body: unknown): ErrorDescription {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const errors: unknown = Reflect.get(body, 'errors');
  const code: unknown = Reflect.get(body, 'error_code');
  const reason = typeof code === 'string' && KNOWN_REASONS.has(code) ? code : undefined;
  const description: ErrorDescription = reason ? { reason } : {};
  if (typeof errors === 'string') {
    description.detail = detailText(errors);
  } else if (typeof errors === 'object' && errors !== null && !Array.isArray(errors)) {
    const entries = Object.entries(errors).filter((e): e is [string, string] => typeof e[1] === 'string');
    const fieldErrors = entries.map(([field, message]) => {
      const name = FIELD_NAMES[field];
      return { path: name === undefined ? [] : [name], message: fieldReason(message) };
    });
    if (fieldErrors.length) description.fieldErrors = fieldErrors;
    description.detail = detailText(entries.map(([field, message]) => `${field}: ${message}`).join('; '));
  }
  const about = reason ? REASON_FIELDS[reason] : undefined;
  if (about && !description.fieldErrors) description.fieldErrors = [about];
  return description;
}

function userSegment(idUser: VrmUserRef): string {
  const text = String(idUser);
  if (text !== 'me' && !/^\d{1,15}$/.test(text)) throw badInput(['idUser'], `expected a VRM user id (an integer) or "me", but got: ${JSON.stringify(text).slice(0, 40)}`, 'vrm');
  return text;
}

function identifierBody(installationIdentifier: string): WireSiteIdentifierBody {
  if (typeof installationIdentifier !== 'string' || !installationIdentifier.trim()) {
    throw badInput(['installationIdentifier'], 'expected a non-empty VRM portal id', 'vrm');
  }
  return { installation_identifier: installationIdentifier };
}

export function createVrmConnector(options: VrmConnectorOptions): VrmConnector {
  const { client } = options;
  const service: VrmCredential = { kind: 'token', value: options.token };

  const send = async (req: UpstreamRequest, credential: VrmCredential): Promise<UpstreamResponse> => {
    const headers = { ...(req.headers ?? {}), 'x-authorization': `${SCHEMES[credential.kind]} ${credential.value}` };
    try {
      return await client.request({ ...req, headers });
    } catch (err) {
      const ownCredential = !(credential.kind === service.kind && credential.value === service.value);
      if (ownCredential && err instanceof GatewayError && err.code === ErrorCode.UPSTREAM_AUTH_FAILED) {
        const code = err.status === 403 ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHENTICATED;
        const what = err.status === 403 ? 'does not allow this' : 'was refused: it is missing, invalid, revoked or expired';
        throw new GatewayError(code, `The VRM credential passed by the caller ${what}`, {
          upstream: 'vrm',
          status: err.status,
          detail: err.detail,
          reason: err.reason,
          fieldErrors: err.fieldErrors,
          cause: err,
        });
      }
      throw err;
    }
  };

  return {
    async getMe(credential = service, call) {
      const route = '/users/me';
      const res = await send({ method: 'GET', path: route, route, call }, credential);
      return toUser(`GET ${route}`, res.body);
    },

    async listAccessTokens(idUser, credential = service, call) {
      const route = '/users/:idUser/accesstokens/list';
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/accesstokens/list`;
      const res = await send({ method: 'GET', path, route, call }, credential);
      return successBody(`GET ${route}`, res.body).records('tokens').map(toAccessToken);
    },

    async createAccessToken(idUser, input, credential = service, call) {
      const route = '/users/:idUser/accesstokens/create';
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/accesstokens/create`;
      if (typeof input.name !== 'string' || !input.name.trim()) throw badInput(['name'], 'expected a non-empty token name', 'vrm');
      const body: WireCreateAccessTokenBody = { name: input.name };
      if (input.expiresAt !== undefined) {
        const ms = input.expiresAt instanceof Date ? input.expiresAt.getTime() : NaN;
        if (!Number.isFinite(ms)) throw badInput(['expiresAt'], 'expected a valid date', 'vrm');
        body.expiry = Math.floor(ms / 1000);
      }
      const res = await send({ method: 'POST', path, route, body, call }, credential);
      const answer = successBody(`POST ${route}`, res.body);
      // The spec types the secret as an integer [C]; VRM sends a string. Accept both, keep a string.
      const secret = answer.raw('token');
      const token = typeof secret === 'number' ? String(secret) : answer.get('token', STRING);
      return {
        id: answer.get('idAccessToken', ID),
        token,
        name: input.name,
        expiresAt: body.expiry === undefined ? null : new Date(body.expiry * 1000),
      };
    },

    async revokeAccessToken(idUser, idOrStar, credential = service, call) {
      const route = '/users/:idUser/accesstokens/:idAccessToken/revoke';
      if (idOrStar !== '*' && !/^\d{1,15}$/.test(idOrStar)) {
        throw badInput(['idAccessToken'], `expected a token id (an integer) or "*", but got: ${JSON.stringify(idOrStar).slice(0, 40)}`, 'vrm');
      }
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/accesstokens/${encodeURIComponent(idOrStar)}/revoke`;
      // A GET that writes: a retry after a lost answer would report 0 (or 404) for what was removed.
      const res = await send({ method: 'GET', path, route, idempotent: false, call }, credential);
      return successBody(`GET ${route}`, res.body).object('data').integer('removed');
    },

    async addSite(idUser, installationIdentifier, credential = service, call) {
      const route = '/users/:idUser/addsite';
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/addsite`;
      const res = await send({ method: 'POST', path, route, body: identifierBody(installationIdentifier), call }, credential);
      return successBody(`POST ${route}`, res.body).object('records').get('site_id', ID);
    },

    async getSiteId(idUser, installationIdentifier, credential = service, call) {
      const route = '/users/:idUser/get-site-id';
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/get-site-id`;
      const res = await send(
        // A POST that only reads: safe to retry.
        { method: 'POST', path, route, body: identifierBody(installationIdentifier), idempotent: true, acceptStatus: [404], call },
        credential,
      );
      if (res.status === 404) return null;
      return successBody(`POST ${route}`, res.body).object('records').get('site_id', ID);
    },

    async listInstallations(idUser, listOptions = {}, credential = service, call) {
      const route = '/users/:idUser/installations';
      const path = `/users/${encodeURIComponent(userSegment(idUser))}/installations`;
      const siteId = listOptions.siteId === undefined ? undefined : String(listOptions.siteId);
      if (siteId !== undefined && !/^\d{1,15}$/.test(siteId)) {
        throw badInput(['siteId'], `expected a VRM site id (an integer), but got: ${JSON.stringify(siteId).slice(0, 40)}`, 'vrm');
      }
      const query = { extended: listOptions.extended ? 1 : undefined, idSite: siteId };
      const res = await send({ method: 'GET', path, route, query, call }, credential);
      return successBody(`GET ${route}`, res.body).records('records').map(toSite);
    },
  };
}
