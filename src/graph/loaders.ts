/**
 * One DataLoader per (request, resource). Keys that repeat in one operation cost one upstream call; a
 * resource whose upstream answers many keys at once (podero's user list, the registry's batched reads)
 * is asked once per batch; the others fan out with a bound on concurrent calls per upstream.
 */
import DataLoader from 'dataloader';
import type { Linker } from '../registry/linker';
import type { AccountLink, Person, Registry } from '../registry/types';
import type { Upstreams } from '../upstreams';
import type { EvenergyNotificationPreferences, EvenergyPayoutMethod } from '../upstreams/evenergy/types';
import type { IdentityUser } from '../upstreams/identity/types';
import type { Device, PoderoUser } from '../upstreams/podero/types';
import type { TimesheetEntry, TimesheetExpense, TimesheetSimpleProject, TimesheetUser } from '../upstreams/timesheet/types';
import type { CallOptions } from '../upstreams/types';
import type { VrmAccessToken, VrmCredential, VrmSite, VrmUser } from '../upstreams/vrm/types';
import { mapLimit } from '../lib/concurrency';
import { inSpan, tracingEnabled } from '../lib/trace';

/** What the loaders take from the process-wide dependencies (the context's `GatewayDeps` has it all). */
export interface LoaderDeps {
  registry: Registry;
  upstreams: Upstreams;
  linker: Pick<Linker, 'findOrLinkByEmail'>;
  /** Concurrent upstream calls per loader batch, for upstreams without a batch endpoint. */
  concurrency: number;
}

export interface SitesKey {
  accountId: string;
  extended: boolean;
  siteId?: number | null;
}

/** The item of each timesheet list that is read page by page. */
export interface TimesheetPageItems {
  entries: TimesheetEntry;
  expenses: TimesheetExpense;
  projects: TimesheetSimpleProject;
}

export type TimesheetList = keyof TimesheetPageItems;

/** One page of one person's timesheet list; `from`, `to` and `billable` filter the lists that have them. */
export interface PageKey {
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
  /** The last page as the `Link` header names it; null when the upstream did not say. */
  lastPage: number | null;
}

export interface Loaders {
  person: DataLoader<string, Person | null>;
  /** Registry first; emails the registry does not know are discovered in the upstreams and linked. */
  personByEmail: DataLoader<string, Person | null>;
  links: DataLoader<string, AccountLink[]>;
  identityUser: DataLoader<string, IdentityUser | null>;
  notificationPreferences: DataLoader<string, EvenergyNotificationPreferences | null>;
  payoutMethod: DataLoader<string, EvenergyPayoutMethod | null>;
  sites: DataLoader<SitesKey, VrmSite[], string>;
  /** Keyed by the credential value: VRM lists only the caller's own tokens. */
  accessTokens: DataLoader<VrmCredential, VrmAccessToken[], string>;
  vrmMe: DataLoader<VrmCredential, VrmUser, string>;
  poderoUser: DataLoader<string, PoderoUser | null>;
  devices: DataLoader<string, Device[]>;
  /** A device's detail answer: the only one that carries `action_needed` and `actions`. */
  deviceDetail: DataLoader<{ userId: string; kind: Device['kind']; id: string }, Device | null, string>;
  timesheetUser: DataLoader<string, TimesheetUser | null>;
  /** One loader per list, each answering pages of its own items. */
  timesheetPages: { [L in TimesheetList]: DataLoader<PageKey, Page<TimesheetPageItems[L]>, string> };
}

