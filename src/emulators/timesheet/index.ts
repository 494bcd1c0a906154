/**
 * The timesheet emulator: the Freckle API v2 user endpoints (seed document 004, 2014 variant) under
 * the real base path `/v2`, seeded from the demo population. See README.md beside this file for who is
 * seeded how, and openapi.ts for exactly what is served.
 */
import type http from 'node:http';
import { BASE_PATHS, DEV_TOKENS } from '../../contracts/dev-defaults';
import { createEmulator, type AuthResult, type Emulator } from '../kit';
import type { Population } from '../population';
import { copyTimesheetData, seedTimesheetData } from './data';
import { timesheetOpenApi } from './openapi';
import { missingUserAgent, timesheetErrors } from './responses';
import { timesheetRoutes, type Caller, type TimesheetState } from './routes';

export interface TimesheetEmulatorOptions {
  population: Population;
  /** The personal access token accepted. Default `DEV_TOKENS.timesheet`. */
  token?: string;
  /** Active plus pending users the account may hold before `POST /users/` answers `reached_user_limit`. Default 500. */
  userLimit?: number;
  /** Clock for timestamps of writes. Default `Date.now`. */
  now?: () => number;
}

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Every request needs a User-Agent (checked first: the documented rejection is a 400) and the personal
 * access token, in the `X-FreckleToken` header or the `access_token` query parameter (header first).
 */
export function authenticateTimesheet(token: string) {
  return (headers: http.IncomingHttpHeaders, query: URLSearchParams): AuthResult<Caller> => {
    if (!header(headers, 'user-agent')?.trim()) return { ok: false, response: missingUserAgent() };
    const given = header(headers, 'x-freckletoken') ?? query.get('access_token') ?? undefined;
    if (!given) return { ok: false, response: timesheetErrors.unauthorized('missing') };
    if (given !== token) return { ok: false, response: timesheetErrors.unauthorized('invalid') };
    return { ok: true, caller: { token: given } };
  };
}

export function createTimesheetEmulator(options: TimesheetEmulatorOptions): Emulator {
  const seeded = seedTimesheetData(options.population);
  const state: TimesheetState = { data: copyTimesheetData(seeded) };
  return createEmulator<Caller>({
    name: 'timesheet',
    basePath: BASE_PATHS.timesheet,
    authenticate: authenticateTimesheet(options.token ?? DEV_TOKENS.timesheet),
    errors: timesheetErrors,
    routes: timesheetRoutes(state, { userLimit: options.userLimit ?? 500, now: options.now ?? Date.now }),
    resetData() {
      state.data = copyTimesheetData(seeded);
    },
    openapi: timesheetOpenApi,
  });
}
