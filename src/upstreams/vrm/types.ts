/**
 * The gateway's VRM domain types: what the VRM connector returns. camelCase, `Date` timestamps (VRM's
 * unix times), booleans for VRM's 0/1 flags, UPPER_SNAKE enums and string ids (VRM's integer ids in
 * decimal).
 */

/** Which credential a VRM call carries: the service token, or a person's own token passed by the client. */
export interface VrmCredential {
  /** `token`: a VRM access token (`X-Authorization: Token …`); `bearer`: a login JWT (`Bearer …`). */
  kind: 'token' | 'bearer';
  value: string;
}

/** The VRM user a credential belongs to (`GET /users/me`). */
export interface VrmUser {
  /** `idUser` in decimal. */
  id: string;
  name: string;
  email: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** One personal access token, never with its secret. */
export interface VrmAccessToken {
  /** `idAccessToken`: what `revokeAccessToken` takes. */
  id: string;
  name: string;
  createdAt: Date;
  /** VRM's scope, e.g. `all`. */
  scope: string;
  /** Null when it never expires. */
  expiresAt: Date | null;
}

export interface CreateVrmAccessTokenInput {
  /** Unique among the user's tokens. */
  name: string;
  /** Omitted: the token never expires. Must be in the future. */
  expiresAt?: Date;
}

/**
 * What `createAccessToken` returns: the secret, this once, and what is known of the token. VRM answers
 * only the secret and id; `createdAt` and `scope` are read with `listAccessTokens`.
 */
export interface VrmCreatedAccessToken {
  id: string;
  /** The secret (64 hex). It cannot be read again. */
  token: string;
  name: string;
  expiresAt: Date | null;
}

export interface ListVrmInstallationsOptions {
  /** Include every optional value (VRM `extended=1`): without it the optional fields below are null. */
  extended?: boolean;
  /** Only this site (`idSite`), decimal. */
  siteId?: string | number;
}

export type VrmAlarmMonitoring = 'NONE' | 'ALARMS' | 'ALARMS_AND_WARNINGS';

export type VrmDataType = 'STRING' | 'FLOAT' | 'ENUM';

/** A data attribute in a site's extended data. */
export interface VrmSiteDataAttribute {
  kind: 'DATA_ATTRIBUTE';
  /** `idDataAttribute` in decimal. */
  attributeId: string;
  code: string;
  description: string;
  /** printf-style, e.g. `%.2F V`. */
  formatWithUnit: string;
  dataType: VrmDataType;
  /** For enums the text of the current value; otherwise empty. */
  textValue: string;
  /** The device instance. */
  instance: string;
  /** When the value was received. */
  timestamp: Date;
  dbusServiceType: string;
  dbusPath: string;
  rawValue: string;
  formattedValue: string;
  /** The enum's possible values; empty for other data types. */
  enumValues: { name: string; value: number }[];
}

/** A summary value in a site's extended data. */
export interface VrmSiteSummary {
  kind: 'SUMMARY';
  /** The corresponding data attribute, if any. */
  attributeId: string | null;
  code: string;
  description: string;
  rawValue: number | null;
  formattedValue: string;
  textValue: string | null;
  formatWithUnit: string;
  dataAttributes: { instance: string; dbusServiceType: string; dbusPath: string }[];
}

export type VrmSiteAttribute = VrmSiteDataAttribute | VrmSiteSummary;

/** What the requesting user may do on a site. */
export interface VrmViewPermissions {
  updateSettings: boolean;
  settings: boolean;
  diagnostics: boolean;
  share: boolean;
  vnc: boolean;
  mqttRpc: boolean;
  vebus: boolean;
  twoWay: boolean;
  exactLocation: boolean;
  nodeRed: boolean;
  nodeRedDash: boolean;
  signalK: boolean;
}

/**
 * A VRM site (installation). `owner`, `isAdmin`, `accessLevel` and `viewPermissions` describe the user
 * whose credential made the call, not the owner (`ownerId`). The fields after `deviceIcon` are present
 * only when the list was asked with `extended`; otherwise they are null.
 */
export interface VrmSite {
  /** `idSite` in decimal. */
  id: string;
  name: string;
  /** The VRM portal id. */
  identifier: string;
  /** The owner's `idUser` in decimal. */
  ownerId: string;
  accessLevel: number;
  owner: boolean;
  isAdmin: boolean;
  /** Peak PV power, watts. */
  pvMax: number;
  /** IANA time zone. */
  timezone: string;
  phoneNumber: string | null;
  notes: string | null;
  /** The geofence as VRM stores it: a JSON document in a string. */
  geofence: string | null;
  geofenceEnabled: boolean;
  realtimeUpdates: boolean;
  hasMains: boolean;
  hasGenerator: boolean;
  /** Seconds without data before the no-data alarm fires; null when off. */
  noDataAlarmTimeout: number | null;
  alarmMonitoring: VrmAlarmMonitoring;
  invalidVrmAuthTokenUsedInLogRequest: boolean;
  createdAt: Date;
  /** Whether site sharing is on. */
  shared: boolean;
  deviceIcon: string;
  alarm: boolean | null;
  /** When VRM last received data. */
  lastSeenAt: Date | null;
  /** Local time at the site, `hh:mm`. */
  currentTime: string | null;
  /** Seconds the site's time zone is ahead of UTC. */
  timezoneOffset: number | null;
  demoMode: boolean | null;
  mqttWebHost: string | null;
  mqttHost: string | null;
  highWorkload: boolean | null;
  currentAlarms: string[] | null;
  alarmCount: number | null;
  avatarUrl: string | null;
  tags: { id: string; name: string; automatic: boolean }[] | null;
  images: { id: string; name: string; url: string }[] | null;
  viewPermissions: VrmViewPermissions | null;
  extended: VrmSiteAttribute[] | null;
}
