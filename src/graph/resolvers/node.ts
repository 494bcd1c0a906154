/**
 * `Query.node`: refetches any object by its global id. Every id below a User carries the person id, so
 * the policy is asked about the person first, then about the User field that lists objects of that type
 * (an object is as readable as the field it is listed in), and then the object is found through the same
 * loaders the User fields use.
 */
import { assertAllowed, canReadUserField, type UserField } from '../../auth/policy';
import { ErrorCode, GatewayError } from '../../errors';
import type { NodeResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import { accountOf, fromAccount } from '../access';
import type { GraphContext } from '../context';
import { isNodeType, type DecodedId, type NodeType } from '../ids';
import type { TimesheetList, TimesheetPageItems } from '../loaders';
import type { AccessTokenModel, AccountModel, DeviceModel, EntryModel, ExpenseModel, ProjectModel, SiteModel, SubscriptionModel } from '../models';
import { askWithOwn, readablePerson, vrmFacts } from './askPolicy';
import { identityUserOf } from './identity';
import { personAccessTokens, vrmAccountOf } from './vrm';

/** Objects returned by `node` name their GraphQL type, so `Node.__resolveType` needs no guessing. */
export type NodeModel = (Person | SubscriptionModel | AccountModel | AccessTokenModel | SiteModel | DeviceModel | EntryModel | ExpenseModel | ProjectModel) & {
  __typename: NodeType;
};

const tag = <T extends object>(type: NodeType, value: T | null | undefined): (T & { __typename: NodeType }) | null =>
  value ? Object.assign({}, value, { __typename: type }) : null;

/** The User field that lists each type below a User: the policy's rule for that field is the type's. */
const LISTED_IN: Record<Exclude<NodeType, 'User'>, UserField> = {
  IdentitySubscription: 'subscription',
  Account: 'subscription',
  AccessToken: 'accessTokens',
  Site: 'sites',
  HeatPump: 'devices',
  ElectricVehicle: 'devices',
  Inverter: 'devices',
  Entry: 'entries',
  Expense: 'expenses',
  Project: 'participatingProjects',
};

/** Timesheet has no single-item endpoint for entries, expenses and projects: walk the pages (bounded). */
const MAX_PAGES = 50;

async function findInPages<L extends TimesheetList>(ctx: GraphContext, person: Person, kind: L, id: string): Promise<(TimesheetPageItems[L] & { personId: string }) | null> {
  const accountId = await accountOf(ctx, person, 'timesheet');
  if (accountId === null) return null;
  let page: number | null = 1;
  for (let i = 0; page !== null && i < MAX_PAGES; i++) {
    const result = await ctx.loaders.timesheetPages[kind].load({ accountId, page, perPage: 100 });
    const hit = result.items.find((item) => item.id === id);
    if (hit) return { ...hit, personId: person.id };
    page = result.nextPage;
  }
  return null;
}

export async function resolveNode(ctx: GraphContext, decoded: DecodedId): Promise<NodeModel | null> {
  const [personId, localId] = decoded.parts as [string, string | undefined];
  const person = await readablePerson(ctx, 'node', personId);
  if (!person) return null;
  if (decoded.type === 'User') return tag('User', person);
  if (!localId) throw new GatewayError(ErrorCode.BAD_USER_INPUT, `not a valid ${decoded.type} id`, { fieldErrors: [{ path: ['id'], message: 'not a valid global id' }] });
  const field = LISTED_IN[decoded.type];
  assertAllowed(await askWithOwn(ctx, (own) => canReadUserField(ctx.viewer, person, field, { own, vrm: vrmFacts(ctx) })));

  switch (decoded.type) {
    case 'IdentitySubscription': {
      const user = await identityUserOf(ctx, person);
      const sub = user?.subscription?.id === localId ? user.subscription : null;
      return tag('IdentitySubscription', sub && { ...sub, personId });
    }
    case 'Account': {
      const user = await identityUserOf(ctx, person);
      const account = user?.subscription?.accounts.find((a) => a.id === localId);
      return tag('Account', account && { ...account, personId });
    }
    case 'AccessToken': {
      const token = (await personAccessTokens(ctx, person)).find((t) => t.id === localId);
      return tag('AccessToken', token ?? null);
    }
    case 'Site': {
      const accountId = await vrmAccountOf(ctx, person);
      if (accountId === null || !/^\d+$/.test(localId)) return null;
      const sites = await ctx.loaders.sites.load({ accountId, extended: false, siteId: Number(localId) });
      const site = sites.find((s) => s.id === localId);
      return tag('Site', site && { ...site, personId, vrmAccountId: accountId });
    }
    case 'HeatPump':
    case 'ElectricVehicle':
    case 'Inverter': {
      const devices = await fromAccount(ctx, person, 'podero', (id) => ctx.loaders.devices.load(id));
      const device = devices?.find((d) => d.id === localId);
      return tag(decoded.type, device && { ...device, personId });
    }
    case 'Entry':
      return tag('Entry', await findInPages(ctx, person, 'entries', localId));
    case 'Expense':
      return tag('Expense', await findInPages(ctx, person, 'expenses', localId));
    case 'Project':
      return tag('Project', await findInPages(ctx, person, 'projects', localId));
  }
}

export const Node: NodeResolvers<GraphContext> = {
  __resolveType: (obj) => {
    const name = '__typename' in obj ? obj.__typename : undefined;
    return isNodeType(name) ? name : 'User';
  },
};
