/**
 * The VRM emulator's data and its deterministic seed (documented in README.md beside this file).
 *
 * Who has what follows arithmetic rules on the person's VRM ordinal `k` (their position among the
 * population's VRM members, which is `index / 3` under the population's membership rule), so tests and
 * people can find the interesting cases without reading data; names, places and measurements come from
 * `rngFor(seed, 'vrm', index)`. Ids depend only on the population index, never on the seed.
 */
import { EPOCH_MS, hexFor, membersOf, pick, rngFor, type Population } from '../population';

/** The emulator's admin user, owner of the service credential (`DEV_TOKENS.vrm` unless overridden). */
export const ADMIN_USER_ID = 1;
export const ADMIN_TOKEN_ID = 1;
export const ADMIN_EMAIL = 'vrm-admin@example.com';

const SEED_UNIX = Math.floor(EPOCH_MS / 1000);
const DAY = 86_400;
/** Expiry of the expired seeded tokens: 2024-02-14, long past. */
export const EXPIRED_AT = SEED_UNIX + 30 * DAY;
/** Expiry of the expiring seeded tokens: 2035-01-01T00:00:00Z. */
export const FUTURE_EXPIRY = Date.UTC(2035, 0, 1) / 1000;

/** `idUser` of a population member. */
export function userIdFor(index: number): number {
  return 10_000 + index;
}

/** `idAccessToken` of a member's seeded token `j` (0 = the personal token, 1–2 the others). */
export function tokenIdFor(index: number, j: number): number {
  return 500_000 + index * 4 + j;
}

/** `idSite` of a member's seeded installation `s` (0–3). */
export function siteIdFor(index: number, s: number): number {
  return 150_000 + index * 4 + s;
}

/** The personal access token of a member: what that person passes to the gateway as their VRM token. */
export function personalTokenFor(seed: number, index: number): string {
  return hexFor(`vrm-token:${seed}:${index}`);
}

/** The secret of a member's other seeded token `j` (1–2). */
export function otherTokenFor(seed: number, index: number, j: number): string {
  return hexFor(`vrm-token:${seed}:${index}:${j}`);
}

/** The installations nobody owns yet, which `addsite` can add by identifier. Seed-independent. */
export const UNCLAIMED_COUNT = 6;
export function unclaimedSiteIdFor(n: number): number {
  return 140_001 + n;
}
export function unclaimedIdentifierFor(n: number): string {
  return hexFor(`vrm-unclaimed:${n}`, 12);
}

export interface VrmUserRecord {
  idUser: number;
  name: string;
  email: string;
  country: string;
  admin: boolean;
}

export interface VrmTokenRecord {
  idAccessToken: number;
  idUser: number;
  name: string;
  secret: string;
  /** Unix seconds. */
  createdOn: number;
  /** Unix seconds, or null for a token that never expires. */
  expires: number | null;
  scope: string;
}

/** A user other than the owner who can see a site. */
export interface VrmSiteShare {
  accessLevel: 0 | 1;
  isAdmin: boolean;
}

/** Measurements and features shown only with `extended=1`. */
export interface VrmSiteDetails {
  lastTimestamp: number;
  latitude: number;
  longitude: number;
  /** Battery state of charge in percent and voltage; null when the site has no battery monitor. */
  batterySoc: number | null;
  batteryVoltage: number | null;
  /** Current DC-coupled PV power in watts; null without PV. */
  pvPower: number | null;
  /** VE.Bus state: index into `VEBUS_STATES`. */
  vebusState: number;
  currentAlarms: string[];
  highWorkload: boolean;
  hasAvatar: boolean;
  images: string[];
  tags: { idTag: number; name: string; automatic: boolean }[];
  features: { vnc: boolean; nodered: boolean; noderedDash: boolean; signalk: boolean };
}

export interface VrmSiteRecord {
  idSite: number;
  identifier: string;
  name: string;
  /** Null while unclaimed. */
  ownerId: number | null;
  shares: Map<number, VrmSiteShare>;
  pvMax: number;
  timezone: string;
  phonenumber: string | null;
  notes: string | null;
  geofence: string | null;
  geofenceEnabled: boolean;
  realtimeUpdates: boolean;
  hasMains: 0 | 1;
  hasGenerator: 0 | 1;
  noDataAlarmTimeout: number | null;
  alarmMonitoring: 0 | 1 | 2;
  invalidVRMAuthTokenUsedInLogRequest: 0 | 1;
  syscreated: number;
  deviceIcon: string;
  details: VrmSiteDetails;
}

export interface VrmData {
  users: Map<number, VrmUserRecord>;
  tokens: Map<number, VrmTokenRecord>;
  sites: Map<number, VrmSiteRecord>;
  /** Token secret → `idAccessToken`, kept in step with `tokens`. */
  bySecret: Map<string, number>;
  /** Lower-case installation identifier → `idSite` (identifiers never change). */
  byIdentifier: Map<string, number>;
  /** The next `idAccessToken` to hand out: above every seeded one. */
  nextTokenId: number;
}

