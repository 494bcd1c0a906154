/**
 * `usergraph sync`: walks every upstream user list through all its pages (ev.energy and timesheet follow
 * their `Link` headers; podero answers its whole organization at once), looks each email up in identity
 * (which has no list), and links what it finds. Idempotent: a second run links nothing new. Conflicts —
 * one email on two accounts of one upstream, an account already linked to a person with another email
 * (an email change), a person already linked to another account — are reported, never resolved by
 * overwriting a link. VRM has no user list: VRM accounts are linked when their owner calls with their own
 * VRM token.
 */
import { GatewayError, type UpstreamName } from '../errors';
import { mapLimit } from '../graph/concurrency';
import type { Upstreams } from '../upstreams';
import type { Registry } from './types';

export type SyncConflict =
  | { kind: 'DUPLICATE_EMAIL'; upstream: UpstreamName; email: string; accountIds: string[] }
  | { kind: 'EMAIL_CHANGED'; upstream: UpstreamName; accountId: string; linkedPersonId: string; linkedEmail: string; upstreamEmail: string }
  | { kind: 'PERSON_HAS_OTHER_ACCOUNT'; upstream: UpstreamName; personId: string; accountId: string; existingAccountId: string };

export interface SyncReport {
  /** Accounts seen per upstream. */
  scanned: Partial<Record<UpstreamName, number>>;
  /** Links created by this run, per upstream. */
  linked: Partial<Record<UpstreamName, number>>;
  /** Links that were already in place. */
  alreadyLinked: number;
  /** People created by this run. */
  peopleCreated: number;
  conflicts: SyncConflict[];
  /** Upstreams (or lookups) that failed; the run links everything else. */
  failures: { upstream: UpstreamName; code: string; message: string }[];
}

export interface SyncOptions {
  registry: Registry;
  upstreams: Upstreams;
  concurrency?: number;
  /** Called as work progresses (phase, done, total). */
  onProgress?: (phase: string, done: number, total?: number) => void;
}

interface SeenAccount {
  upstream: UpstreamName;
  id: string;
  email: string;
}

const lower = (s: string): string => s.toLowerCase();

export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { registry, upstreams } = options;
  const concurrency = options.concurrency ?? 8;
  const progress = options.onProgress ?? (() => undefined);
  const report: SyncReport = { scanned: {}, linked: {}, alreadyLinked: 0, peopleCreated: 0, conflicts: [], failures: [] };
  const accounts: SeenAccount[] = [];

  const fail = (upstream: UpstreamName, err: unknown): void => {
    const e = err instanceof GatewayError ? err : undefined;
    report.failures.push({ upstream, code: e?.code ?? 'UPSTREAM_UNAVAILABLE', message: e?.message ?? String(err) });
  };

  const walk = async (upstream: UpstreamName, list: () => AsyncIterable<{ id: string | number; email?: string | null }> | Promise<{ id: string | number; email?: string | null }[]>): Promise<void> => {
    let n = 0;
    try {
      const source = await list();
      for await (const u of source as AsyncIterable<{ id: string | number; email?: string | null }>) {
        n++;
        if (u.email) accounts.push({ upstream, id: String(u.id), email: u.email });
        if (n % 100 === 0) progress(`scanning ${upstream}`, n);
      }
    } catch (err) {
      fail(upstream, err);
    }
    report.scanned[upstream] = n;
    progress(`scanned ${upstream}`, n, n);
  };

  await walk('evenergy', () => upstreams.evenergy.allUsers());
  await walk('timesheet', () => upstreams.timesheet.allUsers({}));
  await walk('podero', () => upstreams.podero.listUsers({}));

  // Group by email, then ask identity about every email found elsewhere.
  const byEmail = new Map<string, SeenAccount[]>();
  for (const a of accounts) byEmail.set(lower(a.email), [...(byEmail.get(lower(a.email)) ?? []), a]);
  const emails = [...byEmail.keys()];
  let looked = 0;
  const identityResults = await mapLimit(emails, concurrency, async (email) => {
    const user = await upstreams.identity.getUser(email);
    if (++looked % 50 === 0) progress('looking up identity', looked, emails.length);
    return user;
  });
  let identityScanned = 0;
  identityResults.forEach((r, i) => {
    if (r instanceof Error) {
      if (!report.failures.some((f) => f.upstream === 'identity')) fail('identity', r);
      return;
    }
    if (r) {
      identityScanned++;
      byEmail.get(emails[i]!)!.push({ upstream: 'identity', id: r.id, email: r.email });
    }
  });
  report.scanned.identity = identityScanned;

  let done = 0;
  for (const [email, found] of byEmail) {
    const perUpstream = new Map<UpstreamName, SeenAccount[]>();
    for (const a of found) perUpstream.set(a.upstream, [...(perUpstream.get(a.upstream) ?? []), a]);
    const linkable: SeenAccount[] = [];
    for (const [upstream, list] of perUpstream) {
      if (list.length > 1) {
        report.conflicts.push({ kind: 'DUPLICATE_EMAIL', upstream, email, accountIds: list.map((a) => a.id) });
        continue;
      }
      const account = list[0]!;
      const holder = await registry.personByAccount(upstream, account.id);
      if (holder && lower(holder.email) !== email) {
        report.conflicts.push({ kind: 'EMAIL_CHANGED', upstream, accountId: account.id, linkedPersonId: holder.id, linkedEmail: holder.email, upstreamEmail: account.email });
        continue;
      }
      linkable.push(account);
    }
    if (linkable.length > 0) {
      const [slot] = await registry.findOrCreatePeopleByEmail([email]);
      const person = slot!.person;
      if (slot!.created) report.peopleCreated++;
      for (const account of linkable) {
        const result = await registry.link(person.id, account.upstream, account.id);
        if (result.status === 'LINKED') report.linked[account.upstream] = (report.linked[account.upstream] ?? 0) + 1;
        else if (result.status === 'ALREADY_LINKED') report.alreadyLinked++;
        else if (result.kind === 'PERSON_HAS_OTHER_ACCOUNT') {
          report.conflicts.push({ kind: 'PERSON_HAS_OTHER_ACCOUNT', upstream: account.upstream, personId: person.id, accountId: account.id, existingAccountId: result.existing.accountId });
        } else {
          report.conflicts.push({ kind: 'EMAIL_CHANGED', upstream: account.upstream, accountId: account.id, linkedPersonId: result.existing.personId, linkedEmail: '', upstreamEmail: account.email });
        }
      }
    }
    if (++done % 100 === 0) progress('linking', done, byEmail.size);
  }
  progress('linked', byEmail.size, byEmail.size);
  return report;
}
