/**
 * `updateUser` over real HTTP: each field reaches exactly the upstreams that hold it, with only the keys
 * sent (seen through recording proxies); every input field is tri-state (omitted leaves the upstream
 * value, `null` clears or is refused, a value sets it, all read back from the upstreams); an email
 * change is refused where identity holds the person and followed by the registry elsewhere; partial
 * failures are per upstream; a PATCH is never retried and a PUT is; bad input and other people's ids
 * are refused before any upstream call.
 */
import type { UpstreamName } from '../../src/errors';
import { DEV_PODERO_ORG_ID } from '../../src/contracts/dev-defaults';
import { dataOf } from '../helpers/gateway';
import { demo, onlyError, startMutationGateway, upstreamRecords, type CreateUserData, type MutationGateway, type OutcomeRow, type UpdateUserData } from './users-harness';

let t: MutationGateway;

beforeAll(async () => {
  t = await startMutationGateway();
  await t.syncPopulation();
});
afterAll(() => t.close());
beforeEach(() => t.clear());

const UPDATE = `mutation ($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) {
    user { personId email firstName lastName address { streetAndNumber streetAddInfo zipCode town country latitude longitude } }
    outcomes { upstream status accountId error { code message reason fieldPath } }
  }
}`;

function statuses(outcomes: OutcomeRow[]): Record<string, string> {
  return Object.fromEntries(outcomes.map((o) => [o.upstream, o.status]));
}

const podero = (id: string) => `/org/${DEV_PODERO_ORG_ID}/users/${id}`;

/** The registry's person and links of a demo person, failing when sync did not link them. */
async function linked(index: number): Promise<{ id: string; email: string; links: Partial<Record<UpstreamName, string>> }> {
  const registered = await t.registered(demo(t, index).email);
  if (!registered) throw new Error(`person ${index} is not in the registry`);
  return { id: registered.person.id, email: registered.person.email, links: registered.links };
}

async function update(id: string, input: Record<string, unknown>, token?: string | null) {
  return t.query<UpdateUserData>(UPDATE, { variables: { id, input }, token });
}

/** A person created for the test without an identity account (so their email can change). */
async function personWithoutIdentity(email: string, upstreams = ['EVENERGY', 'PODERO', 'TIMESHEET']): Promise<{ id: string; links: Partial<Record<UpstreamName, string>> }> {
  const res = await t.query<CreateUserData>(`mutation ($input: CreateUserInput!) { createUser(input: $input) { user { personId } outcomes { status } } }`, {
    variables: { input: { email, firstName: 'Temp', lastName: 'Person', upstreams } },
  });
  expect(dataOf(res).createUser.outcomes.filter((o) => o.status === 'FAILED')).toEqual([]);
  const registered = await t.registered(email);
  t.clear();
  return { id: dataOf(res).createUser.user.personId, links: registered!.links };
}

describe('names', () => {
  it('sends a given name to identity (PATCH), podero (PUT) and timesheet (PATCH) with only that key, leaving the family name as it is', async () => {
    const p = await linked(0);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await update(p.id, { firstName: 'Sofia' });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).updateUser.outcomes)).toEqual({ IDENTITY: 'UPDATED', EVENERGY: 'UNCHANGED', VRM: 'SKIPPED', PODERO: 'UPDATED', TIMESHEET: 'UPDATED' });
    expect(t.writes().sort((a, b) => a.upstream.localeCompare(b.upstream))).toEqual([
      { upstream: 'identity', method: 'PATCH', path: `/users/${p.links.identity}`, body: { first_name: 'Sofia' } },
      { upstream: 'podero', method: 'PUT', path: podero(p.links.podero!), body: { first_name: 'Sofia' } },
      { upstream: 'timesheet', method: 'PATCH', path: `/users/${p.links.timesheet}`, body: { first_name: 'Sofia' } },
    ]);
    // The payload shows the new state without reading it again.
    expect(dataOf(res).updateUser.user).toMatchObject({ firstName: 'Sofia', lastName: demo(t, 0).lastName });
    expect(t.requests().filter((r) => r.method === 'GET')).toEqual([]);

    const after = await upstreamRecords(t, p.links);
    for (const upstream of ['identity', 'podero', 'timesheet'] as const) {
      expect(after[upstream]).toMatchObject({ firstName: 'Sofia', lastName: demo(t, 0).lastName });
    }
    // Omitted fields are untouched upstream: the podero address, the ev.energy email.
    expect(after.podero).toMatchObject({ address: (before.podero as { address: unknown }).address, email: (before.podero as { email: string }).email });
    expect(after.evenergy).toEqual(before.evenergy);
  });

  it('lets a person change their own family name, trimmed', async () => {
    const p = await linked(2);
    const res = await update(p.id, { lastName: '  Perl ' }, await t.tokenFor(demo(t, 2)));
    expect(res.errors).toBeUndefined();
    expect(t.writes().map((w) => w.body)).toEqual([{ last_name: 'Perl' }, { last_name: 'Perl' }, { last_name: 'Perl' }]);
    const after = await upstreamRecords(t, p.links);
    expect([after.identity, after.podero, after.timesheet]).toEqual([
      expect.objectContaining({ firstName: demo(t, 2).firstName, lastName: 'Perl' }),
      expect.objectContaining({ firstName: demo(t, 2).firstName, lastName: 'Perl' }),
      expect.objectContaining({ firstName: demo(t, 2).firstName, lastName: 'Perl' }),
    ]);
  });

  it('refuses null and empty names, which no upstream can clear, before any call', async () => {
    const p = await linked(0);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await update(p.id, { firstName: null, lastName: '' });
    expect(onlyError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'firstName'] }, { path: ['input', 'lastName'] }] });
    expect(res.data?.updateUser ?? null).toBeNull();
    const nullLast = await update(p.id, { lastName: null });
    expect(onlyError(nullLast).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'lastName'] }] });
    expect(t.requests()).toEqual([]);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
  });

  it('refuses names for a person with no account that holds names', async () => {
    const p = await personWithoutIdentity('names.nowhere1@example.com', ['EVENERGY']);
    const res = await update(p.id, { firstName: 'Nobody' });
    expect(onlyError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'firstName'] }] });
    expect(t.requests()).toEqual([]);
  });

  it('changes nothing anywhere for an empty input', async () => {
    const p = await linked(0);
    const res = await update(p.id, {});
    expect(statuses(dataOf(res).updateUser.outcomes)).toEqual({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', VRM: 'SKIPPED', PODERO: 'UNCHANGED', TIMESHEET: 'UNCHANGED' });
    expect(t.writes()).toEqual([]);
  });
});

