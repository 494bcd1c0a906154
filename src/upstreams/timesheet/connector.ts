/**
 * The timesheet (Freckle API v2) connector: one typed function per endpoint of seed document 004,
 * speaking its wire format (wire.ts) through the shared HTTP client and answering in domain types
 * (types.ts). Every request carries the personal access token as `X-FreckleToken` and a `User-Agent`
 * (the API rejects requests without one). Lists are page-numbered with a `Link` header; each has an
 * "all pages" async iterator that follows `rel="next"`.
 *
 * Retries: the user actions (activate, deactivate, resend invitation, project access) and DELETE are
 * sent as not idempotent although they are PUT/DELETE: a retry after a lost answer would be refused
 * (`not_deactivated`, `already_has_access`, 404) or send a second invitation email.
 */
import { badInput, type FieldError } from '../../errors';
import { USER_AGENT } from '../client';
import { linkQuery, parseLinkHeader } from '../link';
import type { CallOptions, QueryValue, UpstreamClient, UpstreamResponse } from '../types';
import { userResource } from '../shape';
import { malformed, readEmptyAnswer, readEntryList, readExpenseList, readProjectList, readUser, readUserList } from './map';
import type {
  CreateTimesheetUserInput,
  TimesheetEntry,
  TimesheetEntryFilter,
  TimesheetExpense,
  TimesheetExpenseFilter,
  TimesheetPage,
  TimesheetPageOptions,
  TimesheetProject,
  TimesheetProjectFilter,
  TimesheetRole,
  TimesheetTagFilterType,
  TimesheetUser,
  TimesheetUserFilter,
  TimesheetUserPage,
  TimesheetUserState,
  UpdateTimesheetUserInput,
} from './types';
import type { WireCreateUserBody, WireProjectAccessBody, WireRole, WireTagFilterType, WireUpdateUserBody, WireUserState } from '../../contracts/timesheet';

export { describeTimesheetError } from './describe';

export interface TimesheetConnectorOptions {
  client: UpstreamClient;
  /** The personal access token, sent as `X-FreckleToken` with every request. */
  token: string;
  /** Sent as `User-Agent`. Default: the gateway's (`usergraph/<version>`). */
  userAgent?: string;
}

/** Options of the "all pages" iterators: the filter, and how many items to fetch per request. */
export type AllPagesOptions<F> = F & { perPage?: number };

