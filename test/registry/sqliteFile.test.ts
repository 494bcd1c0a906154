/** The embedded default: a SQLite file created with its directory on first start, in WAL mode, kept across restarts. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openRegistry } from '../../src/registry';

describe('a file-backed SQLite registry', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usergraph-registry-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates its file under a directory that did not exist, and keeps people and links across a reopen', async () => {
    const file = path.join(dir, 'fresh', 'nested', 'usergraph.db');
    const first = await openRegistry({ sqlitePath: file });
    const person = await first.createPerson('Kept@example.com');
    await first.link(person.id, 'timesheet', '12');
    await first.close();
    expect(fs.existsSync(file)).toBe(true);

    const second = await openRegistry({ sqlitePath: file });
    try {
      expect(await second.getPeopleByEmail(['kept@example.com'])).toEqual([person]);
      expect(await second.personByAccount('timesheet', '12')).toEqual(person);
      // Reopening migrated nothing twice and the uniqueness still holds.
      expect((await second.link(person.id, 'timesheet', '13')).status).toBe('CONFLICT');
    } finally {
      await second.close();
    }
  });

  it('runs in WAL mode so readers are not blocked by a writer', async () => {
    const file = path.join(dir, 'wal.db');
    const registry = await openRegistry({ sqlitePath: file });
    try {
      const probe = new Database(file, { readonly: true });
      try {
        expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        probe.close();
      }
    } finally {
      await registry.close();
    }
  });

  it('lets two registries on one file see each other’s writes', async () => {
    const file = path.join(dir, 'shared.db');
    const [a, b] = [await openRegistry({ sqlitePath: file }), await openRegistry({ sqlitePath: file })];
    try {
      const [fromA] = await a.findOrCreatePeopleByEmail(['both@example.com']);
      const [fromB] = await b.findOrCreatePeopleByEmail(['BOTH@example.com']);
      expect(fromA.created).toBe(true);
      expect(fromB).toEqual({ person: fromA.person, created: false });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
