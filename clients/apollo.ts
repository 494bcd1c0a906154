/**
 * Apollo Client (4) for this gateway: the cache settings that make every answer normalise (the generated
 * `possibleTypes`, merge rules for the objects without an id, whole-list replacement, Relay pagination)
 * and the client setups the README shows (`// #region readme-…` marks what it copies; a test checks
 * that the README's code is this code).
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type FieldPolicy, type MutationUpdaterFunction, type TypePolicies } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import generated from '../src/generated/possible-types';
import { CONNECTIONS, ID_LESS_TYPES, LIST_FIELDS } from './cache-shape';

/** Which concrete types implement `Node` and `Device`, so fragments on them match (`npm run codegen`). */
export const possibleTypes: Record<string, string[]> = generated.possibleTypes;

/** A list field's answer replaces the cached list (the gateway always sends the whole list). */
const replaceList: FieldPolicy = { merge: (_existing: unknown, incoming: unknown) => incoming };

function buildTypePolicies(): TypePolicies {
  const policies: TypePolicies = {};
  const fieldsOf = (type: string): Record<string, FieldPolicy> => {
    const policy = (policies[type] ??= {});
    return (policy.fields ??= {}) as Record<string, FieldPolicy>;
  };
  // No id: stored inside the parent, and a new answer is merged into the old one field by field (no
  // "cache data may be lost" warning when two queries select different fields of the same address).
  for (const type of ID_LESS_TYPES) policies[type] = { keyFields: false, merge: true };
  for (const [type, fields] of Object.entries(LIST_FIELDS)) for (const field of fields) fieldsOf(type)[field] = replaceList;
  for (const [type, fields] of Object.entries(CONNECTIONS)) {
    for (const [field, keyArgs] of Object.entries(fields)) fieldsOf(type)[field] = relayStylePagination(keyArgs.length ? [...keyArgs] : false);
  }
  return policies;
}

/**
 * `InMemoryCache({ possibleTypes, typePolicies })` for this schema:
 * - objects with an `id` (every `Node`) are normalised by `__typename` and `id` (Apollo's default);
 * - objects without one (`NotificationGroups`, `PayoutMethod`, `Address`, payloads, edges, …:
 *   `ID_LESS_TYPES` in cache-shape.ts) merge into what the cache holds for their parent;
 * - lists on a normalised object (`User.accessTokens`, `User.sites`, …) are replaced by each answer;
 * - connections (`users`, `entries`, `expenses`, `participatingProjects`) use `relayStylePagination`:
 *   a page fetched with `after` is appended to the pages the cache holds, one fetched with `before`
 *   prepended, and `pageInfo` spans them all.
 */
export const typePolicies: TypePolicies = buildTypePolicies();

export function createCache(): InMemoryCache {
  return new InMemoryCache({ possibleTypes, typePolicies });
}

/** `deleteUser`'s `update`: evicts the removed person (`deletedUserId`) from the cache. */
export const evictDeletedUser: MutationUpdaterFunction<{ deleteUser: { deletedUserId: string | null } }, Record<string, unknown>, ApolloCache> = (cache, { data }) => {
  const id = data?.deleteUser.deletedUserId;
  if (!id) return;
  cache.evict({ id: cache.identify({ __typename: 'User', id }) });
  cache.gc();
};
type ApolloCache = InstanceType<typeof InMemoryCache>;

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `https://api.example.com/graphql`. */
  uri: string;
  /** The user's JWT; sent as `Authorization: Bearer …`. */
  token?: string;
  /** Node's or a polyfill's fetch, where the platform has none (React Native and browsers do). */
  fetch?: typeof fetch;
}

// #region readme-apollo
/**
 * POST for every operation: CSRF prevention accepts it as is, because Apollo sends
 * `Content-Type: application/json`.
 */
export function createApolloClient({ uri, token, fetch }: GatewayClientOptions): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri, fetch, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    cache: createCache(),
  });
}
// #endregion readme-apollo

// #region readme-apollo-apq
/** The query's sha256 in hex with Web Crypto (browsers, React Native with a polyfill, Node 20+). */
export async function webCryptoSha256(query: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(query));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Automatic persisted queries over GET (cacheable by a CDN): the first GET sends only the query's
 * sha256; on a miss the link sends the query once and later GETs hit. Apollo's GETs carry
 * `Content-Type: application/json`, which CSRF prevention asks of a GET.
 */
export function createPersistedQueryClient({ uri, token, fetch, sha256 = webCryptoSha256 }: GatewayClientOptions & { sha256?: (query: string) => Promise<string> | string }): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri, fetch, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    ]),
    cache: createCache(),
  });
}
// #endregion readme-apollo-apq

// #region readme-apollo-batch
/** Several operations of one tick in one POST (a JSON array): at most MAX_BATCH (default 10) per request. */
export function createBatchingApolloClient({ uri, token, fetch }: GatewayClientOptions): ApolloClient {
  return new ApolloClient({
    link: new BatchHttpLink({ uri, fetch, batchMax: 10, batchInterval: 10, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    cache: createCache(),
  });
}
// #endregion readme-apollo-batch
