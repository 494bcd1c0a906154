/**
 * `deleteUser` over real HTTP, every request seen by the emulators' own servers: the time tracker asked
 * first (its member read), then identity's DELETE, then the time tracker's DELETE, then the person in the
 * registry. A refusal (a member with recorded time: `dependent`; an identity user on other platforms:
 * CONFLICT) deletes nothing anywhere; a failure after identity was deleted keeps the person with the
 * accounts that remain, and a later run finishes; the upstreams that document no deletion keep their
 * accounts, reported SKIPPED with their ids; a second caller at the same moment waits and finds no person;
 * only admins may delete.
 *
 * People (docs/population.md; timesheet user id 5000 + index): 1 identity, ev.energy, timesheet with time;
 * 2 identity, ev.energy, podero, timesheet with time; 3 identity, (VRM), timesheet without time; 4 and 34
 * and 44 identity, ev.energy, podero; 7 identity, timesheet pending; 13 identity, timesheet disabled with
 * time; 19 identity alone; 23 identity on other platforms, timesheet without time; 27 identity, (VRM),
 * timesheet pending. People made by `createUser` here have a fresh identity user and a pending member.
 */
import http from 'node:http';
import type { UpstreamName } from '../../src/errors';
import { dataOf, outcomeOf } from '../helpers/gateway';
import { demo, onlyError, startMutationGateway, upstreamRecords, type CreateUserData, type DeleteUserData, type MutationGateway, type OutcomeRow } from './users-harness';

let t: MutationGateway;

/**
 * A server in front of the timesheet emulator that forwards everything as it is, except that it can make
 * one member read answer "no recorded time" (`entries` and `expenses` 0): what the gateway would read a
 * moment before the member logs time, so that the DELETE then meets the time tracker's real refusal.
 */
const timesheetFront = { hideRecordedTimeOf: null as string | null, server: null as http.Server | null };

async function startTimesheetFront(emulatorUrl: string): Promise<string> {
  const target = new URL(emulatorUrl);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
      const body = Buffer.concat(chunks);
      fetch(target.origin + (req.url ?? ''), { method: req.method, headers, body: body.length ? body : undefined })
        .then(async (answer) => {
          let text = await answer.text();
          const hidden = timesheetFront.hideRecordedTimeOf;
          if (req.method === 'GET' && hidden !== null && new URL(req.url ?? '', target.origin).pathname === `${target.pathname}/users/${hidden}`) {
            timesheetFront.hideRecordedTimeOf = null;
            text = JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), entries: 0, expenses: 0 });
          }
          res.statusCode = answer.status;
          for (const name of ['content-type', 'link']) {
            const value = answer.headers.get(name);
            if (value !== null) res.setHeader(name, value);
          }
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  timesheetFront.server = server;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `http://127.0.0.1:${address.port}${target.pathname}`;
}

beforeAll(async () => {
  t = await startMutationGateway({ urlFor: (upstream, url) => (upstream === 'timesheet' ? startTimesheetFront(url) : url) });
  await t.syncPopulation();
});
afterAll(async () => {
  await t.close();
  timesheetFront.server?.closeAllConnections();
  await new Promise((resolve) => timesheetFront.server?.close(resolve));
});
beforeEach(() => {
  t.clear();
  timesheetFront.hideRecordedTimeOf = null;
});

const DELETE = `mutation ($id: ID!) {
  deleteUser(id: $id) {
    deletedPersonId
    deletedUserId
    outcomes { upstream status accountId error { code message reason fieldPath } }
  }
}`;

type Links = Partial<Record<UpstreamName, string>>;

async function linked(index: number): Promise<{ id: string; email: string; links: Links }> {
  const { email } = demo(t, index);
  // Sync walks the upstream lists; someone only identity holds (it has no list) is linked on first lookup.
  if (!(await t.registered(email))) await t.query(`query ($email: EmailAddress!) { userByEmail(email: $email) { personId } }`, { variables: { email } });
  const registered = await t.registered(email);
  if (!registered) throw new Error(`person ${index} is not in the registry`);
  t.clear();
  return { id: registered.person.id, email: registered.person.email, links: registered.links };
}

