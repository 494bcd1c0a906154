/**
 * Find-or-link by email (DESIGN.md "One person, many accounts"): a person the registry does not know yet
 * is discovered in the upstreams with the lookups each offers, created, and linked to the accounts found,
 * so that the next lookup of that email costs no upstream call at all. VRM accounts are linked from
 * `/users/me` when the person calls with their own VRM token.
 *
 * Lookups per upstream, for the emails of one batch the registry does not know:
 * - identity: `GET /users/:identifier` with the email (identity's identifier is the email);
 * - ev.energy: `GET /users?email=` (case-insensitive exact match);
 * - timesheet: `GET /users?email=` is a substring filter, so only exact matches (ignoring case) count:
 *   `re.ada@…` is not `ada@…`;
 * - podero: its user list, asked once per batch whatever the batch size. Podero's own lookup,
 *   `by-ext-id`, finds the users the gateway provisioned with `external_user_id` = person id; a person the
 *   registry does not know has no id anyone could have stamped, so for discovery the list is the lookup.
 *   The list carries `external_user_id`, though: a podero user stamped with the id of a person already in
 *   the registry belongs to that person, whatever its email says, and is never linked to another.
 *
 * An upstream that holds two accounts with the same email links neither (a conflict: logged here,
 * reported by `usergraph sync`, never resolved by guessing). A link already in place is never
 * overwritten. If an upstream cannot be asked, the person is linked to what the others answered (sync
 * completes the rest); if nothing was found and some upstream could not be asked, that email's slot is
 * the error, because "nobody" would be a guess.
 */
