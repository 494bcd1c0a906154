/**
 * No person's accounts can be claimed by another (issue 11, DESIGN.md "Auth": an email belongs to whoever
 * proves it), tried as a plain user would, over real HTTP against the emulators with the demo population
 * (docs/population.md): an email change to someone else's email followed by a sync, someone else's VRM
 * token, a token whose email is not verified; and the way back (`unlinkAccount`, `sync --report`).
 */
import { signToken } from '../../src/auth/dev';
import { UPSTREAM_NAMES } from '../../src/errors';
import type { DemoPerson } from '../../src/emulators/population';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { toGlobalId } from '../../src/graph/ids';
import { checkLinks } from '../../src/registry/sync';
import { formatLinkCheck } from '../../src/registry/sync-command';
import { TEST_JWT_SECRET } from '../helpers/gateway';
import type { GraphQLResult } from '../helpers/gateway';
import { startMutationGateway, type MutationGateway } from '../mutations/users-harness';

interface Account {
  upstream: string;
  accountId: string;
}
interface Outcome {
  upstream: string;
  status: string;
  accountId: string | null;
}
/** The fields the operations below select, for every operation of this file. */
interface TakeoverData {
  createUser: { user: { personId: string; email: string }; outcomes: Outcome[] };
  updateUser: { user: { personId: string; email: string; accounts: Account[] }; outcomes: Outcome[] };
  me: { personId: string; email: string; accounts: Account[]; sites: { siteId: number }[]; accessTokens: { tokenId: string }[] };
  node: { tokenId: string } | null;
  unlinkAccount: { status: string; upstream: string; accountId: string | null; user: { personId: string; accounts: { upstream: string }[] } };
}

let t: MutationGateway;
const demo = (i: number): DemoPerson => t.population.people[i]!;

beforeAll(async () => {
  t = await startMutationGateway({ people: 48 });
});

afterAll(async () => {
  await t.close();
});

