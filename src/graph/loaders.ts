/**
 * One DataLoader per (request, resource). Keys that repeat in one operation cost one upstream call; a
 * resource whose upstream answers many keys at once (podero's user list, the registry's batched reads)
 * is asked once per batch; the others fan out with a bound on concurrent calls per upstream.
 */
import DataLoader from 'dataloader';
import type { AccountLink, Person } from '../registry/types';
import type { CallOptions } from '../upstreams/types';
import type { VrmCredential } from '../upstreams/vrm/connector';
import { mapLimit } from '../lib/concurrency';
import type { GatewayDeps } from './context';

type Up = GatewayDeps['upstreams'];

export type IdentityUser = NonNullable<Awaited<ReturnType<Up['identity']['getUser']>>>;
export type NotificationPreferences = Awaited<ReturnType<Up['evenergy']['getNotificationPreferences']>>;
export type PayoutMethod = Awaited<ReturnType<Up['evenergy']['getPayoutMethod']>>;
export type VrmInstallation = Awaited<ReturnType<Up['vrm']['listInstallations']>>[number];
export type VrmAccessToken = Awaited<ReturnType<Up['vrm']['listAccessTokens']>>[number];
export type VrmMe = Awaited<ReturnType<Up['vrm']['getMe']>>;
export type PoderoUser = NonNullable<Awaited<ReturnType<Up['podero']['getUser']>>>;
export type PoderoDevice = Awaited<ReturnType<Up['podero']['listDevices']>>[number];
export type TimesheetUser = NonNullable<Awaited<ReturnType<Up['timesheet']['getUser']>>>;

export interface SitesKey {
  accountId: string;
  extended: boolean;
  siteId?: number | null;
}

export interface PageKey {
  kind: 'entries' | 'expenses' | 'projects';
  accountId: string;
  page: number;
  perPage: number;
  from?: string | null;
  to?: string | null;
  billable?: boolean | null;
}

export interface Page<T> {
  items: T[];
  nextPage: number | null;
}

export interface Loaders {
  person: DataLoader<string, Person | null>;
  /** Registry first; emails the registry does not know are discovered in the upstreams and linked. */
  personByEmail: DataLoader<string, Person | null>;
  links: DataLoader<string, AccountLink[]>;
  identityUser: DataLoader<string, IdentityUser | null>;
  notificationPreferences: DataLoader<string, NotificationPreferences>;
  payoutMethod: DataLoader<string, PayoutMethod>;
  sites: DataLoader<SitesKey, VrmInstallation[], string>;
  /** Keyed by the credential value: VRM lists only the caller's own tokens. */
  accessTokens: DataLoader<VrmCredential, VrmAccessToken[], string>;
  vrmMe: DataLoader<VrmCredential, VrmMe, string>;
  poderoUser: DataLoader<string, PoderoUser | null>;
  devices: DataLoader<string, PoderoDevice[]>;
  /** A device's detail answer: the only one that carries `action_needed` and `actions`. */
  deviceDetail: DataLoader<{ userId: string; kind: PoderoDevice['kind']; id: string }, PoderoDevice | null, string>;
  timesheetUser: DataLoader<string, TimesheetUser | null>;
  timesheetPage: DataLoader<PageKey, Page<unknown>, string>;
}

export function createLoaders(deps: GatewayDeps, call: CallOptions): Loaders {
  const { registry, upstreams, linker } = deps;
  const limit = deps.concurrency;
  const fanOut = <K, V>(fn: (key: K) => Promise<V>) => (keys: readonly K[]) => mapLimit(keys, limit, fn);

  return {
    person: new DataLoader((ids) => registry.getPeople(ids)),
    personByEmail: new DataLoader((emails) => linker.findOrLinkByEmail(emails, call), { cacheKeyFn: (e) => e.toLowerCase() }),
    links: new DataLoader(async (ids) => {
      const map = await registry.linksFor(ids);
      return ids.map((id) => map.get(id) ?? []);
    }),
    identityUser: new DataLoader(fanOut((id: string) => upstreams.identity.getUser(id, call))),
    notificationPreferences: new DataLoader(fanOut((id: string) => upstreams.evenergy.getNotificationPreferences(id, call))),
    payoutMethod: new DataLoader(fanOut((id: string) => upstreams.evenergy.getPayoutMethod(id, call))),
    sites: new DataLoader(
      fanOut((k: SitesKey) =>
        upstreams.vrm.listInstallations(k.accountId, { extended: k.extended, siteId: k.siteId ?? undefined }, undefined, call),
      ),
      { cacheKeyFn: (k) => `${k.accountId}|${k.extended}|${k.siteId ?? ''}` },
    ),
    accessTokens: new DataLoader(
      // VRM lists the caller's own tokens whatever idUser says, so `me` saves a /users/me call.
      fanOut((cred: VrmCredential) => upstreams.vrm.listAccessTokens('me', cred, call)),
      { cacheKeyFn: (c) => `${c.kind}:${c.value}` },
    ),
    vrmMe: new DataLoader(fanOut((cred: VrmCredential) => upstreams.vrm.getMe(cred, call)), { cacheKeyFn: (c) => `${c.kind}:${c.value}` }),
    poderoUser: new DataLoader(async (ids) => {
      // Podero's user list answers every user of the organization in one call: cheaper than n lookups
      // as soon as more than one user is wanted.
      if (ids.length === 1) {
        try {
          return [await upstreams.podero.getUser(ids[0]!, {}, call)];
        } catch (err) {
          return [err as Error];
        }
      }
      const all = await upstreams.podero.listUsers({}, call);
      const byId = new Map(all.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    devices: new DataLoader(fanOut((id: string) => upstreams.podero.listDevices(id, {}, call))),
    deviceDetail: new DataLoader(
      fanOut(({ userId, kind, id }: { userId: string; kind: PoderoDevice['kind']; id: string }): Promise<PoderoDevice | null> => {
        switch (kind) {
          case 'HEAT_PUMP':
            return upstreams.podero.getHeatPump(userId, id, {}, call);
          case 'ELECTRIC_VEHICLE':
            return upstreams.podero.getElectricVehicle(userId, id, {}, call);
          case 'INVERTER':
            return upstreams.podero.getInverter(userId, id, {}, call);
        }
      }),
      { cacheKeyFn: (k) => `${k.kind}:${k.userId}:${k.id}` },
    ),
    timesheetUser: new DataLoader(fanOut((id: string) => upstreams.timesheet.getUser(id, call))),
    timesheetPage: new DataLoader(
      fanOut(async (k: PageKey): Promise<Page<unknown>> => {
        const id = k.accountId;
        const paging = { page: k.page, perPage: k.perPage };
        if (k.kind === 'entries') {
          const r = await upstreams.timesheet.listEntries(id, { ...paging, from: k.from ?? undefined, to: k.to ?? undefined, billable: k.billable ?? undefined }, call);
          return { items: r.items, nextPage: r.nextPage };
        }
        if (k.kind === 'expenses') {
          const r = await upstreams.timesheet.listExpenses(id, { ...paging, from: k.from ?? undefined, to: k.to ?? undefined }, call);
          return { items: r.items, nextPage: r.nextPage };
        }
        const r = await upstreams.timesheet.listParticipatingProjects(id, paging, call);
        return { items: r.items, nextPage: r.nextPage };
      }),
      { cacheKeyFn: (k) => JSON.stringify([k.kind, k.accountId, k.page, k.perPage, k.from ?? null, k.to ?? null, k.billable ?? null]) },
    ),
  };
}
