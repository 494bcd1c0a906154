/**
 * Reads VRM's wire bodies into the gateway's domain types with the shared reader (`../shape.ts`), adding
 * VRM's own kinds of value: integer ids that may come as decimal strings, unix times in seconds, 0/1
 * flags. A body that is not the documented shape fails with UPSTREAM_UNAVAILABLE naming the operation,
 * the field, what was expected and what kind of value came: never the value itself, which may be a secret.
 */
import type {
  VrmAccessToken,
  VrmAlarmMonitoring,
  VrmDataType,
  VrmSite,
  VrmSiteAttribute,
  VrmUser,
  VrmViewPermissions,
} from './types';
import { BOOLEAN, INTEGER, NUMBER, STRING, WireRecord, arrayOf, enumOf, type Kind } from '../shape';

/** `value` as the object at `path` of the answer to `operation` (`GET /users/me`). */
export function record(operation: string, path: string, value: unknown): WireRecord {
  return WireRecord.of('vrm', `answer to ${operation}`, path, value);
}

/** An integer id (or a decimal string id) as a decimal string. */
export const ID: Kind<string> = {
  expected: 'an integer id',
  take: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : typeof v === 'string' && /^\d+$/.test(v) ? v : undefined),
};

/** A unix time in seconds, sent as an integer or a decimal string. */
const UNIX_TIME: Kind<Date> = {
  expected: 'a unix time',
  take(v) {
    const seconds = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
  },
};

/** VRM's 0/1 integer flags. */
const FLAG: Kind<boolean> = { expected: '0 or 1', take: (v) => (v === 0 || v === 1 ? v === 1 : undefined) };

const MONITORING: Readonly<Record<number, VrmAlarmMonitoring>> = { 0: 'NONE', 1: 'ALARMS', 2: 'ALARMS_AND_WARNINGS' };
const ALARM_MONITORING: Kind<VrmAlarmMonitoring> = { expected: '0, 1 or 2', take: (v) => (typeof v === 'number' ? MONITORING[v] : undefined) };
const DATA_TYPE = enumOf<VrmDataType>({ string: 'STRING', float: 'FLOAT', enum: 'ENUM' });
const STRINGS = arrayOf(STRING);

/** `{ success: true, … }`: the body of every successful answer. */
export function successBody(operation: string, body: unknown): WireRecord {
  const r = record(operation, 'body', body);
  if (r.raw('success') !== true) throw r.fail('success', 'true');
  return r;
}

/** `GET /users/me` → the user. */
export function toUser(operation: string, body: unknown): VrmUser {
  const u = successBody(operation, body).object('user');
  return { id: u.get('id', ID), name: u.string('name'), email: u.string('email'), country: u.string('country') };
}

export function toAccessToken(t: WireRecord): VrmAccessToken {
  return {
    id: t.get('idAccessToken', ID),
    name: t.string('name'),
    createdAt: t.get('createdOn', UNIX_TIME),
    scope: t.string('scope'),
    expiresAt: t.optional('expires', UNIX_TIME),
  };
}

function toAttribute(a: WireRecord): VrmSiteAttribute {
  // Summaries carry `dataAttributes`; data attributes carry `dataType` (the spec's two anyOf branches).
  if (Array.isArray(a.raw('dataAttributes'))) {
    return {
      kind: 'SUMMARY',
      attributeId: a.nullable('idDataAttribute', ID),
      code: a.string('code'),
      description: a.string('description'),
      rawValue: a.nullable('rawValue', NUMBER),
      formattedValue: a.string('formattedValue'),
      textValue: a.nullable('textValue', STRING),
      formatWithUnit: a.string('formatWithUnit'),
      dataAttributes: a.records('dataAttributes').map((d) => ({ instance: d.get('instance', ID), dbusServiceType: d.string('dbusServiceType'), dbusPath: d.string('dbusPath') })),
    };
  }
  return {
    kind: 'DATA_ATTRIBUTE',
    attributeId: a.get('idDataAttribute', ID),
    code: a.string('code'),
    description: a.string('description'),
    formatWithUnit: a.string('formatWithUnit'),
    dataType: a.get('dataType', DATA_TYPE),
    textValue: a.string('textValue'),
    instance: a.get('instance', ID),
    timestamp: a.get('timestamp', UNIX_TIME),
    dbusServiceType: a.string('dbusServiceType'),
    dbusPath: a.string('dbusPath'),
    rawValue: a.string('rawValue'),
    formattedValue: a.string('formattedValue'),
    enumValues: a.present('dataAttributeEnumValues') ? a.records('dataAttributeEnumValues').map((e) => ({ name: e.string('nameEnum'), value: e.integer('valueEnum') })) : [],
  };
}