const CREATE = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) { user { personId email } outcomes { upstream status accountId } }
}`;
const UPDATE = `mutation ($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { user { personId email accounts { upstream accountId } } outcomes { upstream status accountId } }
}`;
const ME = `{ me { personId email accounts { upstream accountId } } }`;
const UNLINK = `mutation ($personId: ID!, $upstream: Upstream!) {
  unlinkAccount(personId: $personId, upstream: $upstream) { status upstream accountId user { personId accounts { upstream } } }
}`;

/** A token the test signs, with the claims it is given (`email_verified` only when set). */
function token(claims: { sub: string; email?: string; emailVerified?: boolean; roles?: string[] }): Promise<string> {
  return signToken(TEST_JWT_SECRET, claims);
}

function expectError(res: GraphQLResult<TakeoverData>, code: string, path?: string[]): void {
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  if (path) expect(res.errors![0]!.extensions?.fieldErrors?.map((f) => f.path)).toEqual([path]);
}

/** Every route other than a GET that reached an emulator since the last clear, by the emulators' own counters. */
function upstreamWrites(): string[] {
  const counts = t.counts();
  return UPSTREAM_NAMES.flatMap((u) => Object.keys(counts[u].byRoute).filter((route) => !route.startsWith('GET ')).map((route) => `${u} ${route}`));
}

/** Creates a person (as an admin) whose only account is a fresh timesheet account. */
async function timesheetOnlyPerson(email: string): Promise<{ id: string; timesheet: string }> {
  const res = await t.query<TakeoverData>(CREATE, { variables: { input: { email, firstName: 'Mal', lastName: 'Lory', upstreams: ['TIMESHEET'] } } });
  expect(res.errors).toBeUndefined();
  const payload = res.data!.createUser;
  const timesheet = payload.outcomes.find((o) => o.upstream === 'TIMESHEET')?.accountId;
  if (!timesheet) throw new Error(`expected a timesheet account from createUser, but got ${JSON.stringify(payload.outcomes)}`);
  return { id: payload.user.personId as string, timesheet };
}

describe('an email change cannot take over another person’s accounts', () => {
  // Person 1 has identity, ev.energy and timesheet accounts and is not in the registry yet.
  const VICTIM = 1;
  let attacker: { id: string; timesheet: string };
  let attackerToken: string;

  beforeAll(async () => {
    attacker = await timesheetOnlyPerson('mallory@attacker.test');
    attackerToken = await token({ sub: attacker.id, email: 'mallory@attacker.test' });
    expect(await t.registered(demo(VICTIM).email)).toBeNull();
  });

  it('refuses a plain user’s change to the victim’s email before any upstream write, and a sync afterwards links nothing to them', async () => {
    t.clear();
    const res = await t.query<TakeoverData>(UPDATE, { token: attackerToken, variables: { id: attacker.id, input: { email: demo(VICTIM).email } } });
    expectError(res, 'FORBIDDEN');
    expect(upstreamWrites()).toEqual([]);
    expect(t.writes()).toEqual([]);
    expect((await t.registered('mallory@attacker.test'))!.links).toEqual({ timesheet: attacker.timesheet });
    expect(await t.registered(demo(VICTIM).email)).toBeNull();
    const [timesheetAccount] = await t.gateway.upstreams.timesheet.findUsersByEmail('mallory@attacker.test');
    expect(timesheetAccount?.id).toBe(attacker.timesheet);

    await t.syncPopulation();
    expect((await t.registered('mallory@attacker.test'))!.links).toEqual({ timesheet: attacker.timesheet });
    const victim = (await t.registered(demo(VICTIM).email))!;
    expect(victim.person.id).not.toBe(attacker.id);
    expect(Object.keys(victim.links).sort()).toEqual(['evenergy', 'identity', 'timesheet']);
    // The victim's first sign-in is the victim's own person.
    const me = await t.query<TakeoverData>(ME, { token: await t.tokenFor(demo(VICTIM)) });
    expect(me.data!.me.personId).toBe(victim.person.id);
  });

  it('refuses an email that only an upstream holds with CONFLICT, even for a token that says it is verified', async () => {
    // Person 19 is in identity alone (docs/population.md), which has no list: no sync reaches them.
    const identityOnly = demo(19).email;
    expect(await t.registered(identityOnly)).toBeNull();
    t.clear();
    const claimed = await token({ sub: attacker.id, email: identityOnly, emailVerified: true });
    expectError(await t.query<TakeoverData>(UPDATE, { token: claimed, variables: { id: attacker.id, input: { email: identityOnly } } }), 'CONFLICT', ['input', 'email']);
    expectError(await t.query<TakeoverData>(UPDATE, { variables: { id: attacker.id, input: { email: identityOnly.toUpperCase() } } }), 'CONFLICT', ['input', 'email']);
    expect(upstreamWrites()).toEqual([]);
    expect(await t.registered(identityOnly)).toBeNull();
    expect((await t.registered('mallory@attacker.test'))!.person.id).toBe(attacker.id);
  });

  it('refuses another registry person’s email with CONFLICT, admins included', async () => {
    const other = demo(VICTIM).email;
    t.clear();
    expectError(await t.query<TakeoverData>(UPDATE, { variables: { id: attacker.id, input: { email: other.toUpperCase() } } }), 'CONFLICT', ['input', 'email']);
    const claimed = await token({ sub: attacker.id, email: other });
    expectError(await t.query<TakeoverData>(UPDATE, { token: claimed, variables: { id: attacker.id, input: { email: other } } }), 'CONFLICT', ['input', 'email']);
    expect(upstreamWrites()).toEqual([]);
  });

  it('refuses an email held by an account the person does not own in an upstream they are in', async () => {
    // A timesheet account with this email exists, linked to nobody (made outside the gateway).
    const loose = 'loose.account@attacker.test';
    await t.gateway.upstreams.timesheet.createUser({ email: loose, firstName: 'Loose', lastName: 'Account' });
    t.clear();
    expectError(await t.query<TakeoverData>(UPDATE, { variables: { id: attacker.id, input: { email: loose } } }), 'CONFLICT', ['input', 'email']);
    expect(upstreamWrites()).toEqual([]);
  });

  it('refuses a plain user’s change to a free email that is not their token’s verified email: FORBIDDEN', async () => {
    t.clear();
    const res = await t.query<TakeoverData>(UPDATE, { token: attackerToken, variables: { id: attacker.id, input: { email: 'free@attacker.test' } } });
    expectError(res, 'FORBIDDEN');
    const unverified = await token({ sub: attacker.id, email: 'free@attacker.test', emailVerified: false });
    expectError(await t.query<TakeoverData>(UPDATE, { token: unverified, variables: { id: attacker.id, input: { email: 'free@attacker.test' } } }), 'FORBIDDEN');
    expect(upstreamWrites()).toEqual([]);
    expect(await t.registered('free@attacker.test')).toBeNull();
  });

  it('changes a plain user’s email to their own verified email', async () => {
    t.clear();
    const verified = await token({ sub: attacker.id, email: 'Mallory.New@attacker.test', emailVerified: true });
    const res = await t.query<TakeoverData>(UPDATE, { token: verified, variables: { id: attacker.id, input: { email: 'mallory.new@attacker.test' } } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateUser.user.email).toBe('mallory.new@attacker.test');
    expect(res.data!.updateUser.outcomes.find((o) => o.upstream === 'TIMESHEET')?.status).toBe('UPDATED');
    expect(upstreamWrites()).toEqual([`timesheet PATCH /users/:id`]);
    const [account] = await t.gateway.upstreams.timesheet.findUsersByEmail('mallory.new@attacker.test');
    expect(account?.id).toBe(attacker.timesheet);
    // Its own account already holding the email is no conflict: a retry goes through.
    const again = await t.query<TakeoverData>(UPDATE, { token: verified, variables: { id: attacker.id, input: { email: 'mallory.new@attacker.test' } } });
    expect(again.errors).toBeUndefined();
  });
});

describe('a token whose email is not verified', () => {
  it('finds nobody by its email; the same email verified finds the person', async () => {
    const person = demo(2);
    const unverified = await token({ sub: 'idp|mallory', email: person.email, emailVerified: false });
    const none = await t.query<TakeoverData>(ME, { token: unverified });
    expect(none.errors).toBeUndefined();
    expect(none.data!.me).toBeNull();
    expectError(await t.query<TakeoverData>(`query ($e: EmailAddress!) { userByEmail(email: $e) { personId } }`, { token: unverified, variables: { e: person.email } }), 'FORBIDDEN');
    const registered = (await t.registered(person.email))!;
    expectError(await t.query<TakeoverData>(`query ($id: ID!) { user(id: $id) { email } }`, { token: unverified, variables: { id: registered.person.id } }), 'FORBIDDEN');

    for (const emailVerified of [true, undefined]) {
      const verified = await token({ sub: 'idp|person-2', email: person.email, emailVerified });
      const me = await t.query<TakeoverData>(ME, { token: verified });
      expect(me.data!.me.personId).toBe(registered.person.id);
    }
  });
});

describe('VRM links need the owner', () => {
  // Persons 3 and 6 both have VRM accounts (i % 3 === 0).
  const OWNER = 3;
  const CALLER = 6;
  const vrmHeader = (i: number): Record<string, string> => ({ 'x-vrm-authorization': `Token ${personalTokenFor(t.population.seed, i)}` });
  const SITES = `{ me { personId accounts { upstream accountId } sites { siteId } } }`;

  it('refuses another person’s VRM token: FORBIDDEN, nothing linked, nothing read, and no sites visible afterwards', async () => {
    const callerToken = await t.tokenFor(demo(CALLER));
    const ownerSites = (await t.gateway.upstreams.vrm.listInstallations(10_000 + OWNER)).map((s) => Number(s.id));
    expect(ownerSites.length).toBeGreaterThan(0);
    t.clear();
    const res = await t.query<TakeoverData>(SITES, { token: callerToken, headers: vrmHeader(OWNER) });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['me', 'sites']]]);
    expect(res.data!.me.accounts.map((a) => a.upstream)).not.toContain('VRM');
    // Only `/users/me` was asked, to compare its email: no site of the owner was read.
    expect(Object.keys(t.counts().vrm.byRoute)).toEqual(['GET /users/me']);

    for (const headers of [{}, vrmHeader(OWNER)]) {
      const tokens = await t.query<TakeoverData>(`{ me { accessTokens { tokenId } } }`, { token: callerToken, headers: { ...vrmHeader(OWNER), ...headers } });
      expectError(tokens, 'FORBIDDEN');
    }
    const create = await t.query<TakeoverData>(`mutation { createAccessToken(name: "stolen") { token } }`, { token: callerToken, headers: vrmHeader(OWNER) });
    expectError(create, 'FORBIDDEN');
    expect(upstreamWrites()).toEqual([]);

    const later = await t.query<TakeoverData>(SITES, { token: callerToken });
    expect(later.errors).toBeUndefined();
    expect(later.data!.me.sites).toBeNull();
    expect(later.data!.me.accounts.map((a) => a.upstream)).not.toContain('VRM');
    expect((await t.registered(demo(CALLER).email))!.links.vrm).toBeUndefined();
  });

  it('links the owner’s own VRM account as before, and their sites are theirs alone', async () => {
    const ownerToken = await t.tokenFor(demo(OWNER));
    const res = await t.query<TakeoverData>(SITES, { token: ownerToken, headers: vrmHeader(OWNER) });
    expect(res.errors).toBeUndefined();
    expect(res.data!.me.accounts.find((a) => a.upstream === 'VRM')?.accountId).toBe(String(10_000 + OWNER));
    const ownerSites = res.data!.me.sites.map((s) => s.siteId);
    expect(ownerSites.length).toBeGreaterThan(0);
    // Without a token, read with the service credential for the account linked this way.
    const later = await t.query<TakeoverData>(SITES, { token: ownerToken });
    expect(later.data!.me.sites.map((s) => s.siteId)).toEqual(ownerSites);
    const tokens = await t.query<TakeoverData>(`{ me { accessTokens { tokenId } } }`, { token: ownerToken, headers: vrmHeader(OWNER) });
    expect(tokens.errors).toBeUndefined();
    expect(tokens.data!.me.accessTokens.length).toBeGreaterThan(0);

    // The caller's own token links the caller's own account: they see exactly the sites VRM gives it
    // (some shared with others, as VRM shares them), not the owner's.
    const callerToken = await t.tokenFor(demo(CALLER));
    const caller = await t.query<TakeoverData>(SITES, { token: callerToken, headers: vrmHeader(CALLER) });
    expect(caller.errors).toBeUndefined();
    const callerSites = (await t.gateway.upstreams.vrm.listInstallations(10_000 + CALLER)).map((s) => Number(s.id));
    expect(caller.data!.me.sites.map((s) => s.siteId)).toEqual(callerSites);
    expect(callerSites).not.toEqual(ownerSites);
    // A linked caller presenting the owner's token lists no tokens: they are not the caller's account's,
    // neither as a field nor as a node.
    expectError(await t.query<TakeoverData>(`{ me { accessTokens { tokenId } } }`, { token: callerToken, headers: vrmHeader(OWNER) }), 'FORBIDDEN');
    const ownerTokenId = tokens.data!.me.accessTokens[0].tokenId as string;
    const callerId = caller.data!.me.personId as string;
    const node = await t.query<TakeoverData>(`query ($id: ID!) { node(id: $id) { ... on AccessToken { tokenId } } }`, {
      token: callerToken,
      headers: vrmHeader(OWNER),
      variables: { id: toGlobalId('AccessToken', callerId, ownerTokenId) },
    });
    expectError(node, 'FORBIDDEN');
    const ownNode = await t.query<TakeoverData>(`query ($id: ID!) { node(id: $id) { ... on AccessToken { tokenId } } }`, {
      token: ownerToken,
      headers: vrmHeader(OWNER),
      variables: { id: toGlobalId('AccessToken', res.data!.me.personId, ownerTokenId) },
    });
    expect(ownNode.data!.node).toEqual({ tokenId: ownerTokenId });
  });
});

describe('the way back: unlinkAccount and sync --report', () => {
  it('lets an admin unlink an account, with the outcome in the payload; nobody else', async () => {
    const person = await timesheetOnlyPerson('unlink.me@attacker.test');
    const plain = await token({ sub: person.id, email: 'unlink.me@attacker.test' });
    expectError(await t.query<TakeoverData>(UNLINK, { token: plain, variables: { personId: person.id, upstream: 'TIMESHEET' } }), 'FORBIDDEN');
    expectError(await t.query<TakeoverData>(UNLINK, { token: null, variables: { personId: person.id, upstream: 'TIMESHEET' } }), 'UNAUTHENTICATED');
    expect((await t.registered('unlink.me@attacker.test'))!.links).toEqual({ timesheet: person.timesheet });

    t.clear();
    const res = await t.query<TakeoverData>(UNLINK, { variables: { personId: person.id, upstream: 'TIMESHEET' } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.unlinkAccount).toEqual({ status: 'UNLINKED', upstream: 'TIMESHEET', accountId: person.timesheet, user: { personId: person.id, accounts: [] } });
    const again = await t.query<TakeoverData>(UNLINK, { variables: { personId: person.id, upstream: 'TIMESHEET' } });
    expect(again.data!.unlinkAccount).toMatchObject({ status: 'NOT_LINKED', accountId: null });
    expect(upstreamWrites()).toEqual([]);
    expect((await t.registered('unlink.me@attacker.test'))!.links).toEqual({});
    expectError(await t.query<TakeoverData>(UNLINK, { variables: { personId: '00000000-0000-4000-8000-000000000000', upstream: 'VRM' } }), 'NOT_FOUND', ['personId']);
  });

  it('lists persons whose links disagree with the upstreams’ emails, and changes nothing', async () => {
    // Person 10's timesheet account gets another email upstream (outside the gateway).
    const moved = demo(10);
    const registered = (await t.registered(moved.email))!;
    await t.gateway.upstreams.timesheet.updateUser(registered.links.timesheet!, { email: 'moved.away@example.com' });
    const before = await t.registry.linksFor([registered.person.id]);

    const report = await checkLinks({ registry: t.registry, upstreams: t.gateway.upstreams });
    expect(report.failures).toEqual([]);
    expect(report.disagreements).toEqual([
      { personId: registered.person.id, email: registered.person.email, upstream: 'timesheet', accountId: registered.links.timesheet, upstreamEmail: 'moved.away@example.com' },
    ]);
    expect(report.unchecked.map((u) => u.upstream)).toEqual(['vrm']);
    expect(formatLinkCheck(report)).toContain(`person ${registered.person.id} (${registered.person.email}): timesheet account ${registered.links.timesheet} has moved.away@example.com`);
    expect(await t.registry.linksFor([registered.person.id])).toEqual(before);
  });
});
