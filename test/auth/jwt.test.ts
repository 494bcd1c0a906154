/**
 * Bearer token verification: every kind of bad token is refused with UNAUTHENTICATED and a message that
 * says what was wrong without echoing the token; RS256 and ES256 keys come from a JWKS served over real
 * HTTP by a local server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createDevSecret, signToken } from '../../src/auth/dev';
import { createJwtVerifier, type JwtVerifier } from '../../src/auth/jwt';
import { ErrorCode, GatewayError } from '../../src/errors';

/** The GatewayError a verification is refused with; fails if it succeeds or throws something else. */
async function refusal(verifier: JwtVerifier, token: string): Promise<GatewayError> {
  try {
    await verifier.verify(token);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('Expected the token to be refused, but it verified');
}

async function expectRefused(verifier: JwtVerifier, token: string, reason: RegExp): Promise<void> {
  const err = await refusal(verifier, token);
  expect(err.code).toBe(ErrorCode.UNAUTHENTICATED);
  expect(err.message).toMatch(reason);
  if (token.length > 10) expect(err.message).not.toContain(token.slice(-10));
}

const toBase64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('HS256 tokens with a shared secret', () => {
  const secret = createDevSecret();
  const verifier = createJwtVerifier({ secret, issuer: 'https://issuer.test', audience: 'usergraph' });
  const sign = (options: Partial<Parameters<typeof signToken>[1]> = {}) =>
    signToken(secret, { sub: 'user-1', email: 'ada@example.com', roles: ['admin'], issuer: 'https://issuer.test', audience: 'usergraph', ...options });

  describe('accepted', () => {
    it('gives the sub, email and roles of a valid token', async () => {
      expect(await verifier.verify(await sign())).toEqual({ sub: 'user-1', email: 'ada@example.com', roles: ['admin'] });
    });

    it('gives no roles and no email when the token carries none', async () => {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-2')
        .setIssuer('https://issuer.test')
        .setAudience('usergraph')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      expect(await verifier.verify(token)).toEqual({ sub: 'user-2', email: undefined, roles: [] });
    });

    it('checks neither issuer nor audience when none is configured', async () => {
      const lenient = createJwtVerifier({ secret });
      expect((await lenient.verify(await signToken(secret, { sub: 'u', issuer: 'anyone', audience: 'anything' }))).sub).toBe('u');
    });
  });

  describe('refused with UNAUTHENTICATED', () => {
    it('refuses an empty token', async () => {
      await expectRefused(verifier, '', /empty/);
    });

    it('refuses tokens that are not JWTs', async () => {
      await expectRefused(verifier, 'not-a-jwt', /malformed/);
      await expectRefused(verifier, 'aaa.bbb.ccc', /malformed/);
      const good = await sign();
      await expectRefused(verifier, good.split('.').slice(0, 2).join('.'), /malformed/);
      const [header, , signature] = good.split('.');
      await expectRefused(verifier, `${header}.${Buffer.from('not json').toString('base64url')}.${signature}`, /malformed|signature/);
    });

    it('refuses an expired token, saying when it expired', async () => {
      await expectRefused(verifier, await sign({ expiresIn: -120 }), /expired at \d{4}-\d\d-\d\dT/);
    });

    it('refuses a token signed with another secret', async () => {
      const forged = await signToken(createDevSecret(), { sub: 'user-1', roles: ['admin'], issuer: 'https://issuer.test', audience: 'usergraph' });
      await expectRefused(verifier, forged, /signature does not verify/);
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [header, payload, signature] = (await sign({ roles: [] })).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const tampered = `${header}.${toBase64url({ ...claims, roles: ['admin'] })}.${signature}`;
      await expectRefused(verifier, tampered, /signature does not verify/);
    });

    it('refuses a token for another audience', async () => {
      await expectRefused(verifier, await sign({ audience: 'some-other-api' }), /audience/);
      await expectRefused(verifier, await sign({ audience: undefined }), /audience/);
    });

    it('refuses a token from another issuer', async () => {
      await expectRefused(verifier, await sign({ issuer: 'https://evil.test' }), /issuer/);
    });

    it('refuses a token without a subject', async () => {
      const token = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://issuer.test')
        .setAudience('usergraph')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(verifier, token, /no subject \(sub\)/);
    });

    it('refuses a token without an expiry', async () => {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-1')
        .setIssuer('https://issuer.test')
        .setAudience('usergraph')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(verifier, token, /expiry \(exp\)/);
    });

    it('refuses unsigned tokens (alg none)', async () => {
      const unsigned = `${toBase64url({ alg: 'none', typ: 'JWT' })}.${toBase64url({ sub: 'user-1', roles: ['admin'], exp: 9999999999 })}.`;
      await expectRefused(verifier, unsigned, /algorithm "none" is not accepted; expected one of HS256/);
    });

    it.each(['admin', 'admin auditor'])('refuses the roles string %j, even a space-separated one: admin is never a matter of parsing', async (roles) => {
      const token = await new SignJWT({ roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-3')
        .setIssuer('https://issuer.test')
        .setAudience('usergraph')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(verifier, token, /roles claim must be a list of strings, but is a string/);
    });

    it('refuses roles that are not strings', async () => {
      const token = await new SignJWT({ roles: [1, 2] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-1')
        .setIssuer('https://issuer.test')
        .setAudience('usergraph')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      await expectRefused(verifier, token, /roles claim must be a list of strings/);
    });
  });

  describe('configuration', () => {
    it('needs a secret or a JWKS URL', () => {
      expect(() => createJwtVerifier({})).toThrow(/needs a secret \(JWT_SECRET\) or a JWKS URL \(JWT_JWKS_URL\)/);
    });

    it('refuses a secret shorter than 32 characters', () => {
      expect(() => createJwtVerifier({ secret: 'short' })).toThrow(/at least 32 characters, but has 5/);
    });
  });
});

/** A JWKS document served over real HTTP, counting how often it is fetched. */
interface JwksServer {
  url: string;
  fetches: () => number;
  close: () => Promise<void>;
}

async function serveJwks(keys: object[]): Promise<JwksServer> {
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

describe('RS256 and ES256 tokens with keys from a JWKS URL', () => {
  let jwks: JwksServer;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    jwks = await serveJwks([
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]);
    verifier = createJwtVerifier({ jwksUrl: jwks.url, issuer: 'https://idp.test', audience: 'usergraph' });
  });

  afterAll(async () => {
    await jwks.close();
  });

  const sign = (alg: 'RS256' | 'ES256', kid: string, key: CryptoKey, claims: Record<string, unknown> = {}, audience = 'usergraph') =>
    new SignJWT({ email: 'grace@example.com', roles: ['admin'], ...claims })
      .setProtectedHeader({ alg, kid })
      .setSubject('idp|grace')
      .setIssuer('https://idp.test')
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key);

  it('verifies an RS256 token against the served key', async () => {
    expect(await verifier.verify(await sign('RS256', 'rsa-1', rsa.privateKey))).toEqual({
      sub: 'idp|grace',
      email: 'grace@example.com',
      roles: ['admin'],
    });
  });

  it('verifies an ES256 token against the served key', async () => {
    expect((await verifier.verify(await sign('ES256', 'ec-1', ec.privateKey))).sub).toBe('idp|grace');
  });

  it('fetches the key set once for many verifications', async () => {
    const fresh = createJwtVerifier({ jwksUrl: jwks.url, issuer: 'https://idp.test', audience: 'usergraph' });
    const before = jwks.fetches();
    for (let i = 0; i < 3; i++) await fresh.verify(await sign(i % 2 ? 'ES256' : 'RS256', i % 2 ? 'ec-1' : 'rsa-1', i % 2 ? ec.privateKey : rsa.privateKey));
    expect(jwks.fetches() - before).toBe(1);
  });

  it('refuses a token signed by a key that is not in the set', async () => {
    const stranger = await generateKeyPair('RS256');
    await expectRefused(verifier, await sign('RS256', 'rsa-1', stranger.privateKey), /signature does not verify/);
    await expectRefused(verifier, await sign('RS256', 'unknown-kid', stranger.privateKey), /no key in the signing key set/);
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(verifier, await sign('RS256', 'rsa-1', rsa.privateKey, {}, 'another-api'), /audience/);
  });

  it('refuses an HS256 token when only a JWKS is configured', async () => {
    const hs = await signToken(createDevSecret(), { sub: 'idp|grace', issuer: 'https://idp.test', audience: 'usergraph' });
    await expectRefused(verifier, hs, /algorithm "HS256" is not accepted; expected one of RS256, ES256/);
  });

  it('accepts both kinds when both a secret and a JWKS are configured', async () => {
    const secret = createDevSecret();
    const both = createJwtVerifier({ secret, jwksUrl: jwks.url, issuer: 'https://idp.test', audience: 'usergraph' });
    expect((await both.verify(await sign('RS256', 'rsa-1', rsa.privateKey))).sub).toBe('idp|grace');
    expect((await both.verify(await signToken(secret, { sub: 'local', issuer: 'https://idp.test', audience: 'usergraph' }))).sub).toBe('local');
  });

  it('refuses every token, without hanging, when the key set cannot be fetched', async () => {
    const gone = await serveJwks([]);
    const url = gone.url;
    await gone.close();
    const unreachable = createJwtVerifier({ jwksUrl: url, jwksTimeoutMs: 2000 });
    await expectRefused(unreachable, await sign('RS256', 'rsa-1', rsa.privateKey), /signing keys could not be fetched/);
  });
});
