/**
 * Verifies the gateway's bearer tokens (DESIGN.md "Auth"): HS256 with a shared secret (`JWT_SECRET`), and
 * RS256/ES256 with keys from a JWKS URL (`JWT_JWKS_URL`), each with the configured issuer and audience.
 * With both configured, the token's `alg` picks the key source. Every refusal is an UNAUTHENTICATED
 * GatewayError whose message says what was wrong; the token itself is never part of a message.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { ErrorCode, GatewayError } from '../errors';

/** The claims the gateway uses. */
export interface Claims {
  sub: string;
  email?: string;
  /**
   * The token's `email_verified`. Only `false` matters: such an email proves nothing, so no person is found
   * by it and nobody may claim it (DESIGN.md "Auth": an email belongs to whoever proves it).
   */
  emailVerified?: boolean;
  roles: string[];
}

export interface JwtVerifierOptions {
  /** HS256 secret; at least 32 characters (256 bits, the HS256 key size). */
  secret?: string;
  /** JWKS document URL for RS256/ES256 tokens. */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (one of the token's audiences), when set. */
  audience?: string;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSec?: number;
  /** How long a JWKS fetch may take, in ms. Default 5000. */
  jwksTimeoutMs?: number;
  /**
   * How long keys from the JWKS are trusted before it is read again, in ms (`JWKS_CACHE_MS`). A key removed
   * from the JWKS is refused within this time, by every replica. Default 300000 (5 min).
   */
  jwksCacheMs?: number;
  /** Longest accepted token lifetime (`exp - iat`), in seconds (`JWT_MAX_TTL_S`). Default 86400 (24 h). */
  maxTtlSec?: number;
}

export interface JwtVerifier {
  verify(token: string): Promise<Claims>;
}

const MIN_SECRET_LENGTH = 32;
const SECRET_ALGORITHMS = ['HS256'] as const;
const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;

function refuse(reason: string, cause?: unknown): GatewayError {
  return new GatewayError(ErrorCode.UNAUTHENTICATED, `Invalid bearer token: ${reason}`, { cause });
}

/** Translates jose's failures into what was wrong, in words a client developer can act on. */
function describeFailure(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : '';
    return refuse(`it expired${exp}`, err);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return refuse('its audience (aud) is not the one this gateway expects', err);
      case 'iss':
        return refuse('its issuer (iss) is not the one this gateway expects', err);
      case 'nbf':
        return refuse('it is not valid yet (nbf lies in the future)', err);
      case 'exp':
        return refuse('it has no usable expiry (exp)', err);
      case 'iat':
        return refuse('its issue time (iat) is invalid', err);
      default:
        return refuse(`its ${err.claim} claim is invalid (${err.reason})`, err);
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return refuse('its signature does not verify', err);
  if (err instanceof errors.JWKSNoMatchingKey) return refuse('no key in the signing key set matches it (kid/alg)', err);
  if (err instanceof errors.JWKSMultipleMatchingKeys) return refuse('several keys in the signing key set match it; it needs a kid', err);
  if (err instanceof errors.JOSEAlgNotAllowed) return refuse('its algorithm is not accepted', err);
  if (err instanceof errors.JWKSTimeout) return refuse('the signing keys could not be fetched in time', err);
  if (err instanceof errors.JWKSInvalid) return refuse('the signing key set could not be read', err);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return refuse('it is malformed (expected a signed JWT: three base64url parts with a JSON header and payload)', err);
  }
  if (err instanceof errors.JOSEError) return refuse(`it could not be verified (${err.code})`, err);
  // Fetching the JWKS failed (network, status): the token may be fine, but it cannot be checked now.
  return refuse('the signing keys could not be fetched', err);
}

function claimsFrom(payload: JWTPayload, maxTtlSec: number, nowSec: number): Claims {
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') {
    throw refuse('it has no subject (sub): expected a non-empty string');
  }
  const email = payload.email;
  if (email !== undefined && typeof email !== 'string') {
    throw refuse(`its email claim must be a string, but is ${email === null ? 'null' : typeof email}`);
  }
  const verified = payload.email_verified;
  if (verified !== undefined && typeof verified !== 'boolean') {
    throw refuse(`its email_verified claim must be true or false, but is ${verified === null ? 'null' : typeof verified}`);
  }
  // A token that lives longer than the limit is a credential nobody can revoke in time. Without `iat`, what
  // is left of its life counts.
  const exp = payload.exp!;
  const lifetime = exp - (typeof payload.iat === 'number' ? payload.iat : nowSec);
  if (lifetime > maxTtlSec) {
    throw refuse(`it lives ${lifetime} s (exp - iat), longer than the ${maxTtlSec} s this gateway accepts`);
  }
  return {
    sub: payload.sub,
    email: email === undefined || email === '' ? undefined : email,
    emailVerified: verified,
    roles: rolesFrom(payload.roles),
  };
}

