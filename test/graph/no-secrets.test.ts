/**
 * No token, secret or upstream credential appears in any log line or any error a client sees, across a
 * run that exercises successes, refused tokens, upstream failures and upstream auth failures.
 */
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { hexFor } from '../../src/emulators/population';
import { sync } from '../../src/registry/sync';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ people: 12, clientOverrides: { maxRetries: 0, headersTimeoutMs: 300, bodyTimeoutMs: 300 } });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
});
afterAll(() => t.close());

it('never writes a token, secret or credential to the logs or to client errors', async () => {
  const person = t.population.people[0]!;
  const userToken = await t.tokenFor(person);
  const vrmToken = hexFor(`vrm-token:${t.population.seed}:0`);
  const vrmHeader = { 'x-vrm-authorization': `Token ${vrmToken}` };
  const everything = `{ me { email firstName subscription { id } notificationGroups { groups { name } } payoutMethod { wallet } accessTokens { name } sites { name } address { town } devices { deviceId } role entries(first: 5) { nodes { minutes } } } }`;
  const bodies: string[] = [];
  const run = async (...args: Parameters<TestGateway['query']>) => bodies.push(JSON.stringify(await t.query(...args)));

  await run(everything, { token: userToken, headers: vrmHeader });
  await run(everything, { token: 'Bearer-garbage.' + TEST_JWT_SECRET });
  await run(everything, { token: t.adminToken, headers: { 'x-vrm-authorization': 'Token 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' } });
  for (const upstream of ['identity', 'evenergy', 'vrm', 'podero', 'timesheet'] as const) {
    for (const faults of [{ status: 500 }, { status: 401 }, { down: true }, { malformed: true }]) {
      t.faults(upstream, faults);
      await run(everything, { token: userToken, headers: vrmHeader });
      t.emulators.reset(false);
    }
  }

  const secrets = [TEST_JWT_SECRET, userToken, t.adminToken, vrmToken, ...Object.values(DEV_TOKENS)];
  const haystacks = { logs: t.logLines.join('\n'), responses: bodies.join('\n') };
  expect(t.logLines.length).toBeGreaterThan(20);
  for (const [where, text] of Object.entries(haystacks)) {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`a secret (${secret.slice(0, 6)}…) appears in the ${where}`);
    }
    expect(text).not.toMatch(/127\.0\.0\.1:\d+\/(v2|api)/);
  }
});
