/**
 * The registry when its database misbehaves: every failure is REGISTRY_UNAVAILABLE (never a raw driver
 * error, never a hang), service comes back when the database does without reopening anything, and
 * `withLock` serializes a read-decide-write sequence across two registries on one database (two replicas).
 */
import net from 'node:net';
import { ErrorCode, GatewayError } from '../../src/errors';
import { openRegistry, type Registry } from '../../src/registry';
import {
  adminQuery,
  createTestDatabase,
  dropTestDatabase,
  probePostgres,
  reportPostgresUnreachable,
} from './postgresTarget';

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw new Error(`expected a GatewayError, but got ${String(err)}`);
  }
  throw new Error('expected a failure, but it succeeded');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the registry when the database does not answer', () => {
  it('gives up connecting to a server that accepts and never speaks within the connect timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      // Opening migrates first: the migration's connection must give up within the connect timeout.
      const started = Date.now();
      await expect(
        openRegistry({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/x`, pool: { connectTimeoutMs: 300 } }),
      ).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers REGISTRY_UNAVAILABLE on SQLite after it is closed underneath, and tells the failure listener', async () => {
    const failures: string[] = [];
    const registry = await openRegistry({ sqlitePath: ':memory:', onFailure: (method) => failures.push(method) });
    await registry.close();
    const err = await failure(registry.listPeople({ first: 1 }));
    expect(err.code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
    expect(err.message).not.toMatch(/sqlite|database connection/i);
    expect(failures).toEqual(['listPeople']);
  });

  it('keeps its own answers (BAD_USER_INPUT, CONFLICT) as they are', async () => {
    const registry = await openRegistry({ sqlitePath: ':memory:' });
    try {
      expect((await failure(registry.getPeople(['not-a-uuid']))).code).toBe(ErrorCode.BAD_USER_INPUT);
      await registry.createPerson('taken@example.com');
      expect((await failure(registry.createPerson('TAKEN@example.com'))).code).toBe(ErrorCode.CONFLICT);
    } finally {
      await registry.close();
    }
  });

  it('serializes withLock on SQLite within the process and passes what the work throws through unchanged', async () => {
    const registry = await openRegistry({ sqlitePath: ':memory:' });
    try {
      const events: string[] = [];
      await Promise.all(
        ['1', '2'].map((n) =>
          registry.withLock(['same@example.com'], async () => {
            events.push(`${n} in`);
            await sleep(20);
            events.push(`${n} out`);
          }),
        ),
      );
      expect(events).toEqual(['1 in', '1 out', '2 in', '2 out']);
      const bug = new TypeError('a bug in the caller');
      await expect(registry.withLock(['k'], async () => Promise.reject(bug))).rejects.toBe(bug);
    } finally {
      await registry.close();
    }
  });
});

const reachability = probePostgres();
if (!reachability.ok) {
  reportPostgresUnreachable('registry availability', reachability.reason);
} else {
  describe('the PostgreSQL registry when its database refuses connections', () => {
    let db: { name: string; url: string };
    const registries: Registry[] = [];
    const open = async (): Promise<Registry> => {
      const r = await openRegistry({ databaseUrl: db.url, pool: { connectTimeoutMs: 1000, queryTimeoutMs: 2000, lockTimeoutMs: 1500 } });
      registries.push(r);
      return r;
    };

    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await Promise.all(registries.map((r) => r.close().catch(() => undefined)));
      await adminQuery(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await dropTestDatabase(db.name);
    });

    it('fails fast with REGISTRY_UNAVAILABLE while refused, and serves again when the database returns, without reopening', async () => {
      const failures: unknown[] = [];
      const registry = await openRegistry({ databaseUrl: db.url, pool: { connectTimeoutMs: 1000, queryTimeoutMs: 2000 }, onFailure: (_m, cause) => failures.push(cause) });
      registries.push(registry);
      await registry.createPerson('before@example.com');
      await registry.ping(1000);

      await adminQuery(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`);
      try {
        let started = Date.now();
        expect((await failure(registry.ping(1000))).code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
        expect(Date.now() - started).toBeLessThan(2500);
        started = Date.now();
        const err = await failure(registry.listPeople({ first: 5 }));
        expect(err.code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
        expect(err.message).not.toContain(db.name);
        expect(err.message).not.toContain('127.0.0.1');
        expect(Date.now() - started).toBeLessThan(2500);
        expect(failures.length).toBeGreaterThan(0);
      } finally {
        await adminQuery(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
      }
      // The pool replaces its dead connections by itself.
      let answered = false;
      for (let i = 0; i < 20 && !answered; i++) {
        answered = await registry.ping(1000).then(() => true, () => false);
        if (!answered) await sleep(100);
      }
      expect(answered).toBe(true);
      expect((await registry.listPeople({ first: 5 })).people.map((p) => p.email)).toEqual(['before@example.com']);
    }, 30_000);

    it('serializes withLock across two registries on one database, as two replicas would', async () => {
      const [a, b] = [await open(), await open()];
      const events: string[] = [];
      const work = (r: Registry, n: string) =>
        r.withLock(['Person@Example.com'.toLowerCase()], async () => {
          events.push(`${n} in`);
          await sleep(150);
          events.push(`${n} out`);
        });
      await Promise.all([work(a, 'a'), work(b, 'b')]);
      expect(events.slice(0, 2)).toEqual([events[0], events[0]!.replace('in', 'out')]);
      expect(events).toHaveLength(4);
    }, 15_000);

    it('answers REGISTRY_UNAVAILABLE when another replica holds the lock past the lock timeout', async () => {
      const [a, b] = [await open(), await open()];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const holder = a.withLock(['slow'], async () => {
        entered();
        await held;
      });
      await inside;
      const started = Date.now();
      const err = await failure(b.withLock(['slow'], async () => 'never'));
      expect(err.code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(5000);
      release();
      await holder;
      // Released: the other replica gets it now.
      await expect(b.withLock(['slow'], async () => 'mine')).resolves.toBe('mine');
    }, 15_000);
  });
}