let made = 0;
/** A new person with a fresh identity user and a pending timesheet member (no recorded time). */
async function created(): Promise<{ id: string; email: string; links: Links }> {
  const email = `delete.me${++made}@example.com`;
  const res = await t.query<CreateUserData>(
    `mutation ($email: EmailAddress!) { createUser(input: { email: $email, firstName: "Delete", lastName: "Me", upstreams: [IDENTITY, TIMESHEET] }) { user { personId } outcomes { upstream status accountId } } }`,
    { variables: { email } },
  );
  const { outcomes } = dataOf(res).createUser;
  expect([outcomeOf(outcomes, 'IDENTITY').status, outcomeOf(outcomes, 'TIMESHEET').status]).toEqual(['CREATED', 'CREATED']);
  const registered = await t.registered(email);
  t.clear();
  return { id: registered!.person.id, email, links: registered!.links };
}

async function deleteUser(id: string, token?: string | null) {
  return t.query<DeleteUserData & { deleteUser: { deletedUserId: string | null } }>(DELETE, { variables: { id }, token });
}

function byUpstream(outcomes: OutcomeRow[]): Record<string, OutcomeRow> {
  return Object.fromEntries(outcomes.map((o) => [o.upstream, o]));
}

/** What reached the upstreams, in order: `GET timesheet /users/5003`. */
const sent = (): string[] => t.requests().map((r) => `${r.method} ${r.upstream} ${r.path}`);

const NO_UPSTREAM_TEXT = /Validation Failed|"base"|subscribed to other platforms|Freckle|hashtags|127\.0\.0\.1|https?:\/\/|Bearer|FreckleToken/;

describe('deleting', () => {
  it('deletes the identity user and then the person of someone only identity holds', async () => {
    const p = await linked(19);
    expect(Object.keys(p.links)).toEqual(['identity']);
    const res = await deleteUser(p.id);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(p.id);
    expect(dataOf(res).deleteUser.outcomes).toEqual([
      { upstream: 'IDENTITY', status: 'DELETED', accountId: null, error: null },
      { upstream: 'EVENERGY', status: 'SKIPPED', accountId: null, error: null },
      { upstream: 'VRM', status: 'SKIPPED', accountId: null, error: null },
      { upstream: 'PODERO', status: 'SKIPPED', accountId: null, error: null },
      { upstream: 'TIMESHEET', status: 'SKIPPED', accountId: null, error: null },
    ]);
    expect(sent()).toEqual([`DELETE identity /users/${p.links.identity}`]);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).toBeNull();
    expect(await t.registered(p.email)).toBeNull();
  });

  it.each([
    [3, 'an active member without recorded time'],
    [7, 'a pending member'],
  ])('deletes person %i, %s in the time tracker: member read, identity DELETE, timesheet DELETE, then the person', async (index) => {
    const p = await linked(index);
    const member = `/users/${5000 + index}`;
    expect(p.links.timesheet).toBe(String(5000 + index));
    const res = await deleteUser(p.id);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deleteUser).toMatchObject({ deletedPersonId: p.id, deletedUserId: expect.any(String) });
    expect(byUpstream(dataOf(res).deleteUser.outcomes)).toMatchObject({
      IDENTITY: { status: 'DELETED', accountId: null, error: null },
      TIMESHEET: { status: 'DELETED', accountId: null, error: null },
    });
    expect(sent()).toEqual([`GET timesheet ${member}`, `DELETE identity /users/${p.links.identity}`, `DELETE timesheet ${member}`]);
    expect(await t.gateway.upstreams.timesheet.getUser(p.links.timesheet!)).toBeNull();
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).toBeNull();
    expect(await t.registered(p.email)).toBeNull();
  });

  it('leaves the accounts of the upstreams that document no deletion where they are, and says which they are', async () => {
    // Person 4: identity, ev.energy, podero.
    const p = await linked(4);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await deleteUser(p.id);
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'DELETED', accountId: null });
    expect(outcomes.EVENERGY).toMatchObject({ status: 'SKIPPED', accountId: p.links.evenergy, error: null });
    expect(outcomes.PODERO).toMatchObject({ status: 'SKIPPED', accountId: p.links.podero, error: null });
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'SKIPPED', accountId: null });
    expect(t.writes().map((w) => `${w.method} ${w.upstream}`)).toEqual(['DELETE identity']);
    expect(await upstreamRecords(t, p.links)).toEqual({ ...before, identity: null });
    expect(await t.registered(p.email)).toBeNull();
  });

  it('deletes a person who holds no identity account straight from the registry', async () => {
    const res0 = await t.query<CreateUserData>(`mutation { createUser(input: { email: "no.identity1@example.com", firstName: "No", lastName: "Identity", upstreams: [EVENERGY] }) { user { personId } outcomes { upstream accountId } } }`);
    const personId = dataOf(res0).createUser.user.personId;
    const evenergyId = outcomeOf(dataOf(res0).createUser.outcomes, 'EVENERGY').accountId;
    t.clear();
    const res = await deleteUser(personId);
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(personId);
    expect(byUpstream(dataOf(res).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'SKIPPED' }, EVENERGY: { status: 'SKIPPED', accountId: evenergyId } });
    expect(t.requests()).toEqual([]);
    expect(await t.registered('no.identity1@example.com')).toBeNull();
  });

  it('deletes the timesheet member of a person who has only that', async () => {
    const res0 = await t.query<CreateUserData>(`mutation { createUser(input: { email: "only.timesheet1@example.com", firstName: "Only", lastName: "Timesheet", upstreams: [TIMESHEET] }) { user { personId } outcomes { upstream accountId } } }`);
    const personId = dataOf(res0).createUser.user.personId;
    const member = outcomeOf(dataOf(res0).createUser.outcomes, 'TIMESHEET').accountId!;
    t.clear();
    const res = await deleteUser(personId);
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(personId);
    expect(byUpstream(dataOf(res).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'SKIPPED', accountId: null }, TIMESHEET: { status: 'DELETED' } });
    expect(sent()).toEqual([`GET timesheet /users/${member}`, `DELETE timesheet /users/${member}`]);
    expect(await t.gateway.upstreams.timesheet.getUser(member)).toBeNull();
  });
});

