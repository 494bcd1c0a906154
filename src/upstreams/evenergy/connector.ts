/**
 * The ev.energy API v2 connector: one typed function per users endpoint of the seed document (000),
 * speaking the snake_case wire format (`wire.ts`) through the shared HTTP client and answering in domain
 * types (`types.ts`). Inputs the contract rules out (pagination ranges, payout receiver rules, empty ids)
 * are refused with BAD_USER_INPUT before any call; everything else the API judges, and its problem
 * bodies become GatewayErrors through `describeEvenergyError`.
 */
import { badInput } from '../../errors';
import { linkQuery, parseLinkHeader } from '../link';
import type { CallOptions, QueryValue, UpstreamClient, UpstreamResponse } from '../types';
import { userResource } from '../shape';
import { isProblem, locationWrite, malformed, readPayoutMethod, readPreferences, readUser, readUserList } from './map';
import type {
  CreateEvenergyUserInput,
  EvenergyNotificationPreferences,
  EvenergyPayoutMethod,
  EvenergyUser,
  EvenergyUserPage,
  EvenergyWallet,
  ListEvenergyUsersParams,
  SetEvenergyPayoutMethodInput,
  UpdateEvenergyUserInput,
} from './types';
import type { WireNotificationPreferencesUpdate, WirePayoutMethodUpdate, WireUserWrite } from '../../contracts/evenergy';

export { describeEvenergyError } from './describe';

export interface EvenergyConnectorOptions {
  client: UpstreamClient;
  /** The service credential, sent as `Authorization: Bearer <token>`. */
  token: string;
}

/** Options of `allUsers`: the filter and the page size used while walking (default 100, the maximum). */
export interface AllEvenergyUsersParams {
  email?: string;
  pageSize?: number;
}

export interface EvenergyConnector {
  /** `GET /users`: one page, with the cursors of its neighbours. */
  listUsers(params?: ListEvenergyUsersParams, call?: CallOptions): Promise<EvenergyUserPage>;
  /** `GET /users` page by page, following `Link: rel="next"` until the last page. */
  allUsers(params?: AllEvenergyUsersParams, call?: CallOptions): AsyncGenerator<EvenergyUser, void, undefined>;
  /**
   * The accounts whose email equals `email` ignoring case (several when the upstream holds duplicates
   * that differ in case), in the API's order; `[]` when none.
   */
  findUsersByEmail(email: string, call?: CallOptions): Promise<EvenergyUser[]>;
  /** `GET /users/:user_id`; null when ev.energy has no such user (or may not show it). */
  getUser(userId: string, call?: CallOptions): Promise<EvenergyUser | null>;
  /** `POST /users`. */
  createUser(input: CreateEvenergyUserInput, call?: CallOptions): Promise<EvenergyUser>;
  /** `PATCH /users/:user_id` with only the fields given (an empty patch changes nothing). NOT_FOUND for an unknown id. */
  updateUser(userId: string, patch: UpdateEvenergyUserInput, call?: CallOptions): Promise<EvenergyUser>;
  /** `GET /users/:user_id/notification_preferences`; null for an unknown user. */
  getNotificationPreferences(userId: string, call?: CallOptions): Promise<EvenergyNotificationPreferences | null>;
  /**
   * `PATCH /users/:user_id/notification_preferences` with only the groups given; answers every group.
   * An unknown group name is BAD_USER_INPUT from ev.energy (names are not checked here, so a group the
   * API adds works without a code change).
   */
  updateNotificationPreferences(userId: string, groups: Record<string, boolean>, call?: CallOptions): Promise<EvenergyNotificationPreferences>;
  /** `GET /users/:user_id/payout_method` (all fields null when none is set); null for an unknown user. */
  getPayoutMethod(userId: string, call?: CallOptions): Promise<EvenergyPayoutMethod | null>;
  /** `PATCH /users/:user_id/payout_method`: creates or replaces the preferred method. */
  setPayoutMethod(userId: string, input: SetEvenergyPayoutMethodInput, call?: CallOptions): Promise<EvenergyPayoutMethod>;
  /** `DELETE /users/:user_id/payout_method`. Succeeds also when none is set; NOT_FOUND for an unknown user. */
  deletePayoutMethod(userId: string, call?: CallOptions): Promise<void>;
}

const ROUTES = {
  users: '/users',
  user: '/users/:user_id',
  preferences: '/users/:user_id/notification_preferences',
  payout: '/users/:user_id/payout_method',
} as const;

export const MAX_PAGE_SIZE = 100;
const MAX_RECEIVER_LENGTH = 254;
const CURSOR_PATTERN = /^[a-z]{4}[A-Z\d]{26}$/;
const WALLETS: readonly EvenergyWallet[] = ['PAYPAL', 'VENMO', 'BILL_CREDITS'];
/** The API version this connector speaks; pinned so an OAuth app default can never change the format. */
const API_VERSION = '2';

