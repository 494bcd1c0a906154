/**
 * Podero-served fields: the address (from the org user) and the devices (heat pumps, electric vehicles,
 * inverters) with their pending actions and resolution links.
 */
import type { AddressResolvers, DeviceActionResolvers, DeviceResolvers, ElectricVehicleResolvers, HeatPumpResolvers, InverterResolvers } from '../../generated/graphql';
import { fromAccount, upstreamField } from '../access';
import type { GraphContext } from '../context';
import type { UserFieldResolvers } from './askPolicy';
import { toGlobalId, type NodeType } from '../ids';
import type { AddressModel, DeviceModel } from '../models';

const TYPE_OF_KIND: Record<DeviceModel['kind'], 'HeatPump' | 'ElectricVehicle' | 'Inverter'> = {
  HEAT_PUMP: 'HeatPump',
  ELECTRIC_VEHICLE: 'ElectricVehicle',
  INVERTER: 'Inverter',
};

export const UserPoderoFields: Pick<UserFieldResolvers, 'address' | 'devices'> = {
  async address(person, _args, ctx) {
    const user = await fromAccount(ctx, person, 'podero', (id) => ctx.loaders.poderoUser.load(id));
    return user ? user.address : null;
  },
  async devices(person, _args, ctx) {
    const devices = await fromAccount(ctx, person, 'podero', (id) => ctx.loaders.devices.load(id));
    return devices ? devices.map((d) => ({ ...d, personId: person.id })) : null;
  },
};

export const Address: AddressResolvers<GraphContext, AddressModel> = {
  streetAndNumber: (a) => a.streetAndNumber,
  streetAddInfo: (a) => a.streetAddInfo,
  zipCode: (a) => a.zipCode,
  town: (a) => a.town,
  country: (a) => a.country,
  latitude: (a) => a.latitude,
  longitude: (a) => a.longitude,
};

/**
 * Podero's device lists leave out `action_needed` and `actions`; only the detail answer has them. They are
 * fetched (one call per device, de-duplicated per request) only when those fields are asked for.
 */
function detailOf(ctx: GraphContext, d: DeviceModel): Promise<DeviceModel | null> {
  return upstreamField(ctx, async () => {
    const detail = await ctx.loaders.deviceDetail.load({ userId: d.userId, kind: d.kind, id: d.id });
    return detail ? { ...detail, personId: d.personId } : null;
  });
}

/** Fields every device type shares. */
const common = {
  id: (d: DeviceModel) => toGlobalId(TYPE_OF_KIND[d.kind] as NodeType, d.personId, d.id),
  deviceId: (d: DeviceModel) => d.id,
  manufacturer: (d: DeviceModel) => d.model.manufacturer,
  model: (d: DeviceModel) => d.model.model,
  isAuthenticated: (d: DeviceModel) => d.isAuthenticated,
  isSmartOptimizationActive: (d: DeviceModel) => d.isSmartOptimizationActive,
  actionNeeded: async (d: DeviceModel, _args: unknown, ctx: GraphContext) => {
    if (d.actionNeeded !== null) return d.actionNeeded;
    const detail = await detailOf(ctx, d);
    return detail?.actionNeeded ?? (detail?.actions?.length ?? 0) > 0;
  },
  actions: async (d: DeviceModel, _args: unknown, ctx: GraphContext) => d.actions ?? (await detailOf(ctx, d))?.actions ?? [],
  connectionStatus: (d: DeviceModel) => d.connectionStatus,
  createdAt: (d: DeviceModel) => d.createdAt,
};

export const Device: DeviceResolvers<GraphContext, DeviceModel> = {
  __resolveType: (d) => TYPE_OF_KIND[d.kind],
};

export const HeatPump: HeatPumpResolvers<GraphContext, DeviceModel> = {
  ...common,
  currentPowerConsumptionW: (d) => (d.kind === 'HEAT_PUMP' ? d.currentPowerConsumptionW : null),
  outdoorTemperature: (d) => (d.kind === 'HEAT_PUMP' ? d.outdoorTemperature : null),
  indoorActualTemperature: (d) => (d.kind === 'HEAT_PUMP' ? d.indoorActualTemperature : null),
};

export const ElectricVehicle: ElectricVehicleResolvers<GraphContext, DeviceModel> = {
  ...common,
  batteryLevel: (d) => (d.kind === 'ELECTRIC_VEHICLE' ? d.batteryLevel : null),
  isPluggedIn: (d) => (d.kind === 'ELECTRIC_VEHICLE' ? d.isPluggedIn : null),
  isCharging: (d) => (d.kind === 'ELECTRIC_VEHICLE' ? d.isCharging : null),
  drivingRange: (d) => (d.kind === 'ELECTRIC_VEHICLE' ? d.drivingRange : null),
};

export const Inverter: InverterResolvers<GraphContext, DeviceModel> = {
  ...common,
  solarPowerRatingKw: (d) => (d.kind === 'INVERTER' ? d.solarPowerRatingKw : null),
  currentSolarProductionW: (d) => (d.kind === 'INVERTER' ? d.currentSolarProductionW : null),
  batteryChargeLevelPercent: (d) => (d.kind === 'INVERTER' ? d.batteryChargeLevelPercent : null),
};

export const DeviceAction: DeviceActionResolvers<GraphContext> = {
  code: (a) => a.code,
  resolutionLink: (a) => a.resolutionLink,
};
