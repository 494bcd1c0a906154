/**
 * Find-or-link by email (DESIGN.md "One person, many accounts"): a person the registry does not know yet
 * is discovered in the upstreams with the lookups each offers, created, and linked to the accounts found,
 * so that the next lookup of that email costs no upstream call at all. VRM accounts are linked from
 * `/users/me` when the person calls with their own VRM token and VRM's email for it is the person's.
 *
 * An account is only ever linked to the person whose email, as the registry holds it, is the account's
 * email (or, for podero, whose id the gateway stamped on it): never by an email a person merely claims.
 *
 * The emails of one batch that the registry does not know are asked of every upstream with a lookup
 * (lookup.ts: identity, ev.energy and timesheet once per email, podero's user list once per batch). A
 * podero user the list shows stamped with the id of a person already in the registry (`external_user_id`,
 * which the gateway sets when it provisions) belongs to that person, whatever its email says, and is
 * never linked to another.
 *
 * An upstream that holds two accounts with the same email links neither (a conflict: logged here,
 * reported by `usergraph sync`, never resolved by guessing). A link already in place is never
 * overwritten. If an upstream cannot be asked, the person is linked to what the others answered (sync
 * completes the rest); if nothing was found and some upstream could not be asked, that email's slot is
 * the error, because "nobody" would be a guess.
 *
 * Links heal by themselves: a person the registry knows but who has identity, ev.energy, podero or
 * timesheet unlinked (created while an upstream was down, or a crash between create and link) is looked
 * up again in those upstreams alone when a lookup by email meets them, at most once per
 * `rediscoverIntervalMs` per person. The clock of a person starts when this process first meets or
 * creates them, so a restart does not re-ask everyone at once. VRM is never looked up (see `linkVrm`).
 *
 * An email no upstream knows is remembered as a miss (`misses`, for a short TTL): until it lapses, the
 * email answers nobody without an upstream call.
 */
