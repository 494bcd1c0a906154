/**
 * Partial answers: with one upstream failing in turn (down, slow past its timeout, answering 500,
 * answering malformed JSON), only the fields it serves are null, with one UPSTREAM_UNAVAILABLE error
 * naming it, and every other field is present.
 */
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import type { Faults } from '../../src/emulators/kit';
import { hexFor } from '../../src/emulators/population';
import { dataOf, startTestGateway, type TestGateway } from '../helpers/gateway';

let t: TestGateway;
let token: string;
let headers: Record<string, string>;

/** What QUERY answers: the email, and each upstream's fields by name (FIELDS). */
type QueryData = { me: { email: string; [field: string]: unknown } };

const QUERY = `{
  me {
    email
    firstName
    notificationGroups { chargingFlow }
    sites { siteId }
    address { town }
    role
  }
}`;

/** Which top-level User fields each upstream serves in QUERY. */
const FIELDS: Record<UpstreamName, string[]> = {
  identity: ['firstName'],
  evenergy: ['notificationGroups'],
  vrm: ['sites'],
  podero: ['address'],
  timesheet: ['role'],
};

beforeAll(async () => {
  // Fast timeouts and no retries keep the slow case quick; the breaker stays closed.
  t = await startTestGateway({ people: 12, clientOverrides: { headersTimeoutMs: 300, bodyTimeoutMs: 300, maxRetries: 0, breakerMinimumCalls: 1000 } });
  token = await t.tokenFor(t.population.people[0]!);
  // The person's own VRM token (src/emulators/vrm/README.md) links their VRM account on first use.
  headers = { 'x-vrm-authorization': `Token ${hexFor(`vrm-token:${t.population.seed}:0`)}` };
  // Person 0 is in all five upstreams; linking them (and the VRM account, through the owner's token)
  // happens before any fault is switched on.
  const warm = await t.query(QUERY, { token, headers });
  expect(warm.errors).toBeUndefined();
});
afterAll(() => t.close());
afterEach(() => t.emulators.reset(false));

const CASES: [string, Faults][] = [
  ['down', { down: true }],
  ['slow past its timeout', { latencyMs: 800 }],
  ['answering 500', { status: 500 }],
  ['answering malformed JSON', { malformed: true }],
];

describe.each(UPSTREAM_NAMES)('with %s failing', (upstream) => {
  it.each(CASES)('when %s, nulls only its fields and reports one error naming it', async (_label, faults) => {
    t.faults(upstream, faults);
    const res = await t.query<QueryData>(QUERY, { token, headers });
    expect(res.data?.me).toBeTruthy();
    const me = dataOf(res).me;
    expect(me.email).toBe(t.population.people[0]!.email);
    for (const u of UPSTREAM_NAMES) {
      for (const f of FIELDS[u]) {
        if (u === upstream) expect(me[f]).toBeNull();
        else expect(me[f]).not.toBeNull();
      }
    }
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream });
    expect(JSON.stringify(res.errors)).not.toMatch(/127\.0\.0\.1|http:\/\//);
  });
});
