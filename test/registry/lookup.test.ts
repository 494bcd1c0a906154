/**
 * Finding accounts by email (src/registry/lookup.ts), upstream by upstream, over real HTTP against the
 * emulators seeded with the demo population (docs/population.md): exact matches only, whatever each
 * API's filter answers; duplicates as SEVERAL; an upstream that cannot be asked as FAILED; the call cost
 * of a batch from the emulators' own request counters.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { seedUsers } from '../../src/emulators/evenergy/data';
import { seededIdLabel } from '../../src/emulators/identity/seed';
import { SEED_RULES, userIdFor as poderoUserIdFor } from '../../src/emulators/podero/seed';
import { buildPopulation, uuidFor, type DemoPerson } from '../../src/emulators/population';
import { USER_ID_BASE as TIMESHEET_USER_ID_BASE } from '../../src/emulators/timesheet/data';
import { accountIdsOf, findAccountsByEmail, type EmailMatch } from '../../src/registry/lookup';
import { createUpstreams, type Upstreams } from '../../src/upstreams';

const population = buildPopulation({ people: 60 });
const person = (i: number): DemoPerson => population.people[i]!;
const evenergyAccounts = seedUsers(population);

let emulators: RunningEmulators;
let upstreams: Upstreams;

beforeAll(async () => {
  emulators = await startEmulators({ population, ports: 'ephemeral' });
  const urls: Record<UpstreamName, string> = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
  for (const u of UPSTREAM_NAMES) urls[u] = emulators.urls[u] ?? '';
  // No retries and no breaker: an injected failure is seen exactly once and does not leak into the next test.
  upstreams = createUpstreams({ urls, tokens: DEV_TOKENS, poderoOrgId: DEV_PODERO_ORG_ID, client: { maxRetries: 0, breakerMinimumCalls: 100_000 } });
});

afterAll(async () => {
  await upstreams.close();
  await emulators.close();
});

beforeEach(() => emulators.reset(true));

/** Requests per route at one emulator since the last reset. */
const callsTo = (upstream: UpstreamName): Record<string, number> => emulators.emulators[upstream]!.counts().byRoute;

/** The match as account ids, with its kind: `['ONE', ['5010']]`. */
function shown<A extends { id: string }>(match: EmailMatch<A> | undefined): [string, string[]] {
  if (!match) throw new Error('expected one answer per email, but got none');
  return [match.kind, accountIdsOf(match).sort()];
}

describe('identity: GET /users/:identifier with the email', () => {
  it('finds the user whose identifier is the email', async () => {
    const [match] = await findAccountsByEmail(upstreams, 'identity', [person(0).email]);
    expect(shown(match)).toEqual(['ONE', [uuidFor(seededIdLabel(population.seed, 'user', 0))]]);
    expect(callsTo('identity')).toEqual({ 'GET /users/:identifier': 1 });
  });

  it('answers NONE for an email identity does not hold', async () => {
    const [match] = await findAccountsByEmail(upstreams, 'identity', ['nobody.at.all@example.com']);
    expect(match).toEqual({ kind: 'NONE' });
  });

  it('counts only a user whose email is the one asked, not one the identifier names otherwise', async () => {
    // Identity's identifier is an email or a user id: a user answered for anything else is no email match.
    const id = uuidFor(seededIdLabel(population.seed, 'user', 0));
    expect((await upstreams.identity.getUser(id))?.email).toBe(person(0).email);
    const [match] = await findAccountsByEmail(upstreams, 'identity', [id]);
    expect(match).toEqual({ kind: 'NONE' });
  });
});

describe('ev.energy: GET /users?email=', () => {
  it('finds an account whose stored email differs only in case', async () => {
    const stored = evenergyAccounts.find((a) => a.index === 10)!.user;
    expect(stored.email).not.toBe(person(10).email);
    const [match] = await findAccountsByEmail(upstreams, 'evenergy', [person(10).email]);
    expect(shown(match)).toEqual(['ONE', [stored.id]]);
  });

  it('answers SEVERAL, naming both, for two accounts with one email, and picks neither', async () => {
    const both = evenergyAccounts.filter((a) => a.index === 42).map((a) => a.user.id);
    expect(both).toHaveLength(2);
    const [match] = await findAccountsByEmail(upstreams, 'evenergy', [person(42).email]);
    expect(shown(match)).toEqual(['SEVERAL', both.sort()]);
  });

  it('answers NONE for a person ev.energy does not hold', async () => {
    expect(person(3).in.evenergy).toBe(false);
    const [match] = await findAccountsByEmail(upstreams, 'evenergy', [person(3).email]);
    expect(match).toEqual({ kind: 'NONE' });
  });
});

