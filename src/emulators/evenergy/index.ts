/**
 * The ev.energy API v2 emulator: the users endpoints of the seed document (000) under `/v2`, with the
 * documented status codes, problem+json errors, cursor pagination and headers
 * (upstream-contracts.md §1). Its data is seeded from the demo population (see data.ts and README.md);
 * request counting, faults and the `/__emulator/*` hooks come from the kit.
 */
import type http from 'node:http';
import { BASE_PATHS, DEV_TOKENS } from '../../contracts/dev-defaults';
import { asRecord, createEmulator, linkHeader, type Emulator, type EmulatorResponse, type RequestContext, type Route } from '../kit';
import { prefixedUlidFor, type Population } from '../population';
import {
  CURSOR_PATTERN,
  DEFAULT_PAGE_SIZE,
  MAX_BODY_BYTES,
  MAX_PAGE_SIZE,
  NOTIFICATION_GROUPS,
  RECEIVER_TYPES,
  USER_ID_PATTERN,
  cloneUser,
  emptyLocation,
  isoSeconds,
  seedUsers,
  withDerived,
  type PayoutRecord,
  type StoredLocation,
  type StoredUser,
} from './data';
import { evenergyOpenApi } from './openapi';
import {
  API_VERSION,
  PROBLEM_TYPES,
  evenergyErrors,
  forbiddenProblem,
  json,
  noContent,
  notAcceptableProblem,
  notFoundProblem,
  paginationProblem,
  unauthorizedProblem,
  unsupportedVersionProblem,
  validationProblem,
} from './problems';
export { DEFAULT_PAGE_SIZE, MAX_BODY_BYTES, MAX_PAGE_SIZE } from './data';
import { validateGroupsPatch, validatePayoutWrite, validateUserWrite } from './validation';

export interface EvenergyEmulatorOptions {
  population: Population;
  /** The service credential accepted as `Authorization: Bearer <token>`. Default `DEV_TOKENS.evenergy`. */
  token?: string;
}

export interface EvenergyEmulator extends Emulator {
  /**
   * Test hook: every payout method the user ever stored, including ones a DELETE unlinked (the API keeps
   * them, §1.3). Undefined for an unknown user id.
   */
  payoutRecords(userId: string): PayoutRecord[] | undefined;
}

/** Who the request acts for: the whole organisation, or one user named by `EvEnergy-User`. */
export interface EvenergyCaller {
  actingAs: string | null;
}


const ACCEPTABLE = ['*/*', 'application/*', 'application/json', 'application/problem+json'];

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** True when the `Accept` header allows JSON (an absent header allows anything). */
function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const refused = params.some((p) => /^q\s*=\s*0(\.0*)?$/.test(p));
    return !refused && type !== undefined && ACCEPTABLE.includes(type);
  });
}

/** `EvEnergy-User` names a user by id or by the user's URL (the docs say URL, the spec says id). */
function actingUserId(value: string): string | undefined {
  const trimmed = value.trim();
  if (USER_ID_PATTERN.test(trimmed)) return trimmed;
  let segments: string[];
  try {
    segments = new URL(trimmed).pathname.split('/').filter(Boolean);
  } catch {
    return undefined;
  }
  const last = segments[segments.length - 1];
  return last !== undefined && USER_ID_PATTERN.test(last) ? last : undefined;
}

function locationJson(location: StoredLocation, baseUrl: string, detail: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    address_1: location.address_1,
    address_2: location.address_2,
    postal_code: location.postal_code,
    country_code: location.country_code,
    city: location.city,
    state: location.state,
    coordinates: location.coordinates === null ? null : { ...location.coordinates },
    tariff: location.tariff === null ? null : `${baseUrl}/tariffs/${location.tariff}`,
    evse_site: location.evse_site,
  };
  if (detail) out.current_carbon_intensity_grams_per_kilowatt_hour = location.current_carbon_intensity_grams_per_kilowatt_hour;
  return out;
}

