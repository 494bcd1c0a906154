/**
 * The scale-out registry backend: PostgreSQL through a `pg` Pool, used when `DATABASE_URL` is set. Several
 * gateway instances share one database, so every write is decided by a unique index or a single
 * statement, never by a read followed by a write.
 */
import { randomUUID } from 'node:crypto';
import { Pool, type PoolConfig, type QueryResult, type QueryResultRow } from 'pg';
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';
import { migratePostgres, quoteIdent } from './migrations';
import type { AccountLink, FoundOrCreated, LinkResult, ListPeopleArgs, PeoplePage, Person, Registry } from './types';
import * as v from './validate';

export interface PostgresRegistryOptions {
  connectionString: string;
  /**
   * A schema to keep the registry's tables in (created by `migrate()`); the default is the connection's
   * own search_path (normally `public`). Tests use a fresh schema each to stay isolated.
   */
  schema?: string;
  /** Pool size (`DATABASE_POOL_MAX`). Default 10. A second pool of the same size holds advisory locks. */
  max?: number;
  /** How long getting a connection may take, in ms (`DATABASE_CONNECT_TIMEOUT_MS`). Default 3000. */
  connectTimeoutMs?: number;
  /** How long one statement may run, in ms, enforced by the server and the client (`DATABASE_QUERY_TIMEOUT_MS`). Default 5000. */
  queryTimeoutMs?: number;
  /** How long an unused pooled connection is kept, in ms (`DATABASE_IDLE_TIMEOUT_MS`). Default 30000. */
  idleTimeoutMs?: number;
  /** How long `withLock` waits for another holder, in ms (`DATABASE_LOCK_TIMEOUT_MS`). Default 15000. */
  lockTimeoutMs?: number;
  /** Called with every SQL statement the registry runs (not migrations), for debug logs and query counts. */
  onQuery?: (sql: string) => void;
  /** Called when an idle pooled connection fails (the server restarted, say); the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

interface PersonRow {
  id: string;
  email: string;
  created_at: Date;
  updated_at: Date;
}

interface LinkRow {
  person_id: string;
  upstream: string;
  account_id: string;
  linked_at: Date;
}

const PERSON_COLUMNS = 'id, email, created_at, updated_at';
const LINK_COLUMNS = 'person_id, upstream, account_id, linked_at';
/** Attempts for statements that can lose a race with a concurrent writer (see each use). */
const RACE_ATTEMPTS = 3;

function toPerson(row: PersonRow): Person {
  return { id: row.id, email: row.email, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toLink(row: LinkRow): AccountLink {
  return { personId: row.person_id, upstream: v.upstream(row.upstream), accountId: row.account_id, linkedAt: row.linked_at };
}

/** The SQLSTATE of a `pg` error, if it is one. */
function sqlState(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function constraintOf(err: unknown): string | undefined {
  return err instanceof Error && 'constraint' in err && typeof err.constraint === 'string' ? err.constraint : undefined;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const DEADLOCK_DETECTED = '40P01';
const QUERY_CANCELED = '57014';

export class PostgresRegistry implements Registry {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  /** Connections that hold session advisory locks while a write sequence runs on `pool`. */
  private readonly lockPool: Pool;
  private readonly lockNamespace: string;
  private readonly lockTimeoutMs: number;
  private readonly schema?: string;
  private closed = false;
  private readonly onQuery?: (sql: string) => void;

  constructor(options: PostgresRegistryOptions) {
    this.schema = options.schema;
    this.onQuery = options.onQuery;
    const queryTimeoutMs = options.queryTimeoutMs ?? 5000;
    const base: PoolConfig = {
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      // A half-open TCP connection (a network partition) is noticed by keepalive, not by waiting forever.
      keepAlive: true,
      application_name: 'usergraph',
    };
    // search_path per connection, so every statement (and the migrations) resolve unqualified names there.
    const searchPath = options.schema !== undefined ? ` -c search_path=${quoteIdent(options.schema).slice(1, -1)}` : '';
    const config: PoolConfig = {
      ...base,
      // statement_timeout stops the work on the server; query_timeout stops the wait on our side when the
      // server cannot be reached to be told.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 1000,
      idle_in_transaction_session_timeout: queryTimeoutMs * 2,
    };
    if (searchPath) config.options = searchPath.trim();
    this.pool = new Pool(config);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.lockPool = new Pool({
      ...base,
      statement_timeout: this.lockTimeoutMs,
      query_timeout: this.lockTimeoutMs + 1000,
      ...(searchPath ? { options: searchPath.trim() } : {}),
    });
    // Advisory locks are database-wide: the schema name keeps two registries in one database apart.
    this.lockNamespace = `usergraph:${options.schema ?? ''}:`;
    const onIdleError =
      options.onIdleError ?? ((err: Error) => process.stderr.write(`registry: an idle PostgreSQL connection failed: ${err.message}\n`));
    this.pool.on('error', onIdleError);
    this.lockPool.on('error', onIdleError);
  }

  private query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    this.onQuery?.(sql);
    return this.pool.query<R>(sql, params);
  }

  /**
   * Runs `fn` in one transaction holding the reservations lock: shared for writes that create or rename
   * people (many at once), exclusive for `reserveEmail`. A reservation and a person created for the same
   * email are each decided by a check and a write; the lock makes those pairs never interleave, so one
   * always sees the other. Held for a few statements, never across upstream calls.
   */
  private async reservationTransaction<T>(mode: 'shared' | 'exclusive', fn: (q: <R extends QueryResultRow>(sql: string, params?: unknown[]) => Promise<QueryResult<R>>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const q = <R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
      this.onQuery?.(sql);
      return client.query<R>(sql, params);
    };
    let broken: Error | undefined;
    try {
      await q('BEGIN');
      try {
        await q(`SELECT ${mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(hashtextextended($1, 0))`, [`${this.lockNamespace}email-reservations`]);
        const result = await fn(q);
        await q('COMMIT');
        return result;
      } catch (err) {
        try {
          await q('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await migratePostgres(client, this.schema);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }

  async createPerson(email: string, id?: string): Promise<Person> {
    v.email(email);
    const personId = id === undefined ? randomUUID() : v.personId(id);
    const now = new Date();
    try {
      return await this.reservationTransaction('shared', async (q) => {
        const reserved = await q('SELECT 1 FROM email_reservations WHERE email_key = $1 AND expires_at > now()', [v.emailKey(email)]);
        if (reserved.rows.length > 0) throw v.emailReserved(email);
        const { rows } = await q<PersonRow>(
          `INSERT INTO people (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING ${PERSON_COLUMNS}`,
          [personId, email, v.emailKey(email), now],
        );
        return toPerson(rows[0]!);
      });
    } catch (err) {
      if (sqlState(err) !== UNIQUE_VIOLATION) throw err;
      throw constraintOf(err) === 'people_pkey' ? v.idTaken(personId) : v.emailTaken(email);
    }
  }

  async findOrCreatePeopleByEmail(emails: readonly string[]): Promise<FoundOrCreated[]> {
    v.emails(emails);
    if (emails.length === 0) return [];
    const firstByKey = new Map<string, string>();
    for (const e of emails) if (!firstByKey.has(v.emailKey(e))) firstByKey.set(v.emailKey(e), e);
    // Inserting in key order makes concurrent batches take the unique index's locks in the same order, so
    // two overlapping batches wait for each other instead of deadlocking.
    const keys = [...firstByKey.keys()].sort();
    for (let attempt = 1; ; attempt++) {
      try {
        const byKey = await this.reservationTransaction('shared', async (q) => {
          // An email reserved by a person changing to it is that person's: nobody is created for it.
          const created = await q<{ id: string }>(
            `INSERT INTO people (id, email, email_key, created_at, updated_at)
             SELECT t.id, t.email, t.key, $4, $4
             FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS t(id, email, key, ord)
             WHERE NOT EXISTS (SELECT 1 FROM email_reservations r WHERE r.email_key = t.key AND r.expires_at > now())
             ORDER BY t.ord
             ON CONFLICT (email_key) DO NOTHING
             RETURNING id`,
            [keys.map(() => randomUUID()), keys.map((k) => firstByKey.get(k)), keys, new Date()],
          );
          const createdIds = new Set(created.rows.map((r) => r.id));
          const found = await q<PersonRow & { email_key: string }>(
            `SELECT ${PERSON_COLUMNS}, email_key FROM people WHERE email_key = ANY($1::text[])
             UNION ALL
             SELECT p.id, p.email, p.created_at, p.updated_at, r.email_key FROM email_reservations r JOIN people p ON p.id = r.person_id
             WHERE r.email_key = ANY($1::text[]) AND r.expires_at > now()`,
            [keys],
          );
          const slots = new Map<string, FoundOrCreated>();
          for (const r of found.rows) if (!slots.has(r.email_key)) slots.set(r.email_key, { person: toPerson(r), created: createdIds.has(r.id) });
          return slots;
        });
        // A person found missing here was deleted between the two statements: go again.
        if (byKey.size === keys.length || attempt === RACE_ATTEMPTS) {
          return emails.map((e) => {
            const slot = byKey.get(v.emailKey(e));
            if (!slot) throw new Error(`Registry: ${e} was created and deleted concurrently ${RACE_ATTEMPTS} times; giving up`);
            return slot;
          });
        }
      } catch (err) {
        if (sqlState(err) !== DEADLOCK_DETECTED || attempt === RACE_ATTEMPTS) throw err;
      }
    }
  }

  async getPeople(ids: readonly string[]): Promise<(Person | null)[]> {
    const keys = v.personIds(ids);
    if (keys.length === 0) return [];
    const { rows } = await this.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = ANY($1::uuid[])`, [
      [...new Set(keys)],
    ]);
    const byId = new Map(rows.map((r) => [r.id, toPerson(r)]));
    return keys.map((id) => byId.get(id) ?? null);
  }

  async getPeopleByEmail(emails: readonly string[]): Promise<(Person | null)[]> {
    const keys = v.emails(emails).map(v.emailKey);
    if (keys.length === 0) return [];
    const { rows } = await this.query<PersonRow & { email_key: string }>(
      `SELECT ${PERSON_COLUMNS}, email_key FROM people WHERE email_key = ANY($1::text[])`,
      [[...new Set(keys)]],
    );
    const byKey = new Map(rows.map((r) => [r.email_key, toPerson(r)]));
    return keys.map((k) => byKey.get(k) ?? null);
  }

  async listPeople(args: ListPeopleArgs): Promise<PeoplePage> {
    const window = v.pageWindow(args);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (args.emailEquals !== undefined) where.push(`email_key = ${param(v.emailKey(args.emailEquals))}`);
    if (args.emailContains !== undefined) {
      where.push(`email_key LIKE ${param(v.likeContains(v.emailKey(args.emailContains)))} ESCAPE '\\'`);
    }
    if (args.hasAccountIn !== undefined) {
      const upstreams = v.upstreamList(args.hasAccountIn);
      where.push(`EXISTS (SELECT 1 FROM account_links a WHERE a.person_id = people.id AND a.upstream = ANY(${param(upstreams)}::text[]))`);
    }
    const filterParams = [...params];
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    if (window.after) where.push(`(created_at, id) > (${param(new Date(window.after.createdAtMs))}::timestamptz, ${param(window.after.id)}::uuid)`);
    if (window.before) where.push(`(created_at, id) < (${param(new Date(window.before.createdAtMs))}::timestamptz, ${param(window.before.id)}::uuid)`);
    const limit = param(window.size + 1);
    // Backward: the last people before `before`, read from the end and turned back into creation order.
    const order = window.direction === 'backward' ? 'created_at DESC, id DESC' : 'created_at, id';
    const [total, page] = await Promise.all([
      this.query<{ n: string }>(`SELECT count(*) AS n FROM people ${filter}`, filterParams),
      this.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`, params),
    ]);
    return v.pageOf(window, page.rows.map(toPerson), Number(total.rows[0].n));
  }

  async linksFor(personIds: readonly string[]): Promise<Map<string, AccountLink[]>> {
    const keys = v.personIds(personIds, 'personIds');
    const result = new Map<string, AccountLink[]>(keys.map((id) => [id, []]));
    if (keys.length === 0) return result;
    const { rows } = await this.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM account_links WHERE person_id = ANY($1::uuid[]) ORDER BY person_id, upstream`,
      [[...result.keys()]],
    );
    for (const row of rows) result.get(row.person_id)?.push(toLink(row));
    return result;
  }

  async link(personId: string, upstream: UpstreamName, accountId: string): Promise<LinkResult> {
    const id = v.personId(personId, ['personId']);
    v.upstream(upstream);
    v.accountId(accountId);
    for (let attempt = 1; ; attempt++) {
      let inserted: LinkRow | undefined;
      try {
        const { rows } = await this.query<LinkRow>(
          `INSERT INTO account_links (person_id, upstream, account_id, linked_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING ${LINK_COLUMNS}`,
          [id, upstream, accountId, new Date()],
        );
        inserted = rows[0];
      } catch (err) {
        if (sqlState(err) === FOREIGN_KEY_VIOLATION) throw v.notFound(id);
        throw err;
      }
      if (inserted) return { status: 'LINKED', link: toLink(inserted) };
      const { rows } = await this.query<LinkRow>(
        `SELECT ${LINK_COLUMNS} FROM account_links WHERE (person_id = $1 AND upstream = $2) OR (upstream = $2 AND account_id = $3)`,
        [id, upstream, accountId],
      );
      const mine = rows.find((r) => r.person_id === id);
      if (mine) {
        return mine.account_id === accountId
          ? { status: 'ALREADY_LINKED', link: toLink(mine) }
          : { status: 'CONFLICT', kind: 'PERSON_HAS_OTHER_ACCOUNT', existing: toLink(mine) };
      }
      const theirs = rows.find((r) => r.account_id === accountId);
      if (theirs) return { status: 'CONFLICT', kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON', existing: toLink(theirs) };
      // The link in the way was removed between the two statements: try the insert again.
      if (attempt === RACE_ATTEMPTS) {
        throw new Error(`Registry: linking ${upstream} account ${accountId} kept racing with concurrent unlinks; giving up`);
      }
    }
  }

  async unlink(personId: string, upstream: UpstreamName): Promise<AccountLink | null> {
    const id = v.personId(personId, ['personId']);
    v.upstream(upstream);
    const { rows } = await this.query<LinkRow>(
      `DELETE FROM account_links WHERE person_id = $1 AND upstream = $2 RETURNING ${LINK_COLUMNS}`,
      [id, upstream],
    );
    return rows[0] ? toLink(rows[0]) : null;
  }

  async personByAccount(upstream: UpstreamName, accountId: string): Promise<Person | null> {
    v.upstream(upstream);
    v.accountId(accountId);
    const { rows } = await this.query<PersonRow>(
      `SELECT p.id, p.email, p.created_at, p.updated_at FROM account_links a JOIN people p ON p.id = a.person_id
       WHERE a.upstream = $1 AND a.account_id = $2`,
      [upstream, accountId],
    );
    return rows[0] ? toPerson(rows[0]) : null;
  }

  async updateEmail(personId: string, email: string): Promise<Person> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    const key = v.emailKey(email);
    try {
      return await this.reservationTransaction('shared', async (q) => {
        const reserved = await q<{ person_id: string }>('SELECT person_id FROM email_reservations WHERE email_key = $1 AND expires_at > now()', [key]);
        if (reserved.rows.some((r) => r.person_id !== id)) throw v.emailReserved(email);
        const { rows } = await q<PersonRow>(
          `UPDATE people SET email = $1, email_key = $2, updated_at = $3 WHERE id = $4 RETURNING ${PERSON_COLUMNS}`,
          [email, key, new Date(), id],
        );
        if (!rows[0]) throw v.notFound(id);
        // The change is committed: its reservation has done its work.
        await q('DELETE FROM email_reservations WHERE email_key = $1 AND person_id = $2', [key, id]);
        return toPerson(rows[0]);
      });
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw v.emailTaken(email);
      throw err;
    }
  }

  async reserveEmail(personId: string, email: string, ttlMs: number): Promise<void> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    const ttl = v.ttlMs(ttlMs);
    const key = v.emailKey(email);
    await this.reservationTransaction('exclusive', async (q) => {
      const owner = await q<{ id: string }>('SELECT id FROM people WHERE email_key = $1', [key]);
      if (owner.rows[0]?.id === id) return;
      if (owner.rows[0]) throw v.emailTaken(email);
      const exists = await q('SELECT 1 FROM people WHERE id = $1', [id]);
      if (exists.rows.length === 0) throw v.notFound(id);
      const taken = await q(
        `INSERT INTO email_reservations (email_key, email, person_id, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
         ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, person_id = excluded.person_id, expires_at = excluded.expires_at
         WHERE email_reservations.person_id = excluded.person_id OR email_reservations.expires_at <= now()
         RETURNING person_id`,
        [key, email, id, ttl],
      );
      if (taken.rows.length === 0) throw v.emailReserved(email);
    });
  }

  async releaseEmail(personId: string, email: string): Promise<void> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    await this.query('DELETE FROM email_reservations WHERE email_key = $1 AND person_id = $2', [v.emailKey(email), id]);
  }

  async deletePerson(id: string): Promise<boolean> {
    const key = v.personId(id);
    const { rowCount } = await this.query('DELETE FROM people WHERE id = $1', [key]);
    return (rowCount ?? 0) > 0;
  }

  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new GatewayError(ErrorCode.REGISTRY_UNAVAILABLE, `the registry did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async withLock<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const client = await this.lockPool.connect();
    let broken: Error | undefined;
    try {
      for (const key of sorted) {
        this.onQuery?.('SELECT pg_advisory_lock(hashtextextended($1, 0))');
        try {
          await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [this.lockNamespace + key]);
        } catch (err) {
          if (sqlState(err) === QUERY_CANCELED) {
            throw new GatewayError(ErrorCode.REGISTRY_UNAVAILABLE, `another change to this person did not finish within ${this.lockTimeoutMs} ms`, { cause: err });
          }
          throw err;
        }
      }
      return await fn();
    } finally {
      try {
        await client.query('SELECT pg_advisory_unlock_all()');
      } catch (err) {
        // The connection is gone, and its locks with it: never hand it out again.
        broken = err instanceof Error ? err : new Error(String(err));
      }
      client.release(broken);
    }
  }
}
