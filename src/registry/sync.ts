/**
 * `usergraph sync`: walks every upstream user list through all its pages (ev.energy and timesheet follow
 * their `Link` headers; podero answers its whole organization at once), looks each email found up in
 * identity (which has no list), and links what it finds, so people are linked before anyone looks them up.
 *
 * Contract:
 * - Idempotent: a second run over unchanged upstreams creates no person and no link.
 * - Conflicts are reported, never resolved by overwriting or guessing: one email on two accounts of one
 *   upstream (DUPLICATE_EMAIL: neither is linked), an account linked to a person whose email it no longer
 *   has (EMAIL_CHANGED: the link is kept), a person already linked to another account of that upstream
 *   (PERSON_HAS_OTHER_ACCOUNT), an account linked to another person than the one sync would link it to
 *   (ACCOUNT_LINKED_TO_OTHER_PERSON).
 * - A podero user whose `external_user_id` is the id of a person in the registry (the gateway stamps it
 *   when it provisions, which is what podero's `by-ext-id` finds) belongs to that person, whatever its
 *   email says.
 * - An upstream whose list cannot be read completely links nothing in this run (a partial list could
 *   hide the second account of a duplicate email); it is reported in `failures` and everything else is
 *   linked.
 * - Who is out of reach: VRM has no user list (VRM accounts are linked when their owner calls with their
 *   own VRM token), identity has no list (a person found only in identity is linked on first lookup),
 *   podero's soft-deleted users are not listed.
 */
