/**
 * Reads VRM's wire bodies into the gateway's domain types, checking each value it uses. A body that is
 * not the documented shape fails with UPSTREAM_UNAVAILABLE and a message that names the operation, the
 * field, what was expected and what type came: never the value itself, which may be a secret.
 */
import { ErrorCode, GatewayError } from '../../errors';
import type {
  VrmAccessToken,
  VrmAlarmMonitoring,
  VrmDataType,
  VrmSite,
  VrmSiteAttribute,
  VrmUser,
  VrmViewPermissions,
} from './types';

type Json = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads one answer of one operation; every failure names both. */
export class WireReader {
  constructor(private readonly operation: string) {}

  fail(path: string, expected: string, got: unknown): never {
    throw new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      `vrm answered ${this.operation} with an unexpected body: expected ${path} to be ${expected}, but got ${typeOf(got)}`,
      { upstream: 'vrm' },
    );
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  string(o: Json, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(`${path}.${key}`, 'a string', v);
    return v;
  }

  nullableString(o: Json, key: string, path: string): string | null {
    return o[key] === null ? null : this.string(o, key, path);
  }

  number(o: Json, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`${path}.${key}`, 'a number', v);
    return v;
  }

  integer(o: Json, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`${path}.${key}`, 'an integer', v);
    return v;
  }

  nullableInteger(o: Json, key: string, path: string): number | null {
    return o[key] === null ? null : this.integer(o, key, path);
  }

  boolean(o: Json, key: string, path: string): boolean {
    const v = o[key];
    if (typeof v !== 'boolean') this.fail(`${path}.${key}`, 'a boolean', v);
    return v;
  }

  /** VRM's 0/1 integer flags. */
  flag(o: Json, key: string, path: string): boolean {
    const v = o[key];
    if (v !== 0 && v !== 1) this.fail(`${path}.${key}`, '0 or 1', v);
    return v === 1;
  }

  /** An integer id (or a decimal string id) as a decimal string. */
  id(o: Json, key: string, path: string): string {
    const v = o[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
    if (typeof v === 'string' && /^\d+$/.test(v)) return v;
    this.fail(`${path}.${key}`, 'an integer id', v);
  }

  /** A unix time in seconds, sent as an integer or a decimal string. */
  unixTime(o: Json, key: string, path: string): Date {
    const v = o[key];
    const seconds = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(seconds)) this.fail(`${path}.${key}`, 'a unix time', v);
    return new Date(seconds * 1000);
  }

  nullableUnixTime(o: Json, key: string, path: string): Date | null {
    return o[key] === null || o[key] === undefined ? null : this.unixTime(o, key, path);
  }

  /** An optional value: null when absent, read by `read` otherwise. */
  optional<T>(o: Json, key: string, read: () => T): T | null {
    return o[key] === undefined ? null : read();
  }
}

/** `GET /users/me` → the user. */
export function toUser(r: WireReader, body: unknown): VrmUser {
  const user = r.object(r.object(body, 'body').user, 'user');
  return { id: r.id(user, 'id', 'user'), name: r.string(user, 'name', 'user'), email: r.string(user, 'email', 'user'), country: r.string(user, 'country', 'user') };
}

export function toAccessToken(r: WireReader, value: unknown, path: string): VrmAccessToken {
  const t = r.object(value, path);
  return {
    id: r.id(t, 'idAccessToken', path),
    name: r.string(t, 'name', path),
    createdAt: r.unixTime(t, 'createdOn', path),
    scope: r.string(t, 'scope', path),
    expiresAt: r.nullableUnixTime(t, 'expires', path),
  };
}

const ALARM_MONITORING: Record<number, VrmAlarmMonitoring> = { 0: 'NONE', 1: 'ALARMS', 2: 'ALARMS_AND_WARNINGS' };
const DATA_TYPES: Record<string, VrmDataType> = { string: 'STRING', float: 'FLOAT', enum: 'ENUM' };

function toAttribute(r: WireReader, value: unknown, path: string): VrmSiteAttribute {
  const a = r.object(value, path);
  // Summaries carry `dataAttributes`; data attributes carry `dataType` (the spec's two anyOf branches).
  if (Array.isArray(a.dataAttributes)) {
    return {
      kind: 'SUMMARY',
      attributeId: a.idDataAttribute === null ? null : r.id(a, 'idDataAttribute', path),
      code: r.string(a, 'code', path),
      description: r.string(a, 'description', path),
      rawValue: a.rawValue === null ? null : r.number(a, 'rawValue', path),
      formattedValue: r.string(a, 'formattedValue', path),
      textValue: r.nullableString(a, 'textValue', path),
      formatWithUnit: r.string(a, 'formatWithUnit', path),
      dataAttributes: a.dataAttributes.map((d, i) => {
        const p = `${path}.dataAttributes[${i}]`;
        const o = r.object(d, p);
        return { instance: r.id(o, 'instance', p), dbusServiceType: r.string(o, 'dbusServiceType', p), dbusPath: r.string(o, 'dbusPath', p) };
      }),
    };
  }
  const dataType = DATA_TYPES[r.string(a, 'dataType', path)];
  if (!dataType) r.fail(`${path}.dataType`, 'one of string, float, enum', a.dataType);
  return {
    kind: 'DATA_ATTRIBUTE',
    attributeId: r.id(a, 'idDataAttribute', path),
    code: r.string(a, 'code', path),
    description: r.string(a, 'description', path),
    formatWithUnit: r.string(a, 'formatWithUnit', path),
    dataType,
    textValue: r.string(a, 'textValue', path),
    instance: r.id(a, 'instance', path),
    timestamp: r.unixTime(a, 'timestamp', path),
    dbusServiceType: r.string(a, 'dbusServiceType', path),
    dbusPath: r.string(a, 'dbusPath', path),
    rawValue: r.string(a, 'rawValue', path),
    formattedValue: r.string(a, 'formattedValue', path),
    enumValues:
      a.dataAttributeEnumValues === undefined
        ? []
        : r.array(a.dataAttributeEnumValues, `${path}.dataAttributeEnumValues`).map((e, i) => {
            const p = `${path}.dataAttributeEnumValues[${i}]`;
            const o = r.object(e, p);
            return { name: r.string(o, 'nameEnum', p), value: r.integer(o, 'valueEnum', p) };
          }),
  };
}