describe('timesheet: GET /users?email= is a substring filter', () => {
  const [ten, eleven] = [person(10), person(11)];

  it('keeps only the exact match when the filter also answers the re.-prefixed twin', async () => {
    expect(eleven.email).toBe(`re.${ten.email}`);
    // The trap is real: the API answers both people for person 10's email.
    const page = await upstreams.timesheet.listUsers({ email: ten.email });
    expect(page.users.map((u) => u.id).sort()).toEqual([String(TIMESHEET_USER_ID_BASE + 10), String(TIMESHEET_USER_ID_BASE + 11)]);

    const [tenMatch, elevenMatch] = await findAccountsByEmail(upstreams, 'timesheet', [ten.email, eleven.email.toUpperCase()]);
    expect(shown(tenMatch)).toEqual(['ONE', [String(TIMESHEET_USER_ID_BASE + 10)]]);
    expect(shown(elevenMatch)).toEqual(['ONE', [String(TIMESHEET_USER_ID_BASE + 11)]]);
  });

  it('answers NONE for a part of two emails that only the substring filter matches', async () => {
    const part = ten.email.slice(ten.email.indexOf('.') + 1);
    expect((await upstreams.timesheet.listUsers({ email: part })).users).toHaveLength(2);
    const [match] = await findAccountsByEmail(upstreams, 'timesheet', [part]);
    expect(match).toEqual({ kind: 'NONE' });
  });
});

describe('podero: its user list, or the user stamped with the person id', () => {
  it('asks the list once for a whole batch and answers each email from it', async () => {
    // 0 and 2 are listed, 24 is soft-deleted (not listed), 1 has no podero account.
    expect([SEED_RULES.softDeleted(24), person(1).in.podero]).toEqual([true, false]);
    const emails = [0, 2, 24, 1].map((i) => person(i).email);
    const matches = await findAccountsByEmail(upstreams, 'podero', emails);
    expect(matches.map(shown)).toEqual([
      ['ONE', [poderoUserIdFor(0)]],
      ['ONE', [poderoUserIdFor(2)]],
      ['NONE', []],
      ['NONE', []],
    ]);
    expect(callsTo('podero')).toEqual({ 'GET /org/:org_id/users': 1 });
  });

  it('answers the user stamped with the person id, whatever its email, without the list', async () => {
    const personId = randomUUID();
    const stamped = await upstreams.podero.createUser({ email: 'stamped.elsewhere@example.com', externalUserId: personId });
    emulators.reset(false);
    const [match] = await findAccountsByEmail(upstreams, 'podero', ['the.person@example.com'], { personId });
    expect(shown(match)).toEqual(['ONE', [stamped.id]]);
    expect(callsTo('podero')).toEqual({ 'GET /org/:org_id/users/by-ext-id/:external_id': 1 });
  });

  it('looks the email up in the list when no user carries the person id', async () => {
    const [match] = await findAccountsByEmail(upstreams, 'podero', [person(0).email], { personId: randomUUID() });
    expect(shown(match)).toEqual(['ONE', [poderoUserIdFor(0)]]);
    expect(callsTo('podero')).toEqual({ 'GET /org/:org_id/users/by-ext-id/:external_id': 1, 'GET /org/:org_id/users': 1 });
  });
});

describe('batches and failures', () => {
  afterEach(() => emulators.reset(false));

  it('asks an upstream without a list once per email, and reports each answer', async () => {
    const answered: number[] = [];
    const emails = [0, 1, 2].map((i) => person(i).email);
    const matches = await findAccountsByEmail(upstreams, 'identity', emails, { concurrency: 2, onAnswered: (n) => answered.push(n) });
    expect(matches.map((m) => m.kind)).toEqual(['ONE', 'ONE', 'ONE']);
    expect(callsTo('identity')).toEqual({ 'GET /users/:identifier': 3 });
    expect(answered).toEqual([1, 2, 3]);
  });

  it.each([
    ['timesheet', 503, { 'GET /users': 2 }],
    ['evenergy', 503, { 'GET /users': 2 }],
    ['podero', 500, { 'GET /org/:org_id/users': 1 }],
  ] as const)('answers FAILED for every email, never NONE, when %s cannot be asked', async (upstream, status, calls) => {
    emulators.emulators[upstream]!.setFaults({ status });
    const matches = await findAccountsByEmail(upstreams, upstream, [person(0).email, 'nobody@example.com']);
    for (const match of matches) {
      expect(match.kind).toBe('FAILED');
      const error = match.kind === 'FAILED' ? match.error : undefined;
      expect(error).toBeInstanceOf(GatewayError);
      expect(error instanceof GatewayError && [error.code, error.upstream]).toEqual([ErrorCode.UPSTREAM_UNAVAILABLE, upstream]);
    }
    expect(callsTo(upstream)).toEqual(calls);
  });
});
