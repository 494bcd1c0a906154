/**
 * The identity (MarketTrack "1MT Authentication API" v1) emulator: the users of the seed document under
 * `/api/v1`, in the snake_case revision 327eb9b plus DELETE, seeded from the demo population. What it
 * serves is described by `openapi.ts`; who is seeded with what by README.md beside this file.
 */
import { randomUUID } from 'node:crypto';
import { BASE_PATHS, DEV_TOKENS } from '../../contracts/dev-defaults';
import { createEmulator, type Emulator, type RequestContext, type Route } from '../kit';
import type { Population } from '../population';
import { authenticateIdentity, type IdentityCaller } from './headers';
import { identityOpenApi } from './openapi';
import { failure, identityErrors, MAX_BODY_BYTES, success, userAnswer, userNotFound, validationFailed } from './responses';
import { createIdentityStore } from './store';
import { validateCreateUser, validateUpdateUser } from './validate';

export interface IdentityEmulatorOptions {
  population: Population;
  /** The one accepted access token. Default `DEV_TOKENS.identity`. */
  token?: string;
  /** The clock for `created_at`/`updated_at` of writes. Default `Date.now`. */
  now?: () => number;
}

/** A client request id that is echoed: 1–200 visible ASCII characters; any other is replaced by a new UUID [I]. */
const ECHOED_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export function createIdentityEmulator(options: IdentityEmulatorOptions): Emulator {
  const token = options.token ?? DEV_TOKENS.identity;
  const store = createIdentityStore({ population: options.population, now: options.now });

  const identifier = (ctx: RequestContext<IdentityCaller>): string => ctx.params.identifier ?? '';

  const routes: Route<IdentityCaller>[] = [
    {
      method: 'GET',
      path: '/',
      handler: () => success(200, 'Hello from 1MT resource server'),
    },
    {
      method: 'POST',
      path: '/users',
      handler: (ctx) => {
        const input = validateCreateUser(ctx.body);
        if (!input.ok) return validationFailed(input.fields);
        const result = store.create(input.value);
        if (!result.ok) {
          return result.conflict === 'email'
            ? failure(409, `User already exists: ${input.value.email}`)
            : failure(409, `Account already exists: ${input.value.accountIdentifier ?? ''}`);
        }
        return userAnswer(201, `User created: ${result.user.id}`, result.user);
      },
    },
    {
      method: 'GET',
      path: '/users/:identifier',
      handler: (ctx) => {
        const user = store.find(identifier(ctx));
        return user ? userAnswer(200, `User found: ${identifier(ctx)}`, user) : userNotFound(identifier(ctx));
      },
    },
    {
      method: 'PATCH',
      path: '/users/:identifier',
      handler: (ctx) => {
        // The body is validated before the user is looked up, as the API's RAML layer runs before its
        // handlers [I]: a bad body for an unknown user answers 422, not 404.
        const input = validateUpdateUser(ctx.body);
        if (!input.ok) return validationFailed(input.fields);
        const user = store.update(identifier(ctx), input.value);
        return user ? userAnswer(200, `User updated: ${identifier(ctx)}`, user) : userNotFound(identifier(ctx));
      },
    },
    {
      method: 'DELETE',
      path: '/users/:identifier',
      handler: (ctx) => {
        const user = store.find(identifier(ctx));
        if (!user) return userNotFound(identifier(ctx));
        const result = store.remove(identifier(ctx));
        if (!result) return userNotFound(identifier(ctx));
        if (!result.ok) return failure(409, `User is subscribed to other platforms: ${identifier(ctx)}`);
        return success(200, `User deleted: ${user.id}`);
      },
    },
  ];

  const emulator = createEmulator<IdentityCaller>({
    name: 'identity',
    basePath: BASE_PATHS.identity,
    authenticate: (headers) => authenticateIdentity(headers, token),
    errors: identityErrors,
    routes,
    resetData: () => store.reset(),
    openapi: identityOpenApi,
    maxBodyBytes: MAX_BODY_BYTES,
  });

  // Documented: every response carries X-Request-Id, echoing the client's or a new UUID. Set before the
  // kit handles the request, so its own answers (404, 405, faults) carry it too; writeHead merges it.
  emulator.server.prependListener('request', (req, res) => {
    const given = req.headers['x-request-id'];
    res.setHeader('x-request-id', typeof given === 'string' && ECHOED_REQUEST_ID.test(given) ? given : randomUUID());
  });

  return emulator;
}
