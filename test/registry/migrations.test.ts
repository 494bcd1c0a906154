/**
 * Schema migrations on both dialects: applied in order, recorded, idempotent, atomic, and refusing a
 * database newer than the code.
 */
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { MIGRATIONS, MigrationError, migratePostgres, migrateSqlite, pendingMigrations, type Migration } from '../../src/registry/migrations';
import { TEST_DATABASE_URL, dropSchemas, freshSchemaName, probePostgres, reportPostgresUnreachable } from './postgresTarget';

const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

/** A broken follow-up migration: the good first statement must be rolled back with the bad second one. */
const broken: Migration = {
  version: MIGRATIONS.length + 1,
  name: 'broken on purpose',
  sqlite: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;',
  postgres: 'CREATE TABLE half_done (x integer); SELECT * FROM no_such_table;',
};

describe('pendingMigrations', () => {
  it('lists the migrations not yet applied, in version order', () => {
    expect(pendingMigrations([]).map((m) => m.version)).toEqual(ALL_VERSIONS);
    expect(pendingMigrations([1]).map((m) => m.version)).toEqual(ALL_VERSIONS.slice(1));
    expect(pendingMigrations(ALL_VERSIONS)).toEqual([]);
  });

  it('refuses a database whose schema is newer than this code knows', () => {
    expect(() => pendingMigrations([...ALL_VERSIONS, MIGRATIONS.length + 1])).toThrow(MigrationError);
    expect(() => pendingMigrations([MIGRATIONS.length + 5])).toThrow(/schema version \d+, newer than/);
  });

  it('refuses a migration list with gaps or out of order', () => {
    const [first, second] = MIGRATIONS;
    expect(() => pendingMigrations([], [second, first])).toThrow(/must have version 1/);
  });
});

describe('migrations on SQLite', () => {
  let db: Database.Database;

  beforeEach(() => {
    db = new Database(':memory:');
  });

  afterEach(() => {
    db.close();
  });

  const recorded = () => (db.prepare('SELECT version, name FROM schema_migrations ORDER BY rowid').all() as { version: number; name: string }[]);

  it('applies every migration once, in order, and records each', () => {
    expect(migrateSqlite(db)).toEqual(ALL_VERSIONS);
    expect(recorded()).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('does nothing when applied again', () => {
    migrateSqlite(db);
    expect(migrateSqlite(db)).toEqual([]);
    expect(recorded()).toHaveLength(MIGRATIONS.length);
  });

  it('applies only what is new to a database at an older version', () => {
    expect(migrateSqlite(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(migrateSqlite(db)).toEqual(ALL_VERSIONS.slice(1));
  });

  it('rolls back all pending migrations when one fails', () => {
    expect(() => migrateSqlite(db, [...MIGRATIONS, broken])).toThrow(/no_such_table/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('people', 'half_done', 'schema_migrations')").all()).toEqual([]);
  });
});

const reachability = probePostgres();
if (!reachability.ok) reportPostgresUnreachable('migrations', reachability.reason);

(reachability.ok ? describe : describe.skip)('migrations on PostgreSQL', () => {
  const schemas: string[] = [];
  let client: Client;
  let schema: string;

  beforeEach(async () => {
    schema = freshSchemaName();
    schemas.push(schema);
    client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
  });

  afterAll(async () => {
    await dropSchemas(schemas);
  });

  const migrate = (migrations?: readonly Migration[]) => migratePostgres(client, schema, migrations);

  const recorded = async () =>
    (await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY applied_at, version`)).rows.map(
      (r) => r.version,
    );

  it('creates the schema, applies every migration in order, and records each', async () => {
    expect(await migrate()).toEqual(ALL_VERSIONS);
    expect(await recorded()).toEqual(ALL_VERSIONS);
    const tables = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['account_links', 'email_reservations', 'people', 'schema_migrations']);
  });

  it('does nothing when applied again', async () => {
    await migrate();
    expect(await migrate()).toEqual([]);
    expect(await recorded()).toEqual(ALL_VERSIONS);
  });

  it('applies each migration once when two starts race', async () => {
    const other = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await other.connect();
    try {
      const results = await Promise.all([migrate(), migratePostgres(other, schema)]);
      expect(results.flat().sort()).toEqual(ALL_VERSIONS);
      expect(await recorded()).toEqual(ALL_VERSIONS);
    } finally {
      await other.end();
    }
  });

  it('rolls back all pending migrations when one fails', async () => {
    await expect(migrate([...MIGRATIONS, broken])).rejects.toThrow(/no_such_table/);
    const left = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1', [schema]);
    expect(left.rowCount).toBe(0);
  });
});
