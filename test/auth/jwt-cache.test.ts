/**
 * The verifier remembers tokens that passed, but never trusts one past its `exp`, and never remembers a
 * refusal.
 */
import { signToken } from '../../src/auth/dev';
import { createJwtVerifier } from '../../src/auth/jwt';
import { ErrorCode, GatewayError } from '../../src/errors';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

it('does not trust a remembered token past its expiry', async () => {
  const verifier = createJwtVerifier({ secret: SECRET, clockToleranceSec: 0 });
  const token = await signToken(SECRET, { sub: 'u1', email: 'u1@example.com', expiresIn: '1s' });
  expect((await verifier.verify(token)).sub).toBe('u1');
  expect((await verifier.verify(token)).sub).toBe('u1');
  await new Promise((r) => setTimeout(r, 1100));
  const err = await verifier.verify(token).catch((e: unknown) => e);
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  expect(err.code).toBe(ErrorCode.UNAUTHENTICATED);
});

it('keeps refusing a bad token on every attempt', async () => {
  const verifier = createJwtVerifier({ secret: SECRET });
  const forged = await signToken('another-secret-that-is-long-enough-abcdefghij', { sub: 'u1' });
  for (let i = 0; i < 2; i++) await expect(verifier.verify(forged)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
});
