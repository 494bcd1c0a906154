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
    const token = await t.tokenFor(t.population.people[0]!);
    for (let i = 0; i < 4; i++) {
      const r = await t.query<{ me: { email: string; firstName: string | null } }>('{ me { email firstName } }', { token });
      // Still answered: the registry's fields with identity's null.
      expect(r.data?.me.email).toBe(t.population.people[0]!.email);
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