export function createLoaders(deps: LoaderDeps, call: CallOptions): Loaders {
  const { registry, upstreams, linker } = deps;
  const limit = deps.concurrency;
  // One span per batch when tracing is on (src/server/telemetry.ts): `loader <name>` with its key count.
  const loader = <K, V, C = K>(name: string, batch: DataLoader.BatchLoadFn<K, V>, options?: DataLoader.Options<K, V, C>): DataLoader<K, V, C> =>
    new DataLoader<K, V, C>(
      (keys) => (tracingEnabled() ? inSpan(`loader ${name}`, { 'usergraph.loader': name, 'usergraph.keys': keys.length }, () => Promise.resolve(batch(keys))) : batch(keys)),
      { name, ...options },
    );
  const fanOut = <K, V>(fn: (key: K) => Promise<V>) => (keys: readonly K[]) => mapLimit(keys, limit, fn);
  const pages = <T>(name: string, list: (key: PageKey) => Promise<Page<T>>): DataLoader<PageKey, Page<T>, string> =>
    loader(
      name,
      fanOut(async (key: PageKey): Promise<Page<T>> => {
        const { items, nextPage, lastPage } = await list(key);
        return { items, nextPage, lastPage };
      }),
      { cacheKeyFn: (k) => JSON.stringify([k.accountId, k.page, k.perPage, k.from ?? null, k.to ?? null, k.billable ?? null]) },
    );

  return {
    person: loader('person', (ids) => registry.getPeople(ids)),
    personByEmail: loader('personByEmail', (emails) => linker.findOrLinkByEmail(emails, call), { cacheKeyFn: (e) => e.toLowerCase() }),
    links: loader('links', async (ids) => {
      const map = await registry.linksFor(ids);
      return ids.map((id) => map.get(id) ?? []);
    }),
    identityUser: loader('identityUser', fanOut((id: string) => upstreams.identity.getUser(id, call))),
    notificationPreferences: loader('notificationPreferences', fanOut((id: string) => upstreams.evenergy.getNotificationPreferences(id, call))),
    payoutMethod: loader('payoutMethod', fanOut((id: string) => upstreams.evenergy.getPayoutMethod(id, call))),
    sites: loader('sites', 
      fanOut((k: SitesKey) =>
        upstreams.vrm.listInstallations(k.accountId, { extended: k.extended, siteId: k.siteId ?? undefined }, undefined, call),
      ),
      { cacheKeyFn: (k) => `${k.accountId}|${k.extended}|${k.siteId ?? ''}` },
    ),
    accessTokens: loader('accessTokens', 
      // VRM lists the caller's own tokens whatever idUser says, so `me` saves a /users/me call.
      fanOut((cred: VrmCredential) => upstreams.vrm.listAccessTokens('me', cred, call)),
      { cacheKeyFn: (c) => `${c.kind}:${c.value}` },
    ),
    vrmMe: loader('vrmMe', fanOut((cred: VrmCredential) => upstreams.vrm.getMe(cred, call)), { cacheKeyFn: (c) => `${c.kind}:${c.value}` }),
    poderoUser: loader('poderoUser', async (ids) => {
      // Podero's user list answers every user of the organization in one call: cheaper than n lookups
      // as soon as more than one user is wanted.
      if (ids.length === 1) {
        try {
          return [await upstreams.podero.getUser(ids[0]!, {}, call)];
        } catch (err) {
          return [err instanceof Error ? err : new Error(String(err))];
        }
      }
      const all = await upstreams.podero.listUsers({}, call);
      const byId = new Map(all.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    devices: loader('devices', fanOut((id: string) => upstreams.podero.listDevices(id, {}, call))),
    deviceDetail: loader('deviceDetail', 
      fanOut(({ userId, kind, id }: { userId: string; kind: Device['kind']; id: string }): Promise<Device | null> => {
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
    timesheetUser: loader('timesheetUser', fanOut((id: string) => upstreams.timesheet.getUser(id, call))),
    timesheetPages: {
      entries: pages('timesheetEntries', (k) => upstreams.timesheet.listEntries(k.accountId, { page: k.page, perPage: k.perPage, from: k.from ?? undefined, to: k.to ?? undefined, billable: k.billable ?? undefined }, call)),
      expenses: pages('timesheetExpenses', (k) => upstreams.timesheet.listExpenses(k.accountId, { page: k.page, perPage: k.perPage, from: k.from ?? undefined, to: k.to ?? undefined }, call)),
      projects: pages('timesheetProjects', (k) => upstreams.timesheet.listParticipatingProjects(k.accountId, { page: k.page, perPage: k.perPage }, call)),
    },
  };
}