describe('address', () => {
  it('sets the address fields given and leaves the omitted ones as they are', async () => {
    const p = await linked(12);
    const before = (await upstreamRecords(t, p.links)).podero as { address: Record<string, unknown> };
    t.clear();
    const res = await update(p.id, { address: { streetAndNumber: '12 St James’s Square', zipCode: 'SW1Y 4JH', country: 'gb', longitude: -0.135 } });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).updateUser.outcomes)).toMatchObject({ IDENTITY: 'UNCHANGED', PODERO: 'UPDATED', TIMESHEET: 'UNCHANGED' });
    expect(t.writes()).toEqual([
      { upstream: 'podero', method: 'PUT', path: podero(p.links.podero!), body: { street_and_number: '12 St James’s Square', zip_code: 'SW1Y 4JH', country: 'GB', longitude: -0.135 } },
    ]);
    const after = (await upstreamRecords(t, p.links)).podero as { address: Record<string, unknown> };
    expect(after.address).toEqual({ ...before.address, streetAndNumber: '12 St James’s Square', zipCode: 'SW1Y 4JH', country: 'GB', longitude: -0.135 });
    expect(dataOf(res).updateUser.user.address).toEqual(after.address);
  });

  it('clears exactly the address fields sent as null', async () => {
    const p = await linked(10);
    const before = (await upstreamRecords(t, p.links)).podero as { address: Record<string, unknown> };
    expect(before.address.town).not.toBeNull();
    t.clear();
    const res = await update(p.id, { address: { town: null, latitude: null } });
    expect(res.errors).toBeUndefined();
    expect(t.writes().map((w) => w.body)).toEqual([{ town: null, latitude: null }]);
    const after = (await upstreamRecords(t, p.links)).podero as { address: Record<string, unknown> };
    expect(after.address).toEqual({ ...before.address, town: null, latitude: null });
  });

  it('clears every address field when the address is null', async () => {
    const p = await linked(16);
    t.clear();
    const res = await update(p.id, { address: null });
    expect(res.errors).toBeUndefined();
    expect(t.writes().map((w) => w.body)).toEqual([
      { street_and_number: null, street_add_info: null, zip_code: null, town: null, country: null, latitude: null, longitude: null },
    ]);
    expect(dataOf(res).updateUser.user.address).toEqual({ streetAndNumber: null, streetAddInfo: null, zipCode: null, town: null, country: null, latitude: null, longitude: null });
  });

  it('refuses wrong formats and out-of-range coordinates, all at once, before any call', async () => {
    const p = await linked(18);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await update(p.id, { firstName: 'Kenneth', address: { country: 'Germany', latitude: 90.5, longitude: 181, zipCode: ' ' } });
    expect(onlyError(res).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: [{ path: ['input', 'address', 'zipCode'] }, { path: ['input', 'address', 'country'] }, { path: ['input', 'address', 'latitude'] }, { path: ['input', 'address', 'longitude'] }],
    });
    expect(t.requests()).toEqual([]);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
  });

  it('refuses an address for a person without a podero account', async () => {
    const p = await linked(1);
    expect(p.links.podero).toBeUndefined();
    const res = await update(p.id, { address: { town: 'Graz' } });
    expect(onlyError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'address'] }] });
    expect(t.requests()).toEqual([]);
  });
});

