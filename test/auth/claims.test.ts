/**
 * The claim rules of DESIGN.md "Auth", each with a token the test signs: lifetimes longer than
 * JWT_MAX_TTL_S are refused, `email_verified` is read strictly, and a key removed from the JWKS is refused
 * within JWKS_CACHE_MS even for a token that verified before.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createJwtVerifier, type JwtVerifier } from '../../src/auth/jwt';
import { ErrorCode, GatewayError } from '../../src/errors';

const secret = 'claims-test-secret-0123456789abcdef-0123456789';
const key = new TextEncoder().encode(secret);
const now = (): number => Math.floor(Date.now() / 1000);

async function refusal(verifier: JwtVerifier, token: string): Promise<GatewayError> {
  try {
    await verifier.verify(token);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the token to be refused, but it verified');
}

function hs(claims: Record<string, unknown>, times: { iat?: number; exp: number }): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setExpirationTime(times.exp);
  if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
  return jwt.sign(key);
}

describe('token lifetime (JWT_MAX_TTL_S)', () => {
  const verifier = createJwtVerifier({ secret, maxTtlSec: 3600 });

  it.each([
    ['one that lives exactly the limit', 3600, true],
    ['one that lives a minute', 60, true],
    ['one that lives a second longer than the limit', 3601, false],
    ['one that expires in the year 3000', Math.floor(Date.UTC(3000, 0, 1) / 1000) - now(), false],
  ])('with iat, accepts or refuses %s', async (_name, lifetime, accepted) => {
    const iat = now();
    const token = await hs({}, { iat, exp: iat + lifetime });
    if (accepted) {
      expect((await verifier.verify(token)).sub).toBe('user-1');
    } else {
      const err = await refusal(verifier, token);
      expect(err.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(err.message).toMatch(/longer than the 3600 s this gateway accepts/);
    }
  });

  it('without iat, counts what is left of its life', async () => {
    expect((await verifier.verify(await hs({}, { exp: now() + 600 }))).sub).toBe('user-1');
    expect((await refusal(verifier, await hs({}, { exp: now() + 7200 }))).message).toMatch(/longer than the 3600 s/);
  });

  it('defaults to 24 hours', async () => {
    const defaults = createJwtVerifier({ secret });
    const iat = now();
    expect((await defaults.verify(await hs({}, { iat, exp: iat + 86_400 }))).sub).toBe('user-1');
    expect((await refusal(defaults, await hs({}, { iat, exp: iat + 86_401 }))).code).toBe(ErrorCode.UNAUTHENTICATED);
  });
});

describe('email_verified', () => {
  const verifier = createJwtVerifier({ secret });
  const exp = now() + 600;

  it.each([
    ['true', true, true],
    ['false', false, false],
    ['absent', undefined, undefined],
  ])('passes %s on as the claims say', async (_name, value, expected) => {
    const claims = value === undefined ? { email: 'a@example.com' } : { email: 'a@example.com', email_verified: value };
    expect((await verifier.verify(await hs(claims, { exp }))).emailVerified).toBe(expected);
  });

  it.each([['a string', 'true'], ['a number', 1], ['null', null]])('refuses %s', async (_name, value) => {
    const err = await refusal(verifier, await hs({ email: 'a@example.com', email_verified: value }, { exp }));
    expect(err.message).toMatch(/email_verified claim must be true or false/);
  });
});

describe('a key removed from the JWKS (JWKS_CACHE_MS)', () => {
  let keys: object[] = [];
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('is refused within the cache time, even for a token that verified (and was remembered) before', async () => {
    const pair = await generateKeyPair('RS256');
    keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }];
    const verifier = createJwtVerifier({ jwksUrl: url, jwksCacheMs: 400 });
    const token = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('idp|1').setIssuedAt().setExpirationTime('10m').sign(pair.privateKey);
    expect((await verifier.verify(token)).sub).toBe('idp|1');

    keys = [];
    // Within the cache time it is still trusted: that is the documented bound, not a leak.
    expect((await verifier.verify(token)).sub).toBe('idp|1');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const err = await refusal(verifier, token);
    expect(err.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(err.message).toMatch(/no key in the signing key set matches it/);
  });
});
