/**
 * Create-or-link of a person's upstream accounts, the engine of `createUser` and `provisionUser`
 * (DESIGN.md "Mutations"). For each upstream asked:
 *
 * 1. an account the registry already links to the person is kept (no upstream call);
 * 2. otherwise the upstream is asked for an account with the person's email, matched exactly ignoring
 *    case (src/registry/lookup.ts; podero first by the person id as `external_user_id`), and that
 *    account is linked;
 * 3. only when there is none is one created (POST), and linked.
 *
 * Every success is linked in the registry the moment it happens, so running this again — after a
 * partial failure, or twice — creates nothing twice. POSTs are never retried (the HTTP client retries
 * only idempotent requests): a POST whose answer was lost is found by the lookup of the next run. An
 * upstream holding several accounts with the email links none (CONFLICT): the gateway does not guess.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../../errors';
import { describeLinkResult } from '../../registry/linkResult';
import { accountIdsOf, findAccountsByEmail, type AccountsOf } from '../../registry/lookup';
import type { AccountLink, Person } from '../../registry/types';
import { EVENERGY_TAKEN } from '../../upstreams/evenergy/describe';
import { IDENTITY_EMAIL_PATTERN } from '../../upstreams/identity/types';
import type { PoderoAddressPatch, PoderoAssignableRole } from '../../upstreams/podero/types';
import type { TimesheetRole } from '../../upstreams/timesheet/types';
import type { GraphContext } from '../context';
import { everyUpstream, NO_FIELD_PATHS, outcome, runPart, type FieldPathMap, type Outcome } from './outcomes';

/** The upstreams the gateway can create accounts in; VRM accounts are only ever linked by their owner. */
export type ProvisionableUpstream = Exclude<UpstreamName, 'vrm'>;
export const PROVISIONABLE: readonly ProvisionableUpstream[] = ['identity', 'evenergy', 'podero', 'timesheet'];

export interface PersonNames {
  firstName: string;
  lastName: string;
}

/** Per-upstream settings of accounts that get created (linked accounts are left as they are). */
export interface AccountOptions {
  identity?: { internal?: boolean; accountIdentifier?: string };
  podero?: { role?: PoderoAssignableRole; address?: PoderoAddressPatch };
  timesheet?: { role?: TimesheetRole };
}

export interface ProvisionRequest {
  person: Person;
  /** The email accounts are looked up and created with. */
  email: string;
  upstreams: readonly ProvisionableUpstream[];
  /** The status of an upstream the registry already links: `LINKED` for createUser, `UNCHANGED` for provisionUser. */
  whenAlreadyLinked: 'LINKED' | 'UNCHANGED';
  /** The names new accounts get, asked only when an account must be created; `null` when none are known. */
  names: () => Promise<PersonNames | null>;
  options?: AccountOptions;
  /** How an upstream's field errors map onto the mutation's input. Default: they do not. */
  fieldPaths?: (upstream: ProvisionableUpstream) => FieldPathMap;
}

/** One upstream's two questions: which accounts hold the person already, and make one. */
interface AccountSource {
  find(): Promise<string[]>;
  create(): Promise<string>;
}

/** Upstream reasons that mean "an account with this email (or external id) exists already". */
const TAKEN_REASONS = new Set(['user_exists', 'email_taken', 'external_user_id_taken', 'already_exists']);

function isTaken(err: unknown): boolean {
  if (!(err instanceof GatewayError)) return false;
  if (err.reason !== undefined && TAKEN_REASONS.has(err.reason)) return true;
  // ev.energy (Django) answers a taken email with a validation problem: its describer words the email
  // field's "already exists" as `is already taken`.
  return err.upstream === 'evenergy' && (err.fieldErrors ?? []).some((f) => f.path[0] === 'email' && f.message === EVENERGY_TAKEN);
}

/** Calls `load` at most once, however many upstreams ask. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}

/**
 * Provisions the person in the upstreams asked and answers one outcome per upstream (all five, in
 * `UPSTREAM_NAMES` order): CREATED, LINKED, the already-linked status, FAILED with the error, or
 * SKIPPED for upstreams not asked (with the account id where one is linked).
 */
