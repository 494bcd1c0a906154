/**
 * `usergraph sync` over real HTTP against the five emulators: the links it makes are computed here from
 * the population's membership rules and each emulator's documented quirks, and compared with the
 * registry exactly; a second run changes nothing; conflicts are reported and never resolved by
 * overwriting; progress is reported; the command prints its report.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { DUPLICATE_ACCOUNT_INDEX, seedUsers } from '../../src/emulators/evenergy/data';
import { seededIdLabel } from '../../src/emulators/identity/seed';
import { SEED_RULES, userIdFor as poderoUserIdFor } from '../../src/emulators/podero/seed';
import { buildPopulation, uuidFor, type DemoPerson } from '../../src/emulators/population';
import { USER_ID_BASE as TIMESHEET_USER_ID_BASE } from '../../src/emulators/timesheet/data';
import { openRegistry } from '../../src/registry';
import { createLinker } from '../../src/registry/linker';
import { sync, type SyncProgress, type SyncReport } from '../../src/registry/sync';
import { createProgressPrinter, formatReport, runSyncCommand } from '../../src/registry/sync-command';
import type { Registry } from '../../src/registry/types';
import { silentLogger } from '../../src/lib/logger';
import { createUpstreams, type Upstreams } from '../../src/upstreams';

const population = buildPopulation({ people: 60 });
const person = (i: number): DemoPerson => population.people[i]!;
const evenergyAccounts = seedUsers(population);

/** email → upstream → account id: what the registry holds. */
type Links = Record<string, Partial<Record<UpstreamName, string>>>;

/**
 * What sync must link, from the rules alone: ev.energy, timesheet and podero list their users (podero
 * leaves soft-deleted ones out), identity is asked about every email found there, VRM has no list, and
 * person 42's two ev.energy accounts with one email are a conflict, so neither is linked.
 */
function expectedLinks(): Links {
  const out: Links = {};
  for (const p of population.people) {
    const ev = evenergyAccounts.filter((a) => a.index === p.index);
    const podero = p.in.podero && !SEED_RULES.softDeleted(p.index);
    const listed = ev.length > 0 || podero || p.in.timesheet;
    // Identity has no list: a person found nowhere else is out of sync's reach.
    if (!listed) continue;
    const links: Partial<Record<UpstreamName, string>> = { identity: uuidFor(seededIdLabel(population.seed, 'user', p.index)) };
    if (ev.length === 1) links.evenergy = ev[0]!.user.id;
    if (podero) links.podero = poderoUserIdFor(p.index);
    if (p.in.timesheet) links.timesheet = String(TIMESHEET_USER_ID_BASE + p.index);
    out[p.email] = links;
  }
  return out;
}

let emulators: RunningEmulators;
let urls: Record<UpstreamName, string>;
let upstreams: Upstreams;
let registry: Registry;

beforeAll(async () => {
  emulators = await startEmulators({ population, ports: 'ephemeral' });
  urls = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
  for (const u of UPSTREAM_NAMES) urls[u] = emulators.urls[u] ?? '';
  upstreams = createUpstreams({ urls, tokens: DEV_TOKENS, poderoOrgId: DEV_PODERO_ORG_ID, client: { maxRetries: 0, breakerMinimumCalls: 100_000 } });
});

afterAll(async () => {
  await upstreams.close();
  await emulators.close();
});

beforeEach(async () => {
  emulators.reset(true);
  registry = await openRegistry({ sqlitePath: ':memory:' });
});

afterEach(async () => {
  await registry.close();
});

/** Every person in the registry with their links, read back page by page. */
async function registryLinks(): Promise<Links> {
  const out: Links = {};
  let after: string | undefined;
  for (;;) {
    const page = await registry.listPeople({ first: 100, after });
    const links = await registry.linksFor(page.people.map((p) => p.id));
    for (const p of page.people) out[p.email] = Object.fromEntries((links.get(p.id) ?? []).map((l) => [l.upstream, l.accountId]));
    if (!page.hasNextPage || page.endCursor === null) return out;
    after = page.endCursor;
  }
}

