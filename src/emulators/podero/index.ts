/**
 * The Podero partner API v2.0 emulator (seeds/003, upstream-contracts.md §4): the users of one
 * organization and their heat pumps, electric vehicles and inverters, under the real base path
 * `/api/partners/v2.0`, with `Authorization: Bearer` and django-ninja style errors. README.md beside
 * this file documents the seeded data.
 *
 * Contract choices where the documentation is silent [I]: another organization's id answers 403 (the
 * token is valid but not for that organization, which the gateway then reports as an upstream
 * credential problem rather than as a missing user); a malformed UUID in the path answers 422 as
 * django-ninja's typed path parameters do; a duplicate email or `external_user_id` answers 409.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { BASE_PATHS, DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../contracts/dev-defaults';
import { createEmulator, type AuthResult, type Emulator, type EmulatorResponse, type RequestContext, type Route } from '../kit';
import type { Population } from '../population';
import type { WireDeviceCollection, WireValidationItem } from '../../contracts/podero';
import { detail, forbidden, notFound, poderoErrors, validationFailed } from './errors';
import { poderoOpenApi } from './openapi';
import {
  CREATE_USER,
  ELECTRIC_VEHICLE_ORDERING,
  HEAT_PUMP_ORDERING,
  LOCATION_FIELDS,
  orderingErrors,
  RESOLVE_CUE,
  UPDATE_ELECTRIC_VEHICLE,
  UPDATE_HEAT_PUMP,
  UPDATE_INVERTER,
  UPDATE_USER,
} from './schemas';
import { seedPodero } from './seed';
import { renderDeviceDetail, renderDeviceItem, renderUser, type DeviceRecord, type PoderoData, type UserRecord } from './store';
import { canonicalUuid, isoZ, missing, queryBool, uuidError, validateBody, type BodySchema, type Validated } from './validate';

export interface PoderoEmulatorOptions {
  population: Population;
  /** The bearer token the emulator accepts. Default `DEV_TOKENS.podero`. */
  token?: string;
  /** The organization served. Default `DEV_PODERO_ORG_ID`. */
  orgId?: string;
}

/** Django refuses request bodies above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB). */
const MAX_BODY_BYTES = 2_621_440;

interface DeviceKind {
  collection: WireDeviceCollection;
  /** The path parameter naming one device: `heat_pump_id`. */
  param: string;
  update: BodySchema;
  ordering: readonly (readonly [string, string])[];
}

export const DEVICE_KINDS: readonly DeviceKind[] = [
  { collection: 'heat-pumps', param: 'heat_pump_id', update: UPDATE_HEAT_PUMP, ordering: HEAT_PUMP_ORDERING },
  { collection: 'electric-vehicles', param: 'electric_vehicle_id', update: UPDATE_ELECTRIC_VEHICLE, ordering: ELECTRIC_VEHICLE_ORDERING },
  { collection: 'inverters', param: 'inverter_id', update: UPDATE_INVERTER, ordering: [] },
];

/** What one request asked for once its path and query parameters passed validation. */
interface Parsed {
  ids: Record<string, string>;
  includeDeleted: boolean;
  body: Record<string, unknown>;
}

