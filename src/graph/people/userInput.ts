/**
 * The checks of the people mutations' input (`createUser`, `provisionUser`, `updateUser`), made in the
 * gateway before any upstream call (DESIGN.md "Mutations"): the rules the upstream contracts state, read
 * into checked plans. Every broken rule is collected with its GraphQL input path and all are reported
 * together as one BAD_USER_INPUT whose `extensions.fieldErrors` name each field. What cannot go anywhere
 * is refused rather than dropped: options for an upstream that is not provisioned, names or an address
 * for a person with no account that holds them, and an email change for a person with an identity
 * account (identity cannot change a user's email).
 *
 * Tri-state fields keep their meaning through the readers: `undefined` (omitted) stays `undefined`,
 * `null` stays `null` where clearing is allowed and is a problem where it is not, a value is checked and
 * normalised (trimmed text, upper-case country code).
 */
import { ErrorCode, GatewayError, type FieldError } from '../../errors';
import type { AddressInput, CreateUserInput, Upstream, UpdateUserInput } from '../../generated/graphql';
import type { AccountLink, Person } from '../../registry/types';
import { IDENTITY_EMAIL_PATTERN } from '../../upstreams/identity/types';
import type { PoderoAddress, PoderoAddressPatch } from '../../upstreams/podero/types';
import { UPSTREAM_FROM_ENUM } from '../resolvers/Query';
import type { FieldPathMap } from './outcomes';
import { PROVISIONABLE, type AccountOptions, type PersonNames, type ProvisionableUpstream } from './provision';
import type { PersonChanges } from './updatePerson';

/** Names go to identity (255), timesheet (255) and podero (150): the lowest limit holds everywhere. */
export const NAME_MAX_LENGTH = 150;
export const EMAIL_MAX_LENGTH = 254;
/** Podero's limit for each address text field. */
export const ADDRESS_TEXT_MAX_LENGTH = 255;
/** Identity's limit for an account identifier. */
const ACCOUNT_IDENTIFIER_MAX_LENGTH = 255;

/** Collects the problems of one mutation's input; `throwIfAny` reports them all at once. */
export class InputProblems {
  private readonly found: FieldError[] = [];

  add(path: string[], message: string): void {
    this.found.push({ path, message });
  }

  get size(): number {
    return this.found.length;
  }

