/**
 * The identity (MarketTrack 1MT) connector: one typed function per endpoint of the users API (seed
 * document 002), speaking its snake_case wire format through the shared HTTP client and answering in
 * domain types (`types.ts`). The API has no list endpoint, so there is no "all pages" helper.
 */
import { badInput, ErrorCode, GatewayError } from '../../errors';
import type { CallOptions, UpstreamClient } from '../types';
import { userResource } from '../shape';
import { isFailureEnvelope, malformed, readEmptyAnswer, readUserAnswer } from './map';
import type { CreateIdentityUserInput, IdentityUser, UpdateIdentityUserInput } from './types';
import type { WireCreateUserBody, WireUpdateUserBody } from '../../contracts/identity';

export { describeIdentityError } from './describe';

export interface IdentityConnectorOptions {
  client: UpstreamClient;
  /** The platform access token, sent as `Authorization: Bearer <token>`. */
  token: string;
}

export interface IdentityConnector {
  /** `GET /users/:identifier` by id or email; `null` when the API says there is no such user. */
  getUser(identifier: string, call?: CallOptions): Promise<IdentityUser | null>;
  /** `POST /users`. The new user is `PENDING`; CONFLICT (`user_exists`, `account_exists`) when taken. */
  createUser(input: CreateIdentityUserInput, call?: CallOptions): Promise<IdentityUser>;
  /** `PATCH /users/:identifier` with only the given names; at least one must be given. */
  updateUser(identifier: string, patch: UpdateIdentityUserInput, call?: CallOptions): Promise<IdentityUser>;
  /** `DELETE /users/:identifier`. CONFLICT (`subscribed_to_other_platforms`) when the user is on other platforms. */
  deleteUser(identifier: string, call?: CallOptions): Promise<void>;
}

const USER_ROUTE = '/users/:identifier';

/** The path of one user; an empty identifier would address the collection instead, so it is refused. */
function userPath(identifier: string): string {
  if (identifier.trim() === '') throw badInput(['identifier'], 'expected a user id or email, but got an empty string');
  return `/users/${encodeURIComponent(identifier)}`;
}

/**
 * The cache resource of a user (UpstreamRequest.resource): its id. A user addressed by email is a lookup
 * by another key, which the cache files with the queries, so that every write to identity invalidates it.
 */
function resourceOf(identifier: string): string | undefined {
  return identifier.includes('@') ? undefined : userResource(identifier);
}

export function createIdentityConnector(options: IdentityConnectorOptions): IdentityConnector {
  const { client } = options;
  // The auth header goes with each request, not into the client's defaults, which carry nothing secret.
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${options.token}`, accept: 'application/json' });

  return {
    async getUser(identifier, call) {
      const path = userPath(identifier);
      const res = await client.request({ method: 'GET', path, route: USER_ROUTE, resource: resourceOf(identifier), headers: headers(), acceptStatus: [404], call });
      if (res.status === 404) {
        // Only the API's own "not found" means the user is missing; a 404 page from elsewhere (a wrong
        // base URL, a proxy) must not make every user look absent.
        if (isFailureEnvelope(res.body)) return null;
        throw malformed('answer to GET /users/:identifier', 'the API’s failure envelope with status 404', 'another body', 404);
      }
      return readUserAnswer('answer to GET /users/:identifier', res.body);
    },

    async createUser(input, call) {
      const body: WireCreateUserBody = { first_name: input.firstName, last_name: input.lastName, email: input.email };
      if (input.internal !== undefined) body.internal = input.internal;
      if (input.accountIdentifier !== undefined) body.account = { identifier: input.accountIdentifier };
      const res = await client.request({ method: 'POST', path: '/users', route: '/users', headers: headers(), body, call });
      return readUserAnswer('answer to POST /users', res.body);
    },

    async updateUser(identifier, patch, call) {
      const path = userPath(identifier);
      const body: WireUpdateUserBody = {};
      if (patch.firstName !== undefined) body.first_name = patch.firstName;
      if (patch.lastName !== undefined) body.last_name = patch.lastName;
      if (Object.keys(body).length === 0) {
        // The API requires at least one field; refused here without a call.
        throw new GatewayError(ErrorCode.BAD_USER_INPUT, 'An identity user update needs at least one of firstName, lastName, but got neither');
      }
      const res = await client.request({ method: 'PATCH', path, route: USER_ROUTE, resource: resourceOf(identifier), headers: headers(), body, call });
      return readUserAnswer('answer to PATCH /users/:identifier', res.body);
    },

    async deleteUser(identifier, call) {
      const path = userPath(identifier);
      const res = await client.request({ method: 'DELETE', path, route: USER_ROUTE, resource: resourceOf(identifier), headers: headers(), call });
      readEmptyAnswer('answer to DELETE /users/:identifier', res.body);
    },
  };
}
