/**
 * The one policy module (DESIGN.md "Auth"): who may see and change which person, for every User field,
 * every root query field and every mutation of the schema. It is the only code that says yes or no;
 * resolvers gather what they know (the viewer, the person or the id/email the request names, the viewer's
 * own person, what the client proved about VRM) and ask it.
 *
 * Contract: an anonymous viewer may do nothing with people (UNAUTHENTICATED); a user owns exactly the
 * person whose id equals their `sub`, whose email equals their proven email (the `email` claim, unless the
 * token says `email_verified: false`; case-insensitively), or who is their own person as the registry
 * found it, and may reach no one else (FORBIDDEN); an admin may reach everyone. An email belongs to
 * whoever proves it: a plain user may change their person's email only to their proven email
 * (`canChangeEmail`). VRM access tokens and a VRM account's sites belong to their owner alone: a VRM
 * account is linked only from its owner's own VRM token, and only when VRM's email for it is the
 * person's (`canLinkVrmAccount`); reading or changing tokens also needs that token, whatever the role.
 *
 * Every `can…` function returns a Decision; `assertAllowed` throws its refusal as a GatewayError.
 */
import { ErrorCode, GatewayError, UnreachableCaseError } from '../errors';
import type { Mutation, Query, User } from '../generated/schema-types';
import type { ListPeopleArgs } from '../registry/types';
import type { AuthenticatedViewer, Viewer } from './viewer';

/** What policies look at of a person. */
export interface Subject {
  id: string;
  email: string;
}

/**
 * The person a query or mutation is about: looked up (`person`), or only named by the request (`personId`,
 * `email`) before any lookup, so that a refusal reveals nothing about whether such a person exists.
 */
export type Target = { person: Subject } | { personId: string } | { email: string };

/** What the client proved about VRM. */
export interface VrmOwnership {
  /** Whether the client sent a VRM token (`X-Vrm-Authorization`). */
  token: boolean;
  /** The VRM account the token belongs to, as VRM's `/users/me` answered; `undefined` when not asked. */
  tokenAccountId?: string;
  /** The email VRM's `/users/me` answered for the token; `undefined` when not asked. */
  tokenEmail?: string;
  /** The VRM account the registry links to the person; `null`: none linked; `undefined`: not looked up. */
  personAccountId?: string | null;
}

/** What a resolver knows beyond the viewer when it asks. */
export interface Facts {
  /**
   * The viewer's own person (the request's memoised registry lookup by `sub` or `email`); `null`: they
   * have none; `undefined`: not looked up. It only ever widens what is allowed, so a resolver may ask
   * without it first and look it up only when refused.
   */
  own?: Subject | null;
  vrm?: VrmOwnership;
  /** Whether the schema is public (INTROSPECTION on): the SCHEMA rule's fact. */
  schemaPublic?: boolean;
}

export interface TargetFacts extends Facts {
  /**
   * The person acted on. `undefined`: not known yet: the decision then refuses only what needs no person
   * to refuse (no viewer, not an admin, no VRM token) and the resolver asks again once it has the person.
   * `null`: there is none to act on.
   */
  target?: Target | null;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; code: ErrorCode.UNAUTHENTICATED | ErrorCode.FORBIDDEN; reason: string };

/**
 * The kinds of rule. READER: whoever may read the person. SELF_OR_ADMIN: the person or an admin, even if
 * reading widens later (a directory, say). OWN_VRM_TOKEN: self or admin holding the person's own VRM token.
 * ADMIN: admins only. AUTHENTICATED: any signed-in viewer. VRM_TOKEN: any signed-in viewer who sent a VRM
 * token (VRM itself scopes the call to that token's owner). VIEWER: anyone, signed in or not. SCHEMA: the
 * schema itself: anyone while it is public (introspection on), admins otherwise.
 */
type Rule = 'READER' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN' | 'ADMIN' | 'AUTHENTICATED' | 'VRM_TOKEN' | 'VIEWER' | 'SCHEMA';

export type UserField = Exclude<keyof User, '__typename'>;
export type QueryField = Exclude<keyof Query, '__typename'>;
export type MutationName = Exclude<keyof Mutation, '__typename'>;
/**
 * The root fields Apollo Federation adds when the gateway serves as a subgraph (FEDERATION=subgraph): they
 * are not in schema/*.graphql, so not in the generated types either.
 */
