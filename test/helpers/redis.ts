/**
 * Tests against the machine's Redis (127.0.0.1:6379, or REDIS_URL), each under a key prefix of its own that
 * is deleted afterwards, so test files and replicas sharing the server never see each other's keys.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** A prefix no other test uses: `usergraph-test:<uuid>:<kind>`. */
export function freshPrefix(kind = ''): string {
  return `usergraph-test:${randomUUID()}:${kind}`;
}

/** Deletes every key under `prefix` (with `admin` when given, else over a connection of its own). */
export async function deletePrefix(prefix: string, admin?: Redis): Promise<void> {
  const client = admin ?? new Redis(TEST_REDIS_URL);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
  } finally {
    if (!admin) await client.quit();
  }
}

/**
 * For a describe block whose tests each open stores under a fresh prefix: before each test a new prefix and
 * an admin connection (to look at the keys); after it, every tracked store closed and the prefix's keys
 * deleted.
 */
export function redisPerTest<S extends { close(): Promise<void> }>(kind: string): { readonly prefix: string; readonly admin: Redis; track(store: S): S } {
  let prefix = '';
  let admin: Redis | undefined;
  const stores: S[] = [];
  beforeEach(() => {
    prefix = freshPrefix(kind);
    admin = new Redis(TEST_REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await deletePrefix(prefix, admin);
    await admin?.quit();
  });
  return {
    get prefix() {
      return prefix;
    },
    get admin() {
      if (!admin) throw new Error('redisPerTest: the admin connection exists only inside a test');
      return admin;
    },
    track(store) {
      stores.push(store);
      return store;
    },
  };
}