describe('email', () => {
  it('refuses to change the email of a person with an identity account, and changes it nowhere', async () => {
    const p = await linked(20);
    const before = await upstreamRecords(t, p.links);
    t.clear();
    const res = await update(p.id, { email: 'new.address20@example.com', lastName: 'Changed' });
    const error = onlyError(res);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'email'] }] });
    expect(error.message).toMatch(/identity cannot change/);
    expect(t.requests()).toEqual([]);
    expect(await upstreamRecords(t, p.links)).toEqual(before);
    expect((await t.registered(p.email))?.person.id).toBe(p.id);
  });

  it('accepts the current email of an identity person as no change', async () => {
    const p = await linked(22);
    const res = await update(p.id, { email: p.email });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).updateUser.outcomes)).toMatchObject({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', PODERO: 'UNCHANGED', TIMESHEET: 'UNCHANGED' });
    expect(t.writes()).toEqual([]);
  });

  it('changes the email in ev.energy (PATCH), podero (PUT) and timesheet (PATCH) and in the registry', async () => {
    const p = await personWithoutIdentity('moving.one@example.com');
    const email = 'moved.one@example.com';
    const res = await update(p.id, { email });
    expect(res.errors).toBeUndefined();
    expect(statuses(dataOf(res).updateUser.outcomes)).toEqual({ IDENTITY: 'SKIPPED', EVENERGY: 'UPDATED', VRM: 'SKIPPED', PODERO: 'UPDATED', TIMESHEET: 'UPDATED' });
    expect(t.writes().sort((a, b) => a.upstream.localeCompare(b.upstream))).toEqual([
      { upstream: 'evenergy', method: 'PATCH', path: `/users/${p.links.evenergy}`, body: { email } },
      { upstream: 'podero', method: 'PUT', path: podero(p.links.podero!), body: { email } },
      { upstream: 'timesheet', method: 'PATCH', path: `/users/${p.links.timesheet}`, body: { email } },
    ]);
    expect(dataOf(res).updateUser.user).toMatchObject({ personId: p.id, email });
    expect((await t.registered(email))?.person.id).toBe(p.id);
    expect(await t.registered('moving.one@example.com')).toBeNull();
    const after = await upstreamRecords(t, p.links);
    expect([after.evenergy, after.podero, after.timesheet]).toEqual([expect.objectContaining({ email }), expect.objectContaining({ email }), expect.objectContaining({ email })]);
    // Names were omitted: untouched.
    expect(after.podero).toMatchObject({ firstName: 'Temp', lastName: 'Person' });
  });

  it('refuses a null email and an email another person has, before any call', async () => {
    const p = await personWithoutIdentity('moving.two@example.com');
    const cleared = await update(p.id, { email: null });
    expect(onlyError(cleared).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'email'] }] });
    const taken = await update(p.id, { email: demo(t, 0).email.toUpperCase() });
    expect(onlyError(taken).extensions).toMatchObject({ code: 'CONFLICT', fieldErrors: [{ path: ['input', 'email'] }] });
    const malformed = await update(p.id, { email: 'moving two@example' });
    expect(onlyError(malformed).extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.requests()).toEqual([]);
    expect((await t.registered('moving.two@example.com'))?.person.id).toBe(p.id);
  });

  it('follows the upstreams that changed when one fails, so that a retry finishes the rest', async () => {
    const p = await personWithoutIdentity('moving.three@example.com');
    const email = 'moved.three@example.com';
    t.faults('timesheet', { status: 503, routes: ['PATCH /users/:id'] });
    const res = await update(p.id, { email });
    const outcomes = Object.fromEntries(dataOf(res).updateUser.outcomes.map((o) => [o.upstream, o]));
    expect(statuses(dataOf(res).updateUser.outcomes)).toMatchObject({ EVENERGY: 'UPDATED', PODERO: 'UPDATED', TIMESHEET: 'FAILED' });
    expect(outcomes.TIMESHEET).toMatchObject({ accountId: p.links.timesheet, error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(dataOf(res).updateUser.user.email).toBe(email);
    expect(((await upstreamRecords(t, p.links)).timesheet as { email: string }).email).toBe('moving.three@example.com');

    t.clear();
    const retry = await update(p.id, { email });
    // Sent everywhere again although the registry has it already: harmless where it is set, and timesheet catches up.
    expect(statuses(dataOf(retry).updateUser.outcomes)).toMatchObject({ EVENERGY: 'UPDATED', PODERO: 'UPDATED', TIMESHEET: 'UPDATED' });
    expect(((await upstreamRecords(t, p.links)).timesheet as { email: string }).email).toBe(email);
  });

  it('keeps the old email in the registry when every upstream refused the new one', async () => {
    const p = await personWithoutIdentity('moving.four@example.com', ['TIMESHEET']);
    t.faults('timesheet', { status: 503, routes: ['PATCH /users/:id'] });
    const res = await update(p.id, { email: 'moved.four@example.com' });
    expect(statuses(dataOf(res).updateUser.outcomes)).toMatchObject({ TIMESHEET: 'FAILED' });
    expect(dataOf(res).updateUser.user.email).toBe('moving.four@example.com');
    expect(await t.registered('moved.four@example.com')).toBeNull();
  });
});

