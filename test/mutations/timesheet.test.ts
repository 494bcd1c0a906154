/**
 * The timesheet team member actions end to end over real HTTP: gateway → connector → timesheet emulator.
 * Each test shows the exact upstream requests (the emulator's counters, and the method, path and body
 * its server received, read from its own `request` events: nothing is mocked) and reads the member's
 * state back through the connector. Refusals carry the time tracker's reason; bad input is refused
 * before any upstream call and changes nothing.
 *
 * People (src/emulators/timesheet/README.md, user id 5000 + index): 1 active with entries, 3 active
 * without entries, 4 no timesheet account, 7 pending, 13 disabled, 18 suspended.
 */
import { sync } from '../../src/registry/sync';
import type { TimesheetUserState } from '../../src/upstreams/timesheet/types';
import { recordRequests, type Received } from '../helpers/received';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

let received: Received<string>[];

beforeAll(async () => {
  t = await startTestGateway({ people: 24 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  received = recordRequests(t.emulators.emulators.timesheet!.server, { raw: true });
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulators.reset(true);
  received.length = 0;
});

function startCounting(): void {
  t.resetCounts();
  received.length = 0;
}

function timesheetCalls(): Record<string, number> {
  return t.counts().timesheet.byRoute;
}

function noUpstreamCalls(): void {
  expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
}

async function storedState(index: number): Promise<TimesheetUserState> {
  const user = await t.gateway.upstreams.timesheet.getUser(String(5000 + index));
  if (!user) throw new Error(`timesheet has no user for person ${index}`);
  return user.state;
}

function expectError(res: GraphQLResult<unknown>, code: string, path?: string[]): void {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code).toBe(code);
  if (path) expect(error.extensions?.fieldErrors?.[0]?.path).toEqual(path);
}

const ACTIONS = {
  activateUser: { route: 'PUT /users/:id/activate', suffix: 'activate' },
  deactivateUser: { route: 'PUT /users/:id/deactivate', suffix: 'deactivate' },
  resendInvitation: { route: 'PUT /users/:id/resend_invitation_email', suffix: 'resend_invitation_email' },
} as const;
type Action = keyof typeof ACTIONS;
const ACTION_NAMES: Action[] = ['activateUser', 'deactivateUser', 'resendInvitation'];

/** What each action answers: the member's person id and state. */
type ActionData = Partial<Record<Action, { user: { personId: string; state: string } }>>;

function run(action: Action, userId: string | null, token?: string | null) {
  return t.query<ActionData>(`mutation($userId: ID!) { ${action}(userId: $userId) { user { personId state } } }`, { token, variables: { userId } });
}

describe('what is sent', () => {
  it.each([
    ['activateUser', 13, 'DISABLED', 'ACTIVE'],
    ['activateUser', 18, 'SUSPENDED', 'ACTIVE'],
    ['deactivateUser', 1, 'ACTIVE', 'DISABLED'],
    ['resendInvitation', 7, 'PENDING', 'PENDING'],
  ] as const)('%s on person %i sends one bodiless PUT and answers the member as %s → %s', async (action, index, before, after) => {
    expect(await storedState(index)).toBe(before);
    startCounting();
    const res = await run(action, await t.personId(index));
    expect(res.errors).toBeUndefined();
    // The PUT, then one read of the member for the payload's `state`.
    expect(timesheetCalls()).toEqual({ [ACTIONS[action].route]: 1, 'GET /users/:id': 1 });
    expect(received[0]).toEqual({ method: 'PUT', path: `/v2/users/${5000 + index}/${ACTIONS[action].suffix}`, body: '' });
    expect(dataOf(res)[action]?.user).toEqual({ personId: await t.personId(index), state: after });
    expect(await storedState(index)).toBe(after);
  });

  it('deactivates a member who is already deactivated without complaint (the time tracker answers 204)', async () => {
    const res = await run('deactivateUser', await t.personId(13));
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deactivateUser?.user.state).toBe('DISABLED');
  });
});

describe('refusals', () => {
  it.each([
    ['activateUser', 1, 'not_deactivated', 'ACTIVE'],
    ['deactivateUser', 3, 'deletable', 'ACTIVE'],
    ['deactivateUser', 7, 'deletable', 'PENDING'],
    ['resendInvitation', 1, 'not_pending', 'ACTIVE'],
    ['resendInvitation', 13, 'not_pending', 'DISABLED'],
  ] as const)('%s on person %i is BAD_USER_INPUT with reason %s at userId, and the member stays %s', async (action, index, reason, state) => {
    startCounting();
    const res = await run(action, await t.personId(index));
    expectError(res, 'BAD_USER_INPUT', ['userId']);
    expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'timesheet', reason });
    expect(res.data).toBeNull();
    // One PUT, refused; not retried.
    expect(timesheetCalls()).toEqual({ [ACTIONS[action].route]: 1 });
    expect(await storedState(index)).toBe(state);
  });
});

describe('policy and bad input', () => {
  it.each(ACTION_NAMES)('%s is refused to plain users, even for their own person, before any upstream call', async (action) => {
    const before = await storedState(13);
    startCounting();
    const own = await run(action, await t.personId(13), await t.tokenFor(t.population.people[13]!));
    expectError(own, 'FORBIDDEN');
    const other = await run(action, await t.personId(13), await t.tokenFor(t.population.people[0]!));
    expectError(other, 'FORBIDDEN');
    expectError(await run(action, await t.personId(13), null), 'UNAUTHENTICATED');
    noUpstreamCalls();
    expect(await storedState(13)).toBe(before);
  });

  it.each(ACTION_NAMES)('%s answers NOT_FOUND at userId for an id no person has', async (action) => {
    startCounting();
    expectError(await run(action, '00000000-0000-4000-8000-00000000beef'), 'NOT_FOUND', ['userId']);
    noUpstreamCalls();
  });

  it.each(ACTION_NAMES)('%s answers NOT_FOUND naming timesheet for a person without a timesheet account', async (action) => {
    startCounting();
    const res = await run(action, await t.personId(4));
    expectError(res, 'NOT_FOUND', ['userId']);
    expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'timesheet' });
    noUpstreamCalls();
  });

  it('refuses a userId that is not a User id, and a null userId, before any upstream call', async () => {
    startCounting();
    expectError(await run('activateUser', 'bm90LWEtdXNlcg'), 'BAD_USER_INPUT', ['userId']);
    const nullId = await run('activateUser', null);
    expectError(nullId, 'BAD_USER_INPUT');
    expect(nullId.errors![0]!.message).toMatch(/\$userId/);
    noUpstreamCalls();
  });

  it('accepts the User global id as well as the person UUID', async () => {
    const found = await t.query<{ user: { id: string } }>(`query($id: ID!) { user(id: $id) { id } }`, { variables: { id: await t.personId(13) } });
    const res = await run('activateUser', dataOf(found).user.id);
    expect(res.errors).toBeUndefined();
    expect(await storedState(13)).toBe('ACTIVE');
  });
});

describe('failures', () => {
  it('does not retry the PUT when it reached the time tracker and the answer failed', async () => {
    t.faults('timesheet', { status: 503, afterHandler: true, count: 1, routes: ['PUT /users/:id/activate'] });
    const res = await run('activateUser', await t.personId(13));
    expectError(res, 'UPSTREAM_UNAVAILABLE');
    expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'timesheet' });
    expect(timesheetCalls()).toEqual({ 'PUT /users/:id/activate': 1 });
    // The action happened; only its answer was lost. A retry would have been refused (not_deactivated).
    expect(await storedState(13)).toBe('ACTIVE');
  });
});
