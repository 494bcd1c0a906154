/**
 * The HTTP surface's graceful close (src/server/http.ts `close({ graceMs })`), in process over real
 * sockets: idle keep-alive connections close at once, a connection serving a request closes once its
 * response is sent (`Connection: close`), and what still runs after the grace is cut.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { dataOf, startTestGateway, type TestGateway } from '../helpers/gateway';

/** A lookup of demo person 0 with an identity field: slow while identity is. */
const query = (t: TestGateway): string =>
  JSON.stringify({ query: 'query($e: EmailAddress!) { userByEmail(email: $e) { email firstName } }', variables: { e: t.population.people[0]!.email } });

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** A POST /graphql on `agent`'s kept-alive connections; resolves with the socket it used. */
function post(t: TestGateway, agent: http.Agent, onSocket?: (s: Socket) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${t.url}/graphql`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    req.on('socket', (s) => onSocket?.(s));
    req.on('error', reject);
    req.end(query(t));
  });
}

const closed = (s: Socket): Promise<number> => {
  const started = Date.now();
  return new Promise((resolve) => (s.destroyed ? resolve(0) : s.once('close', () => resolve(Date.now() - started))));
};

describe('graceful close of the HTTP surface', () => {
  let t: TestGateway;
  beforeEach(async () => {
    t = await startTestGateway({ people: 20 });
    // Links the person, so the requests below call identity only for the name.
    const linked = await t.query<{ userByEmail: { personId: string } }>('query($e: EmailAddress!) { userByEmail(email: $e) { personId } }', { variables: { e: t.population.people[0]!.email } });
    expect(dataOf(linked).userByEmail.personId).toEqual(expect.any(String));
  });
  afterEach(() => t.close());

  it('closes idle keep-alive connections at once and a busy one after its response, which completes', async () => {
    const idleAgent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    try {
      let idle: Socket | undefined;
      expect((await post(t, idleAgent, (s) => (idle = s))).status).toBe(200);
      expect(idle!.destroyed).toBe(false);

      t.faults('identity', { latencyMs: 800 });
      let busy: Socket | undefined;
      const slow = post(t, busyAgent, (s) => (busy = s));
      await new Promise((r) => setTimeout(r, 200));

      const closing = t.gateway.http.close({ graceMs: 10_000 });
      expect(await closed(idle!)).toBeLessThan(500);
      expect(busy!.destroyed).toBe(false);
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(answer.connection).toBe('close');
      expect(JSON.parse(answer.body).errors).toBeUndefined();
      expect(await closed(busy!)).toBeLessThan(500);
      await closing;
    } finally {
      idleAgent.destroy();
      busyAgent.destroy();
    }
  });

  it('cuts what still runs when the grace is over', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      t.faults('identity', { latencyMs: 1200 });
      const slow = post(t, agent);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await t.gateway.http.close({ graceMs: 300 });
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(slow).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      agent.destroy();
    }
  });
});
