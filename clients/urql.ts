/**
 * urql (6) with Graphcache (9) for this gateway, as the README shows it (`// #region readme-…`).
 * Graphcache needs to be told which types have no `id` (`keys` returning null: stored inside their
 * parent, without Graphcache's "no key" warning), the schema (generated introspection: which concrete
 * types implement `Node` and `Device`, so a fragment on `HeatPump` is not written for an
 * `ElectricVehicle`), and which fields are Relay connections (`relayPagination`).
 */
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange, type CacheExchangeOpts, type KeyingConfig, type ResolverConfig } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import schema from '../src/generated/introspection';
import { CONNECTIONS, ID_LESS_TYPES } from './cache-shape';

/** Graphcache's settings for this schema. */
export function graphcacheOptions(): CacheExchangeOpts {
  const keys: KeyingConfig = Object.fromEntries(ID_LESS_TYPES.map((type) => [type, () => null]));
  const resolvers: ResolverConfig = Object.fromEntries(
    Object.entries(CONNECTIONS).map(([type, fields]) => [type, Object.fromEntries(Object.keys(fields).map((field) => [field, relayPagination()]))]),
  );
  return { keys, resolvers, schema };
}

// #region readme-urql
/**
 * urql sends queries as GET (`preferGetMethod: 'within-url-limit'`, its default) without a
 * Content-Type; CSRF prevention refuses such a GET unless it carries `apollo-require-preflight` (or
 * `x-apollo-operation-name`). The header is sent with every request; mutations go as POST.
 */
export function createUrqlClient({ url, token, fetch }: { url: string; token?: string; fetch?: typeof globalThis.fetch }): Client {
  return new Client({
    url,
    fetch,
    exchanges: [cacheExchange(graphcacheOptions()), fetchExchange],
    fetchOptions: () => ({
      headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }),
  });
}
// #endregion readme-urql