function linkCount(links: Links): number {
  return Object.values(links).reduce((n, l) => n + Object.keys(l).length, 0);
}

function run(extra: Partial<Parameters<typeof sync>[0]> = {}): Promise<SyncReport> {
  return sync({ registry, upstreams, ...extra });
}

describe('sync over the demo population', () => {
  it('links exactly the accounts the population documents', async () => {
    const expected = expectedLinks();
    const report = await run();
    expect(await registryLinks()).toEqual(expected);

    // People found only in identity (i % 20 === 19) are out of reach; everyone else is linked.
    expect(Object.keys(expected)).not.toContain(person(19).email);
    expect(report.peopleCreated).toBe(Object.keys(expected).length);
    expect(report.links).toHaveLength(linkCount(expected));
    for (const u of ['identity', 'evenergy', 'podero', 'timesheet'] as const) {
      expect(report.linked[u]).toBe(Object.values(expected).filter((l) => l[u] !== undefined).length);
    }
    expect(report.linked.vrm).toBeUndefined();
    expect(report.alreadyLinked).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.skipped).toEqual([]);
  });

  it('reports ev.energy’s two accounts with one email as the one conflict and links neither', async () => {
    const report = await run();
    const twins = evenergyAccounts.filter((a) => a.index === DUPLICATE_ACCOUNT_INDEX).map((a) => a.user.id);
    expect(twins).toHaveLength(2);
    expect(report.conflicts).toEqual([{ kind: 'DUPLICATE_EMAIL', upstream: 'evenergy', email: person(DUPLICATE_ACCOUNT_INDEX).email, accountIds: twins.sort() }]);
    for (const id of twins) expect(await registry.personByAccount('evenergy', id)).toBeNull();
  });

  it('counts every account each list holds', async () => {
    const report = await run();
    expect(report.scanned).toEqual({
      evenergy: evenergyAccounts.length,
      timesheet: population.people.filter((p) => p.in.timesheet).length,
      podero: population.people.filter((p) => p.in.podero && !SEED_RULES.softDeleted(p.index)).length,
      identity: Object.keys(expectedLinks()).length,
    });
  });

  it('walks the paginated lists through every page, asks podero’s list once and identity once per email', async () => {
    const pageSize = 10;
    await run({ pageSize });
    const pages = (n: number): number => Math.ceil(n / pageSize);
    const counts = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, emulators.emulators[u]!.counts().byRoute]));
    // Identity is asked once per distinct email; person 42's two ev.energy accounts share one.
    const emails = new Set([...evenergyAccounts.map((a) => a.user.email!.toLowerCase()), ...population.people.filter((p) => p.in.timesheet || (p.in.podero && !SEED_RULES.softDeleted(p.index))).map((p) => p.email)]);
    expect(counts).toEqual({
      evenergy: { 'GET /users': pages(evenergyAccounts.length) },
      timesheet: { 'GET /users': pages(population.people.filter((p) => p.in.timesheet).length) },
      podero: { 'GET /org/:org_id/users': 1 },
      identity: { 'GET /users/:identifier': emails.size },
      vrm: {},
    });
  });

  it('changes nothing when it runs a second time', async () => {
    await run();
    const before = await registryLinks();
    const people = (await registry.listPeople({ first: 100 })).people;
    const second = await run();
    expect(await registryLinks()).toEqual(before);
    expect((await registry.listPeople({ first: 100 })).people).toEqual(people);
    expect(second.linked).toEqual({});
    expect(second.links).toEqual([]);
    expect(second.peopleCreated).toBe(0);
    expect(second.alreadyLinked).toBe(linkCount(before));
    expect(second.conflicts.map((c) => c.kind)).toEqual(['DUPLICATE_EMAIL']);
  });

  it('completes the links of people first linked by lookup, without touching those links', async () => {
    // A person linked on lookup before sync ever ran is the same person afterwards.
    const linker = createLinker({ registry, upstreams, logger: silentLogger });
    const [early] = await linker.findOrLinkByEmail([person(0).email]);
    const report = await run();
    expect(await registryLinks()).toEqual(expectedLinks());
    expect((await registry.getPeopleByEmail([person(0).email]))[0]).toEqual(early);
    expect(report.alreadyLinked).toBe(Object.keys(expectedLinks()[person(0).email]!).length);
  });
});