/**
 * `roles` is a list of strings. A single string is refused rather than split: `"admin"` and `"nonadmin"`
 * must never be a matter of parsing.
 */
function rolesFrom(roles: unknown): string[] {
  if (roles === undefined || roles === null) return [];
  if (Array.isArray(roles) && roles.every((r): r is string => typeof r === 'string')) return roles;
  throw refuse(`its roles claim must be a list of strings, but is ${typeof roles === 'string' ? 'a string' : Array.isArray(roles) ? 'a list with other values' : typeof roles}`);
}

/**
 * Builds the verifier. Throws (a plain Error: a configuration mistake, found at start) when neither a secret
 * nor a JWKS URL is given, the secret is too short, or the URL is not http(s).
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const { secret, jwksUrl, issuer, audience } = options;
  if (!secret && !jwksUrl) {
    throw new Error('createJwtVerifier needs a secret (JWT_SECRET) or a JWKS URL (JWT_JWKS_URL), but got neither');
  }
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`The JWT secret must be at least ${MIN_SECRET_LENGTH} characters, but has ${secret.length}`);
  }
  const secretKey = secret ? new TextEncoder().encode(secret) : undefined;
  const jwksCacheMs = options.jwksCacheMs ?? 300_000;
  const maxTtlSec = options.maxTtlSec ?? 86_400;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  if (jwksUrl) {
    const url = new URL(jwksUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`The JWKS URL must be http or https, but is ${url.protocol}`);
    }
    jwks = createRemoteJWKSet(url, { timeoutDuration: options.jwksTimeoutMs ?? 5000, cacheMaxAge: jwksCacheMs, cooldownDuration: Math.min(30_000, jwksCacheMs) });
  }
  const accepted = [...(secretKey ? SECRET_ALGORITHMS : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const clockTolerance = options.clockToleranceSec ?? 30;
  // Clients send the same token on every request, and checking a signature is the largest single cost of a
  // small request. A token that verified once is trusted again until it expires (never past `exp`), from
  // a bounded cache; refusals are not cached. A token checked against the JWKS is trusted no longer than
  // the JWKS itself (`jwksCacheMs`), so a key removed there is refused here in that time too.
  const verified = new Map<string, { claims: Claims; expiresAtMs: number }>();
  const CACHE_SIZE = 10_000;

  return {
    async verify(token: string): Promise<Claims> {
      const hit = verified.get(token);
      if (hit) {
        if (Date.now() < hit.expiresAtMs) return hit.claims;
        verified.delete(token);
      }
      return verifyOnce(token);
    },
  };

  /** Checks the token's header, signature and claims; caches what passes. */
  async function verifyOnce(token: string): Promise<Claims> {
    if (typeof token !== 'string' || token === '') throw refuse('it is empty');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch (err) {
      throw describeFailure(err instanceof errors.JOSEError ? err : new errors.JWSInvalid('unreadable header'));
    }
    if (alg === undefined || !(accepted as readonly string[]).includes(alg)) {
      throw refuse(`its algorithm ${JSON.stringify(alg ?? null)} is not accepted; expected one of ${accepted.join(', ')}`);
    }
    const verifyOptions = { algorithms: [alg], issuer, audience, clockTolerance, requiredClaims: ['exp'] };
    let payload: JWTPayload;
    try {
      // `accepted` holds only algorithms whose key source exists; the checks narrow for the compiler.
      if (alg === 'HS256') {
        if (!secretKey) throw refuse('HS256 tokens need a configured secret');
        payload = (await jwtVerify(token, secretKey, verifyOptions)).payload;
      } else {
        if (!jwks) throw refuse(`${alg} tokens need a configured JWKS URL`);
        payload = (await jwtVerify(token, jwks, verifyOptions)).payload;
      }
    } catch (err) {
      throw describeFailure(err);
    }
    const claims = claimsFrom(payload, maxTtlSec, Math.floor(Date.now() / 1000));
    if (typeof payload.exp === 'number') {
      if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
      const trustedUntil = alg === 'HS256' ? payload.exp * 1000 : Math.min(payload.exp * 1000, Date.now() + jwksCacheMs);
      verified.set(token, { claims, expiresAtMs: trustedUntil });
    }
    return claims;
  }
}