export const VEBUS_STATES: readonly { nameEnum: string; valueEnum: number }[] = [
  { nameEnum: 'Off', valueEnum: 0 },
  { nameEnum: 'Low Power', valueEnum: 1 },
  { nameEnum: 'Fault', valueEnum: 2 },
  { nameEnum: 'Bulk', valueEnum: 3 },
  { nameEnum: 'Absorption', valueEnum: 4 },
  { nameEnum: 'Float', valueEnum: 5 },
  { nameEnum: 'Storage', valueEnum: 6 },
  { nameEnum: 'Equalize', valueEnum: 7 },
  { nameEnum: 'Inverting', valueEnum: 9 },
];

interface Region {
  timezone: string;
  country: string;
  phone: string;
  lat: number;
  lng: number;
}

const REGIONS: readonly Region[] = [
  { timezone: 'Europe/Amsterdam', country: 'NL', phone: '+31 6', lat: 52.37, lng: 4.9 },
  { timezone: 'Europe/London', country: 'GB', phone: '+44 7700', lat: 51.5, lng: -0.12 },
  { timezone: 'Europe/Berlin', country: 'DE', phone: '+49 151', lat: 52.52, lng: 13.4 },
  { timezone: 'America/New_York', country: 'US', phone: '+1 212', lat: 40.71, lng: -74.0 },
  { timezone: 'Australia/Sydney', country: 'AU', phone: '+61 4', lat: -33.87, lng: 151.21 },
  { timezone: 'Africa/Johannesburg', country: 'ZA', phone: '+27 82', lat: -26.2, lng: 28.04 },
];

const KINDS: readonly { name: string; icon: string; mobile: boolean }[] = [
  { name: 'Home', icon: 'house', mobile: false },
  { name: 'Boat', icon: 'boat', mobile: true },
  { name: 'Camper', icon: 'rv', mobile: true },
  { name: 'Cabin', icon: 'cabin', mobile: false },
  { name: 'Workshop', icon: 'factory', mobile: false },
  { name: 'Farm', icon: 'farm', mobile: false },
];

const NOTES = [
  'Batteries replaced in spring.',
  'Generator service due every 500 hours.',
  'Key for the battery room is with the neighbour.',
  'Shore power limited to 16 A.',
];
const ALARMS = ['Low battery', 'High temperature', 'Overload', 'Grid lost'];
const USER_TAGS = ['Family', 'Rental', 'Customer', 'Test bench'];
const TOKEN_NAMES = ['Home Assistant', 'Node-RED flows', 'Grafana dashboard', 'Solar forecast script'];

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function seedSite(
  rng: () => number,
  owner: { idUser: number; lastName: string } | null,
  region: Region,
  s: number,
  kindOffset: number,
  idSite: number,
  identifier: string,
): VrmSiteRecord {
  const kind = KINDS[(kindOffset + s) % KINDS.length]!;
  const place = rng() < 0.2 ? pick(rng, REGIONS) : region;
  const latitude = round(place.lat + (rng() - 0.5) * 0.5, 5);
  const longitude = round(place.lng + (rng() - 0.5) * 0.5, 5);
  const pvMax = rng() < 0.2 ? 0 : Math.round(rng() * 120) * 100;
  const phonenumber = rng() < 0.4 ? `${place.phone} ${String(Math.floor(rng() * 1e7)).padStart(7, '0')}` : null;
  const notes = rng() < 0.3 ? pick(rng, NOTES) : null;
  const geofence = rng() < 0.25 ? JSON.stringify({ latitude, longitude, radius: 200 + Math.floor(rng() * 800) }) : null;
  const geofenceEnabled = geofence !== null && rng() < 0.7;
  const realtimeUpdates = rng() < 0.8;
  const hasMains = rng() < (kind.mobile ? 0.3 : 0.9) ? 1 : 0;
  const hasGenerator = rng() < 0.2 ? 1 : 0;
  const noDataAlarmTimeout = pick(rng, [null, 3600, 7200, 86_400]);
  const alarmMonitoring = pick(rng, [0, 1, 1, 2] as const);
  const invalidToken = rng() < 0.05 ? 1 : 0;
  const syscreated = SEED_UNIX - Math.floor(rng() * 3 * 365 * DAY);
  const hasBattery = rng() < 0.85;
  const nominal = kind.mobile ? 12.8 : 51.2;
  const batterySoc = hasBattery ? round(20 + rng() * 80, 1) : null;
  const batteryVoltage = hasBattery ? round(nominal * (0.95 + rng() * 0.1), 2) : null;
  const pvPower = pvMax > 0 ? Math.round(rng() * pvMax) : null;
  const currentAlarms = rng() < 0.15 ? [pick(rng, ALARMS)] : [];
  const nodered = rng() < 0.3;
  const tags = [
    ...(pvMax > 0 ? [{ idTag: 1, name: 'Solar', automatic: true }] : []),
    ...(hasGenerator ? [{ idTag: 2, name: 'Generator', automatic: true }] : []),
    ...(rng() < 0.3 ? [((t: string) => ({ idTag: 100 + USER_TAGS.indexOf(t), name: t, automatic: false }))(pick(rng, USER_TAGS))] : []),
  ];
  return {
    idSite,
    identifier,
    name: owner ? `${owner.lastName} ${kind.name}` : `Unregistered ${kind.name}`,
    ownerId: owner ? owner.idUser : null,
    shares: new Map(),
    pvMax,
    timezone: place.timezone,
    phonenumber,
    notes,
    geofence,
    geofenceEnabled,
    realtimeUpdates,
    hasMains,
    hasGenerator,
    noDataAlarmTimeout,
    alarmMonitoring,
    invalidVRMAuthTokenUsedInLogRequest: invalidToken,
    syscreated,
    deviceIcon: kind.icon,
    details: {
      lastTimestamp: SEED_UNIX - Math.floor(rng() * 3600),
      latitude,
      longitude,
      batterySoc,
      batteryVoltage,
      pvPower,
      vebusState: Math.floor(rng() * VEBUS_STATES.length),
      currentAlarms,
      highWorkload: rng() < 0.05,
      hasAvatar: rng() < 0.3,
      images: rng() < 0.3 ? ['front.jpg'] : [],
      tags,
      features: { vnc: true, nodered, noderedDash: nodered && rng() < 0.5, signalk: kind.mobile && rng() < 0.5 },
    },
  };
}

