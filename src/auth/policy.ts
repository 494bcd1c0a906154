/**
 * The one policy module (DESIGN.md "Auth"): who may see and change which person, per query field, per
 * User field and per mutation. Resolvers ask it and never decide themselves.
 *
 * Contract: an anonymous viewer may do nothing with people (UNAUTHENTICATED); a user owns exactly the
 * person whose id equals their `sub` or whose email equals their `email` claim (case-insensitively) and may
 * reach no one else (FORBIDDEN); an admin may reach everyone. VRM access tokens belong to their owner alone:
 * reading or changing them also needs the person's own VRM token, passed by the client, whatever the role.
 *
 * Every `can…` function returns a Decision; its `assert…` twin throws the refusal as a GatewayError.
 */
import { ErrorCode, GatewayError, UnreachableCaseError } from '../errors';
import type { ListPeopleArgs } from '../registry/types';
import type { AuthenticatedViewer, Viewer } from './viewer';

/** What policies look at of a person. */
export interface Subject {
  id: string;
  email: string;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; code: ErrorCode.UNAUTHENTICATED | ErrorCode.FORBIDDEN; reason: string };

/**
 * What the client proved about VRM: the VRM account its `X-Vrm-Authorization` token belongs to (as VRM's
 * `/users/me` answered) and the VRM account the registry links to the person in question.
 */
export interface VrmOwnership {
  /** `undefined`/`null`: the client sent no VRM token. */
  tokenAccountId?: string | null;
  /** `undefined`/`null`: the person has no linked VRM account. */
  personAccountId?: string | null;
}

const ALLOW: Decision = Object.freeze({ allowed: true });

function unauthenticated(what: string): Decision {
  return { allowed: false, code: ErrorCode.UNAUTHENTICATED, reason: `${what} needs a signed-in viewer: send Authorization: Bearer <JWT>` };
}

function forbidden(reason: string): Decision {
  return { allowed: false, code: ErrorCode.FORBIDDEN, reason };
}

/** Throws the refusal of a decision; returns normally when it allows. */
export function assertAllowed(decision: Decision): void {
  if (!decision.allowed) throw new GatewayError(decision.code, decision.reason);
}

/** Whether this (authenticated) viewer is the person: same id as `sub`, or same email as the `email` claim. */
export function ownsPerson(viewer: AuthenticatedViewer, person: Subject): boolean {
  if (person.id !== '' && viewer.sub.toLowerCase() === person.id.toLowerCase()) return true;
  return Boolean(viewer.email && person.email && viewer.email.toLowerCase() === person.email.toLowerCase());
}

/** Self or admin: the basis of every per-person rule. */
function selfOrAdmin(viewer: Viewer, person: Subject, what: string): Decision {
  switch (viewer.kind) {
    case 'anonymous':
      return unauthenticated(what);
    case 'admin':
      return ALLOW;
    case 'user':
      return ownsPerson(viewer, person) ? ALLOW : forbidden(`${what} is allowed only for the person themselves or an admin`);
    default:
      throw new UnreachableCaseError(viewer);
  }
}

function adminOnly(viewer: Viewer, what: string): Decision {
  switch (viewer.kind) {
    case 'anonymous':
      return unauthenticated(what);
    case 'admin':
      return ALLOW;
    case 'user':
      return forbidden(`${what} is allowed only for admins (a token with the admin role)`);
    default:
      throw new UnreachableCaseError(viewer);
  }
}

/**
 * Self or admin, and the client's VRM token is the person's own VRM account. A person without a linked
 * VRM account is refused: the link (made from the token's `/users/me`) comes first.
 */
function ownVrmToken(viewer: Viewer, person: Subject, vrm: VrmOwnership | undefined, what: string): Decision {
  const base = selfOrAdmin(viewer, person, what);
  if (!base.allowed) return base;
  if (!vrm?.tokenAccountId) {
    return forbidden(`${what} needs the person's own VRM token in the X-Vrm-Authorization header ("Token <access token>")`);
  }
  if (!vrm.personAccountId) {
    return forbidden(`${what} needs the person's VRM account to be linked first; it is linked when they call with their own VRM token`);
  }
  if (vrm.tokenAccountId !== vrm.personAccountId) {
    return forbidden(`${what} needs the person's own VRM token, but X-Vrm-Authorization belongs to another VRM account`);
  }
  return ALLOW;
}

// ---------------------------------------------------------------------------------------------------------
// People

export function canReadPerson(viewer: Viewer, person: Subject): Decision {
  return selfOrAdmin(viewer, person, 'Reading this person');
}