import { ErrorCode, GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../errors';
import type { Logger } from '../lib/logger';
import type { Upstreams } from '../upstreams';
import type { CallOptions } from '../upstreams/types';
import type { VrmCredential } from '../upstreams/vrm/connector';
import { findAccountsByEmail, LOOKUP_UPSTREAMS, type AccountsOf, type LookupUpstream } from './lookup';
import type { MissStore } from './misses';
import type { LinkResult, Person, Registry } from './types';
import * as v from './validate';
import { isUuid } from '../lib/ids';

export interface Linker {
  /**
   * One slot per email, in order: the person, `null` when no upstream knows the email, or an `Error` for
   * that email alone (BAD_USER_INPUT for something that is not an email address; the upstream's error when
   * nothing was found and an upstream could not be asked). Emails the registry knows cost no upstream call.
   */
  findOrLinkByEmail(emails: readonly string[], call?: CallOptions): Promise<(Person | null | Error)[]>;
  /**
   * Links the VRM account the credential belongs to, only when VRM's `/users/me` email for it equals the
   * person's email as the registry holds it (ignoring case): a VRM token is shared with apps and
   * installers, so holding one is no proof that its account is the person's. Otherwise FORBIDDEN and
   * nothing is linked. A conflicting link is returned, not replaced. `whoAmI` answers VRM's `/users/me`
   * for the credential; a request passes its per-request loader so the call is shared with the
   * request's other VRM reads.
   */
  linkVrm(
    person: Person,
    credential: VrmCredential,
    call?: CallOptions,
    whoAmI?: (credential: VrmCredential) => Promise<{ id: string; email: string | null }>,
  ): Promise<{ accountId: string; result: LinkResult }>;
}

export interface LinkerOptions {
  registry: Registry;
  upstreams: Upstreams;
  logger: Logger;
  /** Emails asked at once of each upstream that is asked once per email (lookup.ts). Default 8. */
  concurrency?: number;
  /** Emails no upstream knew, remembered for a while; none when omitted (every miss asks again). */
  misses?: MissStore;
  /** A known person's unlinked upstreams are asked again at most once per this many ms. Default 5 min. */
  rediscoverIntervalMs?: number;
  /** People whose rediscovery clock is remembered, at most (the oldest are forgotten). Default 10 000. */
  maxTrackedPeople?: number;
  now?: () => number;
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

function asGatewayError(err: unknown, upstream: UpstreamName): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${upstream} lookup failed unexpectedly`, { upstream, cause: err });
}

/**
 * Asks every upstream with a lookup about the emails (lookup.ts: at most `concurrency` emails at a time
 * per upstream, podero once for the whole batch), or, with `only`, each email of the upstreams listed
 * for it (an upstream no email needs is not asked at all). Never rejects: an upstream that fails is
 * recorded in `failed`.
 */
export async function discover(
  upstreams: Upstreams,
  emails: readonly string[],
  concurrency: number,
  call?: CallOptions,
  only?: readonly (readonly LookupUpstream[])[],
): Promise<Discovery[]> {
  const wanted = emails.map(lower);
  const discoveries: Discovery[] = wanted.map((email) => ({ email, accounts: {}, ambiguous: [], failed: {} }));
  const ask = async <U extends LookupUpstream>(upstream: U, onOne?: (d: Discovery, account: AccountsOf[U]) => void): Promise<void> => {
    const indexes = wanted.map((_, i) => i).filter((i) => !only || only[i]!.includes(upstream));
    if (indexes.length === 0) return;
    const matches = await findAccountsByEmail(upstreams, upstream, indexes.map((i) => wanted[i]!), { call, concurrency });
    matches.forEach((match, k) => {
      const d = discoveries[indexes[k]!]!;
      switch (match.kind) {
        case 'NONE':
          return;
        case 'ONE':
          d.accounts[upstream] = match.account.id;
          onOne?.(d, match.account);
          return;
        case 'SEVERAL':
          d.ambiguous.push(upstream);
          return;
        case 'FAILED':
          d.failed[upstream] = asGatewayError(match.error, upstream);
          return;
      }
    });
  };
  const stamp = (d: Discovery, user: AccountsOf['podero']): void => {
    if (user.externalUserId) d.poderoExternalUserId = user.externalUserId;
  };
  await Promise.all(LOOKUP_UPSTREAMS.map((upstream) => (upstream === 'podero' ? ask('podero', stamp) : ask(upstream))));
  return discoveries;
}

export function createLinker(options: LinkerOptions): Linker {
  const { registry, upstreams, logger, misses } = options;
  const concurrency = options.concurrency ?? 8;
  const interval = options.rediscoverIntervalMs ?? 300_000;
  const maxTracked = options.maxTrackedPeople ?? 10_000;
  const now = options.now ?? Date.now;
  /** Person id → when their unlinked upstreams were last asked (or when this process first met them). */
  const asked = new Map<string, number>();
  const markAsked = (personId: string): void => {
    asked.delete(personId);
    asked.set(personId, now());
    for (const oldest of asked.keys()) {
      if (asked.size <= maxTracked) break;
      asked.delete(oldest);
    }
  };
  /** True (and the clock restarted) when the person's unlinked upstreams are due to be asked again. */
  const due = (personId: string): boolean => {
    const last = asked.get(personId);
    if (last !== undefined && now() - last < interval) return false;
    markAsked(personId);
    return last !== undefined || interval <= 0;
  };

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
      if (accountId !== undefined && personId !== undefined && isUuid(personId)) stamps.push({ accountId, personId });
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

  /** The podero account found for `person` goes to the person it is stamped for, when that is someone else. */
  const linkFound = async (person: Person, d: Discovery, owners: Map<string, Person>, log: Logger): Promise<void> => {
    for (const upstream of UPSTREAM_NAMES) {
      const accountId = d.accounts[upstream];
      if (accountId === undefined) continue;
      const owner = upstream === 'podero' ? owners.get(accountId) : undefined;
      await link(owner ?? person, upstream, accountId, log);
    }
  };

  /**
   * Known people with lookup upstreams unlinked, due for another look: those upstreams alone are asked
   * and what they hold is linked. A failure here is logged; the lookup still answers the person.
   */
  const heal = async (people: readonly Person[], call: CallOptions | undefined): Promise<void> => {
    const candidates = [...new Map(people.filter((p) => due(p.id)).map((p) => [p.id, p])).values()];
    if (candidates.length === 0) return;
    const log = logFor(call);
    try {
      const links = await registry.linksFor(candidates.map((p) => p.id));
      const gaps = candidates
        .map((person) => {
          const linked = new Set((links.get(person.id) ?? []).map((l) => l.upstream));
          return { person, missing: LOOKUP_UPSTREAMS.filter((u) => !linked.has(u)) };
        })
        .filter((g) => g.missing.length > 0);
      if (gaps.length === 0) return;
      const discoveries = await discover(upstreams, gaps.map((g) => g.person.email), concurrency, call, gaps.map((g) => g.missing));
      const owners = await stampedOwners(discoveries);
      for (let i = 0; i < gaps.length; i++) {
        const { person } = gaps[i]!;
        const d = discoveries[i]!;
        const found = Object.keys(d.accounts);
        await linkFound(person, d, owners, log);
        if (found.length > 0) log.info({ personId: person.id, linked: found }, 'linked accounts a person was missing');
      }
    } catch (err) {
      log.warn({ error: err instanceof Error ? err.message : String(err) }, 'could not look again for the unlinked accounts of known people');
    }
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
      await heal(known.filter((p): p is Person => p !== null), call);
      const unknown = [...new Set(valid.filter((i) => slots[i] === undefined).map((i) => lower(emails[i]!)))];
      const remembered = misses && unknown.length > 0 ? await misses.has(unknown) : [];
      const missing = unknown.filter((_, k) => !remembered[k]);
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
          markAsked(person.id);
          for (const upstream of UPSTREAM_NAMES) {
            const accountId = d.accounts[upstream];
            if (accountId !== undefined) await link(person, upstream, accountId, log);
          }
          const failed = Object.keys(d.failed);
          if (failed.length > 0) log.warn({ personId: person.id, failed }, 'linked a person without asking every upstream');
          found.set(d.email, person);
        }
      }
      if (misses) {
        const nobody = [...found].filter(([, v]) => v === null).map(([email]) => email);
        if (nobody.length > 0) await misses.add(nobody);
      }
      return slots.map((s, i) => s ?? found.get(lower(emails[i]!)) ?? null);
    },

    async linkVrm(person, credential, call, whoAmI = (c) => upstreams.vrm.getMe(c, call)) {
      const me = await whoAmI(credential);
      if (me.email === null || lower(me.email) !== lower(person.email)) {
        throw new GatewayError(ErrorCode.FORBIDDEN, "This VRM token belongs to a VRM account with another email than the person's; nothing was linked", {
          upstream: 'vrm',
        });
      }
      const result = await registry.link(person.id, 'vrm', me.id);
      return { accountId: me.id, result };
    },
  };
}
