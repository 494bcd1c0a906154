/**
 * Versioned schema migrations for both registry dialects. Contract: migrations are append-only (never edit
 * a released one; add the next version), applied in ascending version order, each recorded in
 * `schema_migrations`, all pending ones in one transaction, so a failed start leaves the schema as it was.
 * Applying again does nothing (idempotent). A database whose schema is newer than this code knows is
 * refused rather than used, so an older gateway never writes to a schema it does not understand.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ClientBase } from 'pg';
import { UPSTREAM_NAMES } from '../errors';

export interface Migration {
  version: number;
  /** What the migration does, recorded with it. */
  name: string;
  sqlite: string;
  postgres: string;
}

const UPSTREAM_CHECK = UPSTREAM_NAMES.map((u) => `'${u}'`).join(', ');

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'people with a unique lower-cased email',
    // email_key is the lower-cased email, computed by the gateway (not SQL lower(), whose Unicode handling
    // differs between SQLite and PostgreSQL locales) so both backends compare emails identically.
    sqlite: `
      CREATE TABLE people (
        id TEXT PRIMARY KEY NOT NULL,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX people_email_key ON people (email_key);
      CREATE INDEX people_created ON people (created_at, id);
    `,
    postgres: `
      CREATE TABLE people (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        email_key text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX people_email_key ON people (email_key);
      CREATE INDEX people_created ON people (created_at, id);
    `,
  },
  {
    version: 2,
    name: 'account links: one per person per upstream, one person per upstream account',
    sqlite: `
      CREATE TABLE account_links (
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        upstream TEXT NOT NULL CHECK (upstream IN (${UPSTREAM_CHECK})),
        account_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        PRIMARY KEY (person_id, upstream)
      ) STRICT;
      CREATE UNIQUE INDEX account_links_account ON account_links (upstream, account_id);
    `,
    postgres: `
      CREATE TABLE account_links (
        person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        upstream text NOT NULL CHECK (upstream IN (${UPSTREAM_CHECK})),
        account_id text NOT NULL,
        linked_at timestamptz NOT NULL,
        PRIMARY KEY (person_id, upstream)
      );
      CREATE UNIQUE INDEX account_links_account ON account_links (upstream, account_id);
    `,
  },
  {
    version: 3,
    name: 'email reservations: a new email held for the person changing to it until the change commits',
    // While an email change writes to the upstreams, the new email resolves to the person changing to it,
    // so discovery cannot create a second person for it (DESIGN.md "Health, replicas and shutdown").
    // expires_at lets a reservation left by a crashed replica lapse on its own.
    sqlite: `
      CREATE TABLE email_reservations (
        email_key TEXT PRIMARY KEY NOT NULL,
        email TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX email_reservations_person ON email_reservations (person_id);
    `,
    postgres: `
      CREATE TABLE email_reservations (
        email_key text PRIMARY KEY,
        email text NOT NULL,
        person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX email_reservations_person ON email_reservations (person_id);
    `,
  },
];

/** The newest schema version this code knows. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(`Migration ${i} must have version ${i + 1}, but has ${m.version}: versions are 1, 2, 3… in order`);
    }
  });
}

/** Which migrations are still to apply, given the versions already recorded. */
export function pendingMigrations(applied: readonly number[], migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  assertOrdered(migrations);
  const latest = migrations.length;
  const newest = applied.reduce((max, v) => Math.max(max, v), 0);
  if (newest > latest) {
    throw new MigrationError(
      `The registry database has schema version ${newest}, newer than the ${latest} this gateway knows: upgrade the gateway instead of using this database`,
    );
  }
  const done = new Set(applied);
  return migrations.filter((m) => !done.has(m.version));
}

/**
 * Applies pending migrations to a SQLite database. `BEGIN IMMEDIATE` takes the write lock before reading
 * the applied versions, so two processes starting on one file cannot both apply the same migration.
 * Returns the versions applied by this call.
 */
export function migrateSqlite(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const run = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY NOT NULL,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    const pending = pendingMigrations(
      rows.map((r) => r.version),
      migrations,
    );
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of pending) {
      db.exec(m.sqlite);
      record.run(m.version, m.name, Date.now());
    }
    return pending.map((m) => m.version);
  });
  return run.immediate();
}

const POSTGRES_LOCK_NAMESPACE = 0x75677267; // "ugrg": usergraph registry

/**
 * Applies pending migrations to PostgreSQL through one client (pooled or not), in one transaction, under an advisory lock
 * per schema so concurrent gateway starts apply each migration once. `schema`, when given, is created if
 * missing and must already be on the client's search_path. Returns the versions applied by this call.
 */
export async function migratePostgres(
  client: ClientBase,
  schema: string | undefined,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2, current_schema(), $3)))', [
      POSTGRES_LOCK_NAMESPACE,
      schema ?? null,
      'public',
    ]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const pending = pendingMigrations(
      rows.map((r) => r.version),
      migrations,
    );
    for (const m of pending) {
      await client.query(m.postgres);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await client.query('COMMIT');
    return pending.map((m) => m.version);
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes a schema name after checking it is a plain lower-case identifier (it is spliced into SQL). */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) {
    throw new MigrationError(`Expected a schema name of lower-case letters, digits and _ (at most 63), but got ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}