function unclaimedSite(n: number): VrmSiteRecord {
  const rng = rngFor(0, 'vrm-unclaimed', n);
  const region = REGIONS[n % REGIONS.length]!;
  return seedSite(rng, null, region, n, 0, unclaimedSiteIdFor(n), unclaimedIdentifierFor(n));
}

/**
 * Builds the seeded data. `adminToken` is the service credential the admin user authenticates with.
 * Pure: the same population and token give equal data, so `resetData` just builds it again.
 */
export function buildVrmData(population: Population, adminToken: string): VrmData {
  const users = new Map<number, VrmUserRecord>();
  const tokens = new Map<number, VrmTokenRecord>();
  const sites = new Map<number, VrmSiteRecord>();

  users.set(ADMIN_USER_ID, { idUser: ADMIN_USER_ID, name: 'VRM Emulator Admin', email: ADMIN_EMAIL, country: 'NL', admin: true });
  tokens.set(ADMIN_TOKEN_ID, {
    idAccessToken: ADMIN_TOKEN_ID,
    idUser: ADMIN_USER_ID,
    name: 'usergraph service',
    secret: adminToken,
    createdOn: SEED_UNIX - 365 * DAY,
    expires: null,
    scope: 'all',
  });

  let maxTokenId = ADMIN_TOKEN_ID;
  const members = membersOf(population, 'vrm');
  members.forEach((person, k) => {
    const rng = rngFor(population.seed, 'vrm', person.index);
    const idUser = userIdFor(person.index);
    const region = pick(rng, REGIONS);
    users.set(idUser, { idUser, name: `${person.firstName} ${person.lastName}`, email: person.email, country: region.country, admin: false });

    const tokenCount = 2 + (k % 2);
    const names = [...TOKEN_NAMES];
    for (let j = 0; j < tokenCount; j++) {
      const idAccessToken = tokenIdFor(person.index, j);
      const last = j === tokenCount - 1 && j > 0;
      const name = j === 0 ? 'usergraph' : names.splice(Math.floor(rng() * names.length), 1)[0]!;
      tokens.set(idAccessToken, {
        idAccessToken,
        idUser,
        name,
        secret: j === 0 ? personalTokenFor(population.seed, person.index) : otherTokenFor(population.seed, person.index, j),
        createdOn: SEED_UNIX - Math.floor(rng() * 400 * DAY),
        expires: last && k % 4 === 3 ? EXPIRED_AT : last && k % 4 === 1 ? FUTURE_EXPIRY : null,
        scope: 'all',
      });
      maxTokenId = Math.max(maxTokenId, idAccessToken);
    }

    const siteCount = 2 + (k % 3);
    const kindOffset = Math.floor(rng() * KINDS.length);
    for (let s = 0; s < siteCount; s++) {
      const idSite = siteIdFor(person.index, s);
      sites.set(idSite, seedSite(rng, { idUser, lastName: person.lastName }, region, s, kindOffset, idSite, hexFor(`vrm-site:${population.seed}:${person.index}:${s}`, 12)));
    }

    // Sharing: some members also see a site of the previous VRM member without owning it.
    const previous = k > 0 ? members[k - 1] : undefined;
    if (previous && k % 5 === 2) sites.get(siteIdFor(previous.index, 0))!.shares.set(idUser, { accessLevel: 0, isAdmin: false });
    if (previous && k % 5 === 4) sites.get(siteIdFor(previous.index, 1))!.shares.set(idUser, { accessLevel: 1, isAdmin: true });
  });

  for (let n = 0; n < UNCLAIMED_COUNT; n++) {
    const site = unclaimedSite(n);
    sites.set(site.idSite, site);
  }

  const bySecret = new Map([...tokens.values()].map((t) => [t.secret, t.idAccessToken]));
  const byIdentifier = new Map([...sites.values()].map((site) => [site.identifier.toLowerCase(), site.idSite]));
  return { users, tokens, sites, bySecret, byIdentifier, nextTokenId: maxTokenId + 1 };
}