export function canUpdatePerson(viewer: Viewer, person: Subject): Decision {
  return selfOrAdmin(viewer, person, 'Changing this person');
}

export function canCreatePeople(viewer: Viewer): Decision {
  return adminOnly(viewer, 'Creating people');
}

export function canDeletePeople(viewer: Viewer): Decision {
  return adminOnly(viewer, 'Deleting people');
}

export function canProvision(viewer: Viewer): Decision {
  return adminOnly(viewer, 'Provisioning upstream accounts');
}

/** Any signed-in viewer may list; what a user sees is narrowed by `restrictPeopleFilter`. */
export function canListPeople(viewer: Viewer): Decision {
  return viewer.kind === 'anonymous' ? unauthenticated('Listing people') : ALLOW;
}

export const assertCanReadPerson = (viewer: Viewer, person: Subject): void => assertAllowed(canReadPerson(viewer, person));
export const assertCanUpdatePerson = (viewer: Viewer, person: Subject): void => assertAllowed(canUpdatePerson(viewer, person));
export const assertCanCreatePeople = (viewer: Viewer): void => assertAllowed(canCreatePeople(viewer));
export const assertCanDeletePeople = (viewer: Viewer): void => assertAllowed(canDeletePeople(viewer));
export const assertCanProvision = (viewer: Viewer): void => assertAllowed(canProvision(viewer));
export const assertCanListPeople = (viewer: Viewer): void => assertAllowed(canListPeople(viewer));

/**
 * Turns a list request into what this viewer may see. Admins: unchanged. Users: only their own person
 * (`own`, found by their token), so the filter becomes their exact email; `null` when they can see no one
 * (no person of their own, or a filter for another email). Anonymous: UNAUTHENTICATED.
 */
export function restrictPeopleFilter(viewer: Viewer, own: Subject | null, args: ListPeopleArgs): ListPeopleArgs | null {
  assertCanListPeople(viewer);
  if (viewer.kind === 'admin') return args;
  if (own === null || !canReadPerson(viewer, own).allowed) return null;
  if (args.emailEquals !== undefined && args.emailEquals.toLowerCase() !== own.email.toLowerCase()) return null;
  return { ...args, emailEquals: own.email };
}

// ---------------------------------------------------------------------------------------------------------
// Per-field and per-mutation rules

/**
 * The kinds of rule. READER: whoever may read the person. SELF_OR_ADMIN: the person or an admin, even if
 * reading widens later (a directory, say). OWN_VRM_TOKEN: self or admin holding the person's own VRM token.
 * ADMIN: admins only. AUTHENTICATED: any signed-in viewer (the resolver then checks the person it reaches).
 * VRM_TOKEN: any signed-in viewer who sent a VRM token (VRM itself scopes the call to that token's owner).
 */
export type Rule = 'READER' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN' | 'ADMIN' | 'AUTHENTICATED' | 'VRM_TOKEN';

/** Every field of the GraphQL `User` type (schema/*.graphql); the policy test checks the schema against it. */
export const USER_FIELD_RULES = {
  id: 'READER',
  personId: 'READER',
  email: 'READER',
  accounts: 'SELF_OR_ADMIN',
  // identity
  firstName: 'READER',
  lastName: 'READER',
  status: 'READER',
  internal: 'SELF_OR_ADMIN',
  createdAt: 'READER',
  updatedAt: 'READER',
  subscription: 'READER',
  // evenergy
  notificationGroups: 'READER',
  payoutMethod: 'SELF_OR_ADMIN',
  // vrm
  accessTokens: 'OWN_VRM_TOKEN',
  sites: 'READER',
  // podero
  address: 'SELF_OR_ADMIN',
  devices: 'READER',
  // timesheet
  role: 'READER',
  state: 'READER',
  entries: 'READER',
  expenses: 'READER',
  participatingProjects: 'READER',
} as const satisfies Record<string, Extract<Rule, 'READER' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN'>>;

export type UserField = keyof typeof USER_FIELD_RULES;

/** Every root Query field. */
export const QUERY_RULES = {
  me: 'AUTHENTICATED',
  user: 'AUTHENTICATED',
  userByEmail: 'AUTHENTICATED',
  users: 'AUTHENTICATED',
  node: 'AUTHENTICATED',
  siteIdByIdentifier: 'VRM_TOKEN',
} as const satisfies Record<string, Extract<Rule, 'AUTHENTICATED' | 'VRM_TOKEN'>>;

export type QueryField = keyof typeof QUERY_RULES;

