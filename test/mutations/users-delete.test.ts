/**
 * `deleteUser` over real HTTP: identity's DELETE first (seen through the recording proxies), then the
 * person in the registry; identity refusing (409 while subscribed to other platforms) or failing deletes
 * nothing else; a DELETE whose answer was lost is retried (it is idempotent) and its "not found" counts as
 * deleted; the other upstreams' accounts stay, reported as skipped; only admins may delete.
 */
import type { UpstreamName } from '../../src/errors';
import { dataOf, outcomeOf } from '../helpers/gateway';
import { demo, onlyError, startMutationGateway, upstreamRecords, type CreateUserData, type DeleteUserData, type MutationGateway, type OutcomeRow } from './users-harness';

let t: MutationGateway;

beforeAll(async () => {
  t = await startMutationGateway();
  await t.syncPopulation();
});
afterAll(() => t.close());
beforeEach(() => t.clear());

const DELETE = `mutation ($id: ID!) {
  deleteUser(id: $id) {
    deletedPersonId
    outcomes { upstream status accountId error { code message reason fieldPath } }
  }
}`;

async function linked(index: number): Promise<{ id: string; email: string; links: Partial<Record<UpstreamName, string>> }> {
  const { email } = demo(t, index);
  // Sync walks the upstream lists; someone only identity holds (it has no list) is linked on first lookup.
  if (!(await t.registered(email))) await t.query(`query ($email: EmailAddress!) { userByEmail(email: $email) { personId } }`, { variables: { email } });
  const registered = await t.registered(email);
  if (!registered) throw new Error(`person ${index} is not in the registry`);
  t.clear();
  return { id: registered.person.id, email: registered.person.email, links: registered.links };
}

async function deleteUser(id: string, token?: string | null) {
  return t.query<DeleteUserData>(DELETE, { variables: { id }, token });
}

function byUpstream(outcomes: OutcomeRow[]): Record<string, OutcomeRow> {
  return Object.fromEntries(outcomes.map((o) => [o.upstream, o]));
}

describe('deleting', () => {
  it('deletes the identity user and then the person of someone only identity holds', async () => {
    // Person 19 is in identity alone.
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
    expect(t.writes()).toEqual([{ upstream: 'identity', method: 'DELETE', path: `/users/${p.links.identity}`, body: undefined }]);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).toBeNull();
    expect(await t.registered(p.email)).toBeNull();
  });

  it('leaves the accounts of the other upstreams where they are and says which they are', async () => {
    // Person 2: identity, ev.energy, podero and timesheet.
    const p = await linked(2);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await deleteUser(p.id);
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'DELETED', accountId: null });
    expect(outcomes.EVENERGY).toMatchObject({ status: 'SKIPPED', accountId: p.links.evenergy });
    expect(outcomes.PODERO).toMatchObject({ status: 'SKIPPED', accountId: p.links.podero });
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'SKIPPED', accountId: p.links.timesheet });
    expect(t.writes().map((w) => `${w.method} ${w.upstream}`)).toEqual(['DELETE identity']);
    const after = await upstreamRecords(t, p.links);
    expect(after).toEqual({ ...before, identity: null });
    expect(await t.registered(p.email)).toBeNull();
  });

  it('answers CONFLICT for identity and deletes nothing else while the user is subscribed to other platforms', async () => {
    // Person 5's identity user is also subscribed to another platform.
    const p = await linked(5);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await deleteUser(p.id);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    const outcomes = byUpstream(dataOf(res).deleteUser.outcomes);
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', accountId: p.links.identity, error: { code: 'CONFLICT', reason: 'subscribed_to_other_platforms' } });
    expect(outcomes.EVENERGY).toMatchObject({ status: 'SKIPPED', accountId: p.links.evenergy });
    expect(t.writes().map((w) => `${w.method} ${w.upstream}`)).toEqual(['DELETE identity']);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
  });

  it('deletes a person who holds no identity account straight from the registry', async () => {
    const created = await t.query<CreateUserData>(`mutation { createUser(input: { email: "no.identity1@example.com", firstName: "No", lastName: "Identity", upstreams: [EVENERGY] }) { user { personId } outcomes { upstream accountId } } }`);
    const personId = dataOf(created).createUser.user.personId;
    const evenergyId = outcomeOf(dataOf(created).createUser.outcomes, 'EVENERGY').accountId;
    t.clear();
    const res = await deleteUser(personId);
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(personId);
    expect(byUpstream(dataOf(res).deleteUser.outcomes)).toMatchObject({ IDENTITY: { status: 'SKIPPED' }, EVENERGY: { status: 'SKIPPED', accountId: evenergyId } });
    expect(t.requests()).toEqual([]);
    expect(await t.registered('no.identity1@example.com')).toBeNull();
  });
});

describe('failures and retries', () => {
  it('retries a DELETE whose answer was lost, and counts identity’s "not found" as deleted', async () => {
    const p = await linked(26);
    t.faults('identity', { status: 503, afterHandler: true, count: 1, routes: ['DELETE /users/:identifier'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(res).deleteUser.outcomes).IDENTITY!.status).toBe('DELETED');
    expect(t.counts().identity.byRoute['DELETE /users/:identifier']).toBe(2);
    expect(t.counts().identity.byStatus['404']).toBe(1);
    expect(await t.registered(p.email)).toBeNull();
  });

  it('deletes nothing when identity fails, and a later run finishes', async () => {
    const p = await linked(28);
    t.faults('identity', { status: 503, routes: ['DELETE /users/:identifier'] });
    const res = await deleteUser(p.id);
    expect(dataOf(res).deleteUser.deletedPersonId).toBeNull();
    expect(byUpstream(dataOf(res).deleteUser.outcomes).IDENTITY).toMatchObject({ status: 'FAILED', accountId: p.links.identity, error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).not.toBeNull();
    expect(JSON.stringify(res)).not.toMatch(/127\.0\.0\.1|https?:\/\/|Bearer/);

    t.clear();
    const retry = await deleteUser(p.id);
    expect(dataOf(retry).deleteUser.deletedPersonId).toBe(p.id);
    expect(byUpstream(dataOf(retry).deleteUser.outcomes).IDENTITY!.status).toBe('DELETED');
    expect(await t.registered(p.email)).toBeNull();
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
    expect(t.requests()).toEqual([]);
    expect((await t.registered(p.email))?.links).toEqual(p.links);
    expect(await t.gateway.upstreams.identity.getUser(p.links.identity!)).not.toBeNull();
  });
});