describe('refusals delete nothing anywhere', () => {
  it.each([
    [2, 'an active member'],
    [13, 'a deactivated member'],
  ])('refuses person %i, %s with recorded time, as FAILED dependent for timesheet, before any DELETE', async (index) => {
    const p = await linked(index);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await deleteUser(p.id);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deleteUser).toMatchObject({ deletedPersonId: null, deletedUserId: null });
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.TIMESHEET).toEqual({
      upstream: 'TIMESHEET',
      status: 'FAILED',
      accountId: p.links.timesheet,
      error: { code: 'BAD_USER_INPUT', reason: 'dependent', fieldPath: ['id'], message: expect.stringMatching(/recorded time.*deactivateUser.*unlinkAccount/) },
    });
    // Not reached: SKIPPED, with the account that stays.
    expect(outcomes.IDENTITY).toEqual({ upstream: 'IDENTITY', status: 'SKIPPED', accountId: p.links.identity, error: null });
    expect(outcomes.EVENERGY).toMatchObject({ status: 'SKIPPED', accountId: p.links.evenergy ?? null });
    // One read of the member; nothing written anywhere.
    expect(sent()).toEqual([`GET timesheet /users/${5000 + index}`]);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(JSON.stringify(res)).not.toMatch(NO_UPSTREAM_TEXT);
  });

  it('answers CONFLICT for identity while the user is on other platforms, and leaves even a deletable timesheet member', async () => {
    // Person 23: identity user subscribed to other platforms; a timesheet member without recorded time.
    const p = await linked(23);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await deleteUser(p.id);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', accountId: p.links.identity, error: { code: 'CONFLICT', reason: 'subscribed_to_other_platforms' } });
    expect(outcomes.TIMESHEET).toEqual({ upstream: 'TIMESHEET', status: 'SKIPPED', accountId: '5023', error: null });
    expect(sent()).toEqual(['GET timesheet /users/5023', `DELETE identity /users/${p.links.identity}`]);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(JSON.stringify(res)).not.toMatch(NO_UPSTREAM_TEXT);
  });
});

