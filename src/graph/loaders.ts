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

/**
 * The loaders of one request. Each is built on first use (a request asks for a few of the fifteen), so
 * a request costs only the loaders it reads through.
 */
export function createLoaders(deps: LoaderDeps, call: CallOptions): Loaders {
  return new RequestLoaders(deps, call);
}

class RequestLoaders implements Loaders {
  #person?: Loaders['person'];
  #personByEmail?: Loaders['personByEmail'];
  #links?: Loaders['links'];
  #identityUser?: Loaders['identityUser'];
  #notificationPreferences?: Loaders['notificationPreferences'];
  #payoutMethod?: Loaders['payoutMethod'];
  #sites?: Loaders['sites'];
  #accessTokens?: Loaders['accessTokens'];
  #vrmMe?: Loaders['vrmMe'];
  #poderoUser?: Loaders['poderoUser'];
  #devices?: Loaders['devices'];
  #deviceDetail?: Loaders['deviceDetail'];
  #timesheetUser?: Loaders['timesheetUser'];
  #timesheetPages?: Loaders['timesheetPages'];

  constructor(
    private readonly deps: LoaderDeps,
    private readonly call: CallOptions,
  ) {}

  /** A DataLoader with one span per batch when tracing is on (src/server/telemetry.ts): `loader <name>` with its key count. */
  private loader<K, V, C = K>(name: string, batch: DataLoader.BatchLoadFn<K, V>, options?: DataLoader.Options<K, V, C>): DataLoader<K, V, C> {
    return new DataLoader<K, V, C>(
      (keys) => (tracingEnabled() ? inSpan(`loader ${name}`, { 'usergraph.loader': name, 'usergraph.keys': keys.length }, () => Promise.resolve(batch(keys))) : batch(keys)),
      { name, ...options },
    );
  }

  /** A batch function that calls `fn` per key, at most `concurrency` at a time. */
  private fanOut<K, V>(fn: (key: K) => Promise<V>): (keys: readonly K[]) => Promise<(V | Error)[]> {
    return (keys) => mapLimit(keys, this.deps.concurrency, fn);
  }

  private pages<T>(name: string, list: (key: PageKey) => Promise<Page<T>>): DataLoader<PageKey, Page<T>, string> {
    return this.loader(
      name,
      this.fanOut(async (key: PageKey): Promise<Page<T>> => {
        const { items, nextPage, lastPage } = await list(key);
        return { items, nextPage, lastPage };
      }),
      { cacheKeyFn: (k) => JSON.stringify([k.accountId, k.page, k.perPage, k.from ?? null, k.to ?? null, k.billable ?? null]) },
    );
  }

  get person(): Loaders['person'] {
    return (this.#person ??= this.loader('person', (ids) => this.deps.registry.getPeople(ids)));
  }

  get personByEmail(): Loaders['personByEmail'] {
    return (this.#personByEmail ??= this.loader('personByEmail', (emails) => this.deps.linker.findOrLinkByEmail(emails, this.call), { cacheKeyFn: (e) => e.toLowerCase() }));
  }

  get links(): Loaders['links'] {
    return (this.#links ??= this.loader('links', async (ids) => {
      const map = await this.deps.registry.linksFor(ids);
      return ids.map((id) => map.get(id) ?? []);
    }));
  }

  get identityUser(): Loaders['identityUser'] {
    return (this.#identityUser ??= this.loader('identityUser', this.fanOut((id: string) => this.deps.upstreams.identity.getUser(id, this.call))));
  }

  get notificationPreferences(): Loaders['notificationPreferences'] {
    return (this.#notificationPreferences ??= this.loader(
      'notificationPreferences',
      this.fanOut((id: string) => this.deps.upstreams.evenergy.getNotificationPreferences(id, this.call)),
    ));
  }

