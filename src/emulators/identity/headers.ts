/**
 * The identity API's request header rules: content negotiation (406 when `Accept` excludes JSON) and
 * the bearer access token (401 when missing or not the platform's token).
 */
import type http from 'node:http';
import type { AuthResult } from '../kit';
import { identityErrors, notAcceptable } from './responses';

/** The calling platform, as the access token identifies it. */
export interface IdentityCaller {
  token: string;
}

/**
 * True when an `Accept` header admits `application/json`: absent or empty, or any media range with a
 * non-zero quality that covers it (`application/json`, `application/*`, `*\/*`).
 */
export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  return header.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) return false;
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

/**
 * Content negotiation first [I: a 406 does not depend on the credentials], then the token. A header
 * with another scheme (`Basic …`) carries no access token, like a missing one.
 */
export function authenticateIdentity(headers: http.IncomingHttpHeaders, token: string): AuthResult<IdentityCaller> {
  if (!acceptsJson(headers.accept)) return { ok: false, response: notAcceptable() };
  const authorization = headers.authorization;
  if (!authorization) return { ok: false, response: identityErrors.unauthorized('missing') };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return { ok: false, response: identityErrors.unauthorized('missing') };
  if (match[1] !== token) return { ok: false, response: identityErrors.unauthorized('invalid') };
  return { ok: true, caller: { token } };
}
