/**
 * `/readyz` tells a load balancer what to do (DESIGN.md "Health, replicas and shutdown"): 200 while this
 * process can serve, even with an upstream down and its breaker open (partial answers are the product);
 * 503 only when the registry does not answer or while draining.
 */
import { startTestGateway, type TestGateway } from '../helpers/gateway';

async function readyz(t: TestGateway): Promise<{ status: number; body: { status: string; registry: { reachable: boolean }; upstreams: Record<string, string> } }> {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

describe('/readyz', () => {
  let t: TestGateway;
  beforeEach(async () => {
    t = await startTestGateway({ clientOverrides: { breakerMinimumCalls: 2 } });
  });
  afterEach(() => t.close());

  it('stays 200 with an upstream down and its breaker open, and says so in the body', async () => {
    t.faults('identity', { down: true });
    // Four people the registry does not know yet: each lookup asks identity, and each call fails.
    for (const person of t.population.people.slice(0, 4)) {
      const r = await t.query<{ userByEmail: { email: string; firstName: string | null } }>('query($e: EmailAddress!) { userByEmail(email: $e) { email firstName } }', {
        token: t.adminToken,
        variables: { e: person.email },
      });
      // Still answered: the registry's fields, with identity's null.
      expect(r.data?.userByEmail.email).toBe(person.email);
    }
    const { status, body } = await readyz(t);
    expect(body.upstreams.identity).toBe('open');
    expect(status).toBe(200);
    expect(body.status).toBe('ready');
  });

  it('answers 503 when the registry does not answer a real query', async () => {
    await t.registry.close();
    const { status, body } = await readyz(t);
    expect(status).toBe(503);
    expect(body.status).toBe('registry unavailable');
    expect(body.registry.reachable).toBe(false);
  });

  it('answers 503 draining once shutdown has begun, while requests are still served', async () => {
    t.gateway.drain();
    const { status, body } = await readyz(t);
    expect(status).toBe(503);
    expect(body.status).toBe('draining');
    const r = await t.query<{ users: { totalCount: number } }>('{ users(first: 1) { totalCount } }', { token: t.adminToken });
    expect(r.errors).toBeUndefined();
  });
});
