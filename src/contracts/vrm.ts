/**
 * The Victron VRM API v2 wire format of the Users endpoints, exactly as the API sends and accepts it
 * (seeds/001, upstream-contracts.md §2). Both the emulator and the connector speak these types; nothing
 * outside `src/upstreams/vrm/` and `src/emulators/vrm/` should need them.
 *
 * VRM mixes conventions: camelCase and snake_case keys side by side, integer ids for users and sites
 * but string ids for tokens and in `site_id`, unix times as integers in installations but as decimal
 * strings in the token list, and 0/1 integers for some flags.
 */

/** A unix time in seconds rendered as a decimal string: `"1717000000"`. */
export type WireUnixString = string;

/** The one error body of every 4xx and 5xx answer. */
export interface WireErrorBody {
  success: false;
  /** A message, or a map from request field to message for validation failures. */
  errors: string | Record<string, string>;
  /** A machine-readable reason such as `invalid_token`, or null. */
  error_code: string | null;
}

/** `GET /users/me`. */
export interface WireUser {
  id: number;
  name: string;
  email: string;
  /** ISO 3166-1 alpha-2 country code. */
  country: string;
}

export interface WireMeResponse {
  success: true;
  user: WireUser;
}

/** Body of `POST /users/{idUser}/accesstokens/create`. */
export interface WireCreateAccessTokenBody {
  /** Must not already exist among the user's tokens. */
  name: string;
  /** Unix time (seconds) when the token stops working; omitted for a token that never expires. */
  expiry?: number;
}

export interface WireCreateAccessTokenResponse {
  success: true;
  /** The secret: 64 lower-case hex characters. Returned here once and never again. The spec types it as integer [C]. */
  token: string;
  /** The new token's id, a decimal string. */
  idAccessToken: string;
}

/** One entry of `GET /users/{idUser}/accesstokens/list`: never the secret itself. */
export interface WireAccessToken {
  name: string;
  idAccessToken: string;
  createdOn: WireUnixString;
  /** `all` for personal access tokens [I]. */
  scope: string;
  /** Null when the token never expires. */
  expires: WireUnixString | null;
}

export interface WireListAccessTokensResponse {
  success: true;
  tokens: WireAccessToken[];
}

/** `GET /users/{idUser}/accesstokens/{idAccessToken}/revoke`. */
export interface WireRevokeAccessTokenResponse {
  success: true;
  data: { removed: number };
}

/** Body of `POST /users/{idUser}/addsite` and `POST /users/{idUser}/get-site-id`. */
export interface WireSiteIdentifierBody {
  /** The installation's VRM portal id. */
  installation_identifier: string;
}

/** Answer of `addsite` and `get-site-id`: the site id as a decimal string. */
export interface WireSiteIdResponse {
  success: true;
  records: { site_id: string };
}

export interface WireTag {
  idTag: number;
  name: string;
  /** False when a user created the tag. */
  automatic: boolean;
}

export interface WireImage {
  idSiteImage: number;
  imageName: string;
  url: string;
}

/** What the requesting user may do on an installation. */
export interface WireViewPermissions {
  update_settings: boolean;
  settings: boolean;
  diagnostics: boolean;
  share: boolean;
  vnc: boolean;
  mqtt_rpc: boolean;
  vebus: boolean;
  twoway: boolean;
  exact_location: boolean;
  nodered: boolean;
  nodered_dash: boolean;
  signalk: boolean;
}

/** A data attribute in an installation's `extended` array. */
export interface WireDataAttribute {
  idDataAttribute: number;
  code: string;
  description: string;
  /** A printf-style format, e.g. `%.2F V`. */
  formatWithUnit: string;
  dataType: 'string' | 'float' | 'enum';
  /** For enums, the text of the current value; otherwise empty. */
  textValue: string;
  /** The device instance, as a decimal string. */
  instance: string;
  timestamp: WireUnixString;
  dbusServiceType: string;
  dbusPath: string;
  rawValue: string;
  formattedValue: string;
  dataAttributeEnumValues?: { nameEnum: string; valueEnum: number }[];
}

/** A summary value in an installation's `extended` array. */
export interface WireSummary {
  code: string;
  description: string;
  rawValue: number | null;
  formattedValue: string;
  textValue: string | null;
  formatWithUnit: string;
  idDataAttribute: number | null;
  dataAttributes: { instance: number; dbusServiceType: string; dbusPath: string }[];
}

export type WireExtendedItem = WireDataAttribute | WireSummary;

/**
 * One installation (site). The required fields are always sent; the optional ones only with
 * `extended=1` ("include all optional response values"). The flags `owner`, `is_admin`, `accessLevel`
 * and `view_permissions` describe the requesting user, not the owner (who is `idUser`).
 */
export interface WireInstallation {
  idSite: number;
  accessLevel: number;
  owner: boolean;
  is_admin: boolean;
  name: string;
  identifier: string;
  /** The owner. */
  idUser: number;
  pvMax: number;
  timezone: string;
  phonenumber: string | null;
  notes: string | null;
  /** A JSON document as a string. */
  geofence: string | null;
  geofenceEnabled: boolean;
  realtimeUpdates: boolean;
  hasMains: 0 | 1;
  hasGenerator: 0 | 1;
  /** Seconds without data before the no-data alarm fires. */
  noDataAlarmTimeout: number | null;
  /** 0 nothing, 1 alarms, 2 alarms and warnings. */
  alarmMonitoring: 0 | 1 | 2;
  invalidVRMAuthTokenUsedInLogRequest: 0 | 1;
  /** Unix time of creation. */
  syscreated: number;
  shared: boolean;
  device_icon: string;
  alarm?: boolean;
  last_timestamp?: number;
  /** Local time at the site, `hh:mm`. */
  current_time?: string;
  /** Seconds the site's time zone is ahead of UTC. */
  timezone_offset?: number;
  demo_mode?: boolean;
  mqtt_webhost?: string;
  mqtt_host?: string;
  high_workload?: boolean;
  current_alarms?: string[];
  num_alarms?: number;
  avatar_url?: string | null;
  tags?: WireTag[];
  images?: WireImage[];
  view_permissions?: WireViewPermissions;
  extended?: WireExtendedItem[];
}

export interface WireInstallationsResponse {
  success: true;
  records: WireInstallation[];
}
