/**
 * Finding a person's accounts by email: the one place that knows how each upstream is asked, used by
 * find-or-link (linker.ts), `usergraph sync` (sync.ts, for identity, which has no list) and the people
 * mutations (graph/people/provision.ts). Teaching the gateway a new upstream's lookup means one more row
 * in `LOOKUPS`.
 *
 * | upstream  | asked with                                   | per batch of emails        |
 * |-----------|----------------------------------------------|----------------------------|
 * | identity  | `GET /users/:identifier` (the email)         | once per email             |
 * | evenergy  | `GET /users?email=` (case-insensitive exact) | once per email             |
 * | timesheet | `GET /users?email=` (a substring filter)     | once per email             |
 * | podero    | its user list (`by-ext-id` for a person id)  | once, whatever the batch   |
 *
 * Contract, whatever the upstream answers:
 * - only accounts whose email equals the asked one, ignoring case, count: timesheet's filter answers
 *   `re.ada@…` for `ada@…`, and no connector's filtering is trusted to keep that stranger out;
 * - several accounts with one email are SEVERAL, never one of them picked: the gateway does not guess;
 * - an upstream that cannot be asked is FAILED for that email (with what it threw), never "none";
 * - the email is sent as given (callers normalise); it is compared ignoring case.
 *
 * VRM has no lookup: a VRM account is linked from `/users/me` when its owner calls with their own token.
 */
import type { UpstreamName } from '../errors';
import { mapLimit } from '../lib/concurrency';
import type { Upstreams } from '../upstreams';
import type { EvenergyUser } from '../upstreams/evenergy/types';
import type { IdentityUser } from '../upstreams/identity/types';
import type { PoderoUser } from '../upstreams/podero/types';
import type { TimesheetUser } from '../upstreams/timesheet/types';
import type { CallOptions } from '../upstreams/types';

/** The account record each upstream's lookup answers. */
export interface AccountsOf {
  identity: IdentityUser;
  evenergy: EvenergyUser;
  podero: PoderoUser;
  timesheet: TimesheetUser;
}

/** The upstreams that can be asked for accounts by email. */
export type LookupUpstream = keyof AccountsOf & UpstreamName;
export const LOOKUP_UPSTREAMS: readonly LookupUpstream[] = ['identity', 'evenergy', 'podero', 'timesheet'];

/** What one upstream answered about one email. */
export type EmailMatch<A> =
  | { kind: 'NONE' }
  | { kind: 'ONE'; account: A }
  /** Several accounts hold the email: none of them is the person's until someone removes the duplicate. */
  | { kind: 'SEVERAL'; accounts: A[] }
  /** The upstream could not be asked; `error` is what the connector threw. */
  | { kind: 'FAILED'; error: unknown };

export interface FindAccountsOptions {
  call?: CallOptions;
  /** Emails asked at once of an upstream asked once per email. Default 8. */
  concurrency?: number;
  /**
   * The id of the person the emails belong to, when there is one. Podero finds the user the gateway
   * stamped with it as `external_user_id` (`by-ext-id`): that user is the person's whatever its email
   * says, and is the answer for every email. Without a stamped user the emails are looked up as usual.
   */
  personId?: string;
  /** Told how many emails have their answer, after each one (for progress reports). */
  onAnswered?: (answered: number) => void;
}

/** How one upstream is asked: once per email, or once for a whole batch (its complete user list). */
interface Lookup<A> {
  ask:
    | { each: (upstreams: Upstreams, email: string, call: CallOptions | undefined) => Promise<A[]> }
    | { all: (upstreams: Upstreams, call: CallOptions | undefined) => Promise<A[]> };
  emailOf: (account: A) => string | null;
  /** The account the gateway stamped with a person's id, for upstreams that can find one. */
  stampedFor?: (upstreams: Upstreams, personId: string, call: CallOptions | undefined) => Promise<A | null>;
}

