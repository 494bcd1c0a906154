/**
 * The timesheet connector over real HTTP, through the real client, against the timesheet emulator:
 * every endpoint round-trips into domain values, each function makes exactly the request it should
 * (counted by the emulator, and its body recorded on the way into the client), and every documented
 * failure comes back as the right GatewayError.
 */
import http from 'node:http';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, membersOf, type DemoPerson } from '../../src/emulators/population';
import { createTimesheetEmulator } from '../../src/emulators/timesheet';
import { ErrorCode, GatewayError, upstreamFailureMessage } from '../../src/errors';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createMemoryCooldowns } from '../../src/upstreams/cooldown';
import { createTimesheetConnector, describeTimesheetError, type TimesheetConnector } from '../../src/upstreams/timesheet/connector';
import { timesheetReasonWords } from '../../src/upstreams/timesheet/describe';
import type { CallEvent, UpstreamClient, UpstreamClientOptions, UpstreamRequest } from '../../src/upstreams/types';

const TOKEN = DEV_TOKENS.timesheet;
const population = buildPopulation();
const members = membersOf(population, 'timesheet');

// The emulator's documented seeding rules (src/emulators/timesheet/README.md).
const state = (i: number): string => (i % 20 === 7 ? 'pending' : i % 20 === 13 ? 'disabled' : i % 40 === 18 ? 'suspended' : 'active');
const role = (i: number): string => (i % 10 === 0 ? 'admin' : i % 6 === 5 ? 'freelancer' : 'member');
const works = (i: number): boolean => state(i) !== 'pending' && i % 20 !== 3;
const person = (rule: (i: number) => boolean): DemoPerson => {
  const found = members.find((p) => rule(p.index));
  if (!found) throw new Error('no seeded person matches the rule');
  return found;
};
const idOf = (p: DemoPerson): string => String(5000 + p.index);

const activeMember = person((i) => state(i) === 'active' && works(i) && role(i) === 'member');
const activeFreelancer = person((i) => state(i) === 'active' && works(i) && role(i) === 'freelancer');
const activeWithoutEntries = person((i) => state(i) === 'active' && !works(i));
const pendingPerson = person((i) => state(i) === 'pending');
const disabledPerson = person((i) => state(i) === 'disabled');

let emulator: Emulator;
let client: UpstreamClient;
let timesheet: TimesheetConnector;
/** Every request the connector handed to the client, in order. */
let sent: UpstreamRequest[] = [];

/** The real client, with each request recorded on its way in (nothing is stubbed). */
function recording(inner: UpstreamClient): UpstreamClient {
  return {
    upstream: inner.upstream,
    baseUrl: inner.baseUrl,
    request: (req) => {
      sent.push(req);
      return inner.request(req);
    },
    breakerState: () => inner.breakerState(),
    close: () => inner.close(),
  };
}

/** Each test runs an hour after the one before on the cooldowns' clock: a 429's cooldown does not reach into the next test. */
let later = 0;
const cooldowns = createMemoryCooldowns(() => Date.now() + later);

const clientOptions = (baseUrl: string): UpstreamClientOptions => ({
  upstream: 'timesheet',
  baseUrl,
  describeError: describeTimesheetError,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 50,
  cooldowns,
});

async function wire(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(emulator.url() + path, { headers: { 'User-Agent': 'tests', 'X-FreckleToken': TOKEN } });
  const body: unknown = await res.json();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`expected an object from ${path}`);
  return Object.fromEntries(Object.entries(body));
}

/** The GatewayError a promise rejects with (fails the test when it resolves or rejects otherwise). */
async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

const routes = (): Record<string, number> => emulator.counts().byRoute;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