import { ErrorCode, GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { mapLimit } from '../lib/concurrency';
import type { Logger } from '../lib/logger';
import type { Upstreams } from '../upstreams';
import type { CallOptions } from '../upstreams/types';
import type { VrmCredential } from '../upstreams/vrm/connector';
import type { LinkResult, Person, Registry } from './types';
import * as v from './validate';

export interface Linker {
  /**
   * One slot per email, in order: the person, `null` when no upstream knows the email, or an `Error` for
   * that email alone (BAD_USER_INPUT for something that is not an email address; the upstream's error when
   * nothing was found and an upstream could not be asked). Emails the registry knows cost no upstream call.
   */
  findOrLinkByEmail(emails: readonly string[], call?: CallOptions): Promise<(Person | null | Error)[]>;
  /**
   * Links the VRM account the credential belongs to. Holding the account's own token is the proof of
   * ownership, so the VRM email need not equal the person's. A conflicting link is returned, not replaced.
   * `whoAmI` answers VRM's `/users/me` for the credential; a request passes its per-request loader so the
   * call is shared with the request's other VRM reads.
   */
  linkVrm(
    person: Person,
    credential: VrmCredential,
    call?: CallOptions,
    whoAmI?: (credential: VrmCredential) => Promise<{ id: string }>,
  ): Promise<{ accountId: string; result: LinkResult }>;
}

export interface LinkerOptions {
  registry: Registry;
  upstreams: Upstreams;
  logger: Logger;
  /** Emails looked up at once (each asks identity, ev.energy and timesheet). Default 8. */
  concurrency?: number;
}

/** What the upstreams hold for one email. */
export interface Discovery {
  /** The email as asked, lower-cased. */
  email: string;
  /** The one account per upstream whose email equals the asked one, ignoring case. */
  accounts: Partial<Record<UpstreamName, string>>;
  /** The podero account's `external_user_id`, when it has one. */
  poderoExternalUserId?: string;
  /** Upstreams holding more than one account with this email: none of them is taken. */
  ambiguous: UpstreamName[];
  /** Upstreams that could not be asked about this email. */
  failed: Partial<Record<UpstreamName, GatewayError>>;
}

const lower = (s: string): string => s.toLowerCase();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function asGatewayError(err: unknown, upstream: UpstreamName): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${upstream} lookup failed unexpectedly`, { upstream, cause: err });
}

/**
 * Asks identity, ev.energy and timesheet about each email (at most `concurrency` emails at a time), and
 * podero once for the whole batch. Never rejects: an upstream that fails is recorded in `failed`.
 */
export async function discover(upstreams: Upstreams, emails: readonly string[], concurrency: number, call?: CallOptions): Promise<Discovery[]> {
  const wanted = emails.map(lower);
  const poderoByEmail = new Map<string, { id: string; externalUserId: string | null }[]>();
  let poderoFailure: GatewayError | undefined;
  try {
    for (const u of await upstreams.podero.listUsers({}, call)) {
      const key = lower(u.email);
      poderoByEmail.set(key, [...(poderoByEmail.get(key) ?? []), { id: u.id, externalUserId: u.externalUserId }]);
    }
  } catch (err) {
    poderoFailure = asGatewayError(err, 'podero');
  }

  const results = await mapLimit(wanted, concurrency, async (email): Promise<Discovery> => {
    const d: Discovery = { email, accounts: {}, ambiguous: [], failed: {} };
    const take = (upstream: UpstreamName, ids: readonly string[]): void => {
      if (ids.length === 1) d.accounts[upstream] = ids[0]!;
      else if (ids.length > 1) d.ambiguous.push(upstream);
    };
    const ask = async <T>(upstream: UpstreamName, lookup: () => Promise<T>, use: (answer: T) => void): Promise<void> => {
      try {
        use(await lookup());
      } catch (err) {
        d.failed[upstream] = asGatewayError(err, upstream);
      }
    };
    await Promise.all([
      ask('identity', () => upstreams.identity.getUser(email, call), (u) => take('identity', u && lower(u.email) === email ? [u.id] : [])),
      // Both connectors already keep only exact matches; checking again here keeps the rule in one sight.
      ask('evenergy', () => upstreams.evenergy.findUsersByEmail(email, call), (us) => take('evenergy', us.filter((u) => u.email !== null && lower(u.email) === email).map((u) => u.id))),
      ask('timesheet', () => upstreams.timesheet.findUsersByEmail(email, call), (us) => take('timesheet', us.filter((u) => lower(u.email) === email).map((u) => u.id))),
    ]);
    if (poderoFailure) {
      d.failed.podero = poderoFailure;
    } else {
      const found = poderoByEmail.get(email) ?? [];
      take('podero', found.map((u) => u.id));
      const only = found.length === 1 ? found[0] : undefined;
      if (only?.externalUserId) d.poderoExternalUserId = only.externalUserId;
    }
    return d;
  });
  // mapLimit's slots are Errors only if the worker above threw, which it does not; kept total anyway.
  return results.map((r, i) => (r instanceof Error ? { email: wanted[i]!, accounts: {}, ambiguous: [], failed: { identity: asGatewayError(r, 'identity') } } : r));
}

export function createLinker(options: LinkerOptions): Linker {
  const { registry, upstreams, logger } = options;
  const concurrency = options.concurrency ?? 8;

  /** The logger for a call: bound to its request, when it serves one. */
  const logFor = (call?: CallOptions): Logger => (call?.requestId ? logger.child({ requestId: call.requestId }) : logger);

  /** Links one found account, logging (not resolving) a conflict. */
  const link = async (person: Person, upstream: UpstreamName, accountId: string, log: Logger): Promise<void> => {
    const result = await registry.link(person.id, upstream, accountId);
    if (result.status === 'CONFLICT') {
      log.warn(
        {
          personId: person.id,
          upstream,
          accountId,
          kind: result.kind,
          existingPersonId: result.existing.personId,
          existingAccountId: result.existing.accountId,
        },
        'account link conflict: kept the existing link',
      );
    }
  };

  /**
   * Podero users stamped with the id of a person already in the registry: account id → that person.
   * One registry read for the batch.
   */
  const stampedOwners = async (discoveries: readonly Discovery[]): Promise<Map<string, Person>> => {
    const stamps: { accountId: string; personId: string }[] = [];
    for (const d of discoveries) {
      const accountId = d.accounts.podero;
      const personId = d.poderoExternalUserId;
      if (accountId !== undefined && personId !== undefined && UUID.test(personId)) stamps.push({ accountId, personId });
    }
    const owners = new Map<string, Person>();
    if (stamps.length === 0) return owners;
    const people = await registry.getPeople(stamps.map((s) => s.personId));
    stamps.forEach((s, i) => {
      const person = people[i];
      if (person) owners.set(s.accountId, person);
    });
    return owners;
  };

  return {
    async findOrLinkByEmail(emails, call) {
      const slots: (Person | null | Error | undefined)[] = new Array(emails.length).fill(undefined);
      const valid: number[] = [];
      emails.forEach((e, i) => {
        try {
          v.email(e, ['email']);
          valid.push(i);
        } catch (err) {
          slots[i] = err instanceof Error ? err : new Error(String(err));
        }
      });
      if (valid.length === 0) return slots.map((s) => s ?? null);

      const known = await registry.getPeopleByEmail(valid.map((i) => emails[i]!));
      valid.forEach((i, k) => {
        if (known[k]) slots[i] = known[k];
      });
      const missing = [...new Set(valid.filter((i) => slots[i] === undefined).map((i) => lower(emails[i]!)))];
      if (missing.length === 0) return slots.map((s) => s ?? null);

      const log = logFor(call);
      const discoveries = await discover(upstreams, missing, concurrency, call);
      const owners = await stampedOwners(discoveries);
      const found = new Map<string, Person | null | Error>();
      const withAccounts: Discovery[] = [];
      for (const d of discoveries) {
        const poderoAccount = d.accounts.podero;
        const poderoOwner = poderoAccount === undefined ? undefined : owners.get(poderoAccount);
        if (poderoAccount !== undefined && poderoOwner) {
          // The gateway provisioned this podero user for another person: it is theirs, not this email's.
          await link(poderoOwner, 'podero', poderoAccount, log);
          delete d.accounts.podero;
        }
        for (const upstream of d.ambiguous) log.warn({ email: d.email, upstream }, 'several upstream accounts have one email: linked none of them');
        if (Object.keys(d.accounts).length > 0) {
          withAccounts.push(d);
          continue;
        }
        const failures = Object.values(d.failed);
        found.set(d.email, failures.length > 0 ? failures[0]! : null);
      }
      if (withAccounts.length > 0) {
        const people = await registry.findOrCreatePeopleByEmail(withAccounts.map((d) => d.email));
        for (let i = 0; i < withAccounts.length; i++) {
          const d = withAccounts[i]!;
          const person = people[i]!.person;
          for (const upstream of UPSTREAM_NAMES) {
            const accountId = d.accounts[upstream];
            if (accountId !== undefined) await link(person, upstream, accountId, log);
          }
          const failed = Object.keys(d.failed);
          if (failed.length > 0) log.warn({ personId: person.id, failed }, 'linked a person without asking every upstream');
          found.set(d.email, person);
        }
      }
      return slots.map((s, i) => s ?? found.get(lower(emails[i]!)) ?? null);
    },

    async linkVrm(person, credential, call, whoAmI = (c) => upstreams.vrm.getMe(c, call)) {
      const me = await whoAmI(credential);
      const result = await registry.link(person.id, 'vrm', me.id);
      return { accountId: me.id, result };
    },
  };
}