export interface TimesheetConnector {
  /** `GET /users/` — one page of users, filtered. */
  listUsers(options?: TimesheetUserFilter & TimesheetPageOptions, call?: CallOptions): Promise<TimesheetUserPage>;
  /** Every user matching the filter, page after page. */
  allUsers(filter?: AllPagesOptions<TimesheetUserFilter>, call?: CallOptions): AsyncIterable<TimesheetUser>;
  /** The users whose email is exactly `email`, ignoring case (the API's `email` filter is a substring filter). */
  findUsersByEmail(email: string, call?: CallOptions): Promise<TimesheetUser[]>;
  /** `GET /users/:id`; `null` when there is no such user. */
  getUser(id: string, call?: CallOptions): Promise<TimesheetUser | null>;
  /** `POST /users/`: invites a user (`PENDING`). BAD_USER_INPUT `already_exists`, `missing_field`, `reached_user_limit`. */
  createUser(input: CreateTimesheetUserInput, call?: CallOptions): Promise<TimesheetUser>;
  /** `PATCH /users/:id` with only the keys given. BAD_USER_INPUT `deactivated`, `already_exists`. */
  updateUser(id: string, input: UpdateTimesheetUserInput, call?: CallOptions): Promise<TimesheetUser>;
  /** `DELETE /users/:id`. BAD_USER_INPUT `dependent` when the user has entries. */
  deleteUser(id: string, call?: CallOptions): Promise<void>;
  /** `PUT /users/:id/activate`. BAD_USER_INPUT `not_deactivated`. */
  activateUser(id: string, call?: CallOptions): Promise<void>;
  /** `PUT /users/:id/deactivate`. BAD_USER_INPUT `deletable` when the user has no entries. */
  deactivateUser(id: string, call?: CallOptions): Promise<void>;
  /** `PUT /users/:id/resend_invitation_email`. BAD_USER_INPUT `not_pending`. */
  resendInvitation(id: string, call?: CallOptions): Promise<void>;
  /** `PUT /users/:id/give_access_to_projects`. BAD_USER_INPUT `not_a_freelancer`, `already_has_access`, `deactivated`. */
  giveAccessToProjects(id: string, projectIds: readonly string[], call?: CallOptions): Promise<void>;
  /** `PUT /users/:id/revoke_access_to_projects`. BAD_USER_INPUT `not_a_freelancer`, `deactivated`. */
  revokeAccessToProjects(id: string, projectIds: readonly string[], call?: CallOptions): Promise<void>;
  /** `GET /users/:id/entries` — one page, newest first. NOT_FOUND for an unknown user. */
  listEntries(userId: string, options?: TimesheetEntryFilter & TimesheetPageOptions, call?: CallOptions): Promise<TimesheetPage<TimesheetEntry>>;
  allEntries(userId: string, filter?: AllPagesOptions<TimesheetEntryFilter>, call?: CallOptions): AsyncIterable<TimesheetEntry>;
  /** `GET /users/:id/expenses` — one page, newest first. NOT_FOUND for an unknown user. */
  listExpenses(userId: string, options?: TimesheetExpenseFilter & TimesheetPageOptions, call?: CallOptions): Promise<TimesheetPage<TimesheetExpense>>;
  allExpenses(userId: string, filter?: AllPagesOptions<TimesheetExpenseFilter>, call?: CallOptions): AsyncIterable<TimesheetExpense>;
  /** `GET /users/:id/participating_projects` — one page. NOT_FOUND for an unknown user. */
  listParticipatingProjects(
    userId: string,
    options?: TimesheetProjectFilter & TimesheetPageOptions,
    call?: CallOptions,
  ): Promise<TimesheetPage<TimesheetProject>>;
  allParticipatingProjects(userId: string, filter?: AllPagesOptions<TimesheetProjectFilter>, call?: CallOptions): AsyncIterable<TimesheetProject>;
}

const WIRE_ROLE: Readonly<Record<TimesheetRole, WireRole>> = { ADMIN: 'admin', MEMBER: 'member', FREELANCER: 'freelancer' };
const WIRE_STATE: Readonly<Record<TimesheetUserState, WireUserState>> = {
  DISABLED: 'disabled',
  PENDING: 'pending',
  ACTIVE: 'active',
  SUSPENDED: 'suspended',
};
const WIRE_TAG_FILTER: Readonly<Record<TimesheetTagFilterType, WireTagFilterType>> = { AND: 'and', COMBINATION_OF: 'combination of' };

const MAX_PER_PAGE = 1000;

type Query = Record<string, QueryValue>;

/** The path of one user; ids are the API's integers as decimal strings. */
function userPath(id: string, suffix = ''): string {
  if (!/^\d{1,15}$/.test(id)) throw badInput(['id'], `expected a timesheet user id (a decimal integer), but got ${JSON.stringify(id.slice(0, 40))}`, 'timesheet');
  return `/users/${id}${suffix}`;
}

function integerIn(value: number | undefined, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput([path], `expected an integer from ${min} to ${max}, but got ${String(value)}`, 'timesheet');
  }
  return value;
}

/** The highest `page` the time tracker is asked for (the emulator's limit too). */
export const MAX_PAGE_NUMBER = 1_000_000;

function pageQuery(options: TimesheetPageOptions): Query {
  return { page: integerIn(options.page, 'page', 1, MAX_PAGE_NUMBER), per_page: integerIn(options.perPage, 'perPage', 1, MAX_PER_PAGE) };
}