/** Every mutation of issue 5. */
export const MUTATION_NAMES = [
  'createUser',
  'provisionUser',
  'updateUser',
  'deleteUser',
  'updateNotificationPreferences',
  'setPayoutMethod',
  'removePayoutMethod',
  'createAccessToken',
  'revokeAccessToken',
  'revokeAllAccessTokens',
  'addSite',
  'activateUser',
  'deactivateUser',
  'resendInvitation',
] as const;

export type MutationName = (typeof MUTATION_NAMES)[number];

/** The rule of each mutation; a switch, so adding a mutation name without a rule does not compile. */
export function mutationRule(mutation: MutationName): Extract<Rule, 'ADMIN' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN'> {
  switch (mutation) {
    case 'createUser':
    case 'provisionUser':
    case 'deleteUser':
    // Team membership state is the team admin's business, not the member's.
    case 'activateUser':
    case 'deactivateUser':
    case 'resendInvitation':
      return 'ADMIN';
    case 'updateUser':
    case 'updateNotificationPreferences':
    case 'setPayoutMethod':
    case 'removePayoutMethod':
      return 'SELF_OR_ADMIN';
    // VRM acts on the account the client's VRM token belongs to, so the token must be the person's own.
    case 'createAccessToken':
    case 'revokeAccessToken':
    case 'revokeAllAccessTokens':
    case 'addSite':
      return 'OWN_VRM_TOKEN';
    default:
      throw new UnreachableCaseError(mutation);
  }
}

export function isMutationName(name: string): name is MutationName {
  return (MUTATION_NAMES as readonly string[]).includes(name);
}

export function isUserField(name: string): name is UserField {
  return Object.prototype.hasOwnProperty.call(USER_FIELD_RULES, name);
}

/** May the viewer read this field of this person? */
export function canReadUserField(viewer: Viewer, person: Subject, field: UserField, vrm?: VrmOwnership): Decision {
  const rule = USER_FIELD_RULES[field];
  const what = `Reading User.${field}`;
  switch (rule) {
    // The same today, because reading a person is itself self-or-admin; they part if reading widens.
    case 'READER':
    case 'SELF_OR_ADMIN':
      return selfOrAdmin(viewer, person, what);
    case 'OWN_VRM_TOKEN':
      return ownVrmToken(viewer, person, vrm, what);
    default:
      throw new UnreachableCaseError(rule);
  }
}

/** May the viewer ask this root query field at all? (Which person it reaches is checked separately.) */
export function canRunQuery(viewer: Viewer, field: QueryField, vrm?: VrmOwnership): Decision {
  const rule = QUERY_RULES[field];
  const what = `Query.${field}`;
  if (viewer.kind === 'anonymous') return unauthenticated(what);
  switch (rule) {
    case 'AUTHENTICATED':
      return ALLOW;
    case 'VRM_TOKEN':
      return vrm?.tokenAccountId ? ALLOW : forbidden(`${what} needs a VRM token in the X-Vrm-Authorization header`);
    default:
      throw new UnreachableCaseError(rule);
  }
}

export interface MutationTarget {
  /** The person the mutation changes; needed by SELF_OR_ADMIN and OWN_VRM_TOKEN rules. */
  person?: Subject | null;
  /** For OWN_VRM_TOKEN rules. */
  vrm?: VrmOwnership;
}

/** May the viewer run this mutation on this target? */
export function canMutate(viewer: Viewer, mutation: MutationName, target: MutationTarget = {}): Decision {
  const rule = mutationRule(mutation);
  const what = `The mutation ${mutation}`;
  switch (rule) {
    case 'ADMIN':
      return adminOnly(viewer, what);
    case 'SELF_OR_ADMIN':
    case 'OWN_VRM_TOKEN': {
      if (viewer.kind === 'anonymous') return unauthenticated(what);
      if (!target.person) return forbidden(`${what} needs a person to act on, and there is none`);
      return rule === 'SELF_OR_ADMIN' ? selfOrAdmin(viewer, target.person, what) : ownVrmToken(viewer, target.person, target.vrm, what);
    }
    default:
      throw new UnreachableCaseError(rule);
  }
}

export const assertCanReadUserField = (viewer: Viewer, person: Subject, field: UserField, vrm?: VrmOwnership): void =>
  assertAllowed(canReadUserField(viewer, person, field, vrm));
export const assertCanRunQuery = (viewer: Viewer, field: QueryField, vrm?: VrmOwnership): void =>
  assertAllowed(canRunQuery(viewer, field, vrm));
export const assertCanMutate = (viewer: Viewer, mutation: MutationName, target?: MutationTarget): void =>
  assertAllowed(canMutate(viewer, mutation, target));