describe('failures halfway, and the run that finishes', () => {
  it('retries an identity DELETE whose answer was lost, and counts identity’s "not found" as deleted', async () => {
    const p = await linked(34);
    t.faults('identity', { status: 503, afterHandler: true, count: 1, routes: ['DELETE /users/:identifier'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(res).deleteUser.outcomes).IDENTITY!.status).toBe('DELETED');
    expect(t.counts().identity.byRoute['DELETE /users/:identifier']).toBe(2);
    expect(t.counts().identity.byStatus['404']).toBe(1);
    expect(await t.registered(p.email)).toBeNull();
  });

  it('deletes nothing when identity fails, and a later run finishes', async () => {
    const p = await created();
    t.faults('identity', { status: 503, routes: ['DELETE /users/:identifier'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', accountId: p.links.identity, error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'SKIPPED', accountId: p.links.timesheet });
    expect(t.counts().timesheet.byRoute['DELETE /users/:id']).toBeUndefined();
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).not.toBeNull();
    expect(await t.gateway.upstreams.timesheet.getUser(p.links.timesheet!)).not.toBeNull();
    expect(JSON.stringify(res)).not.toMatch(NO_UPSTREAM_TEXT);

    t.clear();
    const retry = await deleteUser(p.id);
    expect(dataOf(retry).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(retry).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'DELETED' }, TIMESHEET: { status: 'DELETED' } });
    expect(await t.registered(p.email)).toBeNull();
  });

  it('deletes nothing when the time tracker cannot say whether the member has recorded time', async () => {
    const p = await linked(27);
    t.faults('timesheet', { status: 503, routes: ['GET /users/:id'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'FAILED', accountId: '5027', error: { code: 'UPSTREAM_UNAVAILABLE', reason: null } });
    expect(outcomes.IDENTITY).toMatchObject({ status: 'SKIPPED', accountId: p.links.identity });
    // The read is retried (it is a GET); nothing else is sent.
    expect(t.writes()).toEqual([]);
    expect(t.counts().identity.total).toBe(0);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(JSON.stringify(res)).not.toMatch(NO_UPSTREAM_TEXT);
  });

  it('keeps the person with their timesheet member when the time tracker fails after identity was deleted, and a later run deletes only what is left', async () => {
    const p = await created();
    t.faults('timesheet', { status: 503, routes: ['DELETE /users/:id'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'DELETED', accountId: null });
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'FAILED', accountId: p.links.timesheet, error: { code: 'UPSTREAM_UNAVAILABLE' } });
    // The DELETE is not retried: a retry after a lost answer would meet a 404.
    expect(t.counts().timesheet.byRoute['DELETE /users/:id']).toBe(1);
    // The registry holds exactly what still exists: the timesheet member, not the deleted identity user.
    expect((await t.registered(p.email))?.links).toEqual({ timesheet: p.links.timesheet });
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).toBeNull();

    t.clear();
    const retry = await deleteUser(p.id);
    expect(dataOf(retry).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(retry).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'SKIPPED', accountId: null }, TIMESHEET: { status: 'DELETED' } });
    expect(sent()).toEqual([`GET timesheet /users/${p.links.timesheet}`, `DELETE timesheet /users/${p.links.timesheet}`]);
    expect(await t.registered(p.email)).toBeNull();
  });

  it('counts a member found gone on the next run as deleted, when the DELETE went through but its answer was lost', async () => {
    const p = await created();
    t.faults('timesheet', { status: 503, afterHandler: true, count: 1, routes: ['DELETE /users/:id'] });
    const res = await deleteUser(p.id);
    expect(byUpstream(dataOf(res).deleteUser.outcomes).TIMESHEET).toMatchObject({ status: 'FAILED', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(await t.gateway.upstreams.timesheet.getUser(p.links.timesheet!)).toBeNull();

    t.clear();
    const retry = await deleteUser(p.id);
    expect(dataOf(retry).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(retry).deleteUser.outcomes).TIMESHEET).toMatchObject({ status: 'DELETED', error: null });
    // The read found no member: no DELETE was sent.
    expect(sent()).toEqual([`GET timesheet /users/${p.links.timesheet}`]);
    expect(await t.registered(p.email)).toBeNull();
  });

  it('reports the time tracker’s own dependent refusal when time was recorded after the check, and shows the way out', async () => {
    // Person 1: identity, ev.energy and a timesheet member with recorded time, which this one read hides.
    const p = await linked(1);
    timesheetFront.hideRecordedTimeOf = p.links.timesheet!;
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'DELETED' });
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'FAILED', accountId: p.links.timesheet, error: { code: 'BAD_USER_INPUT', reason: 'dependent', fieldPath: ['id'] } });
    expect(t.counts().timesheet.byStatus['422']).toBe(1);
    expect(JSON.stringify(res)).not.toMatch(NO_UPSTREAM_TEXT);
    expect((await t.registered(p.email))?.links).toEqual({ evenergy: p.links.evenergy, timesheet: p.links.timesheet });

    // Running it again is refused before anything is sent but the read: the member still has time.
    t.clear();
    const again = await deleteUser(p.id);
    expect(byUpstream(dataOf(again).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'SKIPPED', accountId: null }, TIMESHEET: { status: 'FAILED', error: { reason: 'dependent' } } });
    expect(t.writes()).toEqual([]);

    // The way out the message names: deactivate the member, unlink it, delete the person without it.
    const deactivated = await t.query<{ deactivateUser: { user: { state: string } } }>(`mutation ($id: ID!) { deactivateUser(userId: $id) { user { state } } }`, { variables: { id: p.id } });
    expect(dataOf(deactivated).deactivateUser.user.state).toBe('DISABLED');
    const unlinked = await t.query<{ unlinkAccount: { status: string } }>(`mutation ($id: ID!) { unlinkAccount(personId: $id, upstream: TIMESHEET) { status } }`, { variables: { id: p.id } });
    expect(dataOf(unlinked).unlinkAccount.status).toBe('UNLINKED');
    t.clear();
    const finished = await deleteUser(p.id);
    expect(dataOf(finished).deleteUser.deletedPersonId).toBe(p.id);
    expect(t.writes()).toEqual([]);
    expect((await t.gateway.upstreams.timesheet.getUser(p.links.timesheet!))?.state).toBe('DISABLED');
  });
});