function day(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw badInput([path], `expected a date as YYYY-MM-DD, but got ${JSON.stringify(value.slice(0, 40))}`, 'timesheet');
  return value;
}

/**
 * An id list as the API's comma-separated string. An empty list is refused: the API reads an empty
 * value as "no filter", which would answer everything instead of nothing.
 */
function idList(ids: readonly string[] | undefined, path: string): string | undefined {
  if (ids === undefined) return undefined;
  if (ids.length === 0) throw badInput([path], 'expected at least one id, but got an empty list', 'timesheet');
  const bad = ids.findIndex((id) => !/^\d{1,15}$/.test(id));
  if (bad >= 0) throw badInput([path, String(bad)], `expected a decimal integer id, but got ${JSON.stringify(String(ids[bad]).slice(0, 40))}`, 'timesheet');
  return ids.join(',');
}

function projectIdsBody(ids: readonly string[]): WireProjectAccessBody {
  if (ids.length === 0) throw badInput(['projectIds'], 'expected at least one project id, but got an empty list', 'timesheet');
  const problems: FieldError[] = [];
  ids.forEach((id, i) => {
    if (!/^\d{1,15}$/.test(id)) problems.push({ path: ['projectIds', String(i)], message: `expected a decimal integer id, but got ${JSON.stringify(id.slice(0, 40))}` });
  });
  if (problems[0]) throw badInput(problems[0].path, problems[0].message, 'timesheet');
  return { projects: ids.map(Number) };
}

function userQuery(filter: TimesheetUserFilter): Query {
  return { name: filter.name, email: filter.email, role: filter.role && WIRE_ROLE[filter.role], state: filter.state && WIRE_STATE[filter.state] };
}

function entryQuery(f: TimesheetEntryFilter): Query {
  return {
    user_ids: idList(f.userIds, 'userIds'),
    description: f.description,
    project_ids: idList(f.projectIds, 'projectIds'),
    tag_ids: idList(f.tagIds, 'tagIds'),
    tag_filter_type: f.tagFilterType && WIRE_TAG_FILTER[f.tagFilterType],
    invoice_ids: idList(f.invoiceIds, 'invoiceIds'),
    import_ids: idList(f.importIds, 'importIds'),
    from: day(f.from, 'from'),
    to: day(f.to, 'to'),
    invoiced_at_from: day(f.invoicedAtFrom, 'invoicedAtFrom'),
    invoiced_at_to: day(f.invoicedAtTo, 'invoicedAtTo'),
    billable: f.billable,
  };
}

function expenseQuery(f: TimesheetExpenseFilter): Query {
  return {
    user_ids: idList(f.userIds, 'userIds'),
    description: f.description,
    project_ids: idList(f.projectIds, 'projectIds'),
    invoice_ids: idList(f.invoiceIds, 'invoiceIds'),
    from: day(f.from, 'from'),
    to: day(f.to, 'to'),
    taxable: f.taxable,
    invoiced: f.invoiced,
  };
}

function projectQuery(f: TimesheetProjectFilter): Query {
  return {
    name: f.name,
    project_group_ids: idList(f.projectGroupIds, 'projectGroupIds'),
    billing_increment: integerIn(f.billingIncrement, 'billingIncrement', 1, 60),
    enabled: f.enabled,
    billable: f.billable,
  };
}

function pageNumber(url: string | undefined): number | null {
  if (url === undefined) return null;
  let page: string | null;
  try {
    page = new URL(url).searchParams.get('page');
  } catch {
    return null;
  }
  return page !== null && /^\d{1,7}$/.test(page) ? Number(page) : null;
}

/** Where a list answer's `Link` header says the next page is, and which page is the last. */
function pagination(res: UpstreamResponse, requestedPage: number): { nextPage: number | null; lastPage: number | null; nextQuery?: Record<string, string> } {
  const links = parseLinkHeader(res.headers.link);
  const nextPage = pageNumber(links.next);
  // No `last` link on the last page itself: then the page just read is the last.
  const lastPage = pageNumber(links.last) ?? (links.next === undefined ? requestedPage : null);
  return { nextPage, lastPage, ...(links.next !== undefined ? { nextQuery: linkQuery(links.next) } : {}) };
}

