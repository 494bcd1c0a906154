/**
 * Every type of the read schema, reached by a query and compared with what the emulators hold (read
 * through the connectors over real HTTP, independently of the graph).
 */
import { hexFor } from '../../src/emulators/population';
import { sync } from '../../src/registry/sync';
import assert from 'node:assert';
import { dataOf, startTestGateway, type TestGateway } from '../helpers/gateway';

/** The person as ALL selects them, as far as these tests read it. */
interface Me {
  id: string;
  firstName: string | null;
  lastName: string | null;
  status: string | null;
  internal: boolean | null;
  createdAt: string | null;
  accounts: { upstream: string; accountId: string }[];
  subscription: { id: string; subscriptionId: string; accounts: { id: string; identifier: string }[] } | null;
  notificationGroups: { chargingFlow: boolean | null; groups: { name: string; enabled: boolean }[] };
  payoutMethod: { receiver: string | null; receiverType: string | null; wallet: string | null } | null;
  accessTokens: { id: string; tokenId: string }[];
  sites: { id: string; siteId: number; name: string; extended: unknown[] }[];
  address: Record<string, unknown> | null;
  devices: { __typename: string; id: string; deviceId: string; isAuthenticated: boolean; actionNeeded: boolean; actions: unknown[] }[];
  role: string | null;
  state: string | null;
  entries: {
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { node: { id: string; entryId: string; project: { id: string } | null } }[];
  };
  expenses: { nodes: { id: string }[] };
  participatingProjects: { nodes: { id: string; name: string }[] };
}

let t: TestGateway;
let token: string;
let headers: Record<string, string>;
let me: Me;

const ALL = `{
  me {
    id personId email firstName lastName status internal createdAt updatedAt
    accounts { upstream accountId linkedAt }
    subscription { id subscriptionId status createdAt accounts { id accountId identifier status } }
    notificationGroups { chargingFlow chargingIssues chargingOptimisation dealsAndOffers powerSupplyNotifications groups { name enabled } }
    payoutMethod { receiver receiverType wallet }
    accessTokens { id tokenId name createdAt scope expiresAt }
    sites(extended: true) { id siteId name identifier owner timezone pvMax hasMains alarmMonitoring createdAt extended { code formattedValue } }
    address { streetAndNumber zipCode town country latitude longitude }
    devices {
      __typename id deviceId manufacturer model isAuthenticated isSmartOptimizationActive actionNeeded connectionStatus
      actions { code resolutionLink { url requiredParameters } }
      ... on HeatPump { outdoorTemperature }
      ... on ElectricVehicle { batteryLevel isPluggedIn }
      ... on Inverter { solarPowerRatingKw }
    }
    role state
    entries(first: 5) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id entryId date minutes billable description tags project { id projectId name } } } }
    expenses(first: 3) { nodes { id expenseId date price taxable } pageInfo { hasNextPage } }
    participatingProjects(first: 3) { nodes { id projectId name billable enabled color } }
  }
}`;

