/**
 * The gateway's own view of a Podero organization user and their devices: camelCase, `Date`
 * timestamps, UPPER_SNAKE enums that map 1:1 onto the GraphQL enums, string ids (UUIDs). Public:
 * resolvers, loaders and mutations use these; the wire format stays in `wire.ts`.
 */

export type PoderoRole = 'ADMIN' | 'STAFF' | 'USER' | 'GUEST';
/** Roles a partner may give; `GUEST` is only ever sent by the API. */
export type PoderoAssignableRole = Exclude<PoderoRole, 'GUEST'>;

export interface PoderoAddress {
  streetAndNumber: string | null;
  streetAddInfo: string | null;
  zipCode: string | null;
  town: string | null;
  /** ISO 3166-1 code as stored upstream (alpha-2, e.g. `DE`). */
  country: string | null;
  latitude: number | null;
  longitude: number | null;
}

/** Devices of the user that are not soft-deleted, by kind. */
export interface PoderoDeviceCounts {
  heatPumps: number;
  electricVehicles: number;
  inverters: number;
  wallboxes: number;
}

export interface PoderoUser {
  /** UUID. */
  id: string;
  organizationId: string;
  role: PoderoRole;
  email: string;
  /** The partner's id for the user; the gateway sets it to the person id when it provisions. */
  externalUserId: string | null;
  firstName: string | null;
  lastName: string | null;
  isOnboarded: boolean | null;
  address: PoderoAddress;
  /** When an address or coordinate value last changed. */
  locationLastUpdated: Date | null;
  deviceCounts: PoderoDeviceCounts;
  lastLogin: Date | null;
  joinedAt: Date;
  /** Set when the user is soft-deleted (only returned with `includeDeleted`). */
  deletedAt: Date | null;
}

export interface ListPoderoOptions {
  /** Also return soft-deleted records. Default false. */
  includeDeleted?: boolean;
}

export interface ListDevicesOptions extends ListPoderoOptions {
  /**
   * Also read each device's detail, so that `actions`, `actionNeeded` and the other detail-only fields
   * are filled: one more call per device, all in parallel after the three lists. Default false.
   */
  details?: boolean;
}

/** Every key is tri-state: omitted = leave (or the upstream default on create), `null` = clear, value = set. */
export type PoderoAddressPatch = { [K in keyof PoderoAddress]?: PoderoAddress[K] };

export interface CreatePoderoUserInput {
  /** Unique within the organization. */
  email: string;
  /** Default `USER`. */
  role?: PoderoAssignableRole;
  /** Unique within the organization; the gateway passes the person id. */
  externalUserId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  address?: PoderoAddressPatch;
}

/** `PUT` with only the keys given: omitted = untouched, `null` = cleared. */
export interface PoderoUserPatch {
  email?: string;
  role?: PoderoAssignableRole;
  externalUserId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** `null` clears every address key; an object changes only the keys it holds. */
  address?: PoderoAddressPatch | null;
}

export type DeviceKind = 'HEAT_PUMP' | 'ELECTRIC_VEHICLE' | 'INVERTER';
export type DeviceHealth = 'OK' | 'WARNING' | 'ERROR' | 'UNKNOWN';
export type PriceZone =
  | 'AT' | 'AT_HOURLY' | 'BE' | 'CH' | 'EE' | 'DE_LU' | 'HU' | 'IT_CNOR' | 'IT_CSUD' | 'IT_NORD' | 'IT_PUN'
  | 'IT_SARD' | 'IT_SICI' | 'IT_SUD' | 'PT' | 'RO' | 'SE_1' | 'SE_2' | 'SE_3' | 'SE_4' | 'UK';

export interface DeviceOwner {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  /** The owner's `externalUserId`. */
  externalId: string | null;
}

export interface DeviceModel {
  /** `hp_atw`, `ev`, `inverter` … */
  typeShortName: string;
  typeLongName: string;
  manufacturer: string;
  model: string;
  year: number | null;
  /** UUID of the manufacturer cloud podero talks to. */
  cloudServiceId: string | null;
  cloudServiceInstructions: string | null;
  cloudServiceSignupLink: string | null;
}

export interface ResolutionLink {
  /** A signed link (valid about an hour) to `…/cues/{id}/resolve`; hand it to the device's owner. */
  url: string;
  /** Body parameters the resolve call needs, e.g. `successUrl`, `cancelUrl`. */
  requiredParameters: string[];
}

export interface DeviceAction {
  /** `reauthenticate` is the documented code; others are passed on as the API sends them. */
  code: string;
  resolutionLink: ResolutionLink | null;
}

