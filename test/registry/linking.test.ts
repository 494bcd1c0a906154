/**
 * Find-or-link by email and VRM linking, over real HTTP against the five emulators seeded with the demo
 * population. Expected account ids come from the emulators' seeding rules; call costs come from the
 * emulators' own request counters.
 */
import { ErrorCode, GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { seedUsers } from '../../src/emulators/evenergy/data';
import { seededIdLabel } from '../../src/emulators/identity/seed';
import { SEED_RULES, userIdFor as poderoUserIdFor } from '../../src/emulators/podero/seed';
import { buildPopulation, uuidFor, type DemoPerson } from '../../src/emulators/population';
import { USER_ID_BASE as TIMESHEET_USER_ID_BASE } from '../../src/emulators/timesheet/data';
import { personalTokenFor, userIdFor as vrmUserIdFor } from '../../src/emulators/vrm/seed';
import { openRegistry } from '../../src/registry';
import { createLinker, type Linker } from '../../src/registry/linker';
import type { Person, Registry } from '../../src/registry/types';
import { createLogger } from '../../src/lib/logger';
import { createUpstreams, type Upstreams } from '../../src/upstreams';

const population = buildPopulation({ people: 60 });
const person = (i: number): DemoPerson => population.people[i]!;
const evenergyAccounts = seedUsers(population);

/** The account each upstream's email lookup finds for a person, by the emulators' seeding rules. */
function findableAccounts(p: DemoPerson): Partial<Record<UpstreamName, string>> {
  const out: Partial<Record<UpstreamName, string>> = { identity: uuidFor(seededIdLabel(population.seed, 'user', p.index)) };
  const ev = evenergyAccounts.filter((a) => a.index === p.index);
  // Two ev.energy accounts with one email (person 42) are a conflict: neither is findable as "the" account.
  if (ev.length === 1) out.evenergy = ev[0]!.user.id;
  // Soft-deleted podero users are not listed.
  if (p.in.podero && !SEED_RULES.softDeleted(p.index)) out.podero = poderoUserIdFor(p.index);
  if (p.in.timesheet) out.timesheet = String(TIMESHEET_USER_ID_BASE + p.index);
  return out;
}

let emulators: RunningEmulators;
let upstreams: Upstreams;
let registry: Registry;
let linker: Linker;
let warnings: { msg: string; [key: string]: unknown }[];

beforeAll(async () => {
  emulators = await startEmulators({ population, ports: 'ephemeral' });
  const urls: Record<UpstreamName, string> = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
  for (const u of UPSTREAM_NAMES) urls[u] = emulators.urls[u] ?? '';
  // No retries and no breaker: a test's injected failure is seen exactly once and does not leak into the next.
  upstreams = createUpstreams({ urls, tokens: DEV_TOKENS, poderoOrgId: DEV_PODERO_ORG_ID, client: { maxRetries: 0, breakerMinimumCalls: 100_000 } });
});

afterAll(async () => {
  await upstreams.close();
  await emulators.close();
});

beforeEach(async () => {
  emulators.reset(true);
  registry = await openRegistry({ sqlitePath: ':memory:' });
  warnings = [];
  const logger = createLogger({ level: 'warn', destination: { write: (line) => warnings.push(JSON.parse(line)) } });
  linker = createLinker({ registry, upstreams, logger, concurrency: 4 });
});

afterEach(async () => {
  await registry.close();
});

/** Calls per route at each emulator since the last reset; upstreams that were not called are left out. */
function calls(): Partial<Record<UpstreamName, Record<string, number>>> {
  const out: Partial<Record<UpstreamName, Record<string, number>>> = {};
  for (const u of UPSTREAM_NAMES) {
    const counts = emulators.emulators[u]!.counts();
    if (counts.total > 0) out[u] = counts.byRoute;
  }
  return out;
}

function totalCalls(): number {
  return UPSTREAM_NAMES.reduce((sum, u) => sum + emulators.emulators[u]!.counts().total, 0);
}

async function linksOf(p: Person): Promise<Partial<Record<UpstreamName, string>>> {
  const links = (await registry.linksFor([p.id])).get(p.id) ?? [];
  return Object.fromEntries(links.map((l) => [l.upstream, l.accountId]));
}

/** The one slot of a single-email lookup, which must be a person. */
async function lookUp(email: string): Promise<Person> {
  const [slot] = await linker.findOrLinkByEmail([email]);
  if (!slot || slot instanceof Error) throw new Error(`expected a person for ${email}, but got ${String(slot)}`);
  return slot;
}

describe('find-or-link by email', () => {
  it('links a person present in all five upstreams to each of them, VRM from their own token', async () => {
    const p = person(0);
    expect(Object.values(p.in).every(Boolean)).toBe(true);
    const found = await lookUp(p.email);
    expect(found.email).toBe(p.email);
    const expected = findableAccounts(p);
    expect(Object.keys(expected).sort()).toEqual(['evenergy', 'identity', 'podero', 'timesheet']);
    expect(await linksOf(found)).toEqual(expected);

    const vrm = await linker.linkVrm(found, { kind: 'token', value: personalTokenFor(population.seed, 0) });
    expect(vrm.accountId).toBe(String(vrmUserIdFor(0)));
    expect(vrm.result.status).toBe('LINKED');
    expect(await linksOf(found)).toEqual({ ...expected, vrm: String(vrmUserIdFor(0)) });
  });

  // Person 3: identity and timesheet (and VRM, which has no lookup); person 19: identity alone.
  it.each([
    [3, ['identity', 'timesheet']],
    [19, ['identity']],
    [5, ['evenergy', 'identity', 'timesheet']],
  ] as const)('links person %i, present in some upstreams, to those only: %j', async (i, upstreams) => {
    const p = person(i);
    const found = await lookUp(p.email);
    const links = await linksOf(found);
    expect(Object.keys(links).sort()).toEqual(upstreams);
    expect(links).toEqual(findableAccounts(p));
  });

  it('answers null and creates nobody for an email that no upstream knows', async () => {
    expect(await linker.findOrLinkByEmail(['nobody.at.all@example.com'])).toEqual([null]);
    expect((await registry.listPeople({ first: 10 })).totalCount).toBe(0);
  });

  it('makes no upstream call for a second lookup of the same email, in any case', async () => {
    const p = person(2);
    const first = await lookUp(p.email);
    expect(totalCalls()).toBeGreaterThan(0);
    emulators.reset(false);
    const again = await linker.findOrLinkByEmail([p.email, p.email.toUpperCase()]);
    expect(again).toEqual([first, first]);
    expect(totalCalls()).toBe(0);
  });

  it('makes no upstream call for a second lookup of a person found in some upstreams only', async () => {
    const p = person(19);
    await lookUp(p.email);
    emulators.reset(false);
    await lookUp(p.email);
    expect(totalCalls()).toBe(0);
  });

  it('asks podero’s user list once per batch, and the other upstreams once per email', async () => {
    const batch = [0, 1, 2, 3, 5, 6].map((i) => person(i).email);
    const slots = await linker.findOrLinkByEmail(batch);
    expect(slots.every((s) => s !== null && !(s instanceof Error))).toBe(true);
    expect(calls()).toEqual({
      identity: { 'GET /users/:identifier': batch.length },
      evenergy: { 'GET /users': batch.length },
      podero: { 'GET /org/:org_id/users': 1 },
      timesheet: { 'GET /users': batch.length },
    });
  });

  it('looks up only the emails of a batch the registry does not know', async () => {
    await lookUp(person(0).email);
    emulators.reset(false);
    const slots = await linker.findOrLinkByEmail([person(0).email, person(1).email]);
    expect(slots).toHaveLength(2);
    expect(calls()).toEqual({
      identity: { 'GET /users/:identifier': 1 },
      evenergy: { 'GET /users': 1 },
      podero: { 'GET /org/:org_id/users': 1 },
      timesheet: { 'GET /users': 1 },
    });
  });

  it('answers each email of a batch with its own person, emails differing in case with the same one', async () => {
    const [a, b, aUpper, nobody] = await linker.findOrLinkByEmail([person(0).email, person(1).email, person(0).email.toUpperCase(), 'nobody@example.com']);
    expect(a).toMatchObject({ email: person(0).email });
    expect(b).toMatchObject({ email: person(1).email });
    expect(aUpper).toEqual(a);
    expect(nobody).toBeNull();
  });

  it('fails only the slot of something that is not an email address', async () => {
    const [bad, good] = await linker.findOrLinkByEmail(['not-an-email', person(2).email]);
    expect(bad).toBeInstanceOf(GatewayError);
    expect(bad instanceof GatewayError && bad.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(good).toMatchObject({ email: person(2).email });
  });
});

describe('the email rules of each upstream', () => {
  it('keeps only exact timesheet matches, so the re.-prefixed twin is not linked', async () => {
    const [ten, eleven] = [person(10), person(11)];
    expect(eleven.email).toBe(`re.${ten.email}`);
    // The trap is real: timesheet's filter answers both people for person 10's email.
    const page = await upstreams.timesheet.listUsers({ email: ten.email });
    expect(page.users.map((u) => u.email).sort()).toEqual([ten.email, eleven.email].sort());

    const found = await lookUp(ten.email);
    expect((await linksOf(found)).timesheet).toBe(String(TIMESHEET_USER_ID_BASE + 10));
  });

  it('links an ev.energy account whose email differs only in case', async () => {
    const p = person(10);
    const stored = evenergyAccounts.find((a) => a.index === 10)!.user;
    expect(stored.email).not.toBe(p.email);
    expect(stored.email?.toLowerCase()).toBe(p.email);
    expect((await linksOf(await lookUp(p.email))).evenergy).toBe(stored.id);
  });

  it('links neither of two ev.energy accounts with the same email, and says so in the log', async () => {
    const p = person(42);
    const found = await lookUp(p.email);
    const links = await linksOf(found);
    expect(links.evenergy).toBeUndefined();
    expect(links).toEqual(findableAccounts(p));
    expect(warnings).toContainEqual(expect.objectContaining({ level: 'warn', email: p.email, upstream: 'evenergy' }));
  });

  it('does not link a soft-deleted podero user', async () => {
    const p = person(24);
    expect(SEED_RULES.softDeleted(24)).toBe(true);
    expect((await linksOf(await lookUp(p.email))).podero).toBeUndefined();
  });

  it('gives a podero user stamped with a person’s id to that person, not to its email', async () => {
    const owner = await registry.createPerson('stamp.owner@example.com');
    const stamped = await upstreams.podero.createUser({ email: 'stamp.moved@example.com', externalUserId: owner.id });
    const [slot] = await linker.findOrLinkByEmail(['stamp.moved@example.com']);
    // Nothing else knows the email, and the one podero account is the owner's: no new person.
    expect(slot).toBeNull();
    expect(await linksOf(owner)).toEqual({ podero: stamped.id });
    expect((await registry.listPeople({ first: 10 })).totalCount).toBe(1);
  });
});

describe('when an upstream cannot be asked', () => {
  afterEach(() => emulators.reset(false));

  it('links what the other upstreams found', async () => {
    emulators.emulators.timesheet!.setFaults({ status: 503 });
    const p = person(0);
    const links = await linksOf(await lookUp(p.email));
    const { timesheet: _missing, ...others } = findableAccounts(p);
    expect(links).toEqual(others);
    expect(warnings).toContainEqual(expect.objectContaining({ msg: 'linked a person without asking every upstream', failed: ['timesheet'] }));
  });

  it('fails the slot instead of answering "nobody" when nothing was found', async () => {
    emulators.emulators.identity!.setFaults({ status: 503 });
    const [slot] = await linker.findOrLinkByEmail(['nobody.maybe@example.com']);
    expect(slot).toBeInstanceOf(GatewayError);
    expect(slot instanceof GatewayError && [slot.code, slot.upstream]).toEqual([ErrorCode.UPSTREAM_UNAVAILABLE, 'identity']);
    expect((await registry.listPeople({ first: 10 })).totalCount).toBe(0);
  });

  it('fails every slot of the batch when podero’s list fails and nothing else knows the emails', async () => {
    emulators.emulators.podero!.setFaults({ status: 500 });
    const slots = await linker.findOrLinkByEmail(['nobody.one@example.com', 'nobody.two@example.com']);
    expect(slots.map((s) => s instanceof GatewayError && s.upstream)).toEqual(['podero', 'podero']);
    expect(emulators.emulators.podero!.counts().byRoute).toEqual({ 'GET /org/:org_id/users': 1 });
  });
});

describe('VRM linking from the person’s own token', () => {
  const token = { kind: 'token' as const, value: personalTokenFor(population.seed, 3) };

  // Issue 11: holding a VRM token is no proof of owning its account (tokens are shared with apps and
  // installers); VRM's email for the account must be the person's.
  it('links the VRM account the token belongs to when VRM’s email for it is the person’s, ignoring case', async () => {
    const owner = await registry.createPerson(person(3).email.toUpperCase());
    const { accountId, result } = await linker.linkVrm(owner, token);
    expect(accountId).toBe(String(vrmUserIdFor(3)));
    expect(result).toMatchObject({ status: 'LINKED', link: { personId: owner.id, upstream: 'vrm', accountId } });
    expect(emulators.emulators.vrm!.counts().byRoute).toEqual({ 'GET /users/me': 1 });
  });

  it('refuses, and links nothing, for a token whose VRM account has another email than the person’s', async () => {
    const someone = await registry.createPerson('someone.else@example.com');
    await expect(linker.linkVrm(someone, token)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN, upstream: 'vrm' });
    expect((await linksOf(someone)).vrm).toBeUndefined();
    expect(await registry.personByAccount('vrm', String(vrmUserIdFor(3)))).toBeNull();
    expect(emulators.emulators.vrm!.counts().byRoute).toEqual({ 'GET /users/me': 1 });
  });

  it('says the link was already there when it was', async () => {
    const p = await lookUp(person(3).email);
    await linker.linkVrm(p, token);
    expect((await linker.linkVrm(p, token)).result.status).toBe('ALREADY_LINKED');
  });

  it('reports, and keeps, a VRM account already linked to another person', async () => {
    const first = await lookUp(person(3).email);
    await linker.linkVrm(first, token);
    // The first person's email changed since; a second person now has the VRM account's email.
    await registry.updateEmail(first.id, 'first.moved@example.com');
    const second = await registry.createPerson(person(3).email);
    const { result } = await linker.linkVrm(second, token);
    expect(result).toMatchObject({ status: 'CONFLICT', kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON', existing: { personId: first.id } });
    expect((await registry.personByAccount('vrm', String(vrmUserIdFor(3))))?.id).toBe(first.id);
    expect((await linksOf(second)).vrm).toBeUndefined();
  });

  it('links nothing for a token VRM refuses', async () => {
    const p = await lookUp(person(3).email);
    await expect(linker.linkVrm(p, { kind: 'token', value: 'f'.repeat(64) })).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED, upstream: 'vrm' });
    expect((await linksOf(p)).vrm).toBeUndefined();
  });
});
