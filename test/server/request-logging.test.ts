/**
 * Every line the gateway logs while serving a request carries that request's id — the HTTP line, the
 * linker's warnings and the upstream failures — and a configured secret never appears in the log.
 */
import { createLogger } from '../../src/lib/logger';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway';

const lines: Record<string, unknown>[] = [];
let t: TestGateway;

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', secrets: [TEST_JWT_SECRET], destination: { write: (line) => lines.push(JSON.parse(line)) } });
  t = await startTestGateway({ people: 4, logger, clientOverrides: { maxRetries: 0 } });
});
afterAll(() => t.close());

/** Lines are written when the response finishes; wait for the request's own HTTP line. */
async function linesOf(requestId: string): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 50 && !lines.some((l) => l.msg === 'http request' && l.requestId === requestId); i++) await new Promise((r) => setTimeout(r, 10));
  return lines.filter((l) => l.requestId === requestId);
}

it('tags each line logged for a request with its id, and no other request’s', async () => {
  const token = await t.tokenFor(t.population.people[0]!);
  const before = lines.length;
  // Timesheet down while the person is first seen: the linker warns that it could not ask it.
  t.faults('timesheet', { status: 500 });
  await t.query('{ me { email } }', { token, headers: { 'x-request-id': 'req-link' } });
  t.emulators.reset(false);
  // ev.energy failing: the field fails and the failure is logged.
  t.faults('evenergy', { status: 500 });
  const failed = await t.query('{ me { payoutMethod { wallet } } }', { token, headers: { 'x-request-id': 'req-fail' } });
  t.emulators.reset(false);
  await t.query('{ __typename }', { headers: { 'x-request-id': 'req-plain' } });

  expect(failed.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  expect((await linesOf('req-link')).map((l) => l.msg)).toEqual(['linked a person without asking every upstream', 'http request']);
  expect((await linesOf('req-fail')).map((l) => l.msg)).toEqual(['upstream failure', 'http request']);
  expect((await linesOf('req-plain')).map((l) => l.msg)).toEqual(['http request']);
  // Nothing logged while serving the three requests lacks a request id.
  expect(lines.slice(before).filter((l) => l.requestId === undefined)).toEqual([]);
});

it('never writes the configured secret, even when a client sends it', async () => {
  await t.query('{ __typename }', { token: `garbage.${TEST_JWT_SECRET}`, headers: { 'x-request-id': 'req-secret' } });
  await linesOf('req-secret');
  expect(JSON.stringify(lines)).not.toContain(TEST_JWT_SECRET);
});
