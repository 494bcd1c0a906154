/**
 * Every registry failure a caller sees is REGISTRY_UNAVAILABLE (DESIGN.md "Errors"): a refused or dropped
 * connection, a timed-out statement, a locked SQLite file. The cause goes to `onFailure` (the log), never
 * to the client. The registry's own answers (BAD_USER_INPUT, NOT_FOUND, CONFLICT) pass through unchanged.
 */
import { ErrorCode, GatewayError } from '../errors';
import type { Registry } from './types';

export type RegistryFailureListener = (method: string, cause: unknown) => void;
/** Told of every registry call: its method, how long it took and whether it failed (metrics). */
export type RegistryCallListener = (method: string, seconds: number, ok: boolean) => void;

function registryUnavailable(cause: unknown): GatewayError {
  return new GatewayError(ErrorCode.REGISTRY_UNAVAILABLE, 'The registry is not answering; try again shortly.', { cause });
}

export function guardRegistry(inner: Registry, onFailure: RegistryFailureListener = () => undefined, onCall?: RegistryCallListener): Registry {
  const unavailable = (method: string, err: unknown): unknown => {
    if (err instanceof GatewayError && err.code !== ErrorCode.REGISTRY_UNAVAILABLE) return err;
    onFailure(method, err instanceof GatewayError && err.cause !== undefined ? err.cause : err);
    return err instanceof GatewayError ? err : registryUnavailable(err);
  };
  const guard =
    <A extends unknown[], R>(method: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = onCall ? performance.now() : 0;
      let ok = false;
      try {
        const result = await fn.apply(inner, args);
        ok = true;
        return result;
      } catch (err) {
        throw unavailable(method, err);
      } finally {
        onCall?.(method, (performance.now() - started) / 1000, ok);
      }
    };
  return {
    dialect: inner.dialect,
    migrate: guard('migrate', inner.migrate),
    close: guard('close', inner.close),
    createPerson: guard('createPerson', inner.createPerson),
    findOrCreatePeopleByEmail: guard('findOrCreatePeopleByEmail', inner.findOrCreatePeopleByEmail),
    getPeople: guard('getPeople', inner.getPeople),
    getPeopleByEmail: guard('getPeopleByEmail', inner.getPeopleByEmail),
    listPeople: guard('listPeople', inner.listPeople),
    linksFor: guard('linksFor', inner.linksFor),
    link: guard('link', inner.link),
    unlink: guard('unlink', inner.unlink),
    personByAccount: guard('personByAccount', inner.personByAccount),
    updateEmail: guard('updateEmail', inner.updateEmail),
    reserveEmail: guard('reserveEmail', inner.reserveEmail),
    releaseEmail: guard('releaseEmail', inner.releaseEmail),
    deletePerson: guard('deletePerson', inner.deletePerson),
    ping: guard('ping', inner.ping),
    // The lock's own failures are the registry's; what `fn` throws is the caller's and passes through.
    withLock: async <T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> => {
      let thrownByFn: { err: unknown } | undefined;
      try {
        return await inner.withLock(keys, async () => {
          try {
            return await fn();
          } catch (err) {
            thrownByFn = { err };
            throw err;
          }
        });
      } catch (err) {
        if (thrownByFn && thrownByFn.err === err) throw err;
        throw unavailable('withLock', err);
      }
    },
  };
}
