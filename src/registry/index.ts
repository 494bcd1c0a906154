/**
 * The registry's public entry: `openRegistry` picks the backend from the configuration (DESIGN.md
 * "One person, many accounts") and applies pending migrations before handing it out, so a started gateway
 * always runs on the schema it knows.
 */
import path from 'node:path';
import { PostgresRegistry } from './postgres';
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
}

/** Opens the configured backend and migrates it; closes it again if migrating fails. */
export async function openRegistry(options: OpenRegistryOptions = {}): Promise<Registry> {
  const registry: Registry = options.databaseUrl
    ? new PostgresRegistry({ connectionString: options.databaseUrl, schema: options.schema, onQuery: options.onQuery })
    : new SqliteRegistry({ path: options.sqlitePath ?? DEFAULT_SQLITE_PATH, onQuery: options.onQuery });
  try {
    await registry.migrate();
  } catch (err) {
    await registry.close();
    throw err;
  }
  return registry;
}
