/**
 * Reads identity API answers into domain values with the shared reader (`../shape.ts`): an answer that
 * is not what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming the field, what was
 * expected and what kind of value came (never the value itself, except for an unknown enum word).
 */
import type { GatewayError } from '../../errors';
import type {
  IdentityAccount,
  IdentityAccountStatus,
  IdentitySubscription,
  IdentitySubscriptionStatus,
  IdentityUser,
  IdentityUserStatus,
} from './types';
import { ISO_TIME, WireRecord, enumOf, isObject, malformedAnswer } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('identity', answer, expected, got, status);
}

// Lower-case wire words, UPPER_SNAKE domain words.
const USER_STATUS = enumOf<IdentityUserStatus>({ active: 'ACTIVE', inactive: 'INACTIVE', pending: 'PENDING' });
const SUBSCRIPTION_STATUS = enumOf<IdentitySubscriptionStatus>({ active: 'ACTIVE', inactive: 'INACTIVE' });
const ACCOUNT_STATUS = enumOf<IdentityAccountStatus>({ active: 'ACTIVE', inactive: 'INACTIVE' });

function toAccount(f: WireRecord): IdentityAccount {
  return {
    id: f.string('id'),
    identifier: f.string('identifier'),
    status: f.get('status', ACCOUNT_STATUS),
    createdAt: f.get('created_at', ISO_TIME),
    updatedAt: f.get('updated_at', ISO_TIME),
  };
}

function toSubscription(f: WireRecord): IdentitySubscription {
  return {
    id: f.string('id'),
    status: f.get('status', SUBSCRIPTION_STATUS),
    createdAt: f.get('created_at', ISO_TIME),
    updatedAt: f.get('updated_at', ISO_TIME),
    accounts: f.records('accounts').map(toAccount),
  };
}

function toUser(f: WireRecord): IdentityUser {
  const subscription = f.optionalObject('subscription');
  return {
    id: f.string('id'),
    firstName: f.string('first_name'),
    lastName: f.string('last_name'),
    email: f.string('email'),
    status: f.get('status', USER_STATUS),
    internal: f.boolean('internal'),
    createdAt: f.get('created_at', ISO_TIME),
    updatedAt: f.get('updated_at', ISO_TIME),
    // Absent is read like null: a user without a subscription to this platform [I].
    subscription: subscription ? toSubscription(subscription) : null,
  };
}

/** The envelope of a successful answer: `{ succeeded: true, message, data? }`. */
function successEnvelope(answer: string, body: unknown): WireRecord {
  const envelope = WireRecord.of('identity', answer, 'body', body);
  if (envelope.raw('succeeded') !== true) throw envelope.fail('succeeded', 'true');
  return envelope;
}

/** `{ succeeded: true, message, data: { user } }` → the user. `answer` names the call in messages. */
export function readUserAnswer(answer: string, body: unknown): IdentityUser {
  return toUser(successEnvelope(answer, body).object('data').object('user'));
}

/** `{ succeeded: true, message }`: the answer of a call that returns no data. */
export function readEmptyAnswer(answer: string, body: unknown): void {
  successEnvelope(answer, body);
}

/** True for the API's failure envelope `{ succeeded: false, message }`: an answer of the API itself. */
export function isFailureEnvelope(body: unknown): boolean {
  return isObject(body) && body.succeeded === false && typeof body.message === 'string';
}