describe('conflicts', () => {
  it('reports an email changed in an upstream as EMAIL_CHANGED and keeps the link', async () => {
    await run();
    const p = person(1);
    const accountId = evenergyAccounts.find((a) => a.index === 1)!.user.id;
    const linked = await registry.personByAccount('evenergy', accountId);
    expect(linked?.email).toBe(p.email);
    await upstreams.evenergy.updateUser(accountId, { email: 'dennis.renamed@example.com' });

    const report = await run();
    expect(report.conflicts).toContainEqual({
      kind: 'EMAIL_CHANGED',
      upstream: 'evenergy',
      accountId,
      linkedPersonId: linked!.id,
      linkedEmail: p.email,
      upstreamEmail: 'dennis.renamed@example.com',
    });
    expect(await registry.personByAccount('evenergy', accountId)).toEqual(linked);
    expect(report.peopleCreated).toBe(0);
    expect((await registry.getPeopleByEmail(['dennis.renamed@example.com']))[0]).toBeNull();
    expect(formatReport(report)).toContain(`evenergy: account ${accountId} now has dennis.renamed@example.com but is linked to person ${linked!.id} (${p.email}); link kept`);
  });

  it('reports a new account with a linked person’s email as PERSON_HAS_OTHER_ACCOUNT and keeps the old link', async () => {
    await run();
    const p = person(1);
    const oldId = evenergyAccounts.find((a) => a.index === 1)!.user.id;
    const owner = await registry.personByAccount('evenergy', oldId);
    await upstreams.evenergy.updateUser(oldId, { email: 'dennis.renamed@example.com' });
    const created = await upstreams.evenergy.createUser({ email: p.email });

    const report = await run();
    expect(report.conflicts).toContainEqual({ kind: 'PERSON_HAS_OTHER_ACCOUNT', upstream: 'evenergy', personId: owner!.id, accountId: created.id, existingAccountId: oldId });
    expect((await registryLinks())[p.email]?.evenergy).toBe(oldId);
    expect(await registry.personByAccount('evenergy', created.id)).toBeNull();
  });

  it('links a podero user stamped with a person’s id to that person, whatever its email', async () => {
    const owner = await registry.createPerson('provisioned.person@example.com');
    const stamped = await upstreams.podero.createUser({ email: 'podero.other.email@example.com', externalUserId: owner.id });
    const report = await run();
    expect(report.links).toContainEqual({ personId: owner.id, upstream: 'podero', accountId: stamped.id });
    expect((await registry.getPeopleByEmail(['podero.other.email@example.com']))[0]).toBeNull();
  });

  it('skips accounts without an email, and says so', async () => {
    const created = await upstreams.evenergy.createUser({});
    expect(created.email).toBeNull();
    const report = await run();
    expect(report.skipped).toEqual([{ upstream: 'evenergy', accountId: created.id, reason: 'NO_EMAIL' }]);
    expect(await registryLinks()).toEqual(expectedLinks());
  });
});

