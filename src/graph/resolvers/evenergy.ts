/**
 * ev.energy-served fields: notification preferences (forward compatible: every group the upstream
 * reports is listed in `groups`) and the payout method (all fields null when none is set).
 */
import type { NotificationGroupsResolvers, PayoutMethodResolvers } from '../../generated/graphql';
import { fromAccount } from '../access';
import type { GraphContext } from '../context';
import type { UserFieldResolvers } from './askPolicy';
import type { NotificationGroupsModel, PayoutMethodModel } from '../models';

const group = (name: string) => (prefs: NotificationGroupsModel) => prefs.groups[name] ?? null;

export const NotificationGroups: NotificationGroupsResolvers<GraphContext, NotificationGroupsModel> = {
  chargingFlow: group('charging_flow'),
  chargingIssues: group('charging_issues'),
  chargingOptimisation: group('charging_optimisation'),
  dealsAndOffers: group('deals_and_offers'),
  powerSupplyNotifications: group('power_supply_notifications'),
  groups: (prefs) => Object.entries(prefs.groups).map(([name, enabled]) => ({ name, enabled })),
};

export const PayoutMethod: PayoutMethodResolvers<GraphContext, PayoutMethodModel> = {
  receiver: (p) => p.receiver,
  receiverType: (p) => p.receiverType,
  wallet: (p) => p.wallet,
};

export const UserEvenergyFields: Pick<UserFieldResolvers, 'notificationGroups' | 'payoutMethod'> = {
  notificationGroups: (person, _args, ctx) => fromAccount(ctx, person, 'evenergy', (id) => ctx.loaders.notificationPreferences.load(id)),
  payoutMethod: (person, _args, ctx) => fromAccount(ctx, person, 'evenergy', (id) => ctx.loaders.payoutMethod.load(id)),
};