export type FederationField = '_entities' | '_service';

/** Every field of the GraphQL `User` type; typed by the generated schema types, so none can be missing. */
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
} as const satisfies Record<UserField, Extract<Rule, 'READER' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN'>>;

/**
 * Every root Query field. READER fields reach one person, whom the resolver names as the target before
 * and after looking them up; `users` is narrowed to what the viewer may see by `restrictPeopleFilter`.
 */
export const QUERY_RULES = {
  // Anyone may ask who they are: the answer is their own person, and null for an anonymous request (the
  // schema's promise), not an error.
  me: 'VIEWER',
  user: 'READER',
  userByEmail: 'READER',
  users: 'AUTHENTICATED',
  node: 'READER',
  siteIdByIdentifier: 'VRM_TOKEN',
} as const satisfies Record<QueryField, Extract<Rule, 'AUTHENTICATED' | 'READER' | 'VRM_TOKEN' | 'VIEWER'>>;

/**
 * The subgraph's root fields (src/graph/federation.ts). `_entities` reaches one person per representation,
 * like `node`; `_service` is the schema (its SDL, which a supergraph router composes), public exactly
 * when introspection is.
 */
export const FEDERATION_QUERY_RULES = {
  _entities: 'READER',
  _service: 'SCHEMA',
} as const satisfies Record<FederationField, Extract<Rule, 'READER' | 'SCHEMA'>>;

const ROOT_QUERY_RULES: Record<QueryField | FederationField, Extract<Rule, 'AUTHENTICATED' | 'READER' | 'VRM_TOKEN' | 'VIEWER' | 'SCHEMA'>> = { ...QUERY_RULES, ...FEDERATION_QUERY_RULES };

/** Every mutation. */
export const MUTATION_RULES = {
  createUser: 'ADMIN',
  provisionUser: 'ADMIN',
  updateUser: 'SELF_OR_ADMIN',
  deleteUser: 'ADMIN',
  // The way back from a wrong link: only an admin may move an account off a person.
  unlinkAccount: 'ADMIN',
  updateNotificationPreferences: 'SELF_OR_ADMIN',
  setPayoutMethod: 'SELF_OR_ADMIN',
  removePayoutMethod: 'SELF_OR_ADMIN',
  // VRM acts on the account the client's VRM token belongs to, so the token must be the person's own.
  createAccessToken: 'OWN_VRM_TOKEN',
  revokeAccessToken: 'OWN_VRM_TOKEN',
  revokeAllAccessTokens: 'OWN_VRM_TOKEN',
  addSite: 'OWN_VRM_TOKEN',
  // Team membership state is the team admin's business, not the member's.
  activateUser: 'ADMIN',
  deactivateUser: 'ADMIN',
  resendInvitation: 'ADMIN',
  // Which projects a freelancer may work on is the team admin's call too.
  giveAccessToProjects: 'ADMIN',
  revokeAccessToProjects: 'ADMIN',
} as const satisfies Record<MutationName, Extract<Rule, 'ADMIN' | 'SELF_OR_ADMIN' | 'OWN_VRM_TOKEN'>>;

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

const same = (a: string | undefined, b: string | undefined): boolean => Boolean(a && b && a.toLowerCase() === b.toLowerCase());

/**
 * The email the viewer's token proves: its `email` claim unless the identity provider said
 * `email_verified: false` (a claim that is absent proves the email, as providers that verify every
 * address leave it out). Only a proven email finds a person, owns one, or may become a person's email.
 */
export function provenEmail(viewer: Viewer): string | undefined {
  if (viewer.kind === 'anonymous' || viewer.emailVerified === false) return undefined;
  return viewer.email;
}

/** Whether this (authenticated) viewer owns the target: see the contract above. */
function owns(viewer: AuthenticatedViewer, target: Target, own: Subject | null | undefined): boolean {
  const email = provenEmail(viewer);
  if ('person' in target) {
    const { person } = target;
    return same(viewer.sub, person.id) || same(email, person.email) || same(own?.id, person.id);
  }
  if ('personId' in target) return same(viewer.sub, target.personId) || same(own?.id, target.personId);
  return same(email, target.email) || same(own?.email, target.email);
}

