/**
 * A gateway for the people-mutation tests that shows exactly what reached each upstream: the shared test
 * gateway (test/helpers/gateway.ts) with a recorder on each emulator's own HTTP server (nothing is
 * mocked). `writes()` lists every non-GET request the gateway sent since the last `clear()`: upstream,
 * method, path below the base path and the parsed JSON body, so a test can assert the exact body keys;
 * the emulators' own counters (`counts()`) and fault switches (`faults()`) work as usual.
 */
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { BASE_PATHS } from '../../src/contracts/dev-defaults';
import type { DemoPerson } from '../../src/emulators/population';
import { sync } from '../../src/registry/sync';
import type { Person } from '../../src/registry/types';
import { startTestGateway, type GraphQLResultError, type TestGateway } from '../helpers/gateway';
import { recordRequests, type Received } from '../helpers/received';

export interface Recorded {
  upstream: UpstreamName;
  method: string;
  /** Below the upstream's base path, without the query: `/users/5012`. */
  path: string;
  /** The parsed JSON body; `undefined` when there was none. */
  body: unknown;
}

/** One row of a mutation payload's `outcomes { upstream status accountId error { code message reason fieldPath } }`. */
export interface OutcomeRow {
  upstream: string;
  status: string;
  accountId: string | null;
  error: { code: string; message: string; reason: string | null; fieldPath: string[] | null } | null;
}

/** A `User` as the people-mutation tests select it; each operation selects some of these fields. */
export interface UserRow {
  id: string;
  personId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  internal: boolean | null;
  role: string | null;
  address: {
    streetAndNumber?: string | null;
    streetAddInfo?: string | null;
    zipCode?: string | null;
    town: string | null;
    country: string | null;
    latitude: number | null;
    longitude?: number | null;
  } | null;
  accounts: { upstream: string; accountId: string }[];
}

/** What `createUser { user { … } outcomes { … } }` answers. */
export interface CreateUserData {
  createUser: { user: UserRow; outcomes: OutcomeRow[] };
}
/** What `provisionUser { user { … } outcomes { … } }` answers. */
export interface ProvisionUserData {
  provisionUser: { user: UserRow; outcomes: OutcomeRow[] };
}
/** What `updateUser { user { … } outcomes { … } }` answers. */
export interface UpdateUserData {
  updateUser: { user: UserRow; outcomes: OutcomeRow[] };
}
/** What `deleteUser { deletedPersonId outcomes { … } }` answers. */
export interface DeleteUserData {
  deleteUser: { deletedPersonId: string | null; outcomes: OutcomeRow[] };
}
/** What `userByEmail(email:) { … }` answers. */
export interface UserByEmailData {
  userByEmail: UserRow | null;
}

export interface MutationGateway extends TestGateway {
  /** Every request the gateway sent upstream since the last `clear()`. */
  requests(): Recorded[];
  /** The non-GET requests among them. */
  writes(): Recorded[];
  /** Forgets the recorded requests and clears the emulators' counters and faults (data stays). */
  clear(): void;
  /** Links the demo population in the registry (as `usergraph sync` does). */
  syncPopulation(): Promise<void>;
  /** The registry's person with this email and their links by upstream (null when unknown). */
  registered(email: string): Promise<{ person: Person; links: Partial<Record<UpstreamName, string>> } | null>;
}

export interface MutationGatewayOptions {
  people?: number;
  /** Where the gateway calls an upstream instead of its emulator (a server in front of it); its requests still reach the emulator's recorder when forwarded. */
  urlFor?: (upstream: UpstreamName, emulatorUrl: string) => string | Promise<string>;
}

export async function startMutationGateway(options: MutationGatewayOptions = {}): Promise<MutationGateway> {
  const base = await startTestGateway({ people: options.people ?? 48, clientOverrides: { headersTimeoutMs: 2000, bodyTimeoutMs: 2000 }, urlFor: options.urlFor });
  // One recorder per emulator, merged into one log in arrival order across upstreams.
  const log: { upstream: UpstreamName; entry: Received }[] = [];
  for (const upstream of UPSTREAM_NAMES) {
    recordRequests(base.emulators.emulators[upstream]!.server, { onRequest: (entry) => log.push({ upstream, entry }) });
  }
  const requests = (): Recorded[] =>
    log.map(({ upstream, entry }) => ({
      upstream,
      method: entry.method,
      path: new URL(entry.path, 'http://emulator.invalid').pathname.slice(BASE_PATHS[upstream].length),
      body: entry.body,
    }));
  const t: MutationGateway = {
    ...base,
    requests,
    writes: () => requests().filter((r) => r.method !== 'GET'),
    clear() {
      log.length = 0;
      base.emulators.reset(false);
    },
    async syncPopulation() {
      const report = await sync({ registry: base.registry, upstreams: base.gateway.upstreams });
      if (report.failures.length > 0) throw new Error(`sync failed: ${JSON.stringify(report.failures)}`);
      t.clear();
    },
    async registered(email) {
      const [person] = await base.registry.getPeopleByEmail([email]);
      if (!person) return null;
      const links = (await base.registry.linksFor([person.id])).get(person.id) ?? [];
      return { person, links: Object.fromEntries(links.map((l) => [l.upstream, l.accountId])) };
    },
  };
  return t;
}

/** Every account with this email that each provisionable upstream holds, read back through the connectors. */
export async function accountsWithEmail(t: MutationGateway, email: string): Promise<Record<'identity' | 'evenergy' | 'podero' | 'timesheet', string[]>> {
  const up = t.gateway.upstreams;
  const [identity, evenergy, podero, timesheet] = await Promise.all([
    up.identity.getUser(email),
    up.evenergy.findUsersByEmail(email),
    up.podero.listUsers(),
    up.timesheet.findUsersByEmail(email),
  ]);
  return {
    identity: identity && identity.email.toLowerCase() === email.toLowerCase() ? [identity.id] : [],
    evenergy: evenergy.map((u) => u.id),
    podero: podero.filter((u) => u.email.toLowerCase() === email.toLowerCase()).map((u) => u.id),
    timesheet: timesheet.map((u) => u.id),
  };
}

/** What the upstreams hold of a person's linked accounts, read back through the connectors (for before/after comparisons). */
export async function upstreamRecords(t: MutationGateway, links: Partial<Record<UpstreamName, string>>): Promise<Record<string, unknown>> {
  const up = t.gateway.upstreams;
  return {
    identity: links.identity ? await up.identity.getUser(links.identity) : null,
    evenergy: links.evenergy ? await up.evenergy.getUser(links.evenergy) : null,
    podero: links.podero ? await up.podero.getUser(links.podero) : null,
    timesheet: links.timesheet ? await up.timesheet.getUser(links.timesheet) : null,
  };
}

/** A demo person by index, failing loudly when the population is too small for the test. */
export function demo(t: MutationGateway, index: number): DemoPerson {
  const person = t.population.people[index];
  if (!person) throw new Error(`the test population has no person ${index}`);
  return person;
}

/** The one error of a result, failing when there is not exactly one. */
export function onlyError(res: { errors?: GraphQLResultError[] }): GraphQLResultError {
  expect(res.errors).toHaveLength(1);
  const [only] = res.errors ?? [];
  if (!only) throw new Error('expected exactly one error, got none');
  return only;
}
