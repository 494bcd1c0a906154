/**
 * `createUser` and `provisionUser` over real HTTP: the exact upstream requests (method, path, body keys)
 * seen through recording proxies, create-or-link by email, the registry holding exactly the successes,
 * partial failure finished by `provisionUser`, no POST ever sent twice, and every kind of bad input
 * refused before any upstream call with its code and field path.
 */
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { USER_ID_BASE as TIMESHEET_USER_ID_BASE } from '../../src/emulators/timesheet/data';
import assert from 'node:assert';
import { dataOf, outcomeOf } from '../helpers/gateway';
import {
  accountsWithEmail,
  demo,
  onlyError,
  startMutationGateway,
  upstreamRecords,
  type CreateUserData,
  type MutationGateway,
  type OutcomeRow,
  type ProvisionUserData,
  type UserByEmailData,
} from './users-harness';

let t: MutationGateway;

beforeAll(async () => {
  t = await startMutationGateway();
});
afterAll(() => t.close());
beforeEach(() => t.clear());

const PODERO_USERS = `/org/${DEV_PODERO_ORG_ID}/users`;

const CREATE = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id personId email firstName lastName internal role address { town country latitude } accounts { upstream accountId } }
    outcomes { upstream status accountId error { code message reason fieldPath } }
  }
}`;

const PROVISION = `mutation ($id: ID!, $upstreams: [Upstream!]) {
  provisionUser(id: $id, upstreams: $upstreams) {
    user { personId email accounts { upstream accountId } }
    outcomes { upstream status accountId error { code message reason fieldPath } }
  }
}`;

function byUpstream(outcomes: OutcomeRow[]): Record<string, OutcomeRow> {
  return Object.fromEntries(outcomes.map((o) => [o.upstream, o]));
}

function statuses(outcomes: OutcomeRow[]): Record<string, string> {
  return Object.fromEntries(outcomes.map((o) => [o.upstream, o.status]));
}

/** The writes as `METHOD upstream path`, sorted, for comparing which writes happened. */
function writeLines(): string[] {
  return t
    .writes()
    .map((w) => `${w.method} ${w.upstream} ${w.path}`)
    .sort();
}

async function createUser(input: Record<string, unknown>, token?: string | null) {
  return t.query<CreateUserData>(CREATE, { variables: { input }, token });
}

describe('createUser: what it sends', () => {
  it('creates the person in identity, ev.energy, podero and timesheet by default, with exactly the fields given', async () => {
    const email = 'grace.new1@example.com';
    const res = await createUser({
      email,
      firstName: 'Grace',
      lastName: 'Hopper',
      identity: { internal: true, accountIdentifier: 'gracehopper' },
      podero: { role: 'STAFF', address: { streetAndNumber: 'Hauptstraße 1', zipCode: '10115', town: 'Berlin', country: 'de', latitude: 52.52 } },
      timesheet: { role: 'FREELANCER' },
    });
    expect(res.errors).toBeUndefined();
    const payload = dataOf(res).createUser;
    const personId: string = payload.user.personId;
    const outcomes = byUpstream(payload.outcomes);
    expect(statuses(payload.outcomes)).toEqual({ IDENTITY: 'CREATED', EVENERGY: 'CREATED', VRM: 'SKIPPED', PODERO: 'CREATED', TIMESHEET: 'CREATED' });

    const writes = t.writes();
    expect(writes.map((w) => `${w.method} ${w.upstream} ${w.path}`).sort()).toEqual([
      'POST evenergy /users',
      `POST identity /users`,
      `POST podero ${PODERO_USERS}`,
      'POST timesheet /users',
    ]);
    const body = (upstream: string) => writes.find((w) => w.upstream === upstream)!.body;
    expect(body('identity')).toEqual({ first_name: 'Grace', last_name: 'Hopper', email, internal: true, account: { identifier: 'gracehopper' } });
    expect(body('evenergy')).toEqual({ email });
    expect(body('podero')).toEqual({
      role: 'staff',
      email,
      external_user_id: personId,
      first_name: 'Grace',
      last_name: 'Hopper',
      street_and_number: 'Hauptstraße 1',
      zip_code: '10115',
      town: 'Berlin',
      country: 'DE',
      latitude: 52.52,
    });
    expect(body('timesheet')).toEqual({ email, first_name: 'Grace', last_name: 'Hopper', role: 'freelancer' });

    // The registry holds the person and every account at once, and the payload shows them.
    const registered = await t.registered(email);
    expect(registered?.person.id).toBe(personId);
    expect(registered?.links).toEqual({
      identity: outcomes.IDENTITY!.accountId,
      evenergy: outcomes.EVENERGY!.accountId,
      podero: outcomes.PODERO!.accountId,
      timesheet: outcomes.TIMESHEET!.accountId,
    });
    expect(payload.user).toMatchObject({ email, firstName: 'Grace', lastName: 'Hopper', internal: true, role: 'FREELANCER', address: { town: 'Berlin', country: 'DE', latitude: 52.52 } });
    expect(payload.user.accounts.map((a) => a.upstream).sort()).toEqual(['EVENERGY', 'IDENTITY', 'PODERO', 'TIMESHEET']);
    // And the upstreams hold exactly one account each, the one linked.
    expect(await accountsWithEmail(t, email)).toEqual({
      identity: [outcomes.IDENTITY!.accountId],
      evenergy: [outcomes.EVENERGY!.accountId],
      podero: [outcomes.PODERO!.accountId],
      timesheet: [outcomes.TIMESHEET!.accountId],
    });
  });

  it('leaves out of every body what was omitted or null, so the upstream defaults apply', async () => {
    const email = 'alan.new2@example.com';
    const res = await createUser({
      email,
      firstName: '  Alan ',
      lastName: 'Turing',
      upstreams: null,
      identity: { internal: null, accountIdentifier: null },
      podero: { role: null, address: { town: 'Wien', streetAddInfo: null, latitude: null } },
      timesheet: { role: null },
    });
    expect(res.errors).toBeUndefined();
    const body = (upstream: string) => t.writes().find((w) => w.upstream === upstream)!.body;
    expect(body('identity')).toEqual({ first_name: 'Alan', last_name: 'Turing', email });
    // `role` is required by podero: the documented default `user` is sent.
    expect(body('podero')).toEqual({ role: 'user', email, external_user_id: dataOf(res).createUser.user.personId, first_name: 'Alan', last_name: 'Turing', town: 'Wien' });
    expect(body('timesheet')).toEqual({ email, first_name: 'Alan', last_name: 'Turing' });
    expect(dataOf(res).createUser.user).toMatchObject({ internal: false, role: 'MEMBER', address: { town: 'Wien', country: null, latitude: null } });
    // No account identifier: identity made no subscription.
    expect((await t.gateway.upstreams.identity.getUser(email))?.subscription).toBeNull();
  });

  it('provisions only the upstreams asked for and reports the others as skipped', async () => {
    const email = 'ada.new3@example.com';
    const res = await createUser({ email, firstName: 'Ada', lastName: 'Lovelace', upstreams: ['EVENERGY', 'TIMESHEET', 'EVENERGY'] });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).createUser.outcomes)).toEqual({ IDENTITY: 'SKIPPED', EVENERGY: 'CREATED', VRM: 'SKIPPED', PODERO: 'SKIPPED', TIMESHEET: 'CREATED' });
    expect(writeLines()).toEqual(['POST evenergy /users', 'POST timesheet /users']);
    // Identity was not asked at all: not even looked up.
    expect(t.requests().filter((r) => r.upstream === 'identity' || r.upstream === 'podero')).toEqual([]);
    expect(Object.keys((await t.registered(email))!.links).sort()).toEqual(['evenergy', 'timesheet']);
  });
});

describe('createUser: create-or-link', () => {
  it('links the accounts that already hold the email instead of creating them', async () => {
    const person = demo(t, 0);
    const res = await createUser({ email: person.email, firstName: 'Someone', lastName: 'Else' });
    expect(res.errors).toBeUndefined();
    const outcomes = dataOf(res).createUser.outcomes;
    expect(statuses(outcomes)).toEqual({ IDENTITY: 'LINKED', EVENERGY: 'LINKED', VRM: 'SKIPPED', PODERO: 'LINKED', TIMESHEET: 'LINKED' });
    expect(t.writes()).toEqual([]);
    const existing = await accountsWithEmail(t, person.email);
    const linked = byUpstream(outcomes);
    expect([linked.IDENTITY!.accountId, linked.EVENERGY!.accountId, linked.PODERO!.accountId, linked.TIMESHEET!.accountId]).toEqual([
      existing.identity[0],
      existing.evenergy[0],
      existing.podero[0],
      existing.timesheet[0],
    ]);
    // Linked, not changed: the names stay the seeded ones.
    expect(dataOf(res).createUser.user).toMatchObject({ firstName: person.firstName, lastName: person.lastName });
  });

  it('creates nothing twice: a second run answers LINKED without calling any upstream', async () => {
    const input = { email: 'edsger.new4@example.com', firstName: 'Edsger', lastName: 'Dijkstra' };
    const first = await createUser(input);
    expect(statuses(dataOf(first).createUser.outcomes)).toEqual({ IDENTITY: 'CREATED', EVENERGY: 'CREATED', VRM: 'SKIPPED', PODERO: 'CREATED', TIMESHEET: 'CREATED' });
    // No options given: none of their keys is sent (podero requires a role: its documented default).
    expect(t.writes().map((w) => [w.upstream, w.body])).toEqual(
      expect.arrayContaining([
        ['identity', { first_name: 'Edsger', last_name: 'Dijkstra', email: input.email }],
        ['evenergy', { email: input.email }],
        ['podero', { role: 'user', email: input.email, external_user_id: dataOf(first).createUser.user.personId, first_name: 'Edsger', last_name: 'Dijkstra' }],
        ['timesheet', { email: input.email, first_name: 'Edsger', last_name: 'Dijkstra' }],
      ]),
    );
    expect(t.writes()).toHaveLength(4);
    t.clear();
    const second = await t.query<CreateUserData>(`mutation ($input: CreateUserInput!) { createUser(input: $input) { user { personId } outcomes { upstream status accountId } } }`, { variables: { input } });
    expect(second.errors).toBeUndefined();
    expect(dataOf(second).createUser.user.personId).toBe(dataOf(first).createUser.user.personId);
    expect(statuses(dataOf(second).createUser.outcomes)).toEqual({ IDENTITY: 'LINKED', EVENERGY: 'LINKED', VRM: 'SKIPPED', PODERO: 'LINKED', TIMESHEET: 'LINKED' });
    expect(dataOf(second).createUser.outcomes.map((o) => o.accountId)).toEqual(dataOf(first).createUser.outcomes.map((o) => o.accountId));
    expect(t.requests()).toEqual([]);
    const accounts = await accountsWithEmail(t, input.email);
    expect(Object.values(accounts).map((ids) => ids.length)).toEqual([1, 1, 1, 1]);
  });

  it('links a podero user by the person id it was given as external_user_id', async () => {
    const email = 'margaret.new5@example.com';
    const first = await createUser({ email, firstName: 'Margaret', lastName: 'Hamilton', upstreams: ['PODERO'] });
    const personId = dataOf(first).createUser.user.personId;
    const poderoId = outcomeOf(dataOf(first).createUser.outcomes, 'PODERO').accountId;
    await t.registry.unlink(personId, 'podero');
    t.clear();
    const res = await t.query<ProvisionUserData>(PROVISION, { variables: { id: personId, upstreams: ['PODERO'] } });
    expect(byUpstream(dataOf(res).provisionUser.outcomes).PODERO).toMatchObject({ status: 'LINKED', accountId: poderoId });
    // Found by its external id in one call: the user list was not needed, nothing was written.
    expect(t.requests().map((r) => `${r.method} ${r.upstream} ${r.path}`)).toEqual([`GET podero ${PODERO_USERS}/by-ext-id/${personId}`]);
  });

  it('links none of several accounts with the email in one upstream, and says so', async () => {
    // Person 42 has two ev.energy accounts whose emails differ only in case.
    const person = demo(t, 42);
    const res = await createUser({ email: person.email, firstName: person.firstName, lastName: person.lastName });
    const outcomes = byUpstream(dataOf(res).createUser.outcomes);
    expect(outcomes.EVENERGY).toMatchObject({ status: 'FAILED', accountId: null, error: { code: 'CONFLICT', reason: 'ambiguous_email' } });
    expect(outcomes.EVENERGY!.error!.message).toMatch(/2 accounts with this email/);
    expect(outcomes.IDENTITY!.status).toBe('LINKED');
    expect(t.writes()).toEqual([]);
    expect((await t.registered(person.email))!.links.evenergy).toBeUndefined();
  });

  it('links only the timesheet account whose email is exactly the person’s, never the twin timesheet’s substring filter also answers', async () => {
    // Person 11's email is `re.` + person 10's: timesheet's email filter answers both for person 10's.
    const [ten, eleven] = [demo(t, 10), demo(t, 11)];
    expect(eleven.email).toBe(`re.${ten.email}`);
    expect((await t.gateway.upstreams.timesheet.listUsers({ email: ten.email })).users).toHaveLength(2);
    t.clear();
    const res = await createUser({ email: ten.email, firstName: ten.firstName, lastName: ten.lastName, upstreams: ['TIMESHEET'] });
    expect(res.errors).toBeUndefined();
    expect(byUpstream(dataOf(res).createUser.outcomes).TIMESHEET).toMatchObject({ status: 'LINKED', accountId: String(TIMESHEET_USER_ID_BASE + 10), error: null });
    expect(t.writes()).toEqual([]);
  });

  it('creates a timesheet account for an email that only timesheet’s substring filter matches, instead of linking or refusing', async () => {
    // A tail of person 10's email is inside two timesheet emails (10's and 11's) and equals neither.
    const ten = demo(t, 10);
    const email = ten.email.slice(ten.email.indexOf('.') + 1);
    expect((await t.gateway.upstreams.timesheet.listUsers({ email })).users).toHaveLength(2);
    t.clear();
    const res = await createUser({ email, firstName: 'Tail', lastName: 'Match', upstreams: ['TIMESHEET'] });
    const outcome = byUpstream(dataOf(res).createUser.outcomes).TIMESHEET!;
    expect(outcome).toMatchObject({ status: 'CREATED', error: null });
    expect([10, 11].map((i) => String(TIMESHEET_USER_ID_BASE + i))).not.toContain(outcome.accountId);
    expect(t.writes()).toEqual([{ upstream: 'timesheet', method: 'POST', path: '/users', body: { email, first_name: 'Tail', last_name: 'Match' } }]);
  });

  it('reports an upstream refusal in the outcome with the input field it is about', async () => {
    // Person 3's identity subscription holds the account identifier `<first><last>3`.
    const taken = `${demo(t, 3).firstName}${demo(t, 3).lastName}3`.toLowerCase();
    const email = 'frances.new6@example.com';
    const res = await createUser({ email, firstName: 'Frances', lastName: 'Allen', identity: { accountIdentifier: taken } });
    const outcomes = byUpstream(dataOf(res).createUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({
      status: 'FAILED',
      accountId: null,
      error: { code: 'CONFLICT', reason: 'account_exists', fieldPath: ['input', 'identity', 'accountIdentifier'] },
    });
    expect(statuses(dataOf(res).createUser.outcomes)).toMatchObject({ EVENERGY: 'CREATED', PODERO: 'CREATED', TIMESHEET: 'CREATED' });
    expect(JSON.stringify(res)).not.toMatch(/127\.0\.0\.1|https?:\/\/|Bearer/);
  });
});

describe('partial failure and retries', () => {
  it('returns the others as created when one upstream fails, keeps exactly the successes, and provisionUser finishes the work', async () => {
    const email = 'barbara.new7@example.com';
    t.faults('timesheet', { status: 503, routes: ['POST /users'] });
    const res = await createUser({ email, firstName: 'Barbara', lastName: 'Liskov' });
    const outcomes = byUpstream(dataOf(res).createUser.outcomes);
    expect(statuses(dataOf(res).createUser.outcomes)).toEqual({ IDENTITY: 'CREATED', EVENERGY: 'CREATED', VRM: 'SKIPPED', PODERO: 'CREATED', TIMESHEET: 'FAILED' });
    expect(outcomes.TIMESHEET!.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    // Operators see the failure in the log; nobody sees upstream URLs or credentials there.
    const log = t.logLines.join('\n');
    expect(log).toMatch(/"upstream":"timesheet".*"status":503.*"msg":"mutation step failed"/);
    for (const secret of Object.values(DEV_TOKENS)) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/127\.0\.0\.1/);
    const personId = dataOf(res).createUser.user.personId;
    expect((await t.registered(email))!.links).toEqual({ identity: outcomes.IDENTITY!.accountId, evenergy: outcomes.EVENERGY!.accountId, podero: outcomes.PODERO!.accountId });
    expect((await accountsWithEmail(t, email)).timesheet).toEqual([]);

    t.clear();
    const finish = await t.query<ProvisionUserData>(PROVISION, { variables: { id: personId } });
    expect(finish.errors).toBeUndefined();
    const done = byUpstream(dataOf(finish).provisionUser.outcomes);
    expect(statuses(dataOf(finish).provisionUser.outcomes)).toEqual({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', VRM: 'SKIPPED', PODERO: 'UNCHANGED', TIMESHEET: 'CREATED' });
    // Only timesheet was asked anything; its new member got the names identity holds.
    expect(t.requests().filter((r) => r.upstream !== 'timesheet' && r.upstream !== 'identity')).toEqual([]);
    expect(t.writes()).toEqual([{ upstream: 'timesheet', method: 'POST', path: '/users', body: { email, first_name: 'Barbara', last_name: 'Liskov' } }]);
    expect((await t.registered(email))!.links.timesheet).toBe(done.TIMESHEET!.accountId);

    t.clear();
    const again = await t.query<ProvisionUserData>(PROVISION, { variables: { id: personId } });
    expect(statuses(dataOf(again).provisionUser.outcomes)).toEqual({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', VRM: 'SKIPPED', PODERO: 'UNCHANGED', TIMESHEET: 'UNCHANGED' });
    expect(t.requests()).toEqual([]);
  });

  it('never sends a POST twice when its answer is lost, and the next run links what it made', async () => {
    const email = 'donald.new8@example.com';
    t.faults('identity', { status: 503, afterHandler: true, count: 1, routes: ['POST /users'] });
    const res = await createUser({ email, firstName: 'Donald', lastName: 'Knuth' });
    const outcomes = byUpstream(dataOf(res).createUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(t.counts().identity.byRoute['POST /users']).toBe(1);
    // The write happened upstream, but the gateway could not know its id: not linked.
    const made = (await accountsWithEmail(t, email)).identity;
    expect(made).toHaveLength(1);
    expect((await t.registered(email))!.links.identity).toBeUndefined();

    t.clear();
    const finish = await t.query<ProvisionUserData>(PROVISION, { variables: { id: dataOf(res).createUser.user.personId, upstreams: ['IDENTITY'] } });
    expect(byUpstream(dataOf(finish).provisionUser.outcomes).IDENTITY).toMatchObject({ status: 'LINKED', accountId: made[0] });
    expect(t.writes()).toEqual([]);
    expect((await accountsWithEmail(t, email)).identity).toEqual(made);
  });

  it('answers no user and keeps no person when no upstream succeeded', async () => {
    const email = 'linus.new9@example.com';
    for (const upstream of ['identity', 'evenergy', 'timesheet'] as const) t.faults(upstream, { status: 503, routes: ['POST /users'] });
    t.faults('podero', { status: 503, routes: ['POST /org/:org_id/users'] });
    const res = await createUser({ email, firstName: 'Linus', lastName: 'Torvalds' });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).createUser.user).toBeNull();
    expect(statuses(dataOf(res).createUser.outcomes)).toEqual({ IDENTITY: 'FAILED', EVENERGY: 'FAILED', VRM: 'SKIPPED', PODERO: 'FAILED', TIMESHEET: 'FAILED' });
    expect(await t.registered(email)).toBeNull();
  });

  it('fails only identity when provisionUser has no names for a new identity user', async () => {
    const email = 'kay.new10@example.com';
    const created = await createUser({ email, firstName: 'Kay', lastName: 'Nygaard', upstreams: ['EVENERGY'] });
    expect(statuses(dataOf(created).createUser.outcomes).EVENERGY).toBe('CREATED');
    t.clear();
    const res = await t.query<ProvisionUserData>(PROVISION, { variables: { id: dataOf(created).createUser.user.personId, upstreams: ['IDENTITY', 'TIMESHEET'] } });
    const outcomes = byUpstream(dataOf(res).provisionUser.outcomes);
    // ev.energy holds no names, so identity is not asked to create a user without them.
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', error: { code: 'BAD_USER_INPUT' } });
    expect(outcomes.IDENTITY!.error!.message).toMatch(/first and last name/);
    expect(outcomes.TIMESHEET!.status).toBe('CREATED');
    expect(writeLines()).toEqual(['POST timesheet /users']);
    expect(t.writes()[0]!.body).toEqual({ email });
  });
});

describe('provisionUser', () => {
  it('creates the missing account of a person found through their email and leaves the others as they are', async () => {
    // Person 4 has identity, ev.energy and podero accounts, and none in timesheet.
    const person = demo(t, 4);
    const found = await t.query<UserByEmailData>(`query ($email: EmailAddress!) { userByEmail(email: $email) { id } }`, { variables: { email: person.email } });
    t.clear();
    const foundUser = dataOf(found).userByEmail;
    assert(foundUser, `${person.email} is found by email`);
    const res = await t.query<ProvisionUserData>(PROVISION, { variables: { id: foundUser.id } });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).provisionUser.outcomes)).toEqual({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', VRM: 'SKIPPED', PODERO: 'UNCHANGED', TIMESHEET: 'CREATED' });
    expect(t.writes()).toEqual([{ upstream: 'timesheet', method: 'POST', path: '/users', body: { email: person.email, first_name: person.firstName, last_name: person.lastName } }]);
    expect(dataOf(res).provisionUser.user.accounts.map((a) => a.upstream)).toEqual(['evenergy', 'identity', 'podero', 'timesheet'].map((u) => u.toUpperCase()));
  });

  it('asks only the upstreams named and answers the rest as skipped with their accounts', async () => {
    const person = demo(t, 8);
    const found = await t.query<UserByEmailData>(`query ($email: EmailAddress!) { userByEmail(email: $email) { personId accounts { upstream accountId } } }`, { variables: { email: person.email } });
    t.clear();
    const foundUser = dataOf(found).userByEmail;
    assert(foundUser, `${person.email} is found by email`);
    const res = await t.query<ProvisionUserData>(PROVISION, { variables: { id: foundUser.personId, upstreams: ['TIMESHEET'] } });
    const outcomes = byUpstream(dataOf(res).provisionUser.outcomes);
    expect(statuses(dataOf(res).provisionUser.outcomes)).toEqual({ IDENTITY: 'SKIPPED', EVENERGY: 'SKIPPED', VRM: 'SKIPPED', PODERO: 'SKIPPED', TIMESHEET: 'UNCHANGED' });
    const accounts = Object.fromEntries(foundUser.accounts.map((a) => [a.upstream, a.accountId]));
    expect(outcomes.IDENTITY!.accountId).toBe(accounts.IDENTITY);
    expect(outcomes.PODERO!.accountId).toBe(accounts.PODERO);
    expect(t.requests()).toEqual([]);
  });
});

describe('bad input is refused before any upstream call', () => {
  const valid = { email: 'valid.new11@example.com', firstName: 'Valid', lastName: 'Person' };

  async function expectRefused(input: Record<string, unknown>, code: string, fieldPaths: string[][] | RegExp): Promise<void> {
    const res = await createUser(input);
    const error = onlyError(res);
    expect(error.extensions?.code).toBe(code);
    if (fieldPaths instanceof RegExp) expect(error.message).toMatch(fieldPaths);
    else expect(error.extensions?.fieldErrors?.map((f: { path: string[] }) => f.path)).toEqual(fieldPaths);
    expect(res.data?.createUser ?? null).toBeNull();
    expect(t.requests()).toEqual([]);
    // Every refused input uses the valid email up to case, or one the registry would not even take.
    expect(await t.registered(valid.email)).toBeNull();
  }

  afterEach(async () => {
    // Nothing of the refused input reached any upstream's data.
    expect(await accountsWithEmail(t, valid.email)).toEqual({ identity: [], evenergy: [], podero: [], timesheet: [] });
  });

  it('refuses a missing required field, naming it', async () => {
    await expectRefused({ email: valid.email, lastName: 'Person' }, 'BAD_USER_INPUT', /input.*firstName|firstName.*required/);
  });

  it('refuses empty and blank names with their field paths', async () => {
    await expectRefused({ ...valid, firstName: '', lastName: '   ' }, 'BAD_USER_INPUT', [
      ['input', 'firstName'],
      ['input', 'lastName'],
    ]);
  });

  it('refuses a malformed email, and one identity would refuse when identity is to be provisioned', async () => {
    await expectRefused({ ...valid, email: 'not-an-email' }, 'BAD_USER_INPUT', /EmailAddress/);
    await expectRefused({ ...valid, email: 'Valid.New11@example.com' }, 'BAD_USER_INPUT', [['input', 'email']]);
  });

  it('refuses unknown enum members', async () => {
    await expectRefused({ ...valid, upstreams: ['IDENTITY', 'FACEBOOK'] }, 'BAD_USER_INPUT', /FACEBOOK/);
    await expectRefused({ ...valid, podero: { role: 'OWNER' } }, 'BAD_USER_INPUT', /OWNER/);
    await expectRefused({ ...valid, timesheet: { role: 'BOSS' } }, 'BAD_USER_INPUT', /BOSS/);
  });

  it('refuses VRM, an empty upstream list and options for an upstream not provisioned', async () => {
    await expectRefused({ ...valid, upstreams: ['IDENTITY', 'VRM'] }, 'BAD_USER_INPUT', [['input', 'upstreams', '1']]);
    await expectRefused({ ...valid, upstreams: [] }, 'BAD_USER_INPUT', [['input', 'upstreams']]);
    await expectRefused({ ...valid, upstreams: ['EVENERGY'], identity: { internal: true }, podero: { role: 'USER' } }, 'BAD_USER_INPUT', [
      ['input', 'identity'],
      ['input', 'podero'],
    ]);
  });

  it('refuses a role podero does not let partners give, and an address out of range, all at once', async () => {
    await expectRefused(
      { ...valid, podero: { role: 'GUEST', address: { country: 'DEU', latitude: 91, longitude: -180.5, town: '' } }, identity: { accountIdentifier: ' ' } },
      'BAD_USER_INPUT',
      [
        ['input', 'identity', 'accountIdentifier'],
        ['input', 'podero', 'role'],
        ['input', 'podero', 'address', 'town'],
        ['input', 'podero', 'address', 'country'],
        ['input', 'podero', 'address', 'latitude'],
        ['input', 'podero', 'address', 'longitude'],
      ],
    );
  });

  it('refuses people who are not admins before looking at the input', async () => {
    const userToken = await t.tokenFor(demo(t, 0));
    const asUser = await createUser({ ...valid, firstName: '' }, userToken);
    expect(onlyError(asUser).extensions?.code).toBe('FORBIDDEN');
    const anonymous = await createUser(valid, null);
    expect(onlyError(anonymous).extensions?.code).toBe('UNAUTHENTICATED');
    expect(t.requests()).toEqual([]);
    expect(await t.registered(valid.email)).toBeNull();
  });
});

describe('provisionUser: refusals', () => {
  it('refuses VRM, unknown and malformed ids, and plain users, before any upstream call', async () => {
    const person = demo(t, 6);
    const found = await t.query<UserByEmailData>(`query ($email: EmailAddress!) { userByEmail(email: $email) { id } }`, { variables: { email: person.email } });
    const foundUser = dataOf(found).userByEmail;
    assert(foundUser, `${person.email} is found by email`);
    const id = foundUser.id;
    t.clear();

    const before = await upstreamRecords(t, (await t.registered(person.email))!.links);
    t.clear();
    const vrm = await t.query<ProvisionUserData>(PROVISION, { variables: { id, upstreams: ['TIMESHEET', 'VRM'] } });
    expect(onlyError(vrm).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['upstreams', '1'] }] });

    const unknown = await t.query<ProvisionUserData>(PROVISION, { variables: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(onlyError(unknown).extensions).toMatchObject({ code: 'NOT_FOUND', fieldErrors: [{ path: ['id'] }] });

    const malformed = await t.query<ProvisionUserData>(PROVISION, { variables: { id: 'not an id' } });
    expect(onlyError(malformed).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['id'] }] });

    const own = await t.query<ProvisionUserData>(PROVISION, { variables: { id }, token: await t.tokenFor(person) });
    expect(onlyError(own).extensions?.code).toBe('FORBIDDEN');

    const unknownMember = await t.query<ProvisionUserData>(PROVISION, { variables: { id, upstreams: ['TIMESHEET', 'MYSPACE'] } });
    expect(onlyError(unknownMember).extensions?.code).toBe('BAD_USER_INPUT');
    expect(onlyError(unknownMember).message).toMatch(/MYSPACE/);

    expect(t.requests()).toEqual([]);
    expect(await upstreamRecords(t, (await t.registered(person.email))!.links)).toEqual(before);
  });
});