/** The path of one user; an empty id would address the collection instead, so it is refused. */
function userPath(userId: string, rest = ''): string {
  if (userId.trim() === '') throw badInput(['userId'], 'expected an ev.energy user id, but got an empty string', 'evenergy');
  return `/users/${encodeURIComponent(userId)}${rest}`;
}

function checkPageSize(pageSize: number | undefined): void {
  if (pageSize === undefined) return;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw badInput(['pageSize'], `expected an integer from 1 to ${MAX_PAGE_SIZE}, but got ${pageSize}`, 'evenergy');
  }
}

function checkEmailFilter(email: string | undefined): void {
  // The API reads an empty filter as no filter, which would answer every user for "this email".
  if (email !== undefined && email.trim() === '') throw badInput(['email'], 'expected an email address, but got an empty string', 'evenergy');
}

function listQuery(params: ListEvenergyUsersParams): Record<string, QueryValue> {
  checkEmailFilter(params.email);
  checkPageSize(params.pageSize);
  for (const key of ['pageAfter', 'pageBefore'] as const) {
    const cursor = params[key];
    if (cursor !== undefined && !CURSOR_PATTERN.test(cursor)) {
      throw badInput([key], 'expected a cursor from a previous page (an ev.energy id such as user01HN2NJ9NMRZBXT1H6FT9N7735), but got another string', 'evenergy');
    }
  }
  if (params.pageAfter !== undefined && params.pageBefore !== undefined) {
    throw badInput(['pageBefore'], 'expected either pageAfter or pageBefore, but got both', 'evenergy');
  }
  return { email: params.email, page_after: params.pageAfter, page_before: params.pageBefore, page_size: params.pageSize };
}

/** Checks the documented receiver rules before any call, with the input field that is wrong. */
function payoutBody(input: SetEvenergyPayoutMethodInput): WirePayoutMethodUpdate {
  const wallet: unknown = input.wallet;
  const known = WALLETS.find((w) => w === wallet);
  if (known === undefined) throw badInput(['wallet'], `expected one of ${WALLETS.join(', ')}, but got ${JSON.stringify(String(wallet).slice(0, 40))}`, 'evenergy');
  const { receiver } = input;
  if (known === 'BILL_CREDITS') {
    if (receiver !== undefined) throw badInput(['receiver'], 'expected no receiver for BILL_CREDITS (ev.energy uses the linked billing account), but got one', 'evenergy');
    return { receiver_wallet: known };
  }
  const kind = known === 'PAYPAL' ? 'an email address' : 'a phone number';
  if (receiver === undefined || receiver === null || receiver.trim() === '') {
    throw badInput(['receiver'], `expected ${kind} as the receiver for ${known}, but got ${receiver === undefined ? 'none' : receiver === null ? 'null' : 'an empty string'}`, 'evenergy');
  }
  if (receiver.length > MAX_RECEIVER_LENGTH) {
    throw badInput(['receiver'], `expected at most ${MAX_RECEIVER_LENGTH} characters, but got ${receiver.length}`, 'evenergy');
  }
  return { receiver_wallet: known, receiver };
}

function userWrite(input: CreateEvenergyUserInput | UpdateEvenergyUserInput): WireUserWrite {
  const body: WireUserWrite = {};
  if (input.email !== undefined) body.email = input.email;
  if (input.defaultLocation !== undefined) body.default_location = locationWrite(input.defaultLocation);
  return body;
}