describe('failures', () => {
  afterEach(() => emulators.reset(false));

  it('links nothing of an upstream whose list could not be read, links the rest, and a later run completes it', async () => {
    emulators.emulators.timesheet!.setFaults({ status: 503 });
    const report = await run();
    expect(report.failures).toEqual([{ upstream: 'timesheet', code: ErrorCode.UPSTREAM_UNAVAILABLE, message: expect.any(String) }]);
    expect(report.linked.timesheet).toBeUndefined();
    expect(report.scanned.timesheet).toBeUndefined();
    const withoutTimesheet = await registryLinks();
    expect(Object.values(withoutTimesheet).some((l) => l.timesheet !== undefined)).toBe(false);
    expect(Object.values(withoutTimesheet).filter((l) => l.evenergy !== undefined)).toHaveLength(evenergyAccounts.length - 2);

    emulators.reset(false);
    const second = await run();
    expect(second.failures).toEqual([]);
    expect(await registryLinks()).toEqual(expectedLinks());
  });

  it('links nothing from a list that failed part-way, since the missing pages could hold a duplicate', async () => {
    // A real HTTP hop in front of timesheet that fails the second page of the user list.
    let pagesAsked = 0;
    const proxy = http.createServer((req, res) => {
      const isList = req.method === 'GET' && new URL(req.url ?? '/', 'http://proxy').pathname === '/v2/users';
      if (isList && ++pagesAsked === 2) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'));
      fetch(`${emulators.emulators.timesheet!.origin()}${req.url ?? '/'}`, { method: req.method, headers }).then(
        async (upstream) => {
          const answer: Record<string, string> = {};
          // fetch has decoded the body already, so its length and encoding headers no longer apply.
          upstream.headers.forEach((value, key) => {
            if (key !== 'content-length' && key !== 'content-encoding') answer[key] = value;
          });
          res.writeHead(upstream.status, answer).end(Buffer.from(await upstream.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    if (address === null || typeof address === 'string') throw new Error(`expected a TCP address, but got ${String(address)}`);
    const viaProxy = createUpstreams({
      urls: { ...urls, timesheet: `http://127.0.0.1:${address.port}/v2` },
      tokens: DEV_TOKENS,
      poderoOrgId: DEV_PODERO_ORG_ID,
      client: { maxRetries: 0, breakerMinimumCalls: 100_000 },
    });
    try {
      const report = await sync({ registry, upstreams: viaProxy, pageSize: 10 });
      expect(pagesAsked).toBe(2);
      expect(report.failures.map((f) => [f.upstream, f.code])).toEqual([['timesheet', ErrorCode.UPSTREAM_UNAVAILABLE]]);
      expect(Object.values(await registryLinks()).some((l) => l.timesheet !== undefined)).toBe(false);
    } finally {
      await viaProxy.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('reports failed identity lookups with how many failed, and links the rest', async () => {
    emulators.emulators.identity!.setFaults({ status: 500, count: 3 });
    const report = await run({ concurrency: 1 });
    expect(report.failures).toEqual([{ upstream: 'identity', code: ErrorCode.UPSTREAM_UNAVAILABLE, message: expect.stringMatching(/^3 of \d+ lookups failed; the first: /) }]);
    expect(report.linked.identity).toBe(Object.keys(expectedLinks()).length - 3);
  });
});

describe('progress', () => {
  it('reports every phase as it goes, each ending with done equal to total', async () => {
    const events: SyncProgress[] = [];
    const report = await run({ onProgress: (p) => events.push(p), progressEvery: 10 });
    // One identity lookup and one linking step per distinct email found in the lists.
    const emails = Object.keys(expectedLinks()).length;
    const ends = events.filter((e) => e.total !== undefined && e.done === e.total);
    expect(ends).toEqual(
      expect.arrayContaining([
        { phase: 'scan', upstream: 'evenergy', done: report.scanned.evenergy, total: report.scanned.evenergy },
        { phase: 'scan', upstream: 'timesheet', done: report.scanned.timesheet, total: report.scanned.timesheet },
        { phase: 'scan', upstream: 'podero', done: report.scanned.podero, total: report.scanned.podero },
        { phase: 'identity', done: emails, total: emails },
        { phase: 'link', done: emails, total: emails },
      ]),
    );
    expect(ends).toHaveLength(5);
    // In between: a line every ten items, counting up.
    const linking = events.filter((e) => e.phase === 'link').map((e) => e.done);
    expect(linking).toEqual([...Array.from({ length: Math.ceil(emails / 10) - 1 }, (_, k) => (k + 1) * 10), emails]);
    const evenergy = events.filter((e) => e.phase === 'scan' && e.upstream === 'evenergy').map((e) => e.done);
    expect(evenergy).toEqual([...Array.from({ length: Math.floor(evenergyAccounts.length / 10) }, (_, k) => (k + 1) * 10), evenergyAccounts.length]);
    // Phases come in order: all scanning, then identity, then linking.
    const phases = events.map((e) => e.phase);
    expect(phases.lastIndexOf('scan')).toBeLessThan(phases.indexOf('identity'));
    expect(phases.lastIndexOf('identity')).toBeLessThan(phases.indexOf('link'));
  });

  it('prints the end of each phase and at most one line per interval in between', () => {
    const lines: string[] = [];
    let clock = 0;
    const print = createProgressPrinter((l) => lines.push(l), { intervalMs: 1000, now: () => clock });
    print({ phase: 'scan', upstream: 'evenergy', done: 100 });
    clock = 500;
    print({ phase: 'scan', upstream: 'evenergy', done: 200 });
    clock = 1200;
    print({ phase: 'scan', upstream: 'evenergy', done: 300 });
    print({ phase: 'scan', upstream: 'evenergy', done: 340, total: 340 });
    print({ phase: 'link', done: 10, total: 20 });
    expect(lines).toEqual(['sync: reading evenergy users 100', 'sync: reading evenergy users 300', 'sync: reading evenergy users 340/340 done']);
  });
});

describe('the sync command', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usergraph-sync-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('links the configured upstreams into the configured registry, prints the report and exits 0; again, it links nothing', async () => {
    const env = {
      IDENTITY_URL: urls.identity,
      EVENERGY_URL: urls.evenergy,
      VRM_URL: urls.vrm,
      PODERO_URL: urls.podero,
      TIMESHEET_URL: urls.timesheet,
      SQLITE_PATH: path.join(dir, 'registry.db'),
    };
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSyncCommand({ env, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    expect(code).toBe(0);
    const text = out.join('');
    const expected = expectedLinks();
    expect(text).toContain(`(0 already linked, ${Object.keys(expected).length} people created)`);
    expect(text).toContain('conflicts: 1\n');
    expect(text).toContain(`evenergy: ${person(42).email} is on 2 accounts`);
    expect(err.join('')).toMatch(/^sync: linking \d+\/\d+ done$/m);

    const stored = await openRegistry({ sqlitePath: env.SQLITE_PATH });
    try {
      const page = await stored.listPeople({ first: 100 });
      expect(page.totalCount).toBe(Object.keys(expected).length);
    } finally {
      await stored.close();
    }

    const again: string[] = [];
    expect(await runSyncCommand({ env, quiet: true, stdout: (t) => again.push(t), stderr: (t) => err.push(`quiet run wrote: ${t}`) })).toBe(0);
    expect(again.join('')).toContain(`linked:  none (${linkCount(expected)} already linked, 0 people created)`);
    expect(err.join('')).not.toContain('quiet run wrote');
  });

  it('exits 1 when an upstream cannot be read', async () => {
    emulators.emulators.podero!.setFaults({ status: 503 });
    try {
      const out: string[] = [];
      const env = { IDENTITY_URL: urls.identity, EVENERGY_URL: urls.evenergy, VRM_URL: urls.vrm, PODERO_URL: urls.podero, TIMESHEET_URL: urls.timesheet, SQLITE_PATH: path.join(dir, 'r.db') };
      expect(await runSyncCommand({ env, quiet: true, stdout: (t) => out.push(t) })).toBe(1);
      expect(out.join('')).toMatch(/^failed: podero: UPSTREAM_UNAVAILABLE: /m);
    } finally {
      emulators.reset(false);
    }
  });
});

describe('the sync command with --report', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usergraph-report-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the persons whose links disagree with the upstreams’ emails, exits 1, and changes nothing', async () => {
    const env = { IDENTITY_URL: urls.identity, EVENERGY_URL: urls.evenergy, VRM_URL: urls.vrm, PODERO_URL: urls.podero, TIMESHEET_URL: urls.timesheet, SQLITE_PATH: path.join(dir, 'r.db') };
    expect(await runSyncCommand({ env, quiet: true, stdout: () => undefined })).toBe(0);
    const clean: string[] = [];
    expect(await runSyncCommand({ env, report: true, stdout: (t) => clean.push(t) })).toBe(0);
    expect(clean.join('')).toContain('disagreements: 0\n');

    const stored = await openRegistry({ sqlitePath: env.SQLITE_PATH });
    const before = await (async () => {
      try {
        const [p] = await stored.getPeopleByEmail([person(0).email]);
        return { person: p!, links: await stored.linksFor([p!.id]), total: (await stored.listPeople({ first: 1 })).totalCount };
      } finally {
        await stored.close();
      }
    })();
    // Person 0's ev.energy account gets another email upstream, outside the gateway.
    const evenergyId = before.links.get(before.person.id)!.find((l) => l.upstream === 'evenergy')!.accountId;
    await upstreams.evenergy.updateUser(evenergyId, { email: 'taken.over@example.com' });
    const out: string[] = [];
    expect(await runSyncCommand({ env, report: true, stdout: (t) => out.push(t) })).toBe(1);
    expect(out.join('')).toContain('disagreements: 1\n');
    expect(out.join('')).toContain(`person ${before.person.id} (${person(0).email}): evenergy account ${evenergyId} has taken.over@example.com`);

    const after = await openRegistry({ sqlitePath: env.SQLITE_PATH });
    try {
      expect(await after.linksFor([before.person.id])).toEqual(before.links);
      expect((await after.listPeople({ first: 1 })).totalCount).toBe(before.total);
    } finally {
      await after.close();
    }
  });
});

describe('docs/population.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'population.md'), 'utf8');
  /** The number in the doc's table row that starts with `label`. */
  const row = (label: string): number => {
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`^\\| ${escaped} \\| (\\d+)`, 'm').exec(doc);
    if (!match) throw new Error(`expected a row "| ${label} | <number> …" in docs/population.md, but found none`);
    return Number(match[1]);
  };

  it('states the membership counts of the default population', () => {
    const people = buildPopulation().people;
    for (const u of UPSTREAM_NAMES) {
      const rule = /`[^`]+`|always/.source;
      const match = new RegExp(`^\\| ${u} \\| (?:${rule}) \\| (\\d+)`, 'm').exec(doc);
      expect([u, match && Number(match[1])]).toEqual([u, people.filter((p) => p.in[u]).length]);
    }
  });

  it('states what sync really does on the default population', async () => {
    const running = await startEmulators({ population: buildPopulation(), ports: 'ephemeral' });
    const own = await openRegistry({ sqlitePath: ':memory:' });
    const defaultUrls: Record<UpstreamName, string> = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
    for (const u of UPSTREAM_NAMES) defaultUrls[u] = running.urls[u] ?? '';
    const clients = createUpstreams({ urls: defaultUrls, tokens: DEV_TOKENS, poderoOrgId: DEV_PODERO_ORG_ID });
    try {
      const report = await sync({ registry: own, upstreams: clients });
      expect({
        people: report.peopleCreated,
        identity: report.linked.identity ?? 0,
        evenergy: report.linked.evenergy ?? 0,
        podero: report.linked.podero ?? 0,
        timesheet: report.linked.timesheet ?? 0,
        vrm: report.linked.vrm ?? 0,
        conflicts: report.conflicts.length,
      }).toEqual({
        people: row('people created'),
        identity: row('identity links'),
        evenergy: row('evenergy links'),
        podero: row('podero links'),
        timesheet: row('timesheet links'),
        vrm: row('vrm links'),
        conflicts: row('conflicts'),
      });
    } finally {
      await clients.close();
      await running.close();
      await own.close();
    }
  });
});
