/**
 * All resolvers, merged per type. Upstream-served `User` fields live with their upstream; this module
 * only puts them together.
 */
import type { Resolvers } from '../../generated/graphql';
import { DateScalar, DateTimeScalar, EmailAddressScalar } from '../scalars';
import type { GraphContext } from '../context';
import { Query } from './Query';
import { UpstreamAccount, User } from './User';
import { Node } from './node';
import { Account, IdentitySubscription, UserIdentityFields } from './identity';
import { NotificationGroups, PayoutMethod, UserEvenergyFields } from './evenergy';
import { AccessToken, AddSitePayload, Site, SiteAttribute, UserVrmFields, VrmQueries } from './vrm';
import { Address, Device, DeviceAction, ElectricVehicle, HeatPump, Inverter, UserPoderoFields } from './podero';
import { Entry, Expense, Project, UserTimesheetFields } from './timesheet';
import { Mutation } from './mutations/index';
import { guardUserFields } from './askPolicy';

export const resolvers: Resolvers<GraphContext> = {
  DateTime: DateTimeScalar,
  Date: DateScalar,
  EmailAddress: EmailAddressScalar,
  Query: { ...Query, ...VrmQueries },
  Mutation,
  Node,
  // Every User field asks the policy before it resolves.
  User: guardUserFields({ ...User, ...UserIdentityFields, ...UserEvenergyFields, ...UserVrmFields, ...UserPoderoFields, ...UserTimesheetFields }),
  UpstreamAccount,
  IdentitySubscription,
  Account,
  NotificationGroups,
  PayoutMethod,
  AccessToken,
  Site,
  SiteAttribute,
  AddSitePayload,
  Address,
  Device,
  HeatPump,
  ElectricVehicle,
  Inverter,
  DeviceAction,
  Entry,
  Expense,
  Project,
};
