/**
 * ev.energy mutations: notification preferences (a partial map: only the groups sent change) and the
 * payout method (set with the wallet rules checked here first, removed idempotently).
 *
 * Contract of every mutation here, in order: the policy (self or admin) before anything else, then the
 * input checks the contract states (with the input field path in `extensions.fieldErrors`), then the
 * person's ev.energy account from the registry (NOT_FOUND naming ev.energy without one), then the one
 * write. No write is retried by the gateway: PATCH is not idempotent for the HTTP client, and DELETE is
 * (removing twice leaves the same state). The loaders the write made stale are replaced with its answer,
 * so the payload's `user` shows the new state without another upstream call.
 */
import { assertAllowed, canMutate, type MutationName } from '../../../auth/policy';
import { ErrorCode, GatewayError, type FieldError } from '../../../errors';
import type { MutationResolvers, NotificationGroupChange, PayoutMethodInput } from '../../../generated/graphql';
import type { Person } from '../../../registry/types';
import type { EvenergyPayoutMethod, SetEvenergyPayoutMethodInput } from '../../../upstreams/evenergy/types';
import { accountOf } from '../../access';
import type { GraphContext } from '../../context';
import { personIdFromArgument } from '../../ids';
import { askWithOwn } from '../askPolicy';

/**
 * The groups ev.energy documents. A name outside this list is not refused outright: ev.energy may have
 * added a group since, so the person's current groups (every group ev.energy reports) decide.
 */
const DOCUMENTED_GROUPS: ReadonlySet<string> = new Set([
  'charging_flow',
  'charging_issues',
  'charging_optimisation',
  'deals_and_offers',
  'power_supply_notifications',
]);

/** ev.energy's group names are snake_case words; anything else cannot be one. */
const GROUP_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Schema: at most 254 characters (ev.energy's `maxLength`). */
const MAX_RECEIVER_LENGTH = 254;
/** The same shape the `EmailAddress` scalar accepts. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
/** E.164, as the schema documents for VENMO: `+`, a country code that does not start with 0, 7 to 15 digits. */
const E164 = /^\+[1-9]\d{6,14}$/;

const NO_PAYOUT_METHOD: EvenergyPayoutMethod = Object.freeze({ receiver: null, receiverType: null, wallet: null });

/** One BAD_USER_INPUT for every wrong field, so a client can mark them all at once. */
function invalidInput(fieldErrors: FieldError[]): GatewayError {
  const words = fieldErrors.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ');
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `Invalid input at ${words}`, { fieldErrors });
}

/**
 * The person a self-or-admin mutation changes, after the policy allowed it. A plain user is refused
 * (FORBIDDEN) for any id but their own person's before the registry is asked, so they cannot learn which
 * ids exist; an admin asking for an unknown person gets NOT_FOUND at `userId`.
 */
async function personToChange(ctx: GraphContext, mutation: MutationName, userId: string): Promise<Person> {
  assertAllowed(canMutate(ctx.viewer, mutation));
  const personId = personIdFromArgument(userId, 'userId');
  assertAllowed(await askWithOwn(ctx, (own) => canMutate(ctx.viewer, mutation, { target: { personId }, own })));
  const person = await ctx.loaders.person.load(personId);
  if (!person) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `No person has the id ${personId}`, { fieldErrors: [{ path: ['userId'], message: 'no such person' }] });
  }
  assertAllowed(await askWithOwn(ctx, (own) => canMutate(ctx.viewer, mutation, { target: { person }, own })));
  return person;
}

/** The person's ev.energy account id; NOT_FOUND naming ev.energy when they have none. */
async function evenergyAccount(ctx: GraphContext, person: Person, what: string): Promise<string> {
  const accountId = await accountOf(ctx, person, 'evenergy');
  if (accountId === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `This person has no ev.energy account, so there is no ${what} to change`, {
      upstream: 'evenergy',
      fieldErrors: [{ path: ['userId'], message: 'the person has no ev.energy account' }],
    });
  }
  return accountId;
}

/** Names, shapes and duplicates of a group change list: every problem, with its index. */
function checkGroups(groups: readonly NotificationGroupChange[]): void {
  const problems: FieldError[] = [];
  const firstIndex = new Map<string, number>();
  groups.forEach((g, i) => {
    const path = ['groups', String(i), 'name'];
    if (!GROUP_NAME.test(g.name)) {
      problems.push({ path, message: `expected an ev.energy group name such as deals_and_offers, but got ${JSON.stringify(g.name.slice(0, 64))}` });
      return;
    }
    const first = firstIndex.get(g.name);
    if (first !== undefined) problems.push({ path, message: `the group ${g.name} is already changed at groups.${first}; send each group once` });
    else firstIndex.set(g.name, i);
  });
  if (problems.length) throw invalidInput(problems);
}

/**
 * The wallet rules of the contract, checked before ev.energy is called. `receiver: null` is the same
 * as leaving it out: for BILL_CREDITS both mean "no receiver" (ev.energy derives the account number, and
 * the key is then not sent at all, which ev.energy requires); for PAYPAL and VENMO both are refused.
 */
