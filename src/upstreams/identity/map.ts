/**
 * Reads identity API answers into domain values, checking the shape as it goes: an answer that is not
 * what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming the field, what was expected
 * and what kind of value came (never the value itself, except for an unknown enum word).
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
import { isObject, kindOf, malformedAnswer, type Json } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('identity', answer, expected, got, status);
}

/** Reads fields of one JSON object, naming the path and the answer in every failure. */
class Fields {
  constructor(
    private readonly answer: string,
    private readonly path: string,
    private readonly value: Json,
  ) {}

  static of(answer: string, path: string, value: unknown): Fields {
    if (!isObject(value)) throw malformed(answer, `${path} to be an object`, kindOf(value));
    return new Fields(answer, path, value);
  }

  private fail(key: string, expected: string): GatewayError {
    return malformed(this.answer, `${this.path}.${key} to be ${expected}`, kindOf(this.value[key]));
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') throw this.fail(key, 'a string');
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw this.fail(key, 'a boolean');
    return v;
  }

  date(key: string): Date {
    const text = this.string(key);
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw malformed(this.answer, `${this.path}.${key} to be an ISO-8601 timestamp`, 'text that is not one');
    return date;
  }

  /** A lower-case wire word mapped onto its UPPER_SNAKE domain value. */
  enumOf<T extends string>(key: string, values: Readonly<Record<string, T>>): T {
    const word = this.string(key);
    const mapped = Object.prototype.hasOwnProperty.call(values, word) ? values[word] : undefined;
    if (mapped === undefined) {
      throw malformed(this.answer, `${this.path}.${key} to be one of ${Object.keys(values).join(', ')}`, JSON.stringify(word.slice(0, 40)));
    }
    return mapped;
  }

  object(key: string): Fields {
    return Fields.of(this.answer, `${this.path}.${key}`, this.value[key]);
  }

  /** An array of objects, each read as its own `Fields`. */
  objects(key: string): Fields[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw this.fail(key, 'an array');
    return v.map((item, i) => Fields.of(this.answer, `${this.path}.${key}[${i}]`, item));
  }
}

const USER_STATUS: Readonly<Record<string, IdentityUserStatus>> = { active: 'ACTIVE', inactive: 'INACTIVE', pending: 'PENDING' };
const SUBSCRIPTION_STATUS: Readonly<Record<string, IdentitySubscriptionStatus>> = { active: 'ACTIVE', inactive: 'INACTIVE' };
const ACCOUNT_STATUS: Readonly<Record<string, IdentityAccountStatus>> = { active: 'ACTIVE', inactive: 'INACTIVE' };

function toAccount(f: Fields): IdentityAccount {
  return {
    id: f.string('id'),
    identifier: f.string('identifier'),
    status: f.enumOf('status', ACCOUNT_STATUS),
    createdAt: f.date('created_at'),
    updatedAt: f.date('updated_at'),
  };
}

function toSubscription(f: Fields): IdentitySubscription {
  return {
    id: f.string('id'),
    status: f.enumOf('status', SUBSCRIPTION_STATUS),
    createdAt: f.date('created_at'),
    updatedAt: f.date('updated_at'),
    accounts: f.objects('accounts').map(toAccount),
  };
}

function toUser(f: Fields): IdentityUser {
  const subscription = f.raw('subscription');
  return {
    id: f.string('id'),
    firstName: f.string('first_name'),
    lastName: f.string('last_name'),
    email: f.string('email'),
    status: f.enumOf('status', USER_STATUS),
    internal: f.boolean('internal'),
    createdAt: f.date('created_at'),
    updatedAt: f.date('updated_at'),
    // Absent is read like null: a user without a subscription to this platform [I].
    subscription: subscription === null || subscription === undefined ? null : toSubscription(f.object('subscription')),
  };
}

/** The envelope of a successful answer: `{ succeeded: true, message, data? }`. */
function successEnvelope(answer: string, body: unknown): Fields {
  const envelope = Fields.of(answer, 'body', body);
  if (envelope.raw('succeeded') !== true) throw malformed(answer, 'body.succeeded to be true', kindOf(envelope.raw('succeeded')));
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