function toViewPermissions(r: WireReader, value: unknown, path: string): VrmViewPermissions {
  const v = r.object(value, path);
  return {
    updateSettings: r.boolean(v, 'update_settings', path),
    settings: r.boolean(v, 'settings', path),
    diagnostics: r.boolean(v, 'diagnostics', path),
    share: r.boolean(v, 'share', path),
    vnc: r.boolean(v, 'vnc', path),
    mqttRpc: r.boolean(v, 'mqtt_rpc', path),
    vebus: r.boolean(v, 'vebus', path),
    twoWay: r.boolean(v, 'twoway', path),
    exactLocation: r.boolean(v, 'exact_location', path),
    nodeRed: r.boolean(v, 'nodered', path),
    nodeRedDash: r.boolean(v, 'nodered_dash', path),
    signalK: r.boolean(v, 'signalk', path),
  };
}

export function toSite(r: WireReader, value: unknown, path: string): VrmSite {
  const s = r.object(value, path);
  const monitoring = ALARM_MONITORING[r.integer(s, 'alarmMonitoring', path)];
  if (!monitoring) r.fail(`${path}.alarmMonitoring`, '0, 1 or 2', s.alarmMonitoring);
  return {
    id: r.id(s, 'idSite', path),
    name: r.string(s, 'name', path),
    identifier: r.string(s, 'identifier', path),
    ownerId: r.id(s, 'idUser', path),
    accessLevel: r.integer(s, 'accessLevel', path),
    owner: r.boolean(s, 'owner', path),
    isAdmin: r.boolean(s, 'is_admin', path),
    pvMax: r.number(s, 'pvMax', path),
    timezone: r.string(s, 'timezone', path),
    phoneNumber: r.nullableString(s, 'phonenumber', path),
    notes: r.nullableString(s, 'notes', path),
    geofence: r.nullableString(s, 'geofence', path),
    geofenceEnabled: r.boolean(s, 'geofenceEnabled', path),
    realtimeUpdates: r.boolean(s, 'realtimeUpdates', path),
    hasMains: r.flag(s, 'hasMains', path),
    hasGenerator: r.flag(s, 'hasGenerator', path),
    noDataAlarmTimeout: r.nullableInteger(s, 'noDataAlarmTimeout', path),
    alarmMonitoring: monitoring,
    invalidVrmAuthTokenUsedInLogRequest: r.flag(s, 'invalidVRMAuthTokenUsedInLogRequest', path),
    createdAt: r.unixTime(s, 'syscreated', path),
    shared: r.boolean(s, 'shared', path),
    deviceIcon: r.string(s, 'device_icon', path),
    alarm: r.optional(s, 'alarm', () => r.boolean(s, 'alarm', path)),
    lastSeenAt: r.optional(s, 'last_timestamp', () => r.unixTime(s, 'last_timestamp', path)),
    currentTime: r.optional(s, 'current_time', () => r.string(s, 'current_time', path)),
    timezoneOffset: r.optional(s, 'timezone_offset', () => r.integer(s, 'timezone_offset', path)),
    demoMode: r.optional(s, 'demo_mode', () => r.boolean(s, 'demo_mode', path)),
    mqttWebHost: r.optional(s, 'mqtt_webhost', () => r.string(s, 'mqtt_webhost', path)),
    mqttHost: r.optional(s, 'mqtt_host', () => r.string(s, 'mqtt_host', path)),
    highWorkload: r.optional(s, 'high_workload', () => r.boolean(s, 'high_workload', path)),
    currentAlarms: r.optional(s, 'current_alarms', () =>
      r.array(s.current_alarms, `${path}.current_alarms`).map((a, i) => {
        if (typeof a !== 'string') r.fail(`${path}.current_alarms[${i}]`, 'a string', a);
        return a;
      }),
    ),
    alarmCount: r.optional(s, 'num_alarms', () => r.integer(s, 'num_alarms', path)),
    avatarUrl: s.avatar_url === undefined ? null : r.nullableString(s, 'avatar_url', path),
    tags: r.optional(s, 'tags', () =>
      r.array(s.tags, `${path}.tags`).map((t, i) => {
        const p = `${path}.tags[${i}]`;
        const o = r.object(t, p);
        return { id: r.id(o, 'idTag', p), name: r.string(o, 'name', p), automatic: r.boolean(o, 'automatic', p) };
      }),
    ),
    images: r.optional(s, 'images', () =>
      r.array(s.images, `${path}.images`).map((t, i) => {
        const p = `${path}.images[${i}]`;
        const o = r.object(t, p);
        return { id: r.id(o, 'idSiteImage', p), name: r.string(o, 'imageName', p), url: r.string(o, 'url', p) };
      }),
    ),
    viewPermissions: r.optional(s, 'view_permissions', () => toViewPermissions(r, s.view_permissions, `${path}.view_permissions`)),
    extended: r.optional(s, 'extended', () => r.array(s.extended, `${path}.extended`).map((e, i) => toAttribute(r, e, `${path}.extended[${i}]`))),
  };
}
