/**
 * Renders stored VRM records in the wire format. An installation's `owner`, `is_admin`, `accessLevel`
 * and `view_permissions` describe the requesting user (the spec's wording), so the same site renders
 * differently for its owner, a user it is shared with and an admin.
 */
import type { WireAccessToken, WireExtendedItem, WireInstallation, WireViewPermissions } from '../../contracts/vrm';
import { VEBUS_STATES, type VrmSiteRecord, type VrmTokenRecord, type VrmUserRecord } from './seed';

export function renderToken(token: VrmTokenRecord): WireAccessToken {
  return {
    name: token.name,
    idAccessToken: String(token.idAccessToken),
    createdOn: String(token.createdOn),
    scope: token.scope,
    expires: token.expires === null ? null : String(token.expires),
  };
}

interface Relation {
  accessLevel: number;
  owner: boolean;
  isAdmin: boolean;
}

/** How the viewer relates to a site they can see (admins see every site as admins). */
export function relationOf(site: VrmSiteRecord, viewer: VrmUserRecord): Relation | undefined {
  if (site.ownerId === viewer.idUser) return { accessLevel: 1, owner: true, isAdmin: true };
  const share = site.shares.get(viewer.idUser);
  if (share) return { accessLevel: share.accessLevel, owner: false, isAdmin: share.isAdmin };
  if (viewer.admin) return { accessLevel: 1, owner: false, isAdmin: true };
  return undefined;
}

/** Local wall-clock time `hh:mm` and the offset from UTC in seconds of a time zone at `now`. */
export function localTime(timezone: string, now: Date): { time: string; offsetSeconds: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const hour = get('hour');
  const minute = get('minute');
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), hour, minute);
  const utcMinute = Math.floor(now.getTime() / 60_000) * 60_000;
  return {
    time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
    offsetSeconds: Math.round((wall - utcMinute) / 1000),
  };
}

function viewPermissions(site: VrmSiteRecord, relation: Relation): WireViewPermissions {
  const full = relation.isAdmin;
  const f = site.details.features;
  return {
    update_settings: full,
    settings: true,
    diagnostics: full,
    share: full,
    vnc: full && f.vnc,
    mqtt_rpc: full,
    vebus: full && site.hasMains === 1,
    twoway: site.realtimeUpdates,
    exact_location: full,
    nodered: f.nodered,
    nodered_dash: f.noderedDash,
    signalk: f.signalk,
  };
}

function extendedItems(site: VrmSiteRecord): WireExtendedItem[] {
  const d = site.details;
  const at = String(d.lastTimestamp);
  const state = VEBUS_STATES[d.vebusState]!;
  const summary = (
    code: string,
    description: string,
    idDataAttribute: number,
    formatWithUnit: string,
    value: number | null,
    formatted: (v: number) => string,
    dbusServiceType: string,
    dbusPath: string,
    instance: number,
  ): WireExtendedItem => ({
    code,
    description,
    rawValue: value,
    formattedValue: value === null ? '' : formatted(value),
    textValue: null,
    formatWithUnit,
    idDataAttribute,
    dataAttributes: [{ instance, dbusServiceType, dbusPath }],
  });
  return [
    {
      idDataAttribute: 4,
      code: 'lt',
      description: 'Latitude',
      formatWithUnit: '%.5F LAT',
      dataType: 'float',
      textValue: '',
      instance: '0',
      timestamp: at,
      dbusServiceType: 'gps',
      dbusPath: '/Position/Latitude',
      rawValue: d.latitude.toFixed(5),
      formattedValue: `${d.latitude.toFixed(5)} LAT`,
    },
    {
      idDataAttribute: 5,
      code: 'lg',
      description: 'Longitude',
      formatWithUnit: '%.5F LNG',
      dataType: 'float',
      textValue: '',
      instance: '0',
      timestamp: at,
      dbusServiceType: 'gps',
      dbusPath: '/Position/Longitude',
      rawValue: d.longitude.toFixed(5),
      formattedValue: `${d.longitude.toFixed(5)} LNG`,
    },
    {
      idDataAttribute: 40,
      code: 'S',
      description: 'VE.Bus state',
      formatWithUnit: '%s',
      dataType: 'enum',
      textValue: state.nameEnum,
      instance: '276',
      timestamp: at,
      dbusServiceType: 'vebus',
      dbusPath: '/State',
      rawValue: String(state.valueEnum),
      formattedValue: state.nameEnum,
      dataAttributeEnumValues: VEBUS_STATES.map((v) => ({ ...v })),
    },
    summary('bs', 'Battery SOC', 51, '%.1F %%', d.batterySoc, (v) => `${v.toFixed(1)} %`, 'battery', '/Soc', 512),
    summary('bv', 'Battery voltage', 47, '%.2F V', d.batteryVoltage, (v) => `${v.toFixed(2)} V`, 'battery', '/Dc/0/Voltage', 512),
    summary('ScW', 'PV - DC-coupled', 442, '%.0F W', d.pvPower, (v) => `${v.toFixed(0)} W`, 'solarcharger', '/Yield/Power', 278),
  ];
}

/**
 * The wire record of a site for a viewer who can see it. Without `extended` only the required fields
 * are sent; with it every optional value too (the documented meaning of `extended=1`).
 */
export function renderInstallation(
  site: VrmSiteRecord,
  relation: Relation,
  options: { extended: boolean; baseUrl: string; now: Date },
): WireInstallation {
  const base: WireInstallation = {
    idSite: site.idSite,
    accessLevel: relation.accessLevel,
    owner: relation.owner,
    is_admin: relation.isAdmin,
    name: site.name,
    identifier: site.identifier,
    idUser: site.ownerId ?? 0,
    pvMax: site.pvMax,
    timezone: site.timezone,
    phonenumber: site.phonenumber,
    notes: site.notes,
    geofence: site.geofence,
    geofenceEnabled: site.geofenceEnabled,
    realtimeUpdates: site.realtimeUpdates,
    hasMains: site.hasMains,
    hasGenerator: site.hasGenerator,
    noDataAlarmTimeout: site.noDataAlarmTimeout,
    alarmMonitoring: site.alarmMonitoring,
    invalidVRMAuthTokenUsedInLogRequest: site.invalidVRMAuthTokenUsedInLogRequest,
    syscreated: site.syscreated,
    shared: site.shares.size > 0,
    device_icon: site.deviceIcon,
  };
  if (!options.extended) return base;
  const d = site.details;
  const local = localTime(site.timezone, options.now);
  const shard = (parseInt(site.identifier.slice(-2), 16) || 0) % 128;
  const images = `${options.baseUrl}/installations/${site.idSite}/images`;
  return {
    ...base,
    alarm: d.currentAlarms.length > 0,
    last_timestamp: d.lastTimestamp,
    current_time: local.time,
    timezone_offset: local.offsetSeconds,
    demo_mode: false,
    mqtt_webhost: `webmqtt${shard}.victronenergy.com`,
    mqtt_host: `mqtt${shard}.victronenergy.com`,
    high_workload: d.highWorkload,
    current_alarms: [...d.currentAlarms],
    num_alarms: d.currentAlarms.length,
    avatar_url: d.hasAvatar ? `${images}/avatar.jpg` : null,
    tags: d.tags.map((t) => ({ ...t })),
    images: d.images.map((imageName, i) => ({ idSiteImage: site.idSite * 10 + i + 1, imageName, url: `${images}/${imageName}` })),
    view_permissions: viewPermissions(site, relation),
    extended: extendedItems(site),
  };
}