describe('partial failure and retries', () => {
  it('reports an upstream refusal with its reason and field, and still updates the others', async () => {
    // Person 13 is deactivated in timesheet, which refuses edits of deactivated members.
    const p = await linked(13);
    const res = await update(p.id, { firstName: 'Radia' });
    const outcomes = Object.fromEntries(dataOf(res).updateUser.outcomes.map((o) => [o.upstream, o]));
    expect(outcomes.TIMESHEET).toMatchObject({ status: 'FAILED', accountId: p.links.timesheet, error: { code: 'BAD_USER_INPUT', reason: 'deactivated' } });
    expect(outcomes.IDENTITY!.status).toBe('UPDATED');
    expect(JSON.stringify(res)).not.toMatch(/127\.0\.0\.1|https?:\/\/|Bearer|FreckleToken/i);
  });

  it('never retries a PATCH whose answer was lost', async () => {
    const p = await linked(14);
    t.faults('identity', { status: 503, afterHandler: true, count: 1, routes: ['PATCH /users/:identifier'] });
    const res = await update(p.id, { lastName: 'Once' });
    const outcomes = Object.fromEntries(dataOf(res).updateUser.outcomes.map((o) => [o.upstream, o]));
    expect(outcomes.IDENTITY).toMatchObject({ status: 'FAILED', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(t.counts().identity.byRoute['PATCH /users/:identifier']).toBe(1);
    expect(t.writes().filter((w) => w.upstream === 'identity')).toHaveLength(1);
    // The write itself happened; the client only lost the answer.
    expect(((await upstreamRecords(t, p.links)).identity as { lastName: string }).lastName).toBe('Once');
  });

  it('retries a PUT, which is idempotent, and answers UPDATED', async () => {
    const p = await linked(26);
    t.faults('podero', { status: 503, afterHandler: true, count: 1, routes: ['PUT /org/:org_id/users/:user_id'] });
    const res = await update(p.id, { address: { town: 'Linz' } });
    expect(statuses(dataOf(res).updateUser.outcomes)).toMatchObject({ PODERO: 'UPDATED' });
    expect(t.counts().podero.byRoute['PUT /org/:org_id/users/:user_id']).toBe(2);
    expect(t.writes()).toEqual([
      { upstream: 'podero', method: 'PUT', path: podero(p.links.podero!), body: { town: 'Linz' } },
      { upstream: 'podero', method: 'PUT', path: podero(p.links.podero!), body: { town: 'Linz' } },
    ]);
  });
});

describe('who may update whom', () => {
  it('refuses another person’s id to a plain user, unknown ids, malformed ids and anonymous callers, before any call', async () => {
    const me = demo(t, 2);
    const other = await linked(0);
    const before = await upstreamRecords(t, other.links);
    const token = await t.tokenFor(me);
    t.clear();

    const others = await update(other.id, { lastName: 'Hijacked' }, token);
    expect(onlyError(others).extensions?.code).toBe('FORBIDDEN');
    // A plain user learns nothing about ids that do not exist either.
    const unknownAsUser = await update('00000000-0000-4000-8000-000000000000', { lastName: 'X' }, token);
    expect(onlyError(unknownAsUser).extensions?.code).toBe('FORBIDDEN');
    const unknown = await update('00000000-0000-4000-8000-000000000000', { lastName: 'X' });
    expect(onlyError(unknown).extensions).toMatchObject({ code: 'NOT_FOUND', fieldErrors: [{ path: ['id'] }] });
    const malformed = await update('user-0', { lastName: 'X' });
    expect(onlyError(malformed).extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['id'] }] });
    const anonymous = await update(other.id, { lastName: 'X' }, null);
    expect(onlyError(anonymous).extensions?.code).toBe('UNAUTHENTICATED');
    const missingInput = await t.query<UpdateUserData>(`mutation ($id: ID!) { updateUser(id: $id) { user { personId } } }`, { variables: { id: other.id } });
    expect(onlyError(missingInput).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    expect(t.requests()).toEqual([]);
    expect(await upstreamRecords(t, other.links)).toEqual(before);
  });
});
