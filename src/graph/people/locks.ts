/**
 * The locks the people mutations hold around their read-decide-write sequences (DESIGN.md "Health,
 * replicas and shutdown"): writes to one person, and create-or-link for one email, run one at a time
 * across every replica (PostgreSQL advisory locks; an in-process lock on SQLite). Keys are
 * `person:<id>` and `email:<lower-cased email>`, so emails differing only in case share one lock.
 *
 * What was read before the lock is stale once it is held: `withPersonLocked` reads the person again
 * inside it, so a person deleted meanwhile is NOT_FOUND (nothing is written for them), and a person whose
 * email changed meanwhile is locked again under the new email.
 */
import { ErrorCode, GatewayError } from '../../errors';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';

export const personLockKey = (personId: string): string => `person:${personId}`;
export const emailLockKey = (email: string): string => `email:${email.toLowerCase()}`;

/** How often the lock is taken again when the person's email changed while we waited for it. */
const ATTEMPTS = 3;

/**
 * Runs `fn` holding the locks of the person and of their email (plus `emails`, say the new email of an
 * email change), with the person as the registry has them now.
 */
export async function withPersonLocked<T>(ctx: GraphContext, person: Person, emails: readonly string[], fn: (current: Person) => Promise<T>): Promise<T> {
  const { registry } = ctx.deps;
  let expected = person;
  for (let attempt = 1; ; attempt++) {
    const keys = [personLockKey(expected.id), emailLockKey(expected.email), ...emails.map(emailLockKey)];
    const result = await registry.withLock(keys, async (): Promise<{ done: T } | { moved: Person }> => {
      const [current] = await registry.getPeople([expected.id]);
      if (!current) {
        throw new GatewayError(ErrorCode.NOT_FOUND, `no person has the id ${expected.id} (deleted by a concurrent change)`, {
          fieldErrors: [{ path: ['id'], message: 'no person has this id' }],
        });
      }
      // The email lock we hold is the old email's: take the new one's before deciding anything.
      if (current.email.toLowerCase() !== expected.email.toLowerCase() && attempt < ATTEMPTS) return { moved: current };
      return { done: await fn(current) };
    });
    if ('done' in result) return result.done;
    expected = result.moved;
  }
}

/** Runs `fn` holding the lock of one email (create-or-link by email). */
export function withEmailLocked<T>(ctx: GraphContext, email: string, fn: () => Promise<T>): Promise<T> {
  return ctx.deps.registry.withLock([emailLockKey(email)], fn);
}
