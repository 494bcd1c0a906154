/**
 * Find-or-link by email (DESIGN.md "One person, many accounts"): a person the registry does not know yet
 * is discovered in the upstreams with the lookups each offers, created, and linked to the accounts found,
 * so that the next lookup costs no upstream call. VRM accounts are linked from `/users/me` when the person
 * calls with their own VRM token.
 *
 * Lookups per upstream: identity by identifier (= email), ev.energy and timesheet `GET /users?email=`
 * (timesheet's filter is a substring: only exact matches count), podero through its user list, asked once
 * per batch. An upstream that holds two accounts with the same email links neither (a conflict, reported
 * in the log and by `usergraph sync`, never resolved by guessing).
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';
import { mapLimit } from '../graph/concurrency';
import type { Logger } from '../server/logger';
import type { Upstreams } from '../upstreams';
import type { CallOptions } from '../upstreams/types';
import type { VrmCredential } from '../upstreams/vrm/connector';
import type { LinkResult, Person, Registry } from './types';

export interface Linker {
  /** One slot per email, in order: the person, or null when no upstream knows the email. */
  findOrLinkByEmail(emails: readonly string[], call?: CallOptions): Promise<(Person | null | Error)[]>;
  /**
   * Links the VRM account the credential belongs to. Holding the account's own token is the proof of
   * ownership, so the VRM email need not equal the person's.
   */
  linkVrm(person: Person, credential: VrmCredential, call?: CallOptions): Promise<{ accountId: string; result: LinkResult }>;
}

export interface LinkerOptions {
  registry: Registry;
  upstreams: Upstreams;
  logger: Logger;
  concurrency?: number;
}

/** What the upstreams hold for one email. */
export interface Discovery {
  email: string;
  accounts: Partial<Record<UpstreamName, string>>;
  /** Upstreams holding more than one account with this email. */
  ambiguous: UpstreamName[];
  /** Upstreams that could not be asked. */
  failed: Partial<Record<UpstreamName, GatewayError>>;
}

const lower = (s: string): string => s.toLowerCase();

/** Asks identity, ev.energy and timesheet about each email, and podero once for the batch. */
export async function discover(upstreams: Upstreams, emails: readonly string[], concurrency: number, call?: CallOptions): Promise<Discovery[]> {
  const asGateway = (err: unknown, upstream: UpstreamName): GatewayError =>
    err instanceof GatewayError ? err : new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${upstream} lookup failed`, { upstream, cause: err });

  let poderoByEmail: Map<string, string[]> | GatewayError;
  try {
    const users = await upstreams.podero.listUsers({}, call);
    poderoByEmail = new Map();
    for (const u of users) {
      const key = lower(u.email);
      poderoByEmail.set(key, [...(poderoByEmail.get(key) ?? []), u.id]);
    }
  } catch (err) {
    poderoByEmail = asGateway(err, 'podero');
  }

  const results = await mapLimit(emails, concurrency, async (email): Promise<Discovery> => {
    const d: Discovery = { email, accounts: {}, ambiguous: [], failed: {} };
    const take = (upstream: UpstreamName, ids: string[]): void => {
      if (ids.length === 1) d.accounts[upstream] = ids[0]!;
      else if (ids.length > 1) d.ambiguous.push(upstream);
    };
    await Promise.all([
      upstreams.identity.getUser(email, call).then(
        (u) => take('identity', u && lower(u.email) === lower(email) ? [u.id] : []),
        (err) => void (d.failed.identity = asGateway(err, 'identity')),
      ),
      upstreams.evenergy.findUsersByEmail(email, call).then(
        (us) => take('evenergy', us.filter((u) => lower(u.email ?? '') === lower(email)).map((u) => u.id)),
        (err) => void (d.failed.evenergy = asGateway(err, 'evenergy')),
      ),
      upstreams.timesheet.findUsersByEmail(email, call).then(
        (us) => take('timesheet', us.filter((u) => lower(u.email) === lower(email)).map((u) => String(u.id))),
        (err) => void (d.failed.timesheet = asGateway(err, 'timesheet')),
      ),
    ]);
    if (poderoByEmail instanceof GatewayError) d.failed.podero = poderoByEmail;
    else take('podero', poderoByEmail.get(lower(email)) ?? []);
    return d;
  });
  return results.map((r, i) => (r instanceof Error ? { email: emails[i]!, accounts: {}, ambiguous: [], failed: { identity: asGateway(r, 'identity') } } : r));
}

export function createLinker(options: LinkerOptions): Linker {
  const { registry, upstreams, logger } = options;
  const concurrency = options.concurrency ?? 8;

  return {
    async findOrLinkByEmail(emails, call) {
      const known = await registry.getPeopleByEmail(emails);
      const missing = [...new Set(emails.filter((_, i) => !known[i]).map(lower))];
      if (missing.length === 0) return known;

      const found = new Map<string, Person | null | Error>();
      const discoveries = await discover(upstreams, missing, concurrency, call);
      const withAccounts = discoveries.filter((d) => Object.keys(d.accounts).length > 0);
      for (const d of discoveries) {
        if (Object.keys(d.accounts).length > 0) continue;
        const failures = Object.values(d.failed);
        // Nothing found: a miss if every upstream answered, an error if some could not be asked.
        found.set(d.email, failures.length > 0 ? failures[0]! : null);
      }
      if (withAccounts.length > 0) {
        const people = await registry.findOrCreatePeopleByEmail(withAccounts.map((d) => d.email));
        for (let i = 0; i < withAccounts.length; i++) {
          const d = withAccounts[i]!;
          const person = people[i]!.person;
          for (const [upstream, accountId] of Object.entries(d.accounts) as [UpstreamName, string][]) {
            const result = await registry.link(person.id, upstream, accountId);
            if (result.status === 'CONFLICT') {
              logger.warn('link conflict', { personId: person.id, upstream, kind: result.kind });
            }
          }
          for (const upstream of d.ambiguous) logger.warn('ambiguous upstream accounts for one email', { personId: person.id, upstream });
          found.set(d.email, person);
        }
      }
      return emails.map((e, i) => known[i] ?? found.get(lower(e)) ?? null);
    },

    async linkVrm(person, credential, call) {
      const me = await upstreams.vrm.getMe(credential, call);
      const accountId = String(me.id);
      return { accountId, result: await registry.link(person.id, 'vrm', accountId) };
    },
  };
}