import { ErrorCode, GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../errors';
import type { Upstreams } from '../upstreams';
import { mapLimit } from '../lib/concurrency';
import { findAccountsByEmail } from './lookup';
import type { Person, Registry } from './types';
import * as v from './validate';
import { isUuid } from '../lib/ids';

export type SyncConflict =
  | { kind: 'DUPLICATE_EMAIL'; upstream: UpstreamName; email: string; accountIds: string[] }
  | { kind: 'EMAIL_CHANGED'; upstream: UpstreamName; accountId: string; linkedPersonId: string; linkedEmail: string; upstreamEmail: string }
  | { kind: 'PERSON_HAS_OTHER_ACCOUNT'; upstream: UpstreamName; personId: string; accountId: string; existingAccountId: string }
  | { kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON'; upstream: UpstreamName; accountId: string; personId: string; linkedPersonId: string };

/** One link this run created. */
export interface SyncLink {
  personId: string;
  upstream: UpstreamName;
  accountId: string;
}

/** An account sync could not consider at all. */
export interface SyncSkip {
  upstream: UpstreamName;
  accountId: string;
  /** Why: the account has no email, or its email is not an address the registry accepts. */
  reason: 'NO_EMAIL' | 'INVALID_EMAIL';
}

export interface SyncReport {
  /** Accounts read per upstream (identity: accounts found by email). */
  scanned: Partial<Record<UpstreamName, number>>;
  /** Links created by this run, per upstream. */
  linked: Partial<Record<UpstreamName, number>>;
  /** The links created by this run, in the order they were made. */
  links: SyncLink[];
  /** Accounts whose link was already in place. */
  alreadyLinked: number;
  /** People created by this run. */
  peopleCreated: number;
  conflicts: SyncConflict[];
  skipped: SyncSkip[];
  /** Upstreams that could not be read (or asked); the run linked everything else. */
  failures: { upstream: UpstreamName; code: string; message: string }[];
}

export type SyncPhase = 'scan' | 'identity' | 'link';

/**
 * Where a run is. `scan`: accounts read from one upstream's list (`total` only once it is finished);
 * `identity`: emails looked up in identity; `link`: emails linked. Each phase (each upstream, for `scan`)
 * ends with an event whose `done` equals its `total`.
 */
export interface SyncProgress {
  phase: SyncPhase;
  upstream?: UpstreamName;
  done: number;
  total?: number;
}

export interface SyncOptions {
  registry: Registry;
  upstreams: Upstreams;
  /** Identity lookups in flight at once. Default 8. */
  concurrency?: number;
  /** Page size for the paginated lists (ev.energy allows 1–100, timesheet 1–1000). Default 100. */
  pageSize?: number;
  onProgress?: (progress: SyncProgress) => void;
  /** Items between two progress events within a phase. Default 100. */
  progressEvery?: number;
}

interface SeenAccount {
  upstream: UpstreamName;
  id: string;
  email: string;
}

interface ListedAccount {
  id: string;
  email: string | null;
  externalUserId?: string | null;
}

/** The upstreams with a user list. */
const LISTED = ['evenergy', 'timesheet', 'podero'] as const;

const lower = (s: string): string => s.toLowerCase();

function failureOf(upstream: UpstreamName, err: unknown): SyncReport['failures'][number] {
  if (err instanceof GatewayError) return { upstream, code: err.code, message: err.message };
  return { upstream, code: ErrorCode.UPSTREAM_UNAVAILABLE, message: err instanceof Error ? err.message : String(err) };
}

export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { registry, upstreams } = options;
  const concurrency = options.concurrency ?? 8;
  const pageSize = options.pageSize ?? 100;
  const every = Math.max(1, options.progressEvery ?? 100);
  const progress = options.onProgress ?? (() => undefined);
  const report: SyncReport = { scanned: {}, linked: {}, links: [], alreadyLinked: 0, peopleCreated: 0, conflicts: [], skipped: [], failures: [] };

  // 1. Read the three lists at once. Each upstream's accounts count only if its list was read to the end.
  const lists: Record<(typeof LISTED)[number], () => AsyncIterable<ListedAccount>> = {
    evenergy: async function* () {
      for await (const u of upstreams.evenergy.allUsers({ pageSize })) yield { id: u.id, email: u.email };
    },
    timesheet: async function* () {
      for await (const u of upstreams.timesheet.allUsers({ perPage: pageSize })) yield { id: u.id, email: u.email };
    },
    podero: async function* () {
      for (const u of await upstreams.podero.listUsers({})) yield { id: u.id, email: u.email, externalUserId: u.externalUserId };
    },
  };
  const scanned = await Promise.all(
    LISTED.map(async (upstream) => {
      const accounts: ListedAccount[] = [];
      try {
        for await (const account of lists[upstream]()) {
          accounts.push(account);
          if (accounts.length % every === 0) progress({ phase: 'scan', upstream, done: accounts.length });
        }
      } catch (err) {
        report.failures.push(failureOf(upstream, err));
        progress({ phase: 'scan', upstream, done: accounts.length, total: accounts.length });
        return { upstream, accounts: [] };
      }
      report.scanned[upstream] = accounts.length;
      progress({ phase: 'scan', upstream, done: accounts.length, total: accounts.length });
      return { upstream, accounts };
    }),
  );

  // 2. Sort what was read: podero users the gateway stamped with a person's id go to that person;
  //    everything else is grouped by email, ignoring case.
  const stamped: { account: SeenAccount; personId: string }[] = [];
  const byEmail = new Map<string, SeenAccount[]>();
  for (const { upstream, accounts } of scanned) {
    for (const a of accounts) {
      if (a.email === null || a.email.trim() === '') {
        report.skipped.push({ upstream, accountId: a.id, reason: 'NO_EMAIL' });
        continue;
      }
      try {
        v.email(a.email);
      } catch {
        report.skipped.push({ upstream, accountId: a.id, reason: 'INVALID_EMAIL' });
        continue;
      }
      const seen: SeenAccount = { upstream, id: a.id, email: a.email };
      if (a.externalUserId && isUuid(a.externalUserId)) stamped.push({ account: seen, personId: a.externalUserId });
      else byEmail.set(lower(a.email), [...(byEmail.get(lower(a.email)) ?? []), seen]);
    }
  }
  const stampOwners = stamped.length > 0 ? await registry.getPeople(stamped.map((s) => s.personId)) : [];
  const owned: { account: SeenAccount; owner: Person }[] = [];
  stamped.forEach((s, i) => {
    const owner = stampOwners[i];
    if (owner) owned.push({ account: s.account, owner });
    // A stamp that names nobody here (another registry, a partner's own UUID) is only an email match.
    else byEmail.set(lower(s.account.email), [...(byEmail.get(lower(s.account.email)) ?? []), s.account]);
  });

  // 3. Identity has no list: ask it about every email found elsewhere.
  const emails = [...byEmail.keys()].sort();
  const identityAnswers = await findAccountsByEmail(upstreams, 'identity', emails, {
    concurrency,
    onAnswered: (looked) => {
      if (looked % every === 0 && looked < emails.length) progress({ phase: 'identity', done: looked, total: emails.length });
    },
  });
  progress({ phase: 'identity', done: emails.length, total: emails.length });
  let identityFound = 0;
  const identityErrors: unknown[] = [];
  identityAnswers.forEach((answer, i) => {
    // Identity answers at most one user per identifier: ONE, NONE or FAILED.
    if (answer.kind === 'FAILED') identityErrors.push(answer.error);
    else if (answer.kind === 'ONE') {
      identityFound++;
      byEmail.get(emails[i]!)!.push({ upstream: 'identity', id: answer.account.id, email: answer.account.email });
    }
  });
  report.scanned.identity = identityFound;
  if (identityErrors.length > 0) {
    const first = failureOf('identity', identityErrors[0]);
    report.failures.push({ ...first, message: `${identityErrors.length} of ${emails.length} lookups failed; the first: ${first.message}` });
  }

  // 4. Link, one email at a time; never over a link that is in place.
  const link = async (person: Person, account: SeenAccount): Promise<void> => {
    const result = await registry.link(person.id, account.upstream, account.id);
    switch (result.status) {
      case 'LINKED':
        report.linked[account.upstream] = (report.linked[account.upstream] ?? 0) + 1;
        report.links.push({ personId: person.id, upstream: account.upstream, accountId: account.id });
        return;
      case 'ALREADY_LINKED':
        report.alreadyLinked++;
        return;
      case 'CONFLICT':
        if (result.kind === 'PERSON_HAS_OTHER_ACCOUNT') {
          report.conflicts.push({ kind: 'PERSON_HAS_OTHER_ACCOUNT', upstream: account.upstream, personId: person.id, accountId: account.id, existingAccountId: result.existing.accountId });
        } else {
          report.conflicts.push({ kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON', upstream: account.upstream, accountId: account.id, personId: person.id, linkedPersonId: result.existing.personId });
        }
        return;
    }
  };

  for (const { account, owner } of owned) await link(owner, account);

  let done = 0;
  for (const email of emails) {
    const found = byEmail.get(email)!;
    const linkable: SeenAccount[] = [];
    for (const upstream of UPSTREAM_NAMES) {
      const accounts = found.filter((a) => a.upstream === upstream);
      if (accounts.length === 0) continue;
      if (accounts.length > 1) {
        report.conflicts.push({ kind: 'DUPLICATE_EMAIL', upstream, email, accountIds: accounts.map((a) => a.id).sort() });
        continue;
      }
      const account = accounts[0]!;
      const holder = await registry.personByAccount(upstream, account.id);
      if (!holder) linkable.push(account);
      else if (lower(holder.email) === email) report.alreadyLinked++;
      else report.conflicts.push({ kind: 'EMAIL_CHANGED', upstream, accountId: account.id, linkedPersonId: holder.id, linkedEmail: holder.email, upstreamEmail: account.email });
    }
    if (linkable.length > 0) {
      const [slot] = await registry.findOrCreatePeopleByEmail([email]);
      if (!slot) throw new Error(`Registry broke its contract: findOrCreatePeopleByEmail answered no slot for ${email}`);
      if (slot.created) report.peopleCreated++;
      for (const account of linkable) await link(slot.person, account);
    }
    done++;
    if (done % every === 0 && done < emails.length) progress({ phase: 'link', done, total: emails.length });
  }
  progress({ phase: 'link', done: emails.length, total: emails.length });
  report.failures.sort((a, b) => UPSTREAM_NAMES.indexOf(a.upstream) - UPSTREAM_NAMES.indexOf(b.upstream));
  return report;
}

/** One link whose upstream account does not carry the linked person's email. */
export interface LinkDisagreement {
  personId: string;
  /** The person's email as the registry holds it. */
  email: string;
  upstream: UpstreamName;
  accountId: string;
  /** The account's email upstream now; `null` when the upstream no longer has the account. */
  upstreamEmail: string | null;
}

export interface LinkCheckReport {
  /** People and links read from the registry. */
  people: number;
  links: number;
  disagreements: LinkDisagreement[];
  /** Upstreams whose accounts could not be checked (VRM has no way to read a user by id with the service credential). */
  unchecked: { upstream: UpstreamName; links: number; reason: string }[];
  failures: SyncReport['failures'];
}

/**
 * `usergraph sync --report`: lists every person whose link to an upstream account disagrees with that
 * account's email upstream (another email, or the account is gone), so a wrong link can be found and
 * repaired (`unlinkAccount`). Read-only: it changes nothing in the registry or upstream. A podero user
 * stamped with the person's id is the person's whatever its email says, and agrees. Reads the three user
 * lists once, identity once per linked identity account.
 */
export async function checkLinks(options: Pick<SyncOptions, 'registry' | 'upstreams' | 'concurrency' | 'pageSize'>): Promise<LinkCheckReport> {
  const { registry, upstreams } = options;
  const pageSize = options.pageSize ?? 100;
  const report: LinkCheckReport = { people: 0, links: 0, disagreements: [], unchecked: [], failures: [] };

  const emails = new Map<UpstreamName, Map<string, { email: string | null; stamp?: string | null }>>();
  const read = async (upstream: (typeof LISTED)[number], all: () => AsyncIterable<ListedAccount>): Promise<void> => {
    const byId = new Map<string, { email: string | null; stamp?: string | null }>();
    try {
      for await (const a of all()) byId.set(a.id, { email: a.email, stamp: a.externalUserId });
      emails.set(upstream, byId);
    } catch (err) {
      report.failures.push(failureOf(upstream, err));
    }
  };
  await Promise.all([
    read('evenergy', async function* () {
      for await (const u of upstreams.evenergy.allUsers({ pageSize })) yield { id: u.id, email: u.email };
    }),
    read('timesheet', async function* () {
      for await (const u of upstreams.timesheet.allUsers({ perPage: pageSize })) yield { id: u.id, email: u.email };
    }),
    read('podero', async function* () {
      for (const u of await upstreams.podero.listUsers({})) yield { id: u.id, email: u.email, externalUserId: u.externalUserId };
    }),
  ]);

  const identityLinks: { person: Person; accountId: string }[] = [];
  let vrmLinks = 0;
  const disagree = (person: Person, upstream: UpstreamName, accountId: string, upstreamEmail: string | null): void => {
    report.disagreements.push({ personId: person.id, email: person.email, upstream, accountId, upstreamEmail });
  };
  let after: string | undefined;
  for (;;) {
    const page = await registry.listPeople({ first: 100, after });
    const links = await registry.linksFor(page.people.map((p) => p.id));
    for (const person of page.people) {
      report.people++;
      for (const link of links.get(person.id) ?? []) {
        report.links++;
        if (link.upstream === 'vrm') {
          vrmLinks++;
          continue;
        }
        if (link.upstream === 'identity') {
          identityLinks.push({ person, accountId: link.accountId });
          continue;
        }
        const listed = emails.get(link.upstream);
        if (!listed) continue; // its list could not be read: reported in failures
        const account = listed.get(link.accountId);
        if (!account) disagree(person, link.upstream, link.accountId, null);
        else if (account.stamp && account.stamp.toLowerCase() === person.id) continue;
        else if (account.email === null || lower(account.email) !== lower(person.email)) disagree(person, link.upstream, link.accountId, account.email);
      }
    }
    if (!page.hasNextPage || page.endCursor === null) break;
    after = page.endCursor;
  }

  const identityErrors: unknown[] = [];
  const found = await mapLimit(identityLinks, options.concurrency ?? 8, async ({ accountId }) => {
    try {
      return await upstreams.identity.getUser(accountId);
    } catch (err) {
      identityErrors.push(err);
      return undefined;
    }
  });
  identityLinks.forEach(({ person, accountId }, i) => {
    const user = found[i];
    if (user === undefined || user instanceof Error) return;
    if (user === null) disagree(person, 'identity', accountId, null);
    else if (lower(user.email) !== lower(person.email)) disagree(person, 'identity', accountId, user.email);
  });
  if (identityErrors.length > 0) {
    const first = failureOf('identity', identityErrors[0]);
    report.failures.push({ ...first, message: `${identityErrors.length} of ${identityLinks.length} lookups failed; the first: ${first.message}` });
  }
  if (vrmLinks > 0) {
    report.unchecked.push({ upstream: 'vrm', links: vrmLinks, reason: "VRM answers a user's email only to that user's own token; VRM links are made only when that email matched" });
  }
  report.failures.sort((a, b) => UPSTREAM_NAMES.indexOf(a.upstream) - UPSTREAM_NAMES.indexOf(b.upstream));
  return report;
}