export function createEvenergyConnector(options: EvenergyConnectorOptions): EvenergyConnector {
  const { client } = options;
  // The auth header goes with each request, not into the client's defaults, which carry nothing secret.
  const headers = (): Record<string, string> => ({
    authorization: `Bearer ${options.token}`,
    accept: 'application/json',
    'evenergy-version': API_VERSION,
  });

  /**
   * A lookup's answer: the body on 200, null on ev.energy's own 404 problem. Another 404 body (a wrong
   * base URL, a proxy page) is not "no such user" and must not make every user look absent.
   */
  const lookup = (res: UpstreamResponse, route: string): unknown => {
    if (res.status !== 404) return res.body;
    if (isProblem(res.body)) return null;
    throw malformed(`answer to GET ${route}`, "ev.energy's problem body with status 404", 'another body', 404);
  };

  const fetchPage = async (query: Record<string, QueryValue>, call?: CallOptions): Promise<EvenergyUserPage> => {
    const res = await client.request({ method: 'GET', path: '/users', route: ROUTES.users, query, headers: headers(), call });
    const users = readUserList('answer to GET /users', res.body);
    const links = parseLinkHeader(res.headers.link);
    const cursor = (rel: 'next' | 'previous', key: 'page_after' | 'page_before'): string | null => {
      const url = links[rel];
      if (url === undefined) return null;
      let value: string | undefined;
      try {
        value = linkQuery(url)[key];
      } catch {
        value = undefined;
      }
      if (value === undefined || !CURSOR_PATTERN.test(value)) throw malformed('answer to GET /users', `the Link rel="${rel}" to carry a ${key} cursor`, 'a link without one');
      return value;
    };
    return { users, nextCursor: cursor('next', 'page_after'), previousCursor: cursor('previous', 'page_before') };
  };

  const connector: EvenergyConnector = {
    async listUsers(params = {}, call) {
      return fetchPage(listQuery(params), call);
    },

    async *allUsers(params = {}, call) {
      const pageSize = params.pageSize ?? MAX_PAGE_SIZE;
      let query = listQuery({ email: params.email, pageSize });
      const seen = new Set<string>();
      for (;;) {
        const page = await fetchPage(query, call);
        yield* page.users;
        if (page.nextCursor === null) return;
        // A cursor that comes back again would walk in a circle forever.
        if (seen.has(page.nextCursor)) throw malformed('answer to GET /users', 'a next cursor that moves forward', 'one seen before');
        seen.add(page.nextCursor);
        query = { email: params.email, page_size: pageSize, page_after: page.nextCursor };
      }
    },

    async findUsersByEmail(email, call) {
      checkEmailFilter(email);
      const wanted = email.trim().toLowerCase();
      const found: EvenergyUser[] = [];
      // The API matches case-insensitively and exactly; checked again so a looser upstream cannot link a stranger.
      for await (const user of connector.allUsers({ email: email.trim() }, call)) {
        if (user.email !== null && user.email.toLowerCase() === wanted) found.push(user);
      }
      return found;
    },

    async getUser(userId, call) {
      const res = await client.request({ method: 'GET', path: userPath(userId), route: ROUTES.user, resource: userResource(userId), headers: headers(), acceptStatus: [404], call });
      const body = lookup(res, ROUTES.user);
      return body === null ? null : readUser('answer to GET /users/:user_id', body);
    },

    async createUser(input, call) {
      const res = await client.request({ method: 'POST', path: '/users', route: ROUTES.users, headers: headers(), body: userWrite(input), call });
      return readUser('answer to POST /users', res.body);
    },

    async updateUser(userId, patch, call) {
      const res = await client.request({ method: 'PATCH', path: userPath(userId), route: ROUTES.user, resource: userResource(userId), headers: headers(), body: userWrite(patch), call });
      return readUser('answer to PATCH /users/:user_id', res.body);
    },

    async getNotificationPreferences(userId, call) {
      const path = userPath(userId, '/notification_preferences');
      const res = await client.request({ method: 'GET', path, route: ROUTES.preferences, resource: userResource(userId), headers: headers(), acceptStatus: [404], call });
      const body = lookup(res, ROUTES.preferences);
      return body === null ? null : readPreferences('answer to GET /users/:user_id/notification_preferences', body);
    },

    async updateNotificationPreferences(userId, groups, call) {
      const path = userPath(userId, '/notification_preferences');
      const body: WireNotificationPreferencesUpdate = { groups: {} };
      for (const [name, enabled] of Object.entries(groups)) {
        if (typeof enabled !== 'boolean') throw badInput(['groups', name], `expected true or false, but got ${typeof enabled}`, 'evenergy');
        body.groups[name] = enabled;
      }
      const res = await client.request({ method: 'PATCH', path, route: ROUTES.preferences, resource: userResource(userId), headers: headers(), body, call });
      return readPreferences('answer to PATCH /users/:user_id/notification_preferences', res.body);
    },

    async getPayoutMethod(userId, call) {
      const path = userPath(userId, '/payout_method');
      const res = await client.request({ method: 'GET', path, route: ROUTES.payout, resource: userResource(userId), headers: headers(), acceptStatus: [404], call });
      const body = lookup(res, ROUTES.payout);
      return body === null ? null : readPayoutMethod('answer to GET /users/:user_id/payout_method', body);
    },

    async setPayoutMethod(userId, input, call) {
      const path = userPath(userId, '/payout_method');
      const body = payoutBody(input);
      const res = await client.request({ method: 'PATCH', path, route: ROUTES.payout, resource: userResource(userId), headers: headers(), body, call });
      return readPayoutMethod('answer to PATCH /users/:user_id/payout_method', res.body);
    },

    async deletePayoutMethod(userId, call) {
      const path = userPath(userId, '/payout_method');
      await client.request({ method: 'DELETE', path, route: ROUTES.payout, resource: userResource(userId), headers: headers(), call });
    },
  };
  return connector;
}