const LOOKUPS: { [U in LookupUpstream]: Lookup<AccountsOf[U]> } = {
  identity: {
    // The identifier is an email or a user id: the user answered is checked like any other account.
    ask: {
      each: async (upstreams, email, call) => {
        const user = await upstreams.identity.getUser(email, call);
        return user ? [user] : [];
      },
    },
    emailOf: (u) => u.email,
  },
  evenergy: {
    ask: { each: (upstreams, email, call) => upstreams.evenergy.findUsersByEmail(email, call) },
    emailOf: (u) => u.email,
  },
  timesheet: {
    // The API's filter is a substring filter: the exact check below is what keeps `re.ada@…` out.
    ask: { each: (upstreams, email, call) => upstreams.timesheet.findUsersByEmail(email, call) },
    emailOf: (u) => u.email,
  },
  podero: {
    // Podero has no email filter; its list answers the whole organization in one call (soft-deleted users left out).
    ask: { all: (upstreams, call) => upstreams.podero.listUsers({}, call) },
    emailOf: (u) => u.email,
    // Only a person the registry knows has an id anyone could have stamped; for an email alone the list is the lookup.
    stampedFor: (upstreams, personId, call) => upstreams.podero.getUserByExternalId(personId, {}, call),
  },
};

const lower = (s: string): string => s.toLowerCase();

/** The accounts among `found` whose email equals `email`, ignoring case, as a match. */
function matchOf<A>(lookup: Lookup<A>, email: string, found: readonly A[]): EmailMatch<A> {
  const wanted = lower(email);
  const exact = found.filter((a) => {
    const e = lookup.emailOf(a);
    return e !== null && lower(e) === wanted;
  });
  if (exact.length === 0) return { kind: 'NONE' };
  if (exact.length === 1) return { kind: 'ONE', account: exact[0]! };
  return { kind: 'SEVERAL', accounts: exact };
}

/**
 * Asks `upstream` which of its accounts hold each email: one answer per email, in order. Never rejects:
 * an upstream that cannot be asked answers FAILED.
 */
export async function findAccountsByEmail<U extends LookupUpstream>(
  upstreams: Upstreams,
  upstream: U,
  emails: readonly string[],
  options: FindAccountsOptions = {},
): Promise<EmailMatch<AccountsOf[U]>[]> {
  const lookup: Lookup<AccountsOf[U]> = LOOKUPS[upstream];
  const { call } = options;
  let answered = 0;
  const answer = <M>(match: M): M => {
    answered++;
    options.onAnswered?.(answered);
    return match;
  };
  const everyEmail = (match: EmailMatch<AccountsOf[U]>): EmailMatch<AccountsOf[U]>[] => emails.map(() => answer(match));

  if (options.personId !== undefined && lookup.stampedFor) {
    try {
      const stamped = await lookup.stampedFor(upstreams, options.personId, call);
      if (stamped) return everyEmail({ kind: 'ONE', account: stamped });
    } catch (error) {
      return everyEmail({ kind: 'FAILED', error });
    }
  }

  const { ask } = lookup;
  if ('all' in ask) {
    let all: AccountsOf[U][];
    try {
      all = await ask.all(upstreams, call);
    } catch (error) {
      return everyEmail({ kind: 'FAILED', error });
    }
    return emails.map((email) => answer(matchOf(lookup, email, all)));
  }
  const slots = await mapLimit(emails, options.concurrency ?? 8, async (email): Promise<EmailMatch<AccountsOf[U]>> => {
    try {
      return answer(matchOf(lookup, email, await ask.each(upstreams, email, call)));
    } catch (error) {
      return answer({ kind: 'FAILED', error });
    }
  });
  // mapLimit's slots are Errors only if the worker threw, which it does not; kept total anyway.
  return slots.map((s) => (s instanceof Error ? { kind: 'FAILED', error: s } : s));
}

/** The ids of the accounts a match names: one, several (a conflict) or none. */
export function accountIdsOf<A extends { id: string }>(match: EmailMatch<A>): string[] {
  switch (match.kind) {
    case 'NONE':
    case 'FAILED':
      return [];
    case 'ONE':
      return [match.account.id];
    case 'SEVERAL':
      return match.accounts.map((a) => a.id);
  }
}