export function createTimesheetConnector(options: TimesheetConnectorOptions): TimesheetConnector {
  const { client } = options;
  const userAgent = options.userAgent ?? USER_AGENT;
  // The token goes with each request, not into the client's defaults, which carry nothing secret.
  const headers = (): Record<string, string> => ({ 'x-freckletoken': options.token, 'user-agent': userAgent, accept: 'application/json' });

  interface ListRead<T> {
    items: T[];
    nextPage: number | null;
    lastPage: number | null;
    nextQuery?: Record<string, string>;
  }

  /** `resource`: the user a list belongs to (UpstreamRequest.resource); none for the user list and searches. */
  const readPage = async <T>(path: string, route: string, resource: string | undefined, query: Query, read: (answer: string, body: unknown) => T[], call?: CallOptions): Promise<ListRead<T>> => {
    const res = await client.request({ method: 'GET', path, route, resource, query, headers: headers(), call });
    const requested = typeof query.page === 'number' ? query.page : Number(query.page ?? 1);
    return { items: read(`answer to GET ${route}`, res.body), ...pagination(res, requested) };
  };

  async function* allPages<T>(path: string, route: string, resource: string | undefined, first: Query, read: (answer: string, body: unknown) => T[], call?: CallOptions): AsyncGenerator<T> {
    let query: Query = first;
    let page = 1;
    for (;;) {
      const result = await readPage(path, route, resource, query, read, call);
      yield* result.items;
      if (!result.nextQuery) return;
      // A next link that does not move forward would loop for ever.
      if (result.nextPage === null || result.nextPage <= page) {
        throw malformed(`Link header of GET ${route}`, `a next page after page ${page}`, result.nextPage === null ? 'a link without a page' : `page ${result.nextPage}`);
      }
      page = result.nextPage;
      query = result.nextQuery;
    }
  }

  const action = async (id: string, name: string, call?: CallOptions, body?: WireProjectAccessBody): Promise<void> => {
    const route = `/users/:id/${name}`;
    const res = await client.request({ method: 'PUT', path: userPath(id, `/${name}`), route, resource: userResource(id), headers: headers(), body, idempotent: false, call });
    readEmptyAnswer(`answer to PUT ${route}`, res.body);
  };

  const connector: TimesheetConnector = {
    async listUsers(opts = {}, call) {
      const page = await readPage('/users', '/users', undefined, { ...userQuery(opts), ...pageQuery(opts) }, readUserList, call);
      return { users: page.items, nextPage: page.nextPage, lastPage: page.lastPage };
    },

    allUsers(filter = {}, call) {
      return allPages('/users', '/users', undefined, { ...userQuery(filter), ...pageQuery({ perPage: filter.perPage }) }, readUserList, call);
    },

    async findUsersByEmail(email, call) {
      const wanted = email.trim().toLowerCase();
      // An empty filter would list every user.
      if (wanted === '') throw badInput(['email'], 'expected an email address, but got an empty string', 'timesheet');
      const found: TimesheetUser[] = [];
      for await (const user of connector.allUsers({ email: wanted }, call)) if (user.email.toLowerCase() === wanted) found.push(user);
      return found;
    },

    async getUser(id, call) {
      const res = await client.request({ method: 'GET', path: userPath(id), route: '/users/:id', resource: userResource(id), headers: headers(), acceptStatus: [404], call });
      if (res.status === 404) {
        // The API's "no such user" has no body (a JSON error object is tolerated); a 404 page of
        // something else (a wrong base URL, a proxy's HTML) must not make every user look absent.
        const length = res.headers['content-length'];
        const bodiless = length === '0' || (length === undefined && res.headers['content-type'] === undefined);
        if (bodiless || (typeof res.body === 'object' && res.body !== null && !Array.isArray(res.body))) return null;
        throw malformed('answer to GET /users/:id', 'no body (or a JSON error) with status 404', 'another body', 404);
      }
      return readUser('answer to GET /users/:id', res.body);
    },

    async createUser(input, call) {
      const body: WireCreateUserBody = { email: input.email };
      if (input.firstName !== undefined) body.first_name = input.firstName;
      if (input.lastName !== undefined) body.last_name = input.lastName;
      if (input.role !== undefined) body.role = WIRE_ROLE[input.role];
      const res = await client.request({ method: 'POST', path: '/users', route: '/users', headers: headers(), body, call });
      return readUser('answer to POST /users', res.body);
    },

    async updateUser(id, input, call) {
      const path = userPath(id);
      const body: WireUpdateUserBody = {};
      if (input.email !== undefined) body.email = input.email;
      if (input.firstName !== undefined) body.first_name = input.firstName;
      if (input.lastName !== undefined) body.last_name = input.lastName;
      if (input.role !== undefined) body.role = WIRE_ROLE[input.role];
      const res = await client.request({ method: 'PATCH', path, route: '/users/:id', resource: userResource(id), headers: headers(), body, call });
      return readUser('answer to PATCH /users/:id', res.body);
    },

    async deleteUser(id, call) {
      const res = await client.request({ method: 'DELETE', path: userPath(id), route: '/users/:id', resource: userResource(id), headers: headers(), idempotent: false, call });
      readEmptyAnswer('answer to DELETE /users/:id', res.body);
    },

    activateUser: (id, call) => action(id, 'activate', call),
    deactivateUser: (id, call) => action(id, 'deactivate', call),
    resendInvitation: (id, call) => action(id, 'resend_invitation_email', call),
    giveAccessToProjects: async (id, projectIds, call) => action(id, 'give_access_to_projects', call, projectIdsBody(projectIds)),
    revokeAccessToProjects: async (id, projectIds, call) => action(id, 'revoke_access_to_projects', call, projectIdsBody(projectIds)),

    async listEntries(userId, opts = {}, call) {
      const { nextQuery: _, ...page } = await readPage(userPath(userId, '/entries'), '/users/:id/entries', userResource(userId), { ...entryQuery(opts), ...pageQuery(opts) }, readEntryList, call);
      return page;
    },
    allEntries(userId, filter = {}, call) {
      return allPages(userPath(userId, '/entries'), '/users/:id/entries', userResource(userId), { ...entryQuery(filter), ...pageQuery({ perPage: filter.perPage }) }, readEntryList, call);
    },

    async listExpenses(userId, opts = {}, call) {
      const { nextQuery: _, ...page } = await readPage(userPath(userId, '/expenses'), '/users/:id/expenses', userResource(userId), { ...expenseQuery(opts), ...pageQuery(opts) }, readExpenseList, call);
      return page;
    },
    allExpenses(userId, filter = {}, call) {
      return allPages(userPath(userId, '/expenses'), '/users/:id/expenses', userResource(userId), { ...expenseQuery(filter), ...pageQuery({ perPage: filter.perPage }) }, readExpenseList, call);
    },

    async listParticipatingProjects(userId, opts = {}, call) {
      const route = '/users/:id/participating_projects';
      const { nextQuery: _, ...page } = await readPage(userPath(userId, '/participating_projects'), route, userResource(userId), { ...projectQuery(opts), ...pageQuery(opts) }, readProjectList, call);
      return page;
    },
    allParticipatingProjects(userId, filter = {}, call) {
      const route = '/users/:id/participating_projects';
      return allPages(userPath(userId, '/participating_projects'), route, userResource(userId), { ...projectQuery(filter), ...pageQuery({ perPage: filter.perPage }) }, readProjectList, call);
    },
  };
  return connector;
}
