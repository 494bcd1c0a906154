/**
 * Who is asking: every request gets exactly one Viewer, built from its `Authorization` header. No header
 * is an anonymous viewer; a header that is there but wrong is refused (UNAUTHENTICATED), never downgraded
 * to anonymous, so a client with a broken token learns of it at once.
 */
import { ErrorCode, GatewayError } from '../errors';
import type { Claims, JwtVerifier } from './jwt';

/** The role that makes a viewer an admin. */
export const ADMIN_ROLE = 'admin';

export type Viewer =
  | { kind: 'anonymous' }
  | { kind: 'user'; sub: string; email?: string; emailVerified?: boolean; roles: string[] }
  | { kind: 'admin'; sub: string; email?: string; emailVerified?: boolean; roles: string[] };

export type AuthenticatedViewer = Exclude<Viewer, { kind: 'anonymous' }>;

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

export function viewerFromClaims(claims: Claims): AuthenticatedViewer {
  const base = { sub: claims.sub, email: claims.email, emailVerified: claims.emailVerified, roles: [...claims.roles] };
  return claims.roles.includes(ADMIN_ROLE) ? { kind: 'admin', ...base } : { kind: 'user', ...base };
}

const BEARER = /^Bearer +(\S+) *$/i;

/** `undefined` (no header) → anonymous; `Bearer <JWT>` → verified claims; anything else → UNAUTHENTICATED. */
export async function viewerFromAuthorization(header: string | undefined, verifier: Pick<JwtVerifier, 'verify'>): Promise<Viewer> {
  if (header === undefined) return ANONYMOUS;
  const match = BEARER.exec(header);
  if (!match) throw new GatewayError(ErrorCode.UNAUTHENTICATED, `Expected the Authorization header to be "Bearer <JWT>", but got ${describeHeader(header)}`);
  return viewerFromClaims(await verifier.verify(match[1]));
}

/** Names what came without echoing any of it that could be a credential. */
function describeHeader(header: string): string {
  const words = header.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 'an empty header';
  const scheme = words[0];
  if (/^bearer$/i.test(scheme)) return words.length === 1 ? 'Bearer without a token' : 'Bearer with more than one token';
  // Only a short word of letters is shown: a bare token sent without a scheme must not be echoed.
  if (/^[A-Za-z]{1,16}$/.test(scheme)) return `the ${scheme} scheme`;
  return 'a value without the Bearer scheme';
}