/** A user on the wire: lists send `Location`, single-user answers `LocationDetail`. */
function userJson(user: StoredUser, baseUrl: string, detail: boolean): Record<string, unknown> {
  return {
    id: user.id,
    url: `${baseUrl}/users/${user.id}`,
    email: user.email,
    full_name: user.full_name,
    joined_at: user.joined_at,
    terms_consent_datetime: user.terms_consent_datetime,
    default_location: locationJson(user.default_location, baseUrl, detail),
    vehicles: user.vehicles.map((v) => `${baseUrl}/vehicles/${v}`),
    evses: user.evses.map((e) => `${baseUrl}/evses/${e}`),
  };
}

function preferencesJson(user: StoredUser, baseUrl: string): Record<string, unknown> {
  const groups: Record<string, boolean> = {};
  for (const name of NOTIFICATION_GROUPS) groups[name] = user.groups[name];
  return { url: `${baseUrl}/users/${user.id}/notification_preferences`, groups };
}

function payoutJson(user: StoredUser, baseUrl: string): Record<string, unknown> {
  const url = `${baseUrl}/users/${user.id}/payout_method`;
  const record = user.preferred_payout === null ? undefined : user.payout_records[user.preferred_payout];
  if (!record) return { url, receiver: null, receiver_type: null, receiver_wallet: null };
  return { url, receiver: record.receiver, receiver_type: RECEIVER_TYPES[record.receiver_wallet], receiver_wallet: record.receiver_wallet };
}