  get payoutMethod(): Loaders['payoutMethod'] {
    return (this.#payoutMethod ??= this.loader('payoutMethod', this.fanOut((id: string) => this.deps.upstreams.evenergy.getPayoutMethod(id, this.call))));
  }

  get sites(): Loaders['sites'] {
    return (this.#sites ??= this.loader(
      'sites',
      this.fanOut((k: SitesKey) => this.deps.upstreams.vrm.listInstallations(k.accountId, { extended: k.extended, siteId: k.siteId ?? undefined }, undefined, this.call)),
      { cacheKeyFn: (k) => `${k.accountId}|${k.extended}|${k.siteId ?? ''}` },
    ));
  }

  get accessTokens(): Loaders['accessTokens'] {
    return (this.#accessTokens ??= this.loader(
      'accessTokens',
      // VRM lists the caller's own tokens whatever idUser says, so `me` saves a /users/me call.
      this.fanOut((cred: VrmCredential) => this.deps.upstreams.vrm.listAccessTokens('me', cred, this.call)),
      { cacheKeyFn: (c) => `${c.kind}:${c.value}` },
    ));
  }

  get vrmMe(): Loaders['vrmMe'] {
    return (this.#vrmMe ??= this.loader('vrmMe', this.fanOut((cred: VrmCredential) => this.deps.upstreams.vrm.getMe(cred, this.call)), { cacheKeyFn: (c) => `${c.kind}:${c.value}` }));
  }

  get poderoUser(): Loaders['poderoUser'] {
    return (this.#poderoUser ??= this.loader('poderoUser', async (ids) => {
      const podero = this.deps.upstreams.podero;
      // Podero's user list answers every user of the organization in one call: cheaper than n lookups
      // as soon as more than one user is wanted.
      if (ids.length === 1) {
        try {
          return [await podero.getUser(ids[0]!, {}, this.call)];
        } catch (err) {
          return [err instanceof Error ? err : new Error(String(err))];
        }
      }
      const all = await podero.listUsers({}, this.call);
      const byId = new Map(all.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }));
  }

  get devices(): Loaders['devices'] {
    return (this.#devices ??= this.loader('devices', this.fanOut((id: string) => this.deps.upstreams.podero.listDevices(id, {}, this.call))));
  }

  get deviceDetail(): Loaders['deviceDetail'] {
    return (this.#deviceDetail ??= this.loader(
      'deviceDetail',
      this.fanOut(({ userId, kind, id }: { userId: string; kind: Device['kind']; id: string }): Promise<Device | null> => {
        const podero = this.deps.upstreams.podero;
        switch (kind) {
          case 'HEAT_PUMP':
            return podero.getHeatPump(userId, id, {}, this.call);
          case 'ELECTRIC_VEHICLE':
            return podero.getElectricVehicle(userId, id, {}, this.call);
          case 'INVERTER':
            return podero.getInverter(userId, id, {}, this.call);
        }
      }),
      { cacheKeyFn: (k) => `${k.kind}:${k.userId}:${k.id}` },
    ));
  }

  get timesheetUser(): Loaders['timesheetUser'] {
    return (this.#timesheetUser ??= this.loader('timesheetUser', this.fanOut((id: string) => this.deps.upstreams.timesheet.getUser(id, this.call))));
  }

  get timesheetPages(): Loaders['timesheetPages'] {
    const timesheet = this.deps.upstreams.timesheet;
    return (this.#timesheetPages ??= {
      entries: this.pages('timesheetEntries', (k) =>
        timesheet.listEntries(k.accountId, { page: k.page, perPage: k.perPage, from: k.from ?? undefined, to: k.to ?? undefined, billable: k.billable ?? undefined }, this.call),
      ),
      expenses: this.pages('timesheetExpenses', (k) => timesheet.listExpenses(k.accountId, { page: k.page, perPage: k.perPage, from: k.from ?? undefined, to: k.to ?? undefined }, this.call)),
      projects: this.pages('timesheetProjects', (k) => timesheet.listParticipatingProjects(k.accountId, { page: k.page, perPage: k.perPage }, this.call)),
    });
  }
}
