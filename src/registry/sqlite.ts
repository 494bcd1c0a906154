/**
 * The embedded registry backend (the default): SQLite through better-sqlite3, a file under `./data/` in
 * WAL mode, or `:memory:` in tests. better-sqlite3 is synchronous, so every method runs to completion
 * without interleaving; the async signatures are the shared `Registry` contract.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { UpstreamName } from '../errors';
import { KeyedLock } from '../lib/keyed-lock';
import { migrateSqlite } from './migrations';
import type { AccountLink, FoundOrCreated, LinkResult, ListPeopleArgs, PeoplePage, Person, Registry } from './types';
import * as v from './validate';

export interface SqliteRegistryOptions {
  /** A file path (its directory is created) or `:memory:`. */
  path: string;
  /** How long a write waits for another process's lock before failing, in ms. */
  busyTimeoutMs?: number;
  /** Called with every SQL statement run (after migrations are set up too), for debug logs and query counts. */
  onQuery?: (sql: string) => void;
}

interface PersonRow {
  id: string;
  email: string;
  created_at: number;
  updated_at: number;
}

interface LinkRow {
  person_id: string;
  upstream: string;
  account_id: string;
  linked_at: number;
}

const PERSON_COLUMNS = 'id, email, created_at, updated_at';

function toPerson(row: PersonRow): Person {
  return { id: row.id, email: row.email, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
}

function toLink(row: LinkRow): AccountLink {
  return { personId: row.person_id, upstream: v.upstream(row.upstream), accountId: row.account_id, linkedAt: new Date(row.linked_at) };
}

/**
 * Reads the error's code without `instanceof Error`: better-sqlite3 is a native module loaded once per
 * process, so its error class may come from another realm (jest's per-file contexts do this).
 */
function isUniqueViolation(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class SqliteRegistry implements Registry {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  /**
   * Prepared statements by SQL text. Preparing costs more than running a small query, and every request
   * runs the same few statements; batched reads vary only in their number of placeholders. Bounded so a
   * stream of odd batch sizes cannot grow it without limit.
   */
  private readonly statements = new Map<string, Database.Statement>();
  /** SQLite serves one process: its write sequences are serialized here (DESIGN.md "Health, replicas"). */
  private readonly locks = new KeyedLock();

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  constructor(options: SqliteRegistryOptions) {
    const memory = options.path === ':memory:';
    if (!memory) fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    const onQuery = options.onQuery;
    this.db = new Database(options.path, onQuery ? { verbose: (sql) => onQuery(String(sql)) } : {});
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    // Foreign keys are off by default in SQLite; they make deleting a person take their links along.
    this.db.pragma('foreign_keys = ON');
    if (!memory) {
      // WAL lets readers (every request) proceed while a writer (linking) commits.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async createPerson(email: string, id?: string): Promise<Person> {
    v.email(email);
    const personId = id === undefined ? randomUUID() : v.personId(id);
    const now = Date.now();
    if (this.reservedBy(v.emailKey(email), now) !== undefined) throw v.emailReserved(email);
    try {
      const row = this.stmt(`INSERT INTO people (id, email, email_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING ${PERSON_COLUMNS}`)
        .get(personId, email, v.emailKey(email), now, now) as PersonRow;
      return toPerson(row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const byId = this.stmt('SELECT 1 FROM people WHERE id = ?').get(personId);
      throw byId ? v.idTaken(personId) : v.emailTaken(email);
    }
  }

  async findOrCreatePeopleByEmail(emails: readonly string[]): Promise<FoundOrCreated[]> {
    v.emails(emails);
    if (emails.length === 0) return [];
    const firstByKey = new Map<string, string>();
    for (const e of emails) if (!firstByKey.has(v.emailKey(e))) firstByKey.set(v.emailKey(e), e);
    const run = this.db.transaction((): Map<string, FoundOrCreated> => {
      const now = Date.now();
      const insert = this.stmt(
        'INSERT INTO people (id, email, email_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING RETURNING id',
      );
      const created = new Set<string>();
      // An email reserved by a person changing to it is that person's: nobody is created for it.
      const reserved = new Map<string, string>();
      for (const [key, address] of firstByKey) {
        const holder = this.reservedBy(key, now);
        if (holder !== undefined) {
          reserved.set(key, holder);
          continue;
        }
        const row = insert.get(randomUUID(), address, key, now, now) as { id: string } | undefined;
        if (row) created.add(row.id);
      }
      const rows = this.stmt(`SELECT ${PERSON_COLUMNS}, email_key FROM people WHERE email_key IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify([...firstByKey.keys()])) as (PersonRow & { email_key: string })[];
      const byKey = new Map(rows.map((r) => [r.email_key, { person: toPerson(r), created: created.has(r.id) }]));
      for (const [key, personId] of reserved) {
        const row = this.stmt(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = ?`).get(personId) as PersonRow | undefined;
        if (row && !byKey.has(key)) byKey.set(key, { person: toPerson(row), created: false });
      }
      return byKey;
    });
    // IMMEDIATE: take the write lock first, so another process cannot insert between our insert and read.
    const byKey = run.immediate();
    return emails.map((e) => {
      const slot = byKey.get(v.emailKey(e));
      if (!slot) throw new Error(`Registry invariant broken: ${e} was neither found nor created`);
      return slot;
    });
  }

  async getPeople(ids: readonly string[]): Promise<(Person | null)[]> {
    const keys = v.personIds(ids);
    if (keys.length === 0) return [];
    // One key, the usual case (a request about one person): a plain index lookup, no JSON array.
    if (keys.length === 1) {
      const row = this.stmt(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = ?`).get(keys[0]) as PersonRow | undefined;
      return [row ? toPerson(row) : null];
    }
    const rows = this.stmt(`SELECT ${PERSON_COLUMNS} FROM people WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify([...new Set(keys)])) as PersonRow[];
    const byId = new Map(rows.map((r) => [r.id, toPerson(r)]));
    return keys.map((id) => byId.get(id) ?? null);
  }

  async getPeopleByEmail(emails: readonly string[]): Promise<(Person | null)[]> {
    const keys = v.emails(emails).map(v.emailKey);
    if (keys.length === 0) return [];
    if (keys.length === 1) {
      const row = this.stmt(`SELECT ${PERSON_COLUMNS} FROM people WHERE email_key = ?`).get(keys[0]) as PersonRow | undefined;
      return [row ? toPerson(row) : null];
    }
    const rows = this.stmt(`SELECT ${PERSON_COLUMNS}, email_key FROM people WHERE email_key IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify([...new Set(keys)])) as (PersonRow & { email_key: string })[];
    const byKey = new Map(rows.map((r) => [r.email_key, toPerson(r)]));
    return keys.map((k) => byKey.get(k) ?? null);
  }

  async listPeople(args: ListPeopleArgs): Promise<PeoplePage> {
    const window = v.pageWindow(args);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (args.emailEquals !== undefined) {
      where.push('email_key = ?');
      params.push(v.emailKey(args.emailEquals));
    }
    if (args.emailContains !== undefined) {
      where.push("email_key LIKE ? ESCAPE '\\'");
      params.push(v.likeContains(v.emailKey(args.emailContains)));
    }
    if (args.hasAccountIn !== undefined) {
      const upstreams = v.upstreamList(args.hasAccountIn);
      where.push('EXISTS (SELECT 1 FROM account_links a WHERE a.person_id = people.id AND a.upstream IN (SELECT value FROM json_each(?)))');
      params.push(JSON.stringify(upstreams));
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.stmt(`SELECT count(*) AS n FROM people ${filter}`).get(...params) as { n: number };
    const pageWhere = [...where];
    const pageParams = [...params];
    if (window.after) {
      pageWhere.push('(created_at, id) > (?, ?)');
      pageParams.push(window.after.createdAtMs, window.after.id);
    }
    if (window.before) {
      pageWhere.push('(created_at, id) < (?, ?)');
      pageParams.push(window.before.createdAtMs, window.before.id);
    }
    // Backward: the last people before `before`, read from the end and turned back into creation order.
    const order = window.direction === 'backward' ? 'created_at DESC, id DESC' : 'created_at, id';
    const rows = this.stmt(`SELECT ${PERSON_COLUMNS} FROM people ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`)
      .all(...pageParams, window.size + 1) as PersonRow[];
    return v.pageOf(window, rows.map(toPerson), total.n);
  }

  async linksFor(personIds: readonly string[]): Promise<Map<string, AccountLink[]>> {
    const keys = v.personIds(personIds, 'personIds');
    const result = new Map<string, AccountLink[]>(keys.map((id) => [id, []]));
    if (keys.length === 0) return result;
    if (result.size === 1) {
      const rows = this.stmt('SELECT person_id, upstream, account_id, linked_at FROM account_links WHERE person_id = ? ORDER BY upstream').all(keys[0]) as LinkRow[];
      result.set(keys[0]!, rows.map(toLink));
      return result;
    }
    const rows = this.stmt(
        'SELECT person_id, upstream, account_id, linked_at FROM account_links WHERE person_id IN (SELECT value FROM json_each(?)) ORDER BY person_id, upstream',
      )
      .all(JSON.stringify([...result.keys()])) as LinkRow[];
    for (const row of rows) result.get(row.person_id)?.push(toLink(row));
    return result;
  }

  async link(personId: string, upstream: UpstreamName, accountId: string): Promise<LinkResult> {
    const id = v.personId(personId, ['personId']);
    v.upstream(upstream);
    v.accountId(accountId);
    const run = this.db.transaction((): LinkResult => {
      if (!this.stmt('SELECT 1 FROM people WHERE id = ?').get(id)) throw v.notFound(id);
      const inserted = this.stmt(
          'INSERT INTO account_links (person_id, upstream, account_id, linked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING person_id, upstream, account_id, linked_at',
        )
        .get(id, upstream, accountId, Date.now()) as LinkRow | undefined;
      if (inserted) return { status: 'LINKED', link: toLink(inserted) };
      return this.explainRefusedLink(id, upstream, accountId);
    });
    return run.immediate();
  }

  /** Inside link's transaction: which existing link stopped the insert. */
  private explainRefusedLink(personId: string, upstream: UpstreamName, accountId: string): LinkResult {
    const select = 'SELECT person_id, upstream, account_id, linked_at FROM account_links WHERE';
    const mine = this.stmt(`${select} person_id = ? AND upstream = ?`).get(personId, upstream) as LinkRow | undefined;
    if (mine) {
      return mine.account_id === accountId
        ? { status: 'ALREADY_LINKED', link: toLink(mine) }
        : { status: 'CONFLICT', kind: 'PERSON_HAS_OTHER_ACCOUNT', existing: toLink(mine) };
    }
    const theirs = this.stmt(`${select} upstream = ? AND account_id = ?`).get(upstream, accountId) as LinkRow | undefined;
    if (theirs) return { status: 'CONFLICT', kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON', existing: toLink(theirs) };
    throw new Error(`Registry invariant broken: linking ${upstream} account ${accountId} was refused with no link in the way`);
  }

  async unlink(personId: string, upstream: UpstreamName): Promise<AccountLink | null> {
    const id = v.personId(personId, ['personId']);
    v.upstream(upstream);
    const row = this.stmt('DELETE FROM account_links WHERE person_id = ? AND upstream = ? RETURNING person_id, upstream, account_id, linked_at')
      .get(id, upstream) as LinkRow | undefined;
    return row ? toLink(row) : null;
  }

  async personByAccount(upstream: UpstreamName, accountId: string): Promise<Person | null> {
    v.upstream(upstream);
    v.accountId(accountId);
    const row = this.stmt(
        `SELECT p.id, p.email, p.created_at, p.updated_at FROM account_links a JOIN people p ON p.id = a.person_id WHERE a.upstream = ? AND a.account_id = ?`,
      )
      .get(upstream, accountId) as PersonRow | undefined;
    return row ? toPerson(row) : null;
  }

  async updateEmail(personId: string, email: string): Promise<Person> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    const key = v.emailKey(email);
    const run = this.db.transaction((): Person => {
      const now = Date.now();
      const holder = this.reservedBy(key, now);
      if (holder !== undefined && holder !== id) throw v.emailReserved(email);
      try {
        const row = this.stmt(`UPDATE people SET email = ?, email_key = ?, updated_at = ? WHERE id = ? RETURNING ${PERSON_COLUMNS}`)
          .get(email, key, now, id) as PersonRow | undefined;
        if (!row) throw v.notFound(id);
        // The change is committed: its reservation has done its work.
        this.stmt('DELETE FROM email_reservations WHERE email_key = ? AND person_id = ?').run(key, id);
        return toPerson(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw v.emailTaken(email);
        throw err;
      }
    });
    return run.immediate();
  }

  async reserveEmail(personId: string, email: string, ttlMs: number): Promise<void> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    const ttl = v.ttlMs(ttlMs);
    const key = v.emailKey(email);
    const run = this.db.transaction((): void => {
      const now = Date.now();
      const owner = this.stmt('SELECT id FROM people WHERE email_key = ?').get(key) as { id: string } | undefined;
      if (owner?.id === id) return;
      if (owner) throw v.emailTaken(email);
      if (!this.stmt('SELECT 1 FROM people WHERE id = ?').get(id)) throw v.notFound(id);
      const taken = this.stmt(
        `INSERT INTO email_reservations (email_key, email, person_id, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, person_id = excluded.person_id, expires_at = excluded.expires_at
         WHERE email_reservations.person_id = excluded.person_id OR email_reservations.expires_at <= ?
         RETURNING person_id`,
      ).get(key, email, id, now + ttl, now);
      if (!taken) throw v.emailReserved(email);
    });
    run.immediate();
  }

  async releaseEmail(personId: string, email: string): Promise<void> {
    const id = v.personId(personId, ['personId']);
    v.email(email);
    this.stmt('DELETE FROM email_reservations WHERE email_key = ? AND person_id = ?').run(v.emailKey(email), id);
  }

  /** The person holding a live reservation of the email key, if any. */
  private reservedBy(key: string, now: number): string | undefined {
    const row = this.stmt('SELECT person_id FROM email_reservations WHERE email_key = ? AND expires_at > ?').get(key, now) as { person_id: string } | undefined;
    return row?.person_id;
  }

  async deletePerson(id: string): Promise<boolean> {
    const key = v.personId(id);
    return this.stmt('DELETE FROM people WHERE id = ?').run(key).changes > 0;
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  withLock<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    return this.locks.run(keys, fn);
  }
}
