/**
 * The podero emulator's data: users and their devices as stored records, and how they are rendered on
 * the wire. Records hold the wire fields that are stored; what the API derives on every answer (device
 * counts, the embedded owner, `action_needed`, resolution links) is computed at render time, so it can
 * never disagree with the stored data.
 */
import type {
  WireDeviceCollection,
  WireDeviceDetailFields,
  WireElectricVehicle,
  WireHeatPump,
  WireInverter,
  WireUser,
} from '../../contracts/podero';

export type UserRecord = Omit<WireUser, 'num_inverters' | 'num_heat_pumps' | 'num_electric_vehicles' | 'num_wallboxes'>;

/** A pending `reauthenticate` action: resolved through `POST /cues/{id}/resolve?secret=…`. */
export interface Cue {
  id: string;
  secret: string;
}

interface DeviceRecordBase {
  userId: string;
  /** The pending reauthentication, when the device is not authenticated. */
  cue: Cue | null;
  hasUnreadNotifications: boolean;
}

export type HeatPumpRecord = DeviceRecordBase & { collection: 'heat-pumps'; wire: Omit<WireHeatPump, 'owner'> };
export type ElectricVehicleRecord = DeviceRecordBase & { collection: 'electric-vehicles'; wire: Omit<WireElectricVehicle, 'owner'> };
export type InverterRecord = DeviceRecordBase & { collection: 'inverters'; wire: Omit<WireInverter, 'owner'> };
export type DeviceRecord = HeatPumpRecord | ElectricVehicleRecord | InverterRecord;

export interface PoderoData {
  users: Map<string, UserRecord>;
  /** By device id; each device belongs to exactly one user. */
  devices: Map<string, DeviceRecord>;
}

/** The parameters `POST /cues/{cue_id}/resolve` requires, as listed in each resolution link. */
export const CUE_REQUIRED_PARAMETERS = ['successUrl', 'cancelUrl'];

export function renderUser(data: PoderoData, user: UserRecord): WireUser {
  const counts = { 'heat-pumps': 0, 'electric-vehicles': 0, inverters: 0 } satisfies Record<WireDeviceCollection, number>;
  for (const device of data.devices.values()) {
    if (device.userId === user.id && device.wire.deleted_at === null) counts[device.collection]++;
  }
  return {
    id: user.id,
    organization_id: user.organization_id,
    role: user.role,
    email: user.email,
    num_inverters: counts.inverters,
    num_heat_pumps: counts['heat-pumps'],
    num_electric_vehicles: counts['electric-vehicles'],
    num_wallboxes: 0,
    external_user_id: user.external_user_id,
    first_name: user.first_name,
    last_name: user.last_name,
    is_onboarded: user.is_onboarded,
    street_and_number: user.street_and_number,
    street_add_info: user.street_add_info,
    zip_code: user.zip_code,
    town: user.town,
    country: user.country,
    latitude: user.latitude,
    longitude: user.longitude,
    location_last_updated: user.location_last_updated,
    last_login: user.last_login,
    joined_at: user.joined_at,
    deleted_at: user.deleted_at,
  };
}

function owner(user: UserRecord): WireHeatPump['owner'] {
  return { id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name, external_id: user.external_user_id };
}

/** A device as the list endpoints send it: the stored fields plus its owner, no detail-only fields. */
export function renderDeviceItem(device: DeviceRecord, user: UserRecord): WireHeatPump | WireElectricVehicle | WireInverter {
  return { ...device.wire, owner: owner(user) };
}

/**
 * A device as the detail and update endpoints send it. `baseUrl` is this emulator's origin plus base
 * path, so the resolution link points at the emulator's own `/cues/{id}/resolve`.
 */
export function renderDeviceDetail(device: DeviceRecord, user: UserRecord, baseUrl: string): ReturnType<typeof renderDeviceItem> & WireDeviceDetailFields {
  const { cue } = device;
  return {
    ...renderDeviceItem(device, user),
    action_needed: cue !== null,
    has_unread_notifications: device.hasUnreadNotifications,
    onboarding_form_url: null,
    authorization_url: null,
    actions: cue
      ? [
          {
            code: 'reauthenticate',
            resolution_link: {
              url: `${baseUrl}/cues/${cue.id}/resolve?secret=${cue.secret}`,
              required_parameters: [...CUE_REQUIRED_PARAMETERS],
            },
          },
        ]
      : [],
  };
}
