/** From the Authorization header to a Viewer: anonymous without one, refused when it is there but wrong. */
import { createDevSecret, signToken } from '../../src/auth/dev';
import { createJwtVerifier } from '../../src/auth/jwt';
import { viewerFromAuthorization } from '../../src/auth/viewer';
import { ErrorCode, GatewayError } from '../../src/errors';

const secret = createDevSecret();
const verifier = createJwtVerifier({ secret, audience: 'usergraph' });

async function refusal(header: string | undefined): Promise<GatewayError> {
  try {
    await viewerFromAuthorization(header, verifier);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('Expected the header to be refused, but it gave a viewer');
}

describe('viewerFromAuthorization', () => {
  describe('who the viewer is', () => {
    it('is anonymous without an Authorization header', async () => {
      expect(await viewerFromAuthorization(undefined, verifier)).toEqual({ kind: 'anonymous' });
    });

    it('is a user for a valid token without the admin role', async () => {
      const token = await signToken(secret, { sub: 'u-1', email: 'ada@example.com', roles: ['auditor'], audience: 'usergraph' });
      expect(await viewerFromAuthorization(`Bearer ${token}`, verifier)).toEqual({
        kind: 'user',
        sub: 'u-1',
        email: 'ada@example.com',
        roles: ['auditor'],
      });
    });

    it('is an admin for a valid token with the admin role, whatever the scheme’s case', async () => {
      const token = await signToken(secret, { sub: 'root', roles: ['admin'], audience: 'usergraph' });
      expect(await viewerFromAuthorization(`bearer ${token}`, verifier)).toMatchObject({ kind: 'admin', sub: 'root', roles: ['admin'] });
    });
  });

  describe('refused with UNAUTHENTICATED', () => {
    it('refuses a header that is not "Bearer <token>", naming the scheme but not the credential', async () => {
      const basic = await refusal('Basic YWRhOnNlY3JldA==');
      expect(basic.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(basic.message).toContain('the Basic scheme');
      expect(basic.message).not.toContain('YWRh');
      expect((await refusal('Bearer')).message).toContain('Bearer without a token');
      expect((await refusal('Bearer a b')).message).toContain('more than one token');
      expect((await refusal('')).message).toContain('an empty header');
    });

    it('does not echo a token sent without the Bearer scheme', async () => {
      const token = await signToken(secret, { sub: 'u-1', audience: 'usergraph' });
      const err = await refusal(token);
      expect(err.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(err.message).not.toContain(token.slice(0, 12));
    });

    it('refuses an expired, a wrongly signed and a wrong-audience token', async () => {
      const tokens = [
        await signToken(secret, { sub: 'u-1', audience: 'usergraph', expiresIn: -120 }),
        await signToken(createDevSecret(), { sub: 'u-1', audience: 'usergraph' }),
        await signToken(secret, { sub: 'u-1', audience: 'elsewhere' }),
      ];
      for (const token of tokens) expect((await refusal(`Bearer ${token}`)).code).toBe(ErrorCode.UNAUTHENTICATED);
    });
  });
});

describe('development tokens', () => {
  it('makes a fresh secret each time, long enough for HS256', () => {
    const [a, b] = [createDevSecret(), createDevSecret()];
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(32);
  });

  it('signs tokens that the verifier accepts, expiring after the given time', async () => {
    const token = await signToken(secret, { sub: 'dev-admin', roles: ['admin'], expiresIn: '2h', audience: 'usergraph' });
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    expect(payload.exp - payload.iat).toBe(7200);
    expect(await verifier.verify(token)).toEqual({ sub: 'dev-admin', email: undefined, roles: ['admin'] });
  });
});
