/**
 * Reads the input of `createUser` and `updateUser` into checked plans, before any upstream call: every
 * problem is reported at once, as one BAD_USER_INPUT naming each input field (input.ts). What cannot go
 * anywhere is refused rather than dropped: options for an upstream that is not provisioned, names or an
 * address for a person with no account that holds them, and an email change for a person with an
 * identity account (identity cannot change a user's email).
 */
import type { CreateUserInput, UpdateUserInput } from '../../generated/graphql';
import type { AccountLink, Person } from '../../registry/types';
import type { PoderoAddressPatch } from '../../upstreams/podero/types';
import { InputProblems, readAddress, readEmail, readName, readUpstreams } from './input';
import type { FieldPathMap } from './outcomes';
import type { AccountOptions, PersonNames, ProvisionableUpstream } from './provision';
import type { PersonChanges } from './updatePerson';

/** Identity's limit for an account identifier. */
const ACCOUNT_IDENTIFIER_MAX_LENGTH = 255;

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