beforeAll(async () => {
  t = await startTestGateway({ people: 30 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  token = await t.tokenFor(t.population.people[0]!);
  headers = { 'x-vrm-authorization': `Token ${hexFor(`vrm-token:${t.population.seed}:0`)}` };
  // The first call with the person's own VRM token links their VRM account.
  await t.query(`{ me { sites { siteId } } }`, { token, headers });
  const res = await t.query<{ me: Me }>(ALL, { token, headers });
  expect(res.errors).toBeUndefined();
  me = dataOf(res).me;
});
afterAll(() => t.close());

function account(u: string): string {
  const found = me.accounts.find((a) => a.upstream === u.toUpperCase());
  assert(found, `the person is linked to ${u}`);
  return found.accountId;
}
const iso = (d: Date | null) => (d ? d.toISOString().replace('.000Z', 'Z') : null);

describe('a person present in all five upstreams', () => {
  it('is linked to all five', () => {
    expect(me.accounts.map((a) => a.upstream).sort()).toEqual(['EVENERGY', 'IDENTITY', 'PODERO', 'TIMESHEET', 'VRM']);
  });

  it('shows identity fields, subscription and accounts as identity holds them', async () => {
    const u = (await t.gateway.upstreams.identity.getUser(account('identity')))!;
    expect(me).toMatchObject({ firstName: u.firstName, lastName: u.lastName, status: u.status, internal: u.internal, createdAt: iso(u.createdAt) });
    expect(me.subscription?.subscriptionId ?? null).toBe(u.subscription?.id ?? null);
    expect((me.subscription?.accounts ?? []).map((a) => a.identifier)).toEqual((u.subscription?.accounts ?? []).map((a) => a.identifier));
  });

  it('shows notification groups and payout method as ev.energy holds them', async () => {
    const prefs = (await t.gateway.upstreams.evenergy.getNotificationPreferences(account('evenergy')))!;
    expect(me.notificationGroups.groups).toEqual(Object.entries(prefs.groups).map(([name, enabled]) => ({ name, enabled })));
    expect(me.notificationGroups.chargingFlow).toBe(prefs.groups.charging_flow);
    const payout = (await t.gateway.upstreams.evenergy.getPayoutMethod(account('evenergy')))!;
    expect(me.payoutMethod).toEqual({ receiver: payout.receiver, receiverType: payout.receiverType, wallet: payout.wallet });
  });

  it('shows VRM access tokens (never a secret) and sites as VRM holds them', async () => {
    const cred = { kind: 'token' as const, value: hexFor(`vrm-token:${t.population.seed}:0`) };
    const tokens = await t.gateway.upstreams.vrm.listAccessTokens('me', cred);
    expect(me.accessTokens.map((x) => x.tokenId)).toEqual(tokens.map((x) => x.id));
    expect(JSON.stringify(me.accessTokens)).not.toContain(cred.value);
    const sites = await t.gateway.upstreams.vrm.listInstallations(account('vrm'), { extended: true });
    expect(me.sites.map((s) => [s.siteId, s.name])).toEqual(sites.map((s) => [Number(s.id), s.name]));
    expect(me.sites.some((s) => s.extended.length > 0)).toBe(true);
  });

  it('shows the address and every kind of device, with the reauthentication action, as podero holds them', async () => {
    const u = (await t.gateway.upstreams.podero.getUser(account('podero')))!;
    expect(me.address).toMatchObject({ streetAndNumber: u.address.streetAndNumber, zipCode: u.address.zipCode, town: u.address.town, country: u.address.country });
    const devices = await t.gateway.upstreams.podero.listDevices(account('podero'));
    expect(me.devices.map((d) => d.deviceId).sort()).toEqual(devices.map((d) => d.id).sort());
    expect(new Set(me.devices.map((d) => d.__typename))).toEqual(new Set(['HeatPump', 'ElectricVehicle', 'Inverter']));
    const unauthenticated = me.devices.find((d) => !d.isAuthenticated);
    assert(unauthenticated, 'the person has a device that needs reauthentication');
    expect(unauthenticated.actionNeeded).toBe(true);
    expect(unauthenticated.actions[0]).toMatchObject({ code: 'reauthenticate', resolutionLink: { url: expect.stringContaining('/cues/') } });
  });

  it('shows role, state and the first pages of entries, expenses and projects as timesheet holds them', async () => {
    const u = (await t.gateway.upstreams.timesheet.getUser(account('timesheet')))!;
    expect([me.role, me.state]).toEqual([u.role, u.state]);
    const entries = await t.gateway.upstreams.timesheet.listEntries(account('timesheet'), { page: 1, perPage: 5 });
    expect(me.entries.edges.map((e) => e.node.entryId)).toEqual(entries.items.map((e) => e.id));
    expect(me.entries.pageInfo.hasNextPage).toBe(entries.nextPage !== null);
    const projects = await t.gateway.upstreams.timesheet.listParticipatingProjects(account('timesheet'), { page: 1, perPage: 3 });
    expect(me.participatingProjects.nodes.map((p) => p.name)).toEqual(projects.items.map((p) => p.name));
  });

  it('pages entries with cursors: the second page continues where the first ended', async () => {
    const first = me.entries;
    const res = await t.query<{ me: { entries: { edges: { node: { entryId: string } }[]; pageInfo: { hasPreviousPage: boolean } } } }>(`query($after: String) { me { entries(first: 5, after: $after) { edges { node { entryId } } pageInfo { hasPreviousPage } } } }`, {
      token,
      variables: { after: first.pageInfo.endCursor },
    });
    const entries = await t.gateway.upstreams.timesheet.listEntries(account('timesheet'), { page: 2, perPage: 5 });
    expect(dataOf(res).me.entries.edges.map((e) => e.node.entryId)).toEqual(entries.items.map((e) => e.id));
    expect(dataOf(res).me.entries.pageInfo.hasPreviousPage).toBe(true);
  });

  it('refetches every object through node by its global id', async () => {
    const [firstToken] = me.accessTokens;
    const [firstSite] = me.sites;
    const [firstEntry] = me.entries.edges;
    assert(firstToken && firstSite && firstEntry, 'the person has an access token, a site and an entry');
    const ids = [
      me.id,
      me.subscription?.id,
      me.subscription?.accounts[0]?.id,
      firstToken.id,
      firstSite.id,
      ...me.devices.map((d) => d.id),
      firstEntry.node.id,
      firstEntry.node.project?.id,
      me.expenses.nodes[0]?.id,
      me.participatingProjects.nodes[0]?.id,
    ].filter(Boolean);
    for (const id of ids) {
      const res = await t.query<{ node: { id: string } | null }>(`query($id: ID!) { node(id: $id) { id __typename } }`, { token, headers, variables: { id } });
      expect(res.errors).toBeUndefined();
      expect(dataOf(res).node?.id).toBe(id);
    }
  });

  it('pages the users connection with endCursor', async () => {
    type UsersPage = { users: { edges: { node: { email: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const p1 = await t.query<UsersPage>(`{ users(first: 4) { totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }`);
    const p2 = await t.query<UsersPage>(`query($a: String) { users(first: 4, after: $a) { edges { node { email } } pageInfo { hasPreviousPage } } }`, {
      variables: { a: dataOf(p1).users.pageInfo.endCursor },
    });
    const emails1 = dataOf(p1).users.edges.map((e) => e.node.email);
    const emails2 = dataOf(p2).users.edges.map((e) => e.node.email);
    expect(emails1).toHaveLength(4);
    expect(emails2.filter((e) => emails1.includes(e))).toEqual([]);
    expect(dataOf(p1).users.pageInfo.hasNextPage).toBe(true);
  });
});