export function createPoderoEmulator(options: PoderoEmulatorOptions): Emulator {
  const token = options.token ?? DEV_TOKENS.podero;
  const orgId = canonicalUuid(options.orgId ?? DEV_PODERO_ORG_ID);
  if (!orgId) throw new Error(`podero emulator: orgId must be a UUID, but got: ${JSON.stringify(options.orgId)}`);
  let data: PoderoData = seedPodero(options.population, orgId);

  const authenticate = (headers: http.IncomingHttpHeaders): AuthResult<undefined> => {
    const header = headers.authorization;
    if (!header) return { ok: false, response: poderoErrors.unauthorized('missing') };
    const match = /^bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || match[1] !== token) return { ok: false, response: poderoErrors.unauthorized('invalid') };
    return { ok: true, caller: undefined };
  };

  /**
   * Validates the UUID path parameters, `include_deleted` and (with a schema) the body together, as
   * django-ninja does, then checks the organization: one 422 lists every failure.
   */
  const parse = (
    ctx: RequestContext<unknown>,
    uuidParams: readonly string[],
    schema?: BodySchema,
  ): { ok: true; value: Parsed } | { ok: false; response: EmulatorResponse } => {
    const items: WireValidationItem[] = [];
    const ids: Record<string, string> = {};
    for (const name of ['org_id', ...uuidParams]) {
      const id = canonicalUuid(ctx.params[name] ?? '');
      if (id) ids[name] = id;
      else items.push(uuidError('path', name));
    }
    const include = queryBool(ctx.query, 'include_deleted');
    if (!include.ok) items.push(include.item);
    let body: Validated = { ok: true, value: {} };
    if (schema) body = validateBody(schema, ctx.body);
    if (!body.ok) items.push(...body.items);
    if (items.length || !include.ok || !body.ok) return { ok: false, response: validationFailed(items) };
    if (ids.org_id !== orgId) return { ok: false, response: forbidden() };
    return { ok: true, value: { ids, includeDeleted: include.value, body: body.value } };
  };

  const visibleUser = (id: string | undefined, includeDeleted: boolean): UserRecord | undefined => {
    const user = id === undefined ? undefined : data.users.get(id);
    return user && (includeDeleted || user.deleted_at === null) ? user : undefined;
  };

  const freshId = (): string => {
    let id = randomUUID();
    while (data.users.has(id) || data.devices.has(id)) id = randomUUID();
    return id;
  };

  /** The first user other than `except` holding this email (case-insensitive) or external id. */
  const conflict = (body: Record<string, unknown>, except?: string): EmulatorResponse | undefined => {
    const email = typeof body.email === 'string' ? body.email.toLowerCase() : undefined;
    const ext = typeof body.external_user_id === 'string' ? body.external_user_id : undefined;
    for (const user of data.users.values()) {
      if (user.id === except) continue;
      if (email !== undefined && user.email.toLowerCase() === email) {
        return detail(409, 'A user with this email already exists in this organization.');
      }
      if (ext !== undefined && user.external_user_id === ext) {
        return detail(409, 'A user with this external_user_id already exists in this organization.');
      }
    }
    return undefined;
  };

  /** Applies validated user keys; the location timestamp moves only when a location value changes. */
  const applyUser = (user: UserRecord, body: Record<string, unknown>, now: string): void => {
    const changes = { ...body };
    if (typeof changes.country === 'string') changes.country = changes.country.toUpperCase();
    const moved = LOCATION_FIELDS.some((field) => field in changes && changes[field] !== user[field]);
    Object.assign(user, changes);
    if (moved) user.location_last_updated = now;
  };

  const userRoutes: Route<undefined>[] = [
    {
      method: 'GET',
      path: '/org/:org_id/users',
      handler(ctx) {
        const parsed = parse(ctx, []);
        if (!parsed.ok) return parsed.response;
        const users = [...data.users.values()].filter((u) => parsed.value.includeDeleted || u.deleted_at === null);
        return { status: 200, body: users.map((u) => renderUser(data, u)) };
      },
    },
    {
      method: 'POST',
      path: '/org/:org_id/users',
      handler(ctx) {
        const parsed = parse(ctx, [], CREATE_USER);
        if (!parsed.ok) return parsed.response;
        const { body } = parsed.value;
        const clash = conflict(body);
        if (clash) return clash;
        const now = isoZ(Date.now());
        const user: UserRecord = {
          id: freshId(),
          organization_id: orgId,
          // role and email (both required) come from the validated body, applied below.
          role: 'user',
          email: '',
          external_user_id: null,
          first_name: null,
          last_name: null,
          is_onboarded: false,
          street_and_number: null,
          street_add_info: null,
          zip_code: null,
          town: null,
          country: null,
          latitude: null,
          longitude: null,
          location_last_updated: null,
          last_login: null,
          joined_at: now,
          deleted_at: null,
        };
        applyUser(user, body, now);
        data.users.set(user.id, user);
        return { status: 200, body: renderUser(data, user) };
      },
    },
    {
      method: 'GET',
      path: '/org/:org_id/users/by-ext-id/:external_id',
      handler(ctx) {
        const parsed = parse(ctx, []);
        if (!parsed.ok) return parsed.response;
        const ext = ctx.params.external_id;
        const user = [...data.users.values()].find((u) => u.external_user_id === ext && (parsed.value.includeDeleted || u.deleted_at === null));
        return user ? { status: 200, body: renderUser(data, user) } : notFound();
      },
    },
    {
      method: 'GET',
      path: '/org/:org_id/users/:user_id',
      handler(ctx) {
        const parsed = parse(ctx, ['user_id']);
        if (!parsed.ok) return parsed.response;
        const user = visibleUser(parsed.value.ids.user_id, parsed.value.includeDeleted);
        return user ? { status: 200, body: renderUser(data, user) } : notFound();
      },
    },
    {
      method: 'PUT',
      path: '/org/:org_id/users/:user_id',
      handler(ctx) {
        const parsed = parse(ctx, ['user_id'], UPDATE_USER);
        if (!parsed.ok) return parsed.response;
        const user = visibleUser(parsed.value.ids.user_id, false);
        if (!user) return notFound();
        const { body } = parsed.value;
        const clash = conflict(body, user.id);
        if (clash) return clash;
        applyUser(user, body, isoZ(Date.now()));
        return { status: 200, body: renderUser(data, user) };
      },
    },
  ];

  const deviceRoutes = DEVICE_KINDS.flatMap((kind): Route<undefined>[] => {
    const collection = `/org/:org_id/users/:user_id/${kind.collection}`;
    const one = `${collection}/:${kind.param}`;
    const find = (p: Parsed, includeDeleted: boolean): { user: UserRecord; device: DeviceRecord } | undefined => {
      const user = visibleUser(p.ids.user_id, includeDeleted);
      const device = data.devices.get(p.ids[kind.param] ?? '');
      if (!user || !device || device.userId !== user.id || device.collection !== kind.collection) return undefined;
      if (device.wire.deleted_at !== null && !includeDeleted) return undefined;
      return { user, device };
    };
    return [
      {
        method: 'GET',
        path: collection,
        handler(ctx) {
          const parsed = parse(ctx, ['user_id']);
          if (!parsed.ok) return parsed.response;
          const { includeDeleted } = parsed.value;
          const user = visibleUser(parsed.value.ids.user_id, includeDeleted);
          if (!user) return notFound();
          const devices = [...data.devices.values()].filter(
            (d) => d.userId === user.id && d.collection === kind.collection && (includeDeleted || d.wire.deleted_at === null),
          );
          return { status: 200, body: devices.map((d) => renderDeviceItem(d, user)) };
        },
      },
      {
        method: 'GET',
        path: one,
        handler(ctx) {
          const parsed = parse(ctx, ['user_id', kind.param]);
          if (!parsed.ok) return parsed.response;
          const found = find(parsed.value, parsed.value.includeDeleted);
          return found ? { status: 200, body: renderDeviceDetail(found.device, found.user, ctx.baseUrl) } : notFound();
        },
      },
      {
        method: 'PUT',
        path: one,
        handler(ctx) {
          const parsed = parse(ctx, ['user_id', kind.param], kind.update);
          if (!parsed.ok) return parsed.response;
          const found = find(parsed.value, false);
          if (!found) return notFound();
          const { body } = parsed.value;
          const ordering = orderingErrors({ ...found.device.wire, ...body }, body, kind.ordering);
          if (ordering.length) return validationFailed(ordering);
          const now = Date.now();
          Object.assign(found.device.wire, body);
          if ('pause_power_until' in body) {
            found.device.wire.is_pause_power_active = typeof body.pause_power_until === 'string' && Date.parse(body.pause_power_until) > now;
          }
          found.device.wire.updated_at = isoZ(now);
          return { status: 200, body: renderDeviceDetail(found.device, found.user, ctx.baseUrl) };
        },
      },
    ];
  });

  const cueRoute: Route<undefined> = {
    method: 'POST',
    path: '/cues/:cue_id/resolve',
    // The signed secret in the link authorises the call, so the person's browser or app can make it
    // without the partner's token.
    auth: false,
    handler(ctx) {
      const items: WireValidationItem[] = [];
      const cueId = canonicalUuid(ctx.params.cue_id ?? '');
      if (!cueId) items.push(uuidError('path', 'cue_id'));
      const secret = ctx.query.get('secret');
      if (secret === null) items.push(missing(['query', 'secret']));
      const body = validateBody(RESOLVE_CUE, ctx.body);
      if (!body.ok) items.push(...body.items);
      if (items.length || !body.ok) return validationFailed(items);
      const device = [...data.devices.values()].find((d) => d.cue?.id === cueId && d.wire.deleted_at === null);
      if (!device?.cue) return notFound();
      if (device.cue.secret !== secret) return detail(403, 'Invalid or expired secret.');
      // The emulator has no manufacturer login to send the person to: resolving completes the
      // reauthentication at once and sends them straight to `successUrl`.
      device.cue = null;
      device.hasUnreadNotifications = false;
      Object.assign(device.wire, {
        is_authenticated: true,
        connection_status: 'ok',
        monitoring_status: 'ok',
        steering_status: 'ok',
        lifecycle_state: 'authenticated',
        lifecycle_error: null,
        updated_at: isoZ(Date.now()),
      });
      return { status: 200, body: { redirect_url: String(body.value.successUrl) } };
    },
  };

  return createEmulator<undefined>({
    name: 'podero',
    basePath: BASE_PATHS.podero,
    authenticate,
    errors: poderoErrors,
    routes: [...userRoutes, ...deviceRoutes, cueRoute],
    resetData() {
      data = seedPodero(options.population, orgId);
    },
    openapi: () => poderoOpenApi(orgId),
    maxBodyBytes: MAX_BODY_BYTES,
  });
}