/** Self or admin: the basis of every per-person rule. */
function selfOrAdmin(viewer: Viewer, target: Target, own: Subject | null | undefined, what: string): Decision {
  switch (viewer.kind) {
    case 'anonymous':
      return unauthenticated(what);
    case 'admin':
      return ALLOW;
    case 'user':
      return owns(viewer, target, own) ? ALLOW : forbidden(`${what} is allowed only for the person themselves or an admin`);
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

function vrmTokenSent(vrm: VrmOwnership | undefined, what: string): Decision {
  return vrm?.token ? ALLOW : forbidden(`${what} needs the person's own VRM token in the X-Vrm-Authorization header ("Token <access token>")`);
}

/**
 * Self or admin, and the client's VRM token is the person's own VRM account. Proven by the two account
 * ids; a person without a linked VRM account is refused, the link (made from the token's `/users/me`)
 * comes first. A read (`scopedRead`) is allowed before the token's account is known when the person is the
 * viewer's own, so the field may start; it then asks again with both account ids (vrm.ts
 * `personAccessTokens`) before it lists anything, so the tokens of an account that is not the person's
 * linked one are never shown as theirs. A write names the person's account to VRM and so always needs
 * the proof.
 */
function ownVrmToken(viewer: Viewer, person: Subject, facts: Facts, what: string, scopedRead: boolean): Decision {
  const base = selfOrAdmin(viewer, { person }, facts.own, what);
  if (!base.allowed) return base;
  const sent = vrmTokenSent(facts.vrm, what);
  if (!sent.allowed) return sent;
  const { tokenAccountId, personAccountId } = facts.vrm ?? { token: false };
  if (tokenAccountId === undefined) {
    if (scopedRead && same(facts.own?.id, person.id)) return ALLOW;
    return forbidden(`${what} needs the person's own VRM token: send X-Vrm-Authorization: Token <access token> when acting as your own person`);
  }
  if (!personAccountId) {
    return forbidden(`${what} needs the person's VRM account to be linked first; it is linked when they call with their own VRM token`);
  }
  if (tokenAccountId !== personAccountId) {
    return forbidden(`${what} needs the person's own VRM token, but X-Vrm-Authorization belongs to another VRM account`);
  }
  return ALLOW;
}

// ---------------------------------------------------------------------------------------------------------
// People

/** May the viewer read this person (looked up, or named by id or email before the lookup)? */
export function canReadPerson(viewer: Viewer, target: Target, facts: Facts = {}): Decision {
  return selfOrAdmin(viewer, target, facts.own, 'Reading this person');
}

/**
 * Turns a list request into what this viewer may see. Admins: unchanged. Users: only their own person
 * (`own`, found by their token), so the filter becomes their exact email; `null` when they can see no one
 * (no person of their own, or a filter for another email). Anonymous: UNAUTHENTICATED.
 */
export function restrictPeopleFilter(viewer: Viewer, own: Subject | null, args: ListPeopleArgs): ListPeopleArgs | null {
  assertAllowed(canRunQuery(viewer, 'users'));
  if (viewer.kind === 'admin') return args;
  // Judged by the token's claims alone: `own` is what is being judged here, so it cannot vouch for itself.
  if (own === null || !canReadPerson(viewer, { person: own }).allowed) return null;
  if (args.emailEquals !== undefined && args.emailEquals.toLowerCase() !== own.email.toLowerCase()) return null;
  return { ...args, emailEquals: own.email };
}

/**
 * May the client's VRM token link its VRM account to this person? Only for the viewer's own person, and
 * only when VRM's `/users/me` email for the token equals the person's email (ignoring case): a VRM token
 * is routinely shared with apps and installers, so holding one proves access, not ownership; the email
 * VRM holds for the account is what ties it to the person. Asked once before `/users/me` (without
 * `tokenEmail`: refused only for what needs no VRM answer) and again with its answer.
 */
export function canLinkVrmAccount(viewer: Viewer, person: Subject, facts: Facts): Decision {
  const what = 'Linking a VRM account';
  if (viewer.kind === 'anonymous') return unauthenticated(what);
  const sent = vrmTokenSent(facts.vrm, what);
  if (!sent.allowed) return sent;
  if (!same(facts.own?.id, person.id)) return forbidden(`${what} is allowed only for the viewer's own person`);
  const tokenEmail = facts.vrm?.tokenEmail;
  if (tokenEmail === undefined) return ALLOW;
  return same(tokenEmail, person.email)
    ? ALLOW
    : forbidden(`${what} needs the VRM account's own email to be the person's email; X-Vrm-Authorization belongs to a VRM account with another email, so nothing was linked`);
}

/**
 * May the viewer change this person's email to `email`? Admins: any email. A plain user (who may change
 * the person at all, `canMutate`): only to the email their token proves (`provenEmail`), or to the
 * email the person already has (no change). Whether another person or account holds it is not the
 * policy's to know: the mutation asks the registry and the upstreams next, and refuses with CONFLICT.
 */
export function canChangeEmail(viewer: Viewer, person: Subject, email: string): Decision {
  const what = "Changing a person's email";
  switch (viewer.kind) {
    case 'anonymous':
      return unauthenticated(what);
    case 'admin':
      return ALLOW;
    case 'user':
      if (same(email, person.email) || same(email, provenEmail(viewer))) return ALLOW;
      return forbidden(`${what} is allowed only to the verified email of your token (an admin may set any): the email belongs to whoever proves it`);
    default:
      throw new UnreachableCaseError(viewer);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Per-field and per-mutation rules

/** May the viewer read this field of this person? */
export function canReadUserField(viewer: Viewer, person: Subject, field: UserField, facts: Facts = {}): Decision {
  const rule = USER_FIELD_RULES[field];
  const what = `Reading User.${field}`;
  switch (rule) {
    // The same today, because reading a person is itself self-or-admin; they part if reading widens.
    case 'READER':
    case 'SELF_OR_ADMIN':
      return selfOrAdmin(viewer, { person }, facts.own, what);
    case 'OWN_VRM_TOKEN':
      return ownVrmToken(viewer, person, facts, what, true);
    default:
      throw new UnreachableCaseError(rule);
  }
}

/**
 * May the viewer ask this root query field? Without a target: whether they may ask it at all; with one
 * (READER fields): whether they may reach that person through it.
 */
export function canRunQuery(viewer: Viewer, field: QueryField | FederationField, facts: TargetFacts = {}): Decision {
  const rule = ROOT_QUERY_RULES[field];
  const what = `Query.${field}`;
  if (rule === 'VIEWER') return ALLOW;
  if (rule === 'SCHEMA' && facts.schemaPublic) return ALLOW;
  if (viewer.kind === 'anonymous') return unauthenticated(what);
  switch (rule) {
    case 'AUTHENTICATED':
      return ALLOW;
    case 'READER':
      return facts.target ? canReadPerson(viewer, facts.target, facts) : ALLOW;
    case 'VRM_TOKEN':
      return facts.vrm?.token ? ALLOW : forbidden(`${what} needs a VRM token in the X-Vrm-Authorization header`);
    case 'SCHEMA':
      return viewer.kind === 'admin' ? ALLOW : forbidden(`${what} is the schema, which is not public here (INTROSPECTION is off): only admins may read it`);
    default:
      throw new UnreachableCaseError(rule);
  }
}

/** May the viewer run this mutation on this target? See `TargetFacts.target` for a target not known yet. */
export function canMutate(viewer: Viewer, mutation: MutationName, facts: TargetFacts = {}): Decision {
  const rule = MUTATION_RULES[mutation];
  const what = `The mutation ${mutation}`;
  switch (rule) {
    case 'ADMIN':
      return adminOnly(viewer, what);
    case 'SELF_OR_ADMIN':
    case 'OWN_VRM_TOKEN': {
      if (viewer.kind === 'anonymous') return unauthenticated(what);
      if (rule === 'OWN_VRM_TOKEN') {
        const sent = vrmTokenSent(facts.vrm, what);
        if (!sent.allowed) return sent;
      }
      if (facts.target === undefined) return ALLOW;
      if (facts.target === null) return forbidden(`${what} needs a person to act on, and there is none`);
      if (rule === 'SELF_OR_ADMIN') return selfOrAdmin(viewer, facts.target, facts.own, what);
      if (!('person' in facts.target)) return forbidden(`${what} needs the person looked up before their VRM token can be judged`);
      return ownVrmToken(viewer, facts.target.person, facts, what, false);
    }
    default:
      throw new UnreachableCaseError(rule);
  }
}