function toViewPermissions(v: WireRecord): VrmViewPermissions {
  return {
    updateSettings: v.boolean('update_settings'),
    settings: v.boolean('settings'),
    diagnostics: v.boolean('diagnostics'),
    share: v.boolean('share'),
    vnc: v.boolean('vnc'),
    mqttRpc: v.boolean('mqtt_rpc'),
    vebus: v.boolean('vebus'),
    twoWay: v.boolean('twoway'),
    exactLocation: v.boolean('exact_location'),
    nodeRed: v.boolean('nodered'),
    nodeRedDash: v.boolean('nodered_dash'),
    signalK: v.boolean('signalk'),
  };
}

export function toSite(s: WireRecord): VrmSite {
  const alarmMonitoring = s.get('alarmMonitoring', ALARM_MONITORING);
  const view = s.optionalObject('view_permissions');
  return {
    id: s.get('idSite', ID),
    name: s.string('name'),
    identifier: s.string('identifier'),
    ownerId: s.get('idUser', ID),
    accessLevel: s.integer('accessLevel'),
    owner: s.boolean('owner'),
    isAdmin: s.boolean('is_admin'),
    pvMax: s.number('pvMax'),
    timezone: s.string('timezone'),
    phoneNumber: s.nullable('phonenumber', STRING),
    notes: s.nullable('notes', STRING),
    geofence: s.nullable('geofence', STRING),
    geofenceEnabled: s.boolean('geofenceEnabled'),
    realtimeUpdates: s.boolean('realtimeUpdates'),
    hasMains: s.get('hasMains', FLAG),
    hasGenerator: s.get('hasGenerator', FLAG),
    noDataAlarmTimeout: s.nullable('noDataAlarmTimeout', INTEGER),
    alarmMonitoring,
    invalidVrmAuthTokenUsedInLogRequest: s.get('invalidVRMAuthTokenUsedInLogRequest', FLAG),
    createdAt: s.get('syscreated', UNIX_TIME),
    shared: s.boolean('shared'),
    deviceIcon: s.string('device_icon'),
    // Present only in some answers (`extended`, one site): absent or null is not reported.
    alarm: s.optional('alarm', BOOLEAN),
    lastSeenAt: s.optional('last_timestamp', UNIX_TIME),
    currentTime: s.optional('current_time', STRING),
    timezoneOffset: s.optional('timezone_offset', INTEGER),
    demoMode: s.optional('demo_mode', BOOLEAN),
    mqttWebHost: s.optional('mqtt_webhost', STRING),
    mqttHost: s.optional('mqtt_host', STRING),
    highWorkload: s.optional('high_workload', BOOLEAN),
    currentAlarms: s.optional('current_alarms', STRINGS),
    alarmCount: s.optional('num_alarms', INTEGER),
    avatarUrl: s.optional('avatar_url', STRING),
    tags: s.has('tags') ? s.records('tags').map((t) => ({ id: t.get('idTag', ID), name: t.string('name'), automatic: t.boolean('automatic') })) : null,
    images: s.has('images') ? s.records('images').map((t) => ({ id: t.get('idSiteImage', ID), name: t.string('imageName'), url: t.string('url') })) : null,
    viewPermissions: view ? toViewPermissions(view) : null,
    extended: s.has('extended') ? s.records('extended').map(toAttribute) : null,
  };
}
