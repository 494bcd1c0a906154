/**
 * The parent type of each GraphQL object (codegen `mappers`): the connectors' domain types, plus the
 * person id that every object below a User carries so that `node(id:)` can refetch it and the policy can
 * check who may see it.
 */
import type { Person } from '../registry/types';
import type { EvenergyNotificationPreferences, EvenergyPayoutMethod } from '../upstreams/evenergy/types';
import type { IdentityAccount, IdentitySubscription } from '../upstreams/identity/types';
import type { DeviceAction, HeatPump, ElectricVehicle, Inverter, PoderoAddress } from '../upstreams/podero/types';
import type { TimesheetEntry, TimesheetExpense, TimesheetSimpleProject } from '../upstreams/timesheet/types';
import type { VrmAccessToken, VrmSite, VrmSiteAttribute } from '../upstreams/vrm/types';

type OfPerson<T> = T & { personId: string };

export type UserModel = Person;
export type SubscriptionModel = OfPerson<IdentitySubscription>;
export type AccountModel = OfPerson<IdentityAccount>;
export type NotificationGroupsModel = EvenergyNotificationPreferences;
export type PayoutMethodModel = EvenergyPayoutMethod;
export type AccessTokenModel = OfPerson<VrmAccessToken>;
export type SiteModel = OfPerson<VrmSite> & { vrmAccountId: string };
export type SiteAttributeModel = VrmSiteAttribute;
export type AddressModel = PoderoAddress;
export type DeviceModel = OfPerson<HeatPump | ElectricVehicle | Inverter>;
export type DeviceActionModel = DeviceAction;
export type EntryModel = OfPerson<TimesheetEntry>;
export type ExpenseModel = OfPerson<TimesheetExpense>;
export type ProjectModel = OfPerson<TimesheetSimpleProject>;
/** `addSite`'s answer: the new site is read (as `sites` lists it) only when the client selects `site`. */
export type AddSitePayloadModel = { siteId: string; person: Person; vrmAccountId: string };
