/**
 * The routes of the timesheet emulator: every path and method of seed document 004, with the documented
 * rules (upstream-contracts.md 5.4). Checks run in the order the real API is taken to use: the user
 * must exist (404, no body), then the request must be well-formed (400, no body), then the action must
 * be allowed (422 "Validation Failed" with a code). A refused write changes nothing.
 */
import { asRecord, type EmulatorResponse, type RequestContext, type Route } from '../kit';
import { WIRE_ROLES, type WireRole } from '../../contracts/timesheet';
import { timestamp, type StoredUser, type TimesheetData } from './data';
import { pageOf } from './pages';
import {
  entryMatches,
  expenseMatches,
  isOneOf,
  projectMatches,
  readEntryFilter,
  readExpenseFilter,
  readProjectFilter,
  readUserFilter,
  userMatches,
  WrongFormat,
} from './query';
import { renderEntry, renderExpense, renderProject, renderUser, projectTotals } from './render';
import { refused, timesheetErrors, validationFailed, wrongFormat } from './responses';

/** What `authenticate` hands the routes: the service credential carries no per-user identity. */
export type Caller = { token: string };

/** The mutable state the routes work on; `data` is replaced wholesale by `resetData()`. */
export interface TimesheetState {
  data: TimesheetData;
}

export interface TimesheetRouteOptions {
  /** Active and pending users the account may hold; creating one more answers `reached_user_limit`. */
  userLimit: number;
  /** Clock for `created_at` / `updated_at` of writes. */
  now: () => number;
}

type Ctx = RequestContext<Caller>;
type Handler = (ctx: Ctx) => EmulatorResponse;

/** Turns a `WrongFormat` thrown while reading the request into the documented bare 400. */
function guarded(handler: Handler): Handler {
  return (ctx) => {
    try {
      return handler(ctx);
    } catch (err) {
      if (err instanceof WrongFormat) return wrongFormat();
      throw err;
    }
  };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** A deactivated user (disabled, or suspended by the account) can be activated but not edited. */
function isDeactivated(user: StoredUser): boolean {
  return user.state === 'disabled' || user.state === 'suspended';
}

interface UserFields {
  /** `undefined` = not sent; `null` = sent blank or null (the field is then missing). */
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  role?: WireRole | null;
}

function readName(body: Record<string, unknown>, key: string): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || value.length > 255) throw new WrongFormat(key, 'a string of at most 255 characters', String(value));
  return value.trim() === '' ? null : value.trim();
}

/** The user fields of a POST or PATCH body; unknown keys are ignored, as the real API does. */
function readUserFields(body: Record<string, unknown>): UserFields {
  const fields: UserFields = {};
  const email = body.email;
  if (email !== undefined) {
    if (email !== null && typeof email !== 'string') throw new WrongFormat('email', 'a string', String(email));
    const trimmed = email?.trim() ?? '';
    if (trimmed !== '' && (trimmed.length > 254 || !EMAIL.test(trimmed))) throw new WrongFormat('email', 'an email address', trimmed);
    fields.email = trimmed === '' ? null : trimmed;
  }
  const firstName = readName(body, 'first_name');
  if (firstName !== undefined) fields.firstName = firstName;
  const lastName = readName(body, 'last_name');
  if (lastName !== undefined) fields.lastName = lastName;
  const role = body.role;
  if (role !== undefined) {
    if (role !== null && !isOneOf(WIRE_ROLES, role)) throw new WrongFormat('role', `one of ${WIRE_ROLES.join(', ')}`, String(role));
    fields.role = role;
  }
  return fields;
}

/** The `projects` id list of the project access actions, or `null` when it is missing or empty. */
function readProjectIds(body: Record<string, unknown>): number[] | null {
  const projects = body.projects;
  if (projects === undefined || projects === null) return null;
  if (!Array.isArray(projects) || !projects.every((p) => Number.isSafeInteger(p) && p > 0)) {
    throw new WrongFormat('projects', 'an array of project ids (integers)', JSON.stringify(projects));
  }
  return projects.length === 0 ? null : projects.filter((p): p is number => typeof p === 'number');
}

