/**
 * Development tokens: `npm start` without `JWT_SECRET` generates a secret with `createDevSecret` and prints
 * an admin and a user token made by `signToken`; tests sign their tokens the same way. Never used to
 * verify: verification is `jwt.ts` only.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** A fresh random HS256 secret: 32 random bytes, base64url (43 characters). */
export function createDevSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface DevTokenOptions {
  sub: string;
  email?: string;
  /** The `email_verified` claim; omitted when not given (which proves the email, policy.ts `provenEmail`). */
  emailVerified?: boolean;
  roles?: string[];
  /** A jose time span (`'12h'`, `'15m'`) or seconds; default one hour. A negative number makes an expired token. */
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 JWT carrying the gateway's claims (`sub`, `email`, `email_verified`, `roles`). */
export async function signToken(secret: string, options: DevTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { roles: options.roles ?? [] };
  if (options.email !== undefined) claims.email = options.email;
  if (options.emailVerified !== undefined) claims.email_verified = options.emailVerified;
  const expiresIn = options.expiresIn ?? '1h';
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(typeof expiresIn === 'number' ? now + expiresIn : expiresIn);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