beforeAll(async () => {
  emulator = createTimesheetEmulator({ population });
  await emulator.listen(0);
  client = recording(createUpstreamClient(clientOptions(emulator.url())));
  timesheet = createTimesheetConnector({ client, token: TOKEN });
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

beforeEach(() => {
  emulator.reset(true);
  sent = [];
  later += 3_600_000;
});

describe('reading users', () => {
  it('maps a user into the domain: string id, UPPER_SNAKE enums, Date timestamps, counts', async () => {
    const w = await wire(`/users/${idOf(activeFreelancer)}`);
    emulator.reset();
    const user = await timesheet.getUser(idOf(activeFreelancer));
    expect(user).toEqual({
      id: idOf(activeFreelancer),
      email: activeFreelancer.email,
      firstName: activeFreelancer.firstName,
      lastName: activeFreelancer.lastName,
      profileImageUrl: w.profile_image_url,
      state: 'ACTIVE',
      role: 'FREELANCER',
      participatingProjectCount: w.participating_projects,
      accessibleProjectCount: w.accessible_projects,
      entryCount: w.entries,
      expenseCount: w.expenses,
      createdAt: new Date(String(w.created_at)),
      updatedAt: new Date(String(w.updated_at)),
    });
    expect(routes()).toEqual({ 'GET /users/:id': 1 });
    expect(sent[0]).toMatchObject({ method: 'GET', path: `/users/${idOf(activeFreelancer)}`, route: '/users/:id' });
    expect(sent[0]!.headers).toMatchObject({ 'x-freckletoken': TOKEN, 'user-agent': expect.stringMatching(/^usergraph\//) });
  });

  it('answers null for a user the API does not know, after one request', async () => {
    expect(await timesheet.getUser('999999')).toBeNull();
    expect(routes()).toEqual({ 'GET /users/:id': 1 });
  });

  it('refuses an id that is not a decimal integer before any request', async () => {
    const err = await failure(timesheet.getUser('../users'));
    expect([err.code, err.fieldErrors?.[0]?.path]).toEqual([ErrorCode.BAD_USER_INPUT, ['id']]);
    expect(emulator.counts().total).toBe(0);
  });

  it('lists one page of users with the next and last page numbers from the Link header', async () => {
    const last = Math.ceil(members.length / 30);
    const first = await timesheet.listUsers();
    expect([first.users.length, first.nextPage, first.lastPage]).toEqual([30, 2, last]);
    expect(first.users.map((u) => u.id)).toEqual(members.slice(0, 30).map(idOf));
    const end = await timesheet.listUsers({ page: last });
    expect([end.users.length, end.nextPage, end.lastPage]).toEqual([members.length - (last - 1) * 30, null, last]);
    const all = await timesheet.listUsers({ perPage: 1000 });
    expect([all.users.length, all.nextPage, all.lastPage]).toEqual([members.length, null, 1]);
    expect(routes()).toEqual({ 'GET /users': 3 });
  });

  it('sends role and state as the wire words and gets only matching users', async () => {
    const page = await timesheet.listUsers({ role: 'FREELANCER', state: 'ACTIVE', perPage: 1000 });
    expect(sent[0]!.query).toMatchObject({ role: 'freelancer', state: 'active', per_page: 1000 });
    expect(page.users.map((u) => u.id)).toEqual(members.filter((p) => role(p.index) === 'freelancer' && state(p.index) === 'active').map(idOf));
  });

  it('iterates every user across all pages, one request per page', async () => {
    const all = await collect(timesheet.allUsers());
    expect(all.map((u) => u.id)).toEqual(members.map(idOf));
    expect(routes()).toEqual({ 'GET /users': Math.ceil(members.length / 30) });
    emulator.reset();
    const pending = await collect(timesheet.allUsers({ state: 'PENDING', perPage: 2 }));
    expect(pending.map((u) => u.id)).toEqual(members.filter((p) => state(p.index) === 'pending').map(idOf));
    expect(routes()).toEqual({ 'GET /users': Math.ceil(pending.length / 2) });
    // Every follow-up request kept the filter the Link header carried.
    for (const req of sent.slice(-routes()['GET /users']!)) expect(req.query).toMatchObject({ state: 'pending' });
  });

  it('finds users by exact email, ignoring case, although the API filters by substring', async () => {
    const ten = members.find((p) => p.index === 10)!;
    const substring = await timesheet.listUsers({ email: ten.email });
    expect(substring.users).toHaveLength(2);
    emulator.reset();
    const found = await timesheet.findUsersByEmail(ten.email.toUpperCase());
    expect(found.map((u) => u.id)).toEqual([idOf(ten)]);
    expect(routes()).toEqual({ 'GET /users': 1 });
    expect(await timesheet.findUsersByEmail('nobody@example.com')).toEqual([]);
  });

  it('refuses to look up an empty email, which would list everyone', async () => {
    expect((await failure(timesheet.findUsersByEmail('  '))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(emulator.counts().total).toBe(0);
  });
});

describe('writing users', () => {
  it('creates a user sending only the email when nothing else is given', async () => {
    const user = await timesheet.createUser({ email: 'fresh@example.com' });
    expect(sent[0]).toMatchObject({ method: 'POST', path: '/users', route: '/users', body: { email: 'fresh@example.com' } });
    expect(Object.keys(Object(sent[0]!.body))).toEqual(['email']);
    expect(user).toMatchObject({ email: 'fresh@example.com', firstName: null, lastName: null, role: 'MEMBER', state: 'PENDING', entryCount: 0 });
    expect(await timesheet.getUser(user.id)).toEqual(user);
    expect(routes()).toEqual({ 'POST /users': 1, 'GET /users/:id': 1 });
  });

  it('creates a user with names and role as wire fields', async () => {
    const user = await timesheet.createUser({ email: 'ann@example.com', firstName: 'Ann', lastName: null, role: 'FREELANCER' });
    expect(sent[0]!.body).toEqual({ email: 'ann@example.com', first_name: 'Ann', last_name: null, role: 'freelancer' });
    expect(user).toMatchObject({ firstName: 'Ann', lastName: null, role: 'FREELANCER' });
  });

  it('reports a taken email as BAD_USER_INPUT on the email field with reason already_exists', async () => {
    const err = await failure(timesheet.createUser({ email: activeMember.email.toUpperCase() }));
    expect(err).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, upstream: 'timesheet', status: 422, reason: 'already_exists' });
    expect(err.fieldErrors).toEqual([{ path: ['email'], message: 'is already taken' }]);
    expect(err.message).not.toContain(activeMember.email.toUpperCase());
  });

  it('reports a blank email as missing and a malformed one as a format error', async () => {
    const blank = await failure(timesheet.createUser({ email: '' }));
    expect([blank.code, blank.reason, blank.fieldErrors]).toEqual([ErrorCode.BAD_USER_INPUT, 'missing_field', [{ path: ['email'], message: 'is required' }]]);
    const malformedEmail = await failure(timesheet.createUser({ email: 'not-an-email' }));
    expect([malformedEmail.code, malformedEmail.status, malformedEmail.fieldErrors]).toEqual([ErrorCode.BAD_USER_INPUT, 400, undefined]);
    expect(malformedEmail.message).toBe(upstreamFailureMessage('timesheet', ErrorCode.BAD_USER_INPUT, 400));
  });

  it('updates only the keys given: an omitted name is not sent, a null one is cleared', async () => {
    const id = idOf(activeMember);
    const renamed = await timesheet.updateUser(id, { firstName: 'Renamed' });
    expect(sent[0]).toMatchObject({ method: 'PATCH', path: `/users/${id}`, route: '/users/:id' });
    expect(sent[0]!.body).toEqual({ first_name: 'Renamed' });
    expect([renamed.firstName, renamed.lastName, renamed.email, renamed.role]).toEqual(['Renamed', activeMember.lastName, activeMember.email, 'MEMBER']);
    const cleared = await timesheet.updateUser(id, { lastName: null });
    expect(sent[1]!.body).toEqual({ last_name: null });
    expect([cleared.firstName, cleared.lastName]).toEqual(['Renamed', null]);
    const moved = await timesheet.updateUser(id, { email: 'moved@example.com', role: 'ADMIN' });
    expect(sent[2]!.body).toEqual({ email: 'moved@example.com', role: 'admin' });
    expect([moved.email, moved.role]).toEqual(['moved@example.com', 'ADMIN']);
    expect(routes()).toEqual({ 'PATCH /users/:id': 3 });
  });

  it('reports editing a deactivated user with reason deactivated, and an unknown user as NOT_FOUND', async () => {
    const deactivated = await failure(timesheet.updateUser(idOf(disabledPerson), { firstName: 'X' }));
    expect([deactivated.code, deactivated.reason, deactivated.fieldErrors]).toEqual([ErrorCode.BAD_USER_INPUT, 'deactivated', undefined]);
    expect(deactivated.message).toBe(upstreamFailureMessage('timesheet', ErrorCode.BAD_USER_INPUT, 422));
    expect(timesheetReasonWords(deactivated.reason)).toBe('the user is deactivated');
    const missing = await failure(timesheet.updateUser('999999', { firstName: 'X' }));
    expect([missing.code, missing.status]).toEqual([ErrorCode.NOT_FOUND, 404]);
  });

  it('deletes a user without entries, and refuses one with entries with reason dependent', async () => {
    await timesheet.deleteUser(idOf(activeWithoutEntries));
    expect(await timesheet.getUser(idOf(activeWithoutEntries))).toBeNull();
    const refused = await failure(timesheet.deleteUser(idOf(activeMember)));
    expect([refused.code, refused.reason]).toEqual([ErrorCode.BAD_USER_INPUT, 'dependent']);
    expect(routes()).toEqual({ 'DELETE /users/:id': 2, 'GET /users/:id': 1 });
  });
});

describe('user actions', () => {
  it('resends the invitation of a pending user, and reports others with reason not_pending', async () => {
    await expect(timesheet.resendInvitation(idOf(pendingPerson))).resolves.toBeUndefined();
    const err = await failure(timesheet.resendInvitation(idOf(activeMember)));
    expect([err.code, err.reason, err.status]).toEqual([ErrorCode.BAD_USER_INPUT, 'not_pending', 422]);
    expect(err.message).toBe(upstreamFailureMessage('timesheet', ErrorCode.BAD_USER_INPUT, 422));
    expect(timesheetReasonWords(err.reason)).toContain('not pending');
    expect(routes()).toEqual({ 'PUT /users/:id/resend_invitation_email': 2 });
    expect(sent.map((r) => r.body)).toEqual([undefined, undefined]);
  });

  it('activates a deactivated user, and reports an active one with reason not_deactivated', async () => {
    await timesheet.activateUser(idOf(disabledPerson));
    expect((await timesheet.getUser(idOf(disabledPerson)))?.state).toBe('ACTIVE');
    const err = await failure(timesheet.activateUser(idOf(activeMember)));
    expect([err.code, err.reason]).toEqual([ErrorCode.BAD_USER_INPUT, 'not_deactivated']);
    expect(routes()).toMatchObject({ 'PUT /users/:id/activate': 2 });
  });

  it('deactivates a user with entries, and reports one without with reason deletable', async () => {
    await timesheet.deactivateUser(idOf(activeMember));
    expect((await timesheet.getUser(idOf(activeMember)))?.state).toBe('DISABLED');
    const err = await failure(timesheet.deactivateUser(idOf(activeWithoutEntries)));
    expect([err.code, err.reason]).toEqual([ErrorCode.BAD_USER_INPUT, 'deletable']);
  });

  it('gives and revokes a freelancer’s project access, sending integer project ids', async () => {
    const id = idOf(activeFreelancer);
    const before = (await timesheet.getUser(id))!.accessibleProjectCount;
    const own = new Set((await collect(timesheet.allParticipatingProjects(id, { perPage: 1000 }))).map((p) => p.id));
    const other = ['37000', '37001', '37002', '37003', '37004', '37005'].filter((p) => !own.has(p)).slice(0, 2);
    sent = [];
    await timesheet.giveAccessToProjects(id, other);
    expect(sent[0]).toMatchObject({ method: 'PUT', route: '/users/:id/give_access_to_projects', body: { projects: other.map(Number) } });
    expect((await timesheet.getUser(id))!.accessibleProjectCount).toBe(before + other.length);
    const again = await failure(timesheet.giveAccessToProjects(id, other));
    expect([again.reason, again.fieldErrors]).toEqual(['already_has_access', [{ path: ['projectIds'], message: expect.stringContaining('already has access') }]]);
    await timesheet.revokeAccessToProjects(id, other);
    expect((await timesheet.getUser(id))!.accessibleProjectCount).toBe(before);
  });

  it('reports project access for a member with reason not_a_freelancer, and refuses bad ids before any request', async () => {
    const err = await failure(timesheet.giveAccessToProjects(idOf(activeMember), ['37000']));
    expect([err.code, err.reason]).toEqual([ErrorCode.BAD_USER_INPUT, 'not_a_freelancer']);
    emulator.reset();
    const bad = await failure(timesheet.revokeAccessToProjects(idOf(activeFreelancer), ['37000', 'x']));
    expect([bad.code, bad.fieldErrors?.[0]?.path]).toEqual([ErrorCode.BAD_USER_INPUT, ['projectIds', '1']]);
    expect((await failure(timesheet.giveAccessToProjects(idOf(activeFreelancer), []))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(emulator.counts().total).toBe(0);
  });

  it.each([
    ['activateUser', () => timesheet.activateUser('999999')],
    ['deactivateUser', () => timesheet.deactivateUser('999999')],
    ['resendInvitation', () => timesheet.resendInvitation('999999')],
    ['giveAccessToProjects', () => timesheet.giveAccessToProjects('999999', ['37000'])],
    ['revokeAccessToProjects', () => timesheet.revokeAccessToProjects('999999', ['37000'])],
    ['deleteUser', () => timesheet.deleteUser('999999')],
  ])('answers NOT_FOUND for an unknown user on %s', async (_action, act) => {
    expect((await failure(act())).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('does not retry an action whose answer was lost, since a retry would be refused or repeat the email', async () => {
    emulator.setFaults({ status: 503, routes: ['PUT /users/:id/resend_invitation_email'], count: 1 });
    const err = await failure(timesheet.resendInvitation(idOf(pendingPerson)));
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(routes()).toEqual({ 'PUT /users/:id/resend_invitation_email': 1 });
  });
});

describe("a user's entries, expenses and projects", () => {
  it('maps a page of entries and says which pages follow', async () => {
    const user = (await timesheet.getUser(idOf(activeMember)))!;
    const page = await timesheet.listEntries(user.id);
    expect([page.items.length, page.nextPage, page.lastPage]).toEqual([30, 2, Math.ceil(user.entryCount / 30)]);
    const e = page.items[0]!;
    expect(e).toEqual({
      id: expect.stringMatching(/^\d+$/),
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      user: { id: user.id, email: user.email, firstName: user.firstName, lastName: user.lastName, profileImageUrl: user.profileImageUrl },
      billable: expect.any(Boolean),
      minutes: expect.any(Number),
      description: expect.any(String),
      project: e.project && { id: expect.stringMatching(/^\d+$/), name: expect.any(String), billingIncrement: expect.any(Number), enabled: expect.any(Boolean), billable: expect.any(Boolean), color: expect.stringMatching(/^#[0-9a-f]{6}$/) },
      tags: expect.any(Array),
      sourceUrl: e.sourceUrl,
      invoicedAt: e.invoicedAt && expect.any(Date),
      invoice: e.invoice && { id: expect.any(String), number: expect.any(String), state: expect.stringMatching(/^(UNPAID|AWAITING_PAYMENT|PAID)$/), total: expect.stringMatching(/^-?\d+\.\d{2}$/) },
      importId: e.importId,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(routes()).toEqual({ 'GET /users/:id': 1, 'GET /users/:id/entries': 1 });
  });

  it('iterates all entries of a user, one request per page', async () => {
    const user = (await timesheet.getUser(idOf(activeMember)))!;
    emulator.reset();
    const all = await collect(timesheet.allEntries(user.id));
    expect(all).toHaveLength(user.entryCount);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(routes()).toEqual({ 'GET /users/:id/entries': Math.ceil(user.entryCount / 30) });
  });

  it('sends entry filters as the documented query parameters', async () => {
    const all = await collect(timesheet.allEntries(idOf(activeMember), { perPage: 1000 }));
    const from = all[Math.floor(all.length / 2)]!.date;
    const projectId = all.find((e) => e.project)!.project!.id;
    sent = [];
    const page = await timesheet.listEntries(idOf(activeMember), { from, billable: true, projectIds: [projectId], tagFilterType: 'COMBINATION_OF', perPage: 1000 });
    expect(sent[0]!.query).toMatchObject({ from, billable: true, project_ids: projectId, tag_filter_type: 'combination of', per_page: 1000 });
    expect(page.items.map((e) => e.id)).toEqual(all.filter((e) => e.date >= from && e.billable && e.project?.id === projectId).map((e) => e.id));
  });

  it('refuses malformed filters before any request and reports an unknown user as NOT_FOUND', async () => {
    expect((await failure(timesheet.listEntries(idOf(activeMember), { from: '15/01/2024' }))).fieldErrors?.[0]?.path).toEqual(['from']);
    expect((await failure(timesheet.listEntries(idOf(activeMember), { projectIds: [] }))).fieldErrors?.[0]?.path).toEqual(['projectIds']);
    expect((await failure(timesheet.listEntries(idOf(activeMember), { perPage: 1001 }))).fieldErrors?.[0]?.path).toEqual(['perPage']);
    expect(emulator.counts().total).toBe(0);
    expect((await failure(timesheet.listEntries('999999'))).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('maps expenses with decimal string prices and iterates them all', async () => {
    const user = (await timesheet.getUser(idOf(activeFreelancer)))!;
    const page = await timesheet.listExpenses(user.id, { perPage: 10 });
    expect([page.items.length, page.nextPage, page.lastPage]).toEqual([10, 2, Math.ceil(user.expenseCount / 10)]);
    for (const x of page.items) {
      expect(x.price).toMatch(/^-?\d+\.\d{2}$/);
      expect(x).toMatchObject({ user: { id: user.id }, date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), createdAt: expect.any(Date) });
    }
    const all = await collect(timesheet.allExpenses(user.id));
    expect(all).toHaveLength(user.expenseCount);
    const taxFree = await timesheet.listExpenses(user.id, { taxable: false, invoiced: false, perPage: 1000 });
    expect(sent.at(-1)!.query).toMatchObject({ taxable: false, invoiced: false });
    expect(taxFree.items.map((x) => x.id)).toEqual(all.filter((x) => !x.taxable && x.invoice === null).map((x) => x.id));
  });

  it('maps participating projects with their participants and iterates them all', async () => {
    const user = (await timesheet.getUser(idOf(activeMember)))!;
    const page = await timesheet.listParticipatingProjects(user.id);
    expect([page.items.length, page.nextPage]).toEqual([30, 2]);
    const p = page.items[0]!;
    expect(p.participants.map((u) => u.id)).toContain(user.id);
    expect(p.minutes).toBe(p.billableMinutes + p.unbillableMinutes);
    expect(p).toMatchObject({ id: expect.stringMatching(/^\d+$/), createdAt: expect.any(Date), entryCount: expect.any(Number) });
    const all = await collect(timesheet.allParticipatingProjects(user.id));
    expect(all).toHaveLength(user.participatingProjectCount);
    const archived = await timesheet.listParticipatingProjects(user.id, { enabled: false, perPage: 1000 });
    expect(archived.items.map((x) => x.id)).toEqual(all.filter((x) => !x.enabled).map((x) => x.id));
    expect(routes()).toMatchObject({ 'GET /users/:id/participating_projects': 2 + Math.ceil(all.length / 30) });
  });
});

describe('failures and call options', () => {
  it('reports a wrong token as UPSTREAM_AUTH_FAILED without the token in the message', async () => {
    const wrong = createTimesheetConnector({ client, token: 'wrong-token-0000000000000000000000000000' });
    const err = await failure(wrong.getUser(idOf(activeMember)));
    expect([err.code, err.status]).toEqual([ErrorCode.UPSTREAM_AUTH_FAILED, 401]);
    expect(err.message).not.toContain('wrong-token');
  });

  it('reports the migration 503 as UPSTREAM_UNAVAILABLE in its own words, after retrying the read', async () => {
    emulator.setFaults({ status: 503, count: 3 });
    const err = await failure(timesheet.listUsers());
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.message).toBe('timesheet could not answer (it reported a server error); try again shortly.');
    expect(routes()).toEqual({ 'GET /users': 3 });
  });

  it('reports a 429 as RATE_LIMITED with the seconds to wait', async () => {
    emulator.setFaults({ status: 429, retryAfter: 7, count: 1 });
    const err = await failure(timesheet.getUser(idOf(activeMember)));
    expect([err.code, err.retryAfter]).toEqual([ErrorCode.RATE_LIMITED, 7]);
  });

  it('reports a body that is not JSON as UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ malformed: true, count: 1 });
    expect((await failure(timesheet.getUser(idOf(activeMember)))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
  });

  it('passes the call options through to the client', async () => {
    const events: CallEvent[] = [];
    await timesheet.getUser(idOf(activeMember), { requestId: 'req-1', onCall: (e) => events.push(e) });
    expect(sent[0]!.call?.requestId).toBe('req-1');
    expect(events).toEqual([expect.objectContaining({ upstream: 'timesheet', method: 'GET', route: '/users/:id', status: 200, attempt: 1 })]);
  });

  describe('against a server that does not speak the contract', () => {
    let server: http.Server;
    let answer: { status: number; body: string };
    let odd: TimesheetConnector;
    let oddClient: UpstreamClient;

    beforeAll(async () => {
      server = http.createServer((_req, res) => {
        res.writeHead(answer.status, { 'content-type': answer.body.startsWith('<') ? 'text/html' : 'application/json' });
        res.end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('expected the test server to listen on a TCP port');
      oddClient = createUpstreamClient(clientOptions(`http://127.0.0.1:${address.port}/v2`));
      odd = createTimesheetConnector({ client: oddClient, token: TOKEN });
    });

    afterAll(async () => {
      await oddClient.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('does not take a 404 page with a body for "no such user"', async () => {
      answer = { status: 404, body: '<html>Not Found</html>' };
      expect((await failure(odd.getUser('5000'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    });

    it('still takes a 404 with the API’s JSON error shape for "no such user"', async () => {
      answer = { status: 404, body: '{"message":"Not Found"}' };
      expect(await odd.getUser('5000')).toBeNull();
    });

    it('refuses a user in an undocumented state, naming the field', async () => {
      const w = await wire(`/users/${idOf(activeMember)}`);
      answer = { status: 200, body: JSON.stringify({ ...w, state: 'archived' }) };
      const err = await failure(odd.getUser('5000'));
      expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
      expect(err.message).toContain('user.state');
    });

    it('stops following a next link that does not move forward', async () => {
      const w = await wire(`/users/${idOf(activeMember)}`);
      answer = { status: 200, body: JSON.stringify([w]) };
      server.removeAllListeners('request');
      server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', link: '<http://127.0.0.1/v2/users?page=1>; rel="next"' });
        res.end(answer.body);
      });
      const err = await failure(collect(odd.allUsers()));
      expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    });
  });
});

describe('describeTimesheetError', () => {
  it('reads a validation body into field errors named as connector inputs, with the code as reason', () => {
    expect(
      describeTimesheetError(422, {
        message: 'Validation Failed',
        errors: [
          { resource: 'User', field: 'first_name', code: 'missing_field' },
          { resource: 'User', field: 'email', code: 'already_exists' },
        ],
      }),
    ).toEqual({
      detail: 'Validation Failed; first_name missing_field; email already_exists',
      fieldErrors: [
        { path: ['firstName'], message: 'is required' },
        { path: ['email'], message: 'is already taken' },
      ],
      reason: 'missing_field',
    });
  });

  it('reads a refusal of the whole action into a reason with the gateway\'s words, without field errors', () => {
    expect(describeTimesheetError(422, { message: 'Validation Failed', errors: [{ resource: 'User', field: 'base', code: 'not_deactivated' }] })).toEqual({
      detail: 'Validation Failed; base not_deactivated',
      reason: 'not_deactivated',
    });
    expect(timesheetReasonWords('not_deactivated')).toBe('the user is not deactivated');
  });

  it('passes a code on only when the API documents it, and names no field the gateway does not send', () => {
    const known = describeTimesheetError(422, { errors: [{ resource: 'User', field: 'base', code: 'account_owner' }] });
    expect(known).toEqual({ detail: 'base account_owner' });
    expect(timesheetReasonWords('account_owner')).toBeUndefined();
    const unknownField = describeTimesheetError(422, { errors: [{ resource: 'User', field: 'db-prod-01.internal:5432', code: 'missing_field' }] });
    expect(unknownField.fieldErrors).toEqual([{ path: [], message: 'is required' }]);
    const prose = describeTimesheetError(422, { errors: [{ resource: 'User', field: 'base', code: 'see https://evil.example/x' }] });
    expect(prose.reason).toBeUndefined();
  });

  it('keeps the upstream message only in the log-only detail, and no other body field', () => {
    const d = describeTimesheetError(503, {
      message: `Locked, see https://api.letsfreckle.com/status?token=${TOKEN} or use ${TOKEN}`,
      secret: 'do-not-leak',
    });
    expect(Object.keys(d)).toEqual(['detail']);
    expect(JSON.stringify({ ...d, detail: undefined })).not.toContain('Locked');
    expect(JSON.stringify(d)).not.toContain('do-not-leak');
  });

  it('describes nothing of bodiless answers: the status alone chooses the message', () => {
    expect(describeTimesheetError(404, undefined)).toEqual({});
    expect(upstreamFailureMessage('timesheet', ErrorCode.NOT_FOUND, 404)).toBe('timesheet has no record with this identifier.');
    expect(describeTimesheetError(400, undefined)).toEqual({});
    expect(describeTimesheetError(418, '<html>teapot</html>')).toEqual({});
  });
});