export function timesheetRoutes(state: TimesheetState, options: TimesheetRouteOptions): Route<Caller>[] {
  const findUser = (ctx: Ctx): StoredUser | undefined => {
    const id = ctx.params.id ?? '';
    return /^[1-9]\d{0,14}$/.test(id) ? state.data.users.get(Number(id)) : undefined;
  };
  const emailTaken = (email: string, except?: number): boolean => {
    const wanted = email.toLowerCase();
    for (const u of state.data.users.values()) if (u.id !== except && u.email.toLowerCase() === wanted) return true;
    return false;
  };
  const now = (): string => timestamp(options.now());

  /** A route on one user: answers 404 (no body) before anything else when the id is unknown. */
  const onUser =
    (handler: (ctx: Ctx, user: StoredUser) => EmulatorResponse): Handler =>
    (ctx) => {
      const user = findUser(ctx);
      return user ? handler(ctx, user) : timesheetErrors.notFound();
    };

  const listUsers: Handler = (ctx) => {
    const filter = readUserFilter(ctx.query);
    const users = [...state.data.users.values()].filter((u) => userMatches(filter, u));
    return pageOf(ctx, users, (u) => renderUser(state.data, u, ctx.baseUrl));
  };

  const getUser = onUser((ctx, user) => ({ status: 200, body: renderUser(state.data, user, ctx.baseUrl) }));

  const listEntries = onUser((ctx, user) => {
    const filter = readEntryFilter(ctx.query);
    const entries = (state.data.entriesByUser.get(user.id) ?? []).filter((e) => entryMatches(filter, e));
    return pageOf(ctx, entries, (e) => renderEntry(state.data, e, user, ctx.baseUrl));
  });

  const listExpenses = onUser((ctx, user) => {
    const filter = readExpenseFilter(ctx.query);
    const expenses = (state.data.expensesByUser.get(user.id) ?? []).filter((x) => expenseMatches(filter, x));
    return pageOf(ctx, expenses, (x) => renderExpense(state.data, x, user, ctx.baseUrl));
  });

  const listProjects = onUser((ctx, user) => {
    const filter = readProjectFilter(ctx.query);
    const projects = [...user.participatingProjectIds]
      .flatMap((id) => {
        const p = state.data.projects.get(id);
        return p && projectMatches(filter, p) ? [p] : [];
      })
      .sort((a, b) => (a.name === b.name ? a.id - b.id : a.name < b.name ? -1 : 1));
    const totals = projectTotals(state.data, new Set(projects.map((p) => p.id)));
    return pageOf(ctx, projects, (p) => renderProject(state.data, p, totals.get(p.id)!, ctx.baseUrl));
  });

  const createUser: Handler = (ctx) => {
    const fields = readUserFields(asRecord(ctx.body));
    if (!fields.email) return validationFailed({ field: 'email', code: 'missing_field' });
    if (emailTaken(fields.email)) return validationFailed({ field: 'email', code: 'already_exists' });
    const seats = [...state.data.users.values()].filter((u) => u.state === 'active' || u.state === 'pending').length;
    if (seats >= options.userLimit) return refused('reached_user_limit');
    const created = now();
    const user: StoredUser = {
      id: state.data.nextUserId++,
      email: fields.email,
      firstName: fields.firstName ?? null,
      lastName: fields.lastName ?? null,
      profileImageUrl: null,
      // A new member is invited: pending until they accept.
      state: 'pending',
      role: fields.role ?? 'member',
      participatingProjectIds: new Set(),
      accessibleProjectIds: new Set(),
      createdAt: created,
      updatedAt: created,
    };
    state.data.users.set(user.id, user);
    state.data.entriesByUser.set(user.id, []);
    state.data.expensesByUser.set(user.id, []);
    // The 2014 contract answers 200 (not 201) with the user.
    return { status: 200, body: renderUser(state.data, user, ctx.baseUrl) };
  };

  const updateUser = onUser((ctx, user) => {
    const fields = readUserFields(asRecord(ctx.body));
    if (isDeactivated(user)) return refused('deactivated');
    const problems: Parameters<typeof validationFailed> = [];
    if (fields.email === null) problems.push({ field: 'email', code: 'missing_field' });
    else if (fields.email !== undefined && emailTaken(fields.email, user.id)) problems.push({ field: 'email', code: 'already_exists' });
    if (fields.role === null) problems.push({ field: 'role', code: 'missing_field' });
    if (problems.length) return validationFailed(...problems);
    const before = JSON.stringify([user.email, user.firstName, user.lastName, user.role]);
    if (fields.email) user.email = fields.email;
    if (fields.firstName !== undefined) user.firstName = fields.firstName;
    if (fields.lastName !== undefined) user.lastName = fields.lastName;
    if (fields.role) user.role = fields.role;
    if (JSON.stringify([user.email, user.firstName, user.lastName, user.role]) !== before) user.updatedAt = now();
    return { status: 200, body: renderUser(state.data, user, ctx.baseUrl) };
  });

  const noContent = (): EmulatorResponse => ({ status: 204 });

  const resendInvitation = onUser((_ctx, user) => (user.state === 'pending' ? noContent() : refused('not_pending')));

  const activate = onUser((_ctx, user) => {
    if (!isDeactivated(user)) return refused('not_deactivated');
    user.state = 'active';
    user.updatedAt = now();
    return noContent();
  });

  const deactivate = onUser((_ctx, user) => {
    if (isDeactivated(user)) return noContent();
    // Only users with entries are deactivated; one without should be deleted instead.
    if ((state.data.entriesByUser.get(user.id)?.length ?? 0) === 0) return refused('deletable');
    user.state = 'disabled';
    user.updatedAt = now();
    return noContent();
  });

  const projectAccess = (grant: boolean): Handler =>
    onUser((ctx, user) => {
      const ids = readProjectIds(asRecord(ctx.body));
      if (ids === null) return validationFailed({ field: 'projects', code: 'missing_field' });
      if (isDeactivated(user)) return refused('deactivated');
      if (user.role !== 'freelancer') return refused('not_a_freelancer');
      if (ids.some((id) => !state.data.projects.has(id))) return validationFailed({ resource: 'Project', field: 'projects', code: 'missing' });
      // A freelancer takes part in exactly the projects they have access to (as seeded), so the two
      // sets change together and `participating_projects` shows what was granted or revoked.
      if (grant) {
        if (ids.some((id) => user.accessibleProjectIds.has(id))) return validationFailed({ field: 'projects', code: 'already_has_access' });
        for (const id of ids) {
          user.accessibleProjectIds.add(id);
          user.participatingProjectIds.add(id);
        }
      } else {
        const had = ids.some((id) => user.accessibleProjectIds.has(id));
        for (const id of ids) {
          user.accessibleProjectIds.delete(id);
          user.participatingProjectIds.delete(id);
        }
        // Revoking access the freelancer does not have answers 204 and changes nothing.
        if (!had) return noContent();
      }
      user.updatedAt = now();
      return noContent();
    });

  const deleteUser = onUser((_ctx, user) => {
    const work = (state.data.entriesByUser.get(user.id)?.length ?? 0) + (state.data.expensesByUser.get(user.id)?.length ?? 0);
    // A user with entries (or expenses) is deactivated instead, so their time stays on record.
    if (work > 0) return refused('dependent');
    state.data.users.delete(user.id);
    state.data.entriesByUser.delete(user.id);
    state.data.expensesByUser.delete(user.id);
    return noContent();
  });

  const routes: [Route<Caller>['method'], string, Handler][] = [
    ['GET', '/users', listUsers],
    ['POST', '/users', createUser],
    ['GET', '/users/:id', getUser],
    ['PATCH', '/users/:id', updateUser],
    ['DELETE', '/users/:id', deleteUser],
    ['GET', '/users/:id/entries', listEntries],
    ['GET', '/users/:id/expenses', listExpenses],
    ['GET', '/users/:id/participating_projects', listProjects],
    ['PUT', '/users/:id/resend_invitation_email', resendInvitation],
    ['PUT', '/users/:id/activate', activate],
    ['PUT', '/users/:id/deactivate', deactivate],
    ['PUT', '/users/:id/give_access_to_projects', projectAccess(true)],
    ['PUT', '/users/:id/revoke_access_to_projects', projectAccess(false)],
  ];
  return routes.map(([method, path, handler]) => ({ method, path, handler: guarded(handler) }));
}