/** First position in the sorted ids whose id is greater than (or, with `inclusive`, equal to) `id`. */
function lowerBound(ids: readonly string[], id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id || (!inclusive && ids[mid] === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Notification groups of a user created through the API [I]: service messages on, marketing off. */
function defaultGroups(): StoredUser['groups'] {
  return { charging_flow: true, charging_issues: true, charging_optimisation: true, deals_and_offers: false, power_supply_notifications: true };
}

export function createEvenergyEmulator(options: EvenergyEmulatorOptions): EvenergyEmulator {
  const { population } = options;
  const token = options.token ?? DEV_TOKENS.evenergy;
  const seeded = seedUsers(population).map((s) => s.user);

  // Users by id, and their ids in ascending order: the list order and what cursors compare against.
  let users = new Map<string, StoredUser>();
  let sortedIds: string[] = [];
  let lastCreatedMs = 0;
  let createdCount = 0;

  const resetData = (): void => {
    users = new Map(seeded.map((u) => [u.id, cloneUser(u)]));
    sortedIds = [...users.keys()].sort();
  };
  resetData();

  /**
   * A fresh id in the documented format. Its time part is later than every seeded id (seeded accounts
   * joined before EPOCH_MS) and strictly increasing, so new users list last and never collide.
   */
  const newUserId = (): string => {
    for (;;) {
      lastCreatedMs = Math.max(Date.now(), lastCreatedMs + 1);
      const id = prefixedUlidFor('user', `evenergy:created:${population.seed}:${createdCount++}`, lastCreatedMs);
      if (!users.has(id)) return id;
    }
  };

  const emailTaken = (email: string, exceptId?: string): boolean => {
    // Django's unique email is case-sensitive: person 42's upper-cased second account exists for that reason.
    for (const user of users.values()) if (user.email === email && user.id !== exceptId) return true;
    return false;
  };

  const authenticate = (headers: http.IncomingHttpHeaders): { ok: true; caller: EvenergyCaller } | { ok: false; response: EmulatorResponse } => {
    // Django REST framework's order: content negotiation, then version, then authentication, then permissions.
    if (!acceptsJson(single(headers.accept))) return { ok: false, response: notAcceptableProblem() };
    const version = single(headers['evenergy-version']);
    if (version !== undefined && version.trim() !== API_VERSION) return { ok: false, response: unsupportedVersionProblem(version.trim()) };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(single(headers.authorization) ?? '');
    if (!match || match[1] !== token) return { ok: false, response: unauthorizedProblem() };
    const acting = single(headers['evenergy-user']);
    if (acting === undefined || acting.trim() === '') return { ok: true, caller: { actingAs: null } };
    const id = actingUserId(acting);
    // The token may act only for users that exist in its organisation.
    if (id === undefined || !users.has(id)) return { ok: false, response: forbiddenProblem() };
    return { ok: true, caller: { actingAs: id } };
  };

  /** The user a `:user_id` path names, if the caller may see it (`me` is the `EvEnergy-User`). */
  const resolveUser = (ctx: RequestContext<EvenergyCaller>): StoredUser | undefined => {
    const raw = ctx.params.user_id ?? '';
    const acting = ctx.auth.actingAs;
    if (raw === 'me') return acting === null ? undefined : users.get(acting);
    if (!USER_ID_PATTERN.test(raw)) return undefined;
    if (acting !== null && raw !== acting) return undefined;
    return users.get(raw);
  };

  const withUser = (handler: (user: StoredUser, ctx: RequestContext<EvenergyCaller>) => EmulatorResponse) => (ctx: RequestContext<EvenergyCaller>): EmulatorResponse => {
    const user = resolveUser(ctx);
    return user ? handler(user, ctx) : notFoundProblem();
  };

  const listUsers = (ctx: RequestContext<EvenergyCaller>): EmulatorResponse => {
    const { query } = ctx;
    const sizeParam = query.get('page_size');
    let pageSize = DEFAULT_PAGE_SIZE;
    if (sizeParam !== null) {
      if (!/^\d{1,3}$/.test(sizeParam)) return paginationProblem('page_size');
      pageSize = Number(sizeParam);
      if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) return paginationProblem('page_size');
    }
    const after = query.get('page_after');
    const before = query.get('page_before');
    if (after !== null && !CURSOR_PATTERN.test(after)) return paginationProblem('page_after');
    if (before !== null && !CURSOR_PATTERN.test(before)) return paginationProblem('page_before');
    // One cursor direction at a time: both at once has no defined page.
    if (after !== null && before !== null) return paginationProblem('page_before');

    const email = query.get('email');
    const wanted = email === null || email === '' ? undefined : email.toLowerCase();
    const visible = ctx.auth.actingAs === null ? sortedIds : sortedIds.filter((id) => id === ctx.auth.actingAs);
    const ids = wanted === undefined ? visible : visible.filter((id) => users.get(id)?.email?.toLowerCase() === wanted);

    let start: number;
    let end: number;
    if (after !== null) {
      start = lowerBound(ids, after, false);
      end = Math.min(ids.length, start + pageSize);
    } else if (before !== null) {
      end = lowerBound(ids, before, true);
      start = Math.max(0, end - pageSize);
    } else {
      start = 0;
      end = Math.min(ids.length, pageSize);
    }
    const page = ids.slice(start, end);

    const linkTo = (cursor: 'page_after' | 'page_before', id: string): string => {
      const params = new URLSearchParams();
      if (wanted !== undefined && email !== null) params.set('email', email);
      params.set('page_size', String(pageSize));
      params.set(cursor, id);
      return `${ctx.baseUrl}/users?${params.toString()}`;
    };
    const link = linkHeader({
      previous: start > 0 && page.length > 0 ? linkTo('page_before', page[0]!) : undefined,
      next: end < ids.length && page.length > 0 ? linkTo('page_after', page[page.length - 1]!) : undefined,
    });
    const body = page.map((id) => userJson(users.get(id)!, ctx.baseUrl, false));
    return json(200, body, link === undefined ? {} : { link });
  };

  const createUser = (ctx: RequestContext<EvenergyCaller>): EmulatorResponse => {
    // A token acting as one user cannot create others.
    if (ctx.auth.actingAs !== null) return forbiddenProblem();
    const result = validateUserWrite(asRecord(ctx.body), emptyLocation());
    if (!result.ok) return validationProblem(PROBLEM_TYPES.createUser, result.errors);
    const { email, default_location } = result.value;
    if (email !== undefined && emailTaken(email)) return validationProblem(PROBLEM_TYPES.createUser, { email: ['user with this email already exists.'] });
    const id = newUserId();
    const user: StoredUser = {
      id,
      email: email ?? null,
      full_name: '',
      joined_at: isoSeconds(lastCreatedMs),
      terms_consent_datetime: null,
      default_location: withDerived(default_location ?? emptyLocation()),
      vehicles: [],
      evses: [],
      groups: defaultGroups(),
      billing_account: null,
      payout_records: [],
      preferred_payout: null,
    };
    users.set(id, user);
    sortedIds.splice(lowerBound(sortedIds, id, true), 0, id);
    return json(201, userJson(user, ctx.baseUrl, true));
  };

  const updateUser = withUser((user, ctx) => {
    const result = validateUserWrite(asRecord(ctx.body), user.default_location);
    if (!result.ok) return validationProblem(PROBLEM_TYPES.updateUser, result.errors);
    const { email, default_location } = result.value;
    if (email !== undefined && emailTaken(email, user.id)) return validationProblem(PROBLEM_TYPES.updateUser, { email: ['user with this email already exists.'] });
    if (email !== undefined) user.email = email;
    if (default_location !== undefined) user.default_location = withDerived(default_location);
    return json(200, userJson(user, ctx.baseUrl, true));
  });

  const updatePreferences = withUser((user, ctx) => {
    const result = validateGroupsPatch(asRecord(ctx.body));
    if (!result.ok) return validationProblem(PROBLEM_TYPES.notificationPreferences, result.errors);
    Object.assign(user.groups, result.value);
    return json(200, preferencesJson(user, ctx.baseUrl));
  });

  const setPayout = withUser((user, ctx) => {
    const result = validatePayoutWrite(asRecord(ctx.body));
    if (!result.ok) return validationProblem(PROBLEM_TYPES.payoutMethod, result.errors);
    const wallet = result.value.wallet;
    // BILL_CREDITS pays into the linked billing account; "" when none is linked (§1.3).
    const receiver = result.value.receiver ?? user.billing_account ?? '';
    let index = user.payout_records.findIndex((r) => r.receiver_wallet === wallet && r.receiver === receiver);
    if (index < 0) index = user.payout_records.push({ receiver_wallet: wallet, receiver, created_at: isoSeconds(Date.now()) }) - 1;
    user.preferred_payout = index;
    return json(200, payoutJson(user, ctx.baseUrl));
  });

  const routes: Route<EvenergyCaller>[] = [
    { method: 'GET', path: '/users', handler: listUsers },
    { method: 'POST', path: '/users', bodyTypes: ['application/json', 'application/x-www-form-urlencoded'], handler: createUser },
    { method: 'GET', path: '/users/:user_id', handler: withUser((user, ctx) => json(200, userJson(user, ctx.baseUrl, true))) },
    { method: 'PATCH', path: '/users/:user_id', bodyTypes: ['application/json', 'application/x-www-form-urlencoded'], handler: updateUser },
    { method: 'GET', path: '/users/:user_id/notification_preferences', handler: withUser((user, ctx) => json(200, preferencesJson(user, ctx.baseUrl))) },
    { method: 'PATCH', path: '/users/:user_id/notification_preferences', handler: updatePreferences },
    { method: 'GET', path: '/users/:user_id/payout_method', handler: withUser((user, ctx) => json(200, payoutJson(user, ctx.baseUrl))) },
    { method: 'PATCH', path: '/users/:user_id/payout_method', handler: setPayout },
    {
      method: 'DELETE',
      path: '/users/:user_id/payout_method',
      // Only the link is cleared; the stored records stay. 204 also when nothing was set.
      handler: withUser((user) => {
        user.preferred_payout = null;
        return noContent();
      }),
    },
  ];

  const emulator = createEmulator<EvenergyCaller>({
    name: 'evenergy',
    basePath: BASE_PATHS.evenergy,
    authenticate,
    errors: evenergyErrors(MAX_BODY_BYTES),
    routes,
    resetData,
    openapi: evenergyOpenApi,
    maxBodyBytes: MAX_BODY_BYTES,
  });

  return {
    ...emulator,
    payoutRecords(userId: string) {
      const user = users.get(userId);
      return user === undefined ? undefined : structuredClone(user.payout_records);
    },
  };
}