export async function provisionAccounts(ctx: GraphContext, request: ProvisionRequest): Promise<Outcome[]> {
  const { person, email } = request;
  const { registry, upstreams } = ctx.deps;
  const { logger } = ctx;
  const { call } = ctx;
  const names = once(request.names);
  const options = request.options ?? {};
  const links: AccountLink[] = (await registry.linksFor([person.id])).get(person.id) ?? [];
  const linkedIn = (upstream: UpstreamName): AccountLink | undefined => links.find((l) => l.upstream === upstream);

  /**
   * The accounts holding the person's email (lookup.ts; in podero, first the user stamped with the
   * person's id), the one found primed into the request's loader. Throws when the upstream cannot be asked.
   */
  const find = async <U extends ProvisionableUpstream>(upstream: U, prime?: (account: AccountsOf[U]) => void): Promise<string[]> => {
    const [match] = await findAccountsByEmail(upstreams, upstream, [email], { call, personId: person.id });
    if (!match) throw new Error(`findAccountsByEmail broke its contract: no answer for the one email asked of ${upstream}`);
    if (match.kind === 'FAILED') throw match.error;
    if (match.kind === 'ONE') prime?.(match.account);
    return accountIdsOf(match);
  };

  const sources: Record<ProvisionableUpstream, AccountSource> = {
    identity: {
      find: () => find('identity', (user) => ctx.loaders.identityUser.clear(user.id).prime(user.id, user)),
      async create() {
        if (!IDENTITY_EMAIL_PATTERN.test(email)) {
          throw new GatewayError(ErrorCode.BAD_USER_INPUT, 'identity accepts only lower-case email addresses of letters, digits and ._%+-, and the person’s email is not one', { upstream: 'identity' });
        }
        const known = await names();
        if (!known) {
          throw new GatewayError(
            ErrorCode.BAD_USER_INPUT,
            'identity needs a first and last name to create a user, but none of the person’s linked accounts has both: create the person with createUser, which takes names',
            { upstream: 'identity' },
          );
        }
        const o = options.identity ?? {};
        const user = await upstreams.identity.createUser(
          {
            firstName: known.firstName,
            lastName: known.lastName,
            email,
            ...(o.internal !== undefined ? { internal: o.internal } : {}),
            ...(o.accountIdentifier !== undefined ? { accountIdentifier: o.accountIdentifier } : {}),
          },
          call,
        );
        ctx.loaders.identityUser.clear(user.id).prime(user.id, user);
        return user.id;
      },
    },
    evenergy: {
      find: () => find('evenergy'),
      async create() {
        // ev.energy's unique email is case-sensitive: sent lower-cased, so `Ada@` and `ada@` are one account.
        return (await upstreams.evenergy.createUser({ email: email.toLowerCase() }, call)).id;
      },
    },
    podero: {
      find: () => find('podero', (user) => ctx.loaders.poderoUser.clear(user.id).prime(user.id, user)),
      async create() {
        const known = await names();
        const o = options.podero ?? {};
        const user = await upstreams.podero.createUser(
          {
            email,
            externalUserId: person.id,
            ...(o.role !== undefined ? { role: o.role } : {}),
            ...(known ? { firstName: known.firstName, lastName: known.lastName } : {}),
            ...(o.address !== undefined && Object.keys(o.address).length > 0 ? { address: o.address } : {}),
          },
          call,
        );
        ctx.loaders.poderoUser.clear(user.id).prime(user.id, user);
        return user.id;
      },
    },
    timesheet: {
      find: () => find('timesheet', (user) => ctx.loaders.timesheetUser.clear(user.id).prime(user.id, user)),
      async create() {
        const known = await names();
        const o = options.timesheet ?? {};
        const user = await upstreams.timesheet.createUser(
          {
            email,
            ...(known ? { firstName: known.firstName, lastName: known.lastName } : {}),
            ...(o.role !== undefined ? { role: o.role } : {}),
          },
          call,
        );
        ctx.loaders.timesheetUser.clear(user.id).prime(user.id, user);
        return user.id;
      },
    },
  };

  /** Links the one account found or created; several found is a conflict the gateway does not resolve. */
  const link = async (upstream: ProvisionableUpstream, accountIds: string[], status: 'CREATED' | 'LINKED'): Promise<Outcome> => {
    if (accountIds.length > 1) {
      throw new GatewayError(
        ErrorCode.CONFLICT,
        `${upstream} holds ${accountIds.length} accounts with this email, so none was linked: the gateway does not guess which is the person’s (remove the duplicate in ${upstream})`,
        { upstream, reason: 'ambiguous_email' },
      );
    }
    const accountId = accountIds[0]!;
    const result = await registry.link(person.id, upstream, accountId);
    if (result.status === 'CONFLICT') {
      throw new GatewayError(ErrorCode.CONFLICT, `${describeLinkResult(result)}; nothing was linked`, { upstream, reason: result.kind.toLowerCase() });
    }
    return outcome(upstream, status, accountId);
  };

  const ensure = async (upstream: ProvisionableUpstream): Promise<Outcome> => {
    const linked = linkedIn(upstream);
    if (linked) return outcome(upstream, request.whenAlreadyLinked, linked.accountId);
    const source = sources[upstream];
    const found = await source.find();
    if (found.length > 0) return link(upstream, found, 'LINKED');
    let created: string;
    try {
      created = await source.create();
    } catch (err) {
      if (!isTaken(err)) throw err;
      // Made by someone else between our lookup and our POST: link that one instead.
      const again = await source.find();
      if (again.length === 0) throw err;
      return link(upstream, again, 'LINKED');
    }
    return link(upstream, [created], 'CREATED');
  };

  const done = await Promise.all(
    request.upstreams.map((u) => runPart(u, () => ensure(u), { fieldPath: (request.fieldPaths ?? (() => NO_FIELD_PATHS))(u), logger })),
  );
  return everyUpstream(done, (u) => outcome(u, 'SKIPPED', linkedIn(u)?.accountId ?? null));
}