function payoutInput(input: PayoutMethodInput): SetEvenergyPayoutMethodInput {
  const path = ['input', 'receiver'];
  const { wallet, receiver } = input;
  switch (wallet) {
    case 'BILL_CREDITS':
      if (receiver !== undefined && receiver !== null) {
        throw invalidInput([{ path, message: 'expected no receiver for BILL_CREDITS (ev.energy pays to the linked billing account), but got one' }]);
      }
      return { wallet };
    case 'PAYPAL':
    case 'VENMO': {
      const kind = wallet === 'PAYPAL' ? 'an email address' : 'a phone number in E.164 form (+15555550123)';
      if (receiver === undefined || receiver === null) {
        throw invalidInput([{ path, message: `expected ${kind} as the receiver for ${wallet}, but got ${receiver === null ? 'null' : 'none'}` }]);
      }
      if (receiver.length > MAX_RECEIVER_LENGTH) {
        throw invalidInput([{ path, message: `expected at most ${MAX_RECEIVER_LENGTH} characters, but got ${receiver.length}` }]);
      }
      if (!(wallet === 'PAYPAL' ? EMAIL : E164).test(receiver)) {
        throw invalidInput([{ path, message: `expected ${kind} as the receiver for ${wallet}, but got ${JSON.stringify(receiver.slice(0, 40))}` }]);
      }
      return { wallet, receiver };
    }
    default: {
      // GraphQL admits only the enum's members; kept total in case the enum grows before this does.
      const unknown: never = wallet;
      throw invalidInput([{ path: ['input', 'wallet'], message: `expected PAYPAL, VENMO or BILL_CREDITS, but got ${JSON.stringify(unknown)}` }]);
    }
  }
}

/** ev.energy names its fields in the connector's input names (`receiver`, `wallet`); here they sit under `input`. */
function underInput(err: unknown): unknown {
  if (!(err instanceof GatewayError) || !err.fieldErrors?.length) return err;
  return new GatewayError(err.code, err.message, {
    upstream: err.upstream,
    retryAfter: err.retryAfter,
    reason: err.reason,
    status: err.status,
    fieldErrors: err.fieldErrors.map((f) => ({ path: ['input', ...f.path], message: f.message })),
    cause: err,
  });
}

export const EvenergyMutations: Pick<MutationResolvers<GraphContext>, 'updateNotificationPreferences' | 'setPayoutMethod' | 'removePayoutMethod'> = {
  async updateNotificationPreferences(_parent, { userId, groups }, ctx) {
    const person = await personToChange(ctx, 'updateNotificationPreferences', userId);
    checkGroups(groups);
    const accountId = await evenergyAccount(ctx, person, 'notification preference');
    const notFound = (): GatewayError =>
      new GatewayError(ErrorCode.NOT_FOUND, 'ev.energy has no user with the account id linked to this person', { upstream: 'evenergy' });

    // Nothing to change: no PATCH at all, one read of the current groups.
    if (groups.length === 0) {
      const current = await ctx.loaders.notificationPreferences.load(accountId);
      if (current === null) throw notFound();
      return { user: person, notificationGroups: current };
    }

    const undocumented = groups.some((g) => !DOCUMENTED_GROUPS.has(g.name));
    if (undocumented) {
      const current = await ctx.loaders.notificationPreferences.load(accountId);
      if (current === null) throw notFound();
      const problems: FieldError[] = [];
      groups.forEach((g, i) => {
        if (!(g.name in current.groups)) {
          problems.push({ path: ['groups', String(i), 'name'], message: `ev.energy has no notification group ${g.name}; it has ${Object.keys(current.groups).join(', ')}` });
        }
      });
      if (problems.length) throw invalidInput(problems);
    }

    const changes = Object.fromEntries(groups.map((g) => [g.name, g.enabled]));
    const updated = await ctx.deps.upstreams.evenergy.updateNotificationPreferences(accountId, changes, ctx.call);
    ctx.loaders.notificationPreferences.clear(accountId).prime(accountId, updated);
    return { user: person, notificationGroups: updated };
  },

  async setPayoutMethod(_parent, { userId, input }, ctx) {
    const person = await personToChange(ctx, 'setPayoutMethod', userId);
    const write = payoutInput(input);
    const accountId = await evenergyAccount(ctx, person, 'payout method');
    let updated: EvenergyPayoutMethod;
    try {
      updated = await ctx.deps.upstreams.evenergy.setPayoutMethod(accountId, write, ctx.call);
    } catch (err) {
      throw underInput(err);
    }
    ctx.loaders.payoutMethod.clear(accountId).prime(accountId, updated);
    return { user: person, payoutMethod: updated };
  },

  async removePayoutMethod(_parent, { userId }, ctx) {
    const person = await personToChange(ctx, 'removePayoutMethod', userId);
    const accountId = await evenergyAccount(ctx, person, 'payout method');
    // ev.energy answers 204 whether or not a method was set: removing is idempotent, and afterwards
    // every field is null, so the answer needs no second read.
    await ctx.deps.upstreams.evenergy.deletePayoutMethod(accountId, ctx.call);
    ctx.loaders.payoutMethod.clear(accountId).prime(accountId, NO_PAYOUT_METHOD);
    return { user: person, payoutMethod: NO_PAYOUT_METHOD };
  },
};