  /** Throws one BAD_USER_INPUT listing every problem; returns normally when there is none. */
  throwIfAny(): void {
    if (this.found.length === 0) return;
    const summary = this.found.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ');
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${summary}`, { fieldErrors: [...this.found] });
  }
}

/** Shows a received string in a message without letting it grow the message unboundedly. */
function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * A given or family name: 1 to NAME_MAX_LENGTH characters after trimming. Names cannot be cleared in
 * any upstream, so `null` is a problem. Answers the trimmed name (or `undefined` when omitted).
 */
export function readName(problems: InputProblems, path: string[], value: string | null | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) {
    problems.add(path, 'expected a name, but got null: names cannot be cleared in any upstream');
    return undefined;
  }
  const name = value.trim();
  if (name === '') problems.add(path, `expected a name of 1 to ${NAME_MAX_LENGTH} characters, but got ${value === '' ? 'an empty string' : 'only white space'}`);
  else if (name.length > NAME_MAX_LENGTH) problems.add(path, `expected at most ${NAME_MAX_LENGTH} characters, but got ${name.length}`);
  return name;
}

/**
 * An email (its shape is already checked by the EmailAddress scalar). `null` is a problem: no upstream
 * can hold a person without one. With `identity`, the identity API's own pattern must match too.
 */
export function readEmail(problems: InputProblems, path: string[], value: string | null | undefined, options: { identity: boolean }): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) {
    problems.add(path, 'expected an email address, but got null: a person’s email cannot be cleared');
    return undefined;
  }
  if (value.length > EMAIL_MAX_LENGTH) {
    problems.add(path, `expected at most ${EMAIL_MAX_LENGTH} characters, but got ${value.length}`);
  } else if (options.identity && !IDENTITY_EMAIL_PATTERN.test(value)) {
    problems.add(path, `identity accepts only lower-case addresses of letters, digits and ._%+- such as name@example.com, but got ${shown(value)}`);
  }
  return value;
}

const ADDRESS_TEXT = ['streetAndNumber', 'streetAddInfo', 'zipCode', 'town'] as const;

/**
 * A podero address. In `update` mode `null` (the whole address or one field) clears; in `create` mode
 * there is nothing to clear, so null fields are simply left out. Text is trimmed and must not be empty
 * (send null to clear instead), the country is two letters (sent upper-case), latitude is within
 * -90..90 and longitude within -180..180. Answers only the keys given.
 */
export function readAddress(
  problems: InputProblems,
  path: string[],
  value: AddressInput | null | undefined,
  mode: 'create' | 'update',
): PoderoAddressPatch | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return mode === 'update' ? null : undefined;
  const patch: PoderoAddressPatch = {};
  const set = <K extends keyof PoderoAddress>(key: K, v: PoderoAddress[K] | undefined): void => {
    if (v === undefined || (v === null && mode === 'create')) return;
    patch[key] = v;
  };
  for (const key of ADDRESS_TEXT) {
    const text = value[key];
    if (typeof text !== 'string') {
      set(key, text);
      continue;
    }
    const trimmed = text.trim();
    if (trimmed === '') problems.add([...path, key], `expected text of 1 to ${ADDRESS_TEXT_MAX_LENGTH} characters (or null to clear it), but got ${text === '' ? 'an empty string' : 'only white space'}`);
    else if (trimmed.length > ADDRESS_TEXT_MAX_LENGTH) problems.add([...path, key], `expected at most ${ADDRESS_TEXT_MAX_LENGTH} characters, but got ${trimmed.length}`);
    set(key, trimmed);
  }
  const { country, latitude, longitude } = value;
  if (typeof country === 'string') {
    if (!/^[A-Za-z]{2}$/.test(country)) problems.add([...path, 'country'], `expected a two-letter ISO 3166-1 alpha-2 code such as DE, but got ${shown(country)}`);
    set('country', country.toUpperCase());
  } else {
    set('country', country);
  }
  const coordinate = (key: 'latitude' | 'longitude', n: number | null | undefined, limit: number): void => {
    if (typeof n === 'number' && !(n >= -limit && n <= limit)) problems.add([...path, key], `expected a number from -${limit} to ${limit}, but got ${n}`);
    set(key, n);
  };
  coordinate('latitude', latitude, 90);
  coordinate('longitude', longitude, 180);
  return patch;
}

/**
 * Where to provision: the schema's default when omitted or null; VRM is refused (naming its position),
 * an empty list is refused, repeats are ignored.
 */
export function readUpstreams(problems: InputProblems, path: string[], value: readonly Upstream[] | null | undefined): ProvisionableUpstream[] {
  if (value === undefined || value === null) return [...PROVISIONABLE];
  if (value.length === 0) {
    problems.add(path, `expected at least one upstream, but got an empty list (omit it for the default: ${PROVISIONABLE.map((u) => u.toUpperCase()).join(', ')})`);
    return [];
  }
  const chosen: ProvisionableUpstream[] = [];
  value.forEach((member, i) => {
    const upstream = UPSTREAM_FROM_ENUM[member];
    if (upstream === 'vrm') {
      problems.add([...path, String(i)], 'VRM accounts cannot be provisioned: one is linked when its owner calls the gateway with their own VRM token');
      return;
    }
    if (!chosen.includes(upstream)) chosen.push(upstream);
  });
  return chosen;
}

export interface CreateUserPlan {
  email: string;
  names: PersonNames;
  upstreams: ProvisionableUpstream[];
  options: AccountOptions;
}

/** Maps a connector's field names onto `createUser`'s input, per upstream. */
export function createFieldPaths(upstream: ProvisionableUpstream): FieldPathMap {
  return (path) => {
    const [first, ...rest] = path;
    if (first === 'firstName' || first === 'lastName' || first === 'email') return ['input', first];
    if (upstream === 'identity' && (first === 'accountIdentifier' || first === 'internal')) return ['input', 'identity', first];
    if ((upstream === 'podero' || upstream === 'timesheet') && first === 'role') return ['input', upstream, 'role'];
    if (upstream === 'podero' && first === 'address') return ['input', 'podero', 'address', ...rest];
    return null;
  };
}

/**
 * `createUser`'s input. On create there is nothing to clear, so a `null` option means the upstream's
 * default, exactly like an omitted one.
 */
export function readCreateUserInput(input: CreateUserInput): CreateUserPlan {
  const problems = new InputProblems();
  const upstreams = readUpstreams(problems, ['input', 'upstreams'], input.upstreams);
  readEmail(problems, ['input', 'email'], input.email, { identity: upstreams.includes('identity') });
  readName(problems, ['input', 'firstName'], input.firstName);
  readName(problems, ['input', 'lastName'], input.lastName);

  for (const key of ['identity', 'podero', 'timesheet'] as const) {
    if (input[key] !== undefined && input[key] !== null && !upstreams.includes(key)) {
      problems.add(['input', key], `options for ${key.toUpperCase()} were given, but ${key.toUpperCase()} is not among the upstreams to provision`);
    }
  }

  const options: AccountOptions = {};
  if (input.identity) {
    const { internal, accountIdentifier } = input.identity;
    const identity: NonNullable<AccountOptions['identity']> = {};
    if (typeof internal === 'boolean') identity.internal = internal;
    if (typeof accountIdentifier === 'string') {
      const identifier = accountIdentifier.trim();
      const path = ['input', 'identity', 'accountIdentifier'];
      if (identifier === '') problems.add(path, `expected an identifier of 1 to ${ACCOUNT_IDENTIFIER_MAX_LENGTH} characters (or null for no subscription), but got an empty string`);
      else if (identifier.length > ACCOUNT_IDENTIFIER_MAX_LENGTH) problems.add(path, `expected at most ${ACCOUNT_IDENTIFIER_MAX_LENGTH} characters, but got ${identifier.length}`);
      identity.accountIdentifier = identifier;
    }
    options.identity = identity;
  }
  if (input.podero) {
    const { role, address } = input.podero;
    const podero: NonNullable<AccountOptions['podero']> = {};
    if (role === 'GUEST') problems.add(['input', 'podero', 'role'], 'expected ADMIN, STAFF or USER, but got GUEST: podero gives the guest role itself, a partner cannot assign it');
    else if (role !== undefined && role !== null) podero.role = role;
    const checked = readAddress(problems, ['input', 'podero', 'address'], address, 'create');
    if (checked) podero.address = checked;
    options.podero = podero;
  }
  if (input.timesheet) {
    const { role } = input.timesheet;
    options.timesheet = role !== undefined && role !== null ? { role } : {};
  }
  problems.throwIfAny();
  return { email: input.email, names: { firstName: input.firstName.trim(), lastName: input.lastName.trim() }, upstreams, options };
}

/**
 * `updateUser`'s input for this person and their links: tri-state kept (omitted fields stay
 * `undefined`), null refused where no upstream can clear, the current email of a person identity holds
 * dropped (nothing to change), an empty address object dropped.
 */
export function readUpdateUserInput(input: UpdateUserInput, person: Person, links: readonly AccountLink[]): PersonChanges {
  const problems = new InputProblems();
  const has = (upstream: AccountLink['upstream']): boolean => links.some((l) => l.upstream === upstream);
  const changes: PersonChanges = {};

  const firstName = readName(problems, ['input', 'firstName'], input.firstName);
  const lastName = readName(problems, ['input', 'lastName'], input.lastName);
  if (!has('identity') && !has('timesheet') && !has('podero')) {
    for (const key of ['firstName', 'lastName'] as const) {
      if (input[key] !== undefined && input[key] !== null) {
        problems.add(['input', key], 'names are kept in identity, timesheet and podero, and this person has an account in none of them');
      }
    }
  }
  if (firstName !== undefined) changes.firstName = firstName;
  if (lastName !== undefined) changes.lastName = lastName;

  const email = readEmail(problems, ['input', 'email'], input.email, { identity: false });
  if (email !== undefined && has('identity')) {
    // Identity cannot change it: the current email is no change, any other is refused.
    if (email.toLowerCase() !== person.email.toLowerCase()) {
      problems.add(
        ['input', 'email'],
        'identity cannot change a user’s email and this person has an identity account, so the email was changed nowhere (it stays the same in every upstream)',
      );
    }
  } else if (email !== undefined) {
    // Sent even when the registry has it already: after a partial failure the registry follows the
    // upstreams that changed, and a retry with the same email must still reach the ones that did not.
    changes.email = email;
  }

  const address: PoderoAddressPatch | null | undefined = readAddress(problems, ['input', 'address'], input.address, 'update');
  if (input.address !== undefined && !has('podero')) {
    problems.add(['input', 'address'], 'the address is kept in podero, where this person has no account (provisionUser can create one)');
  }
  if (address === null || (address !== undefined && Object.keys(address).length > 0)) changes.address = address;

  problems.throwIfAny();
  return changes;
}
