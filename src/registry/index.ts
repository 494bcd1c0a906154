/**
 * The registry's public entry: `openRegistry` picks the backend from the configuration (DESIGN.md
 * "One person, many accounts") and applies pending migrations before handing it out, so a started gateway
 * always runs on the schema it knows.
 */
import path from 'node:path';
import { PostgresRegistry } from './postgres';
import { guardRegistry, type RegistryCallListener, type RegistryFailureListener } from './guard';
import { SqliteRegistry } from './sqlite';
import type { Registry } from './types';

export type { AccountLink, ConflictKind, FoundOrCreated, LinkResult, ListPeopleArgs, PeoplePage, Person, Registry } from './types';
export { describeLinkResult } from './linkResult';
export { MAX_PAGE_SIZE } from './validate';

/** The embedded default: a file under `./data/`. */
export const DEFAULT_SQLITE_PATH = path.join('data', 'usergraph.db');

export interface OpenRegistryOptions {
  /** A PostgreSQL connection string (`DATABASE_URL`); when set, PostgreSQL is used. */
  databaseUrl?: string;
  /** SQLite file path or `:memory:` when no `databaseUrl` is given; defaults to `./data/usergraph.db`. */
  sqlitePath?: string;
  /** PostgreSQL schema to use instead of the connection's default. */
  schema?: string;
  /** Called with every SQL statement run, for debug logs and query counts. */
  onQuery?: (sql: string) => void;
  /** Called with the cause of every registry failure (which callers see as REGISTRY_UNAVAILABLE), for the log. */
  onFailure?: RegistryFailureListener;
  /** Told of every call with its duration (the registry query metrics). */
  onCall?: RegistryCallListener;
  /** PostgreSQL pool and timeouts (`DATABASE_POOL_MAX`, `DATABASE_*_TIMEOUT_MS`). */
  pool?: { max?: number; connectTimeoutMs?: number; queryTimeoutMs?: number; idleTimeoutMs?: number; lockTimeoutMs?: number };
}

/**
 * Opens the configured backend and migrates it; closes it again if migrating fails. Every failure of the
 * returned registry is REGISTRY_UNAVAILABLE (`./guard.ts`).
 */
export async function openRegistry(options: OpenRegistryOptions = {}): Promise<Registry> {
  const backend: Registry = options.databaseUrl
    ? new PostgresRegistry({ connectionString: options.databaseUrl, schema: options.schema, onQuery: options.onQuery, ...options.pool, onIdleError: options.onFailure && ((err) => options.onFailure!('idle connection', err)) })
    : new SqliteRegistry({ path: options.sqlitePath ?? DEFAULT_SQLITE_PATH, onQuery: options.onQuery });
  try {
    // Unguarded: a start that cannot migrate should say why, in the operator's terminal.
    await backend.migrate();
  } catch (err) {
    await backend.close();
    throw err;
  }
  return guardRegistry(backend, options.onFailure, options.onCall);
}
