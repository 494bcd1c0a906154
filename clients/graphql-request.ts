/**
 * graphql-request (7) for this gateway, as the README shows it (`// #region readme-…`).
 */
import { GraphQLClient } from 'graphql-request';

// #region readme-graphql-request
/**
 * POST by default, which CSRF prevention accepts (graphql-request sends `Content-Type:
 * application/json`). With `method: 'GET'` it sends no Content-Type, so the `apollo-require-preflight`
 * header is what lets CSRF prevention accept the GET; it is harmless on POST. `batchRequests` sends
 * a JSON array in one POST: at most MAX_BATCH (default 10) operations.
 */
export function createGraphQLRequestClient({ url, token, method = 'POST' }: { url: string; token?: string; method?: 'GET' | 'POST' }): GraphQLClient {
  return new GraphQLClient(url, {
    method,
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}
// #endregion readme-graphql-request