/** What every device kind has. */
export interface DeviceBase {
  /** UUID. */
  id: string;
  /** The owning podero user (`owner.id`). */
  userId: string;
  owner: DeviceOwner;
  createdAt: Date;
  updatedAt: Date;
  /** Set when soft-deleted (only returned with `includeDeleted`). */
  deletedAt: Date | null;
  buildingId: string | null;
  model: DeviceModel;
  connectionStatus: DeviceHealth;
  monitoringStatus: DeviceHealth;
  steeringStatus: DeviceHealth;
  priceZone: PriceZone | null;
  /** The API's open vocabulary in UPPER_SNAKE: `AUTHENTICATED`, `ERROR` (see `lifecycleError`) … */
  lifecycleState: string;
  lifecycleError: string | null;
  pausePowerUntil: Date | null;
  isPausePowerActive: boolean;
  /** The partner's id for the device; `""` when none was given. */
  externalDeviceId: string;
  /** False when podero lost access to the device's cloud: see `actions` for the way back. */
  isAuthenticated: boolean;
  isSmartOptimizationActive: boolean;
  optimizationScore: number | null;
  comment: string | null;
  currentStateLastUpdatedAt: Date | null;
  lastMonitoringExecutedAt: Date | null;
  isInverterForcedModeEnabled: boolean;
  isInverterForcedModeActive: boolean;
  inverterForcedModeSince: Date | null;
  isTradingEnabled: boolean;
  /** The API's open vocabulary in UPPER_SNAKE (`UNKNOWN` …). */
  actualSteeringState: string;
  /**
   * The detail-only fields. The API sends them on the detail and update answers only, so a device read
   * from a list has `null` here (never a guessed `false` or `[]`); `getHeatPump` & co. fill them.
   */
  actionNeeded: boolean | null;
  hasUnreadNotifications: boolean | null;
  onboardingFormUrl: string | null;
  authorizationUrl: string | null;
  actions: DeviceAction[] | null;
}

export type OptimizationLevel = 'LOW' | 'MID' | 'MAX';
export type HeatPumpMode = 'MIN' | 'LOW' | 'MID' | 'MAX';
export type BoostState = 'AVAILABLE' | 'REQUESTED' | 'ONGOING' | 'UNAVAILABLE';

export interface HeatPump extends DeviceBase {
  kind: 'HEAT_PUMP';
  currentMode: HeatPumpMode | null;
  optimizationLevel: OptimizationLevel;
  isForecastingEnabled: boolean;
  /** Kelvin. */
  indoorTargetTemperatureOffset: number;
  /** Temperatures in °C. */
  dhwStandardTemperature: number | null;
  isHotWaterHeatingEnabled: boolean;
  isSpaceHeatingEnabled: boolean;
  isPoolHeatingEnabled: boolean;
  isSpaceCoolingEnabled: boolean;
  heatingPolicyName: string | null;
  maximumTemperatureLimit: number;
  minimumTemperatureLimit: number;
  minimumDhwTemperatureLimit: number | null;
  isHeatingPolicyEnabled: boolean;
  awayModeStart: Date | null;
  awayModeEnd: Date | null;
  isAwayModeEnabled: boolean;
  awayModeMinimumTemperatureLimit: number | null;
  currentPowerConsumptionW: number | null;
  outdoorTemperature: number | null;
  indoorActualTemperature: number | null;
  indoorTargetTemperature: number | null;
  inletTemperature: number | null;
  outletTemperature: number | null;
  dhwTemperature: number | null;
}

export interface ElectricVehicle extends DeviceBase {
  kind: 'ELECTRIC_VEHICLE';
  /** Open vocabulary in UPPER_SNAKE; not documented for vehicles. */
  currentMode: string | null;
  /** Percent. */
  chargeTargetMin: number;
  chargeTargetMax: number;
  isChargePolicyEnabled: boolean;
  isPluggedIn: boolean | null;
  isCharging: boolean | null;
  isFullyCharged: boolean | null;
  chargeRateW: number | null;
  /** Percent, 0–100. */
  batteryLevel: number | null;
  batteryCapacityKwh: number | null;
  /** Kilometres. */
  drivingRange: number | null;
  boostState: BoostState;
}

export interface Inverter extends DeviceBase {
  kind: 'INVERTER';
  /** Open vocabulary in UPPER_SNAKE; not documented for inverters. */
  currentMode: string | null;
  solarPowerRatingKw: number | null;
  batteryCapacityKwh: number | null;
  isBatteryConnected: boolean;
  currentSolarProductionW: number | null;
  householdConsumptionW: number | null;
  batteryChargeDischargePowerW: number | null;
  isBatteryDischarging: boolean | null;
  currentPowerToGridW: number | null;
  isExportingToGrid: boolean | null;
  batteryChargeLevelPercent: number | null;
  solarSurplusW: number | null;
}

export type Device = HeatPump | ElectricVehicle | Inverter;

/** Keys every device kind accepts; each tri-state where the API allows null. */
export interface DevicePatch {
  isSmartOptimizationActive?: boolean;
  externalDeviceId?: string;
  comment?: string | null;
  /** `null` resumes optimisation. */
  pausePowerUntil?: Date | null;
}

export interface HeatPumpPatch extends DevicePatch {
  optimizationLevel?: OptimizationLevel;
  isForecastingEnabled?: boolean;
  indoorTargetTemperatureOffset?: number;
  dhwStandardTemperature?: number | null;
  isHotWaterHeatingEnabled?: boolean;
  isSpaceHeatingEnabled?: boolean;
  isPoolHeatingEnabled?: boolean;
  isSpaceCoolingEnabled?: boolean;
  heatingPolicyName?: string | null;
  maximumTemperatureLimit?: number;
  minimumTemperatureLimit?: number;
  minimumDhwTemperatureLimit?: number | null;
  isHeatingPolicyEnabled?: boolean;
  awayModeStart?: Date | null;
  awayModeEnd?: Date | null;
  isAwayModeEnabled?: boolean;
  awayModeMinimumTemperatureLimit?: number | null;
}

export interface ElectricVehiclePatch extends DevicePatch {
  chargeTargetMin?: number;
  chargeTargetMax?: number;
  isChargePolicyEnabled?: boolean;
}

export interface InverterPatch extends DevicePatch {
  solarPowerRatingKw?: number | null;
  batteryCapacityKwh?: number | null;
  isInverterForcedModeEnabled?: boolean;
}