describe('two callers deleting one person at the same moment', () => {
  it('deletes once: the second waits for the first, then finds no person (NOT_FOUND at id)', async () => {
    const p = await created();
    const [a, b] = await Promise.all([deleteUser(p.id), deleteUser(p.id)]);
    const done = [a, b].filter((r) => r.data?.deleteUser.deletedPersonId === p.id);
    const refused = [a, b].filter((r) => r.errors !== undefined);
    expect([done.length, refused.length]).toEqual([1, 1]);
    expect(onlyError(refused[0]!).extensions).toMatchObject({ code: 'NOT_FOUND', fieldErrors: [{ path: ['id'] }] });
    expect(t.counts().identity.byRoute['DELETE /users/:identifier']).toBe(1);
    expect(t.counts().timesheet.byRoute).toEqual({ 'GET /users/:id': 1, 'DELETE /users/:id': 1 });
    expect(await t.registered(p.email)).toBeNull();
  });

  it('gives both the same refusal when the deletion is refused, and writes nothing', async () => {
    const p = await linked(13);
    const both = await Promise.all([deleteUser(p.id), deleteUser(p.id)]);
    for (const res of both) {
      expect(res.errors).toBeUndefined();
      expect(byUpstream(dataOf(res).deleteUser.outcomes).TIMESHEET).toMatchObject({ status: 'FAILED', error: { reason: 'dependent' } });
    }
    expect(t.writes()).toEqual([]);
    expect(t.counts().timesheet.byRoute).toEqual({ 'GET /users/:id': 2 });
    expect((await t.registered(p.email))?.links).toEqual(p.links);
  });
});

describe('who may delete', () => {
  it('refuses plain users (even for themselves), anonymous callers, unknown and malformed ids, before any call', async () => {
    const person = demo(t, 32);
    const p = await linked(32);
    const own = await deleteUser(p.id, await t.tokenFor(person));
    expect(onlyError(own).extensions?.code).toBe('FORBIDDEN');
    const anonymous = await deleteUser(p.id, null);
    expect(onlyError(anonymous).extensions?.code).toBe('UNAUTHENTICATED');
    const unknown = await deleteUser('00000000-0000-4000-8000-000000000000');
    expect(onlyError(unknown).extensions).toMatchObject({ code: 'NOT_FOUND', fieldErrors: [{ path: ['id'] }] });
    const malformed = await deleteUser('%%%');
    expect(onlyError(malformed).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['id'] }] });
    const oversized = await deleteUser('x'.repeat(100_000));
    expect(onlyError(oversized).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(onlyError(oversized).message.length).toBeLessThan(300);
    expect(t.requests()).toEqual([]);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).not.toBeNull();
  });
});
