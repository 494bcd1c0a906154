/**
 * A gateway for the people-mutation tests that shows exactly what reached each upstream. The five
 * emulators run on ephemeral ports with a transparent recording proxy in front of each (plain HTTP both
 * ways; nothing is mocked), and the gateway is pointed at the proxies. `writes()` lists every non-GET
 * request the gateway sent since the last `clear()`: upstream, method, path below the base path and the
 * parsed JSON body, so a test can assert the exact body keys; the emulators' own counters (`counts()`)
 * and fault switches (`faults()`) work as usual.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signToken } from '../../src/auth/dev';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { BASE_PATHS, DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/emulators/defaults';
import type { Faults, RequestCounts } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson, type Population } from '../../src/emulators/population';
import { openRegistry } from '../../src/registry';
import { sync } from '../../src/registry/sync';
import type { Person, Registry } from '../../src/registry/types';
import { createGateway, type Gateway } from '../../src/server/gateway';
import { createLogger } from '../../src/server/logger';

const JWT_SECRET = 'mutation-tests-secret-that-is-long-enough-for-hs256-0123456789';

export interface Recorded {
  upstream: UpstreamName;
  method: string;
  /** Below the upstream's base path, without the query: `/users/5012`. */
  path: string;
  /** The parsed JSON body; `undefined` when there was none. */
  body: unknown;
}

export interface GraphQLResult {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface MutationGateway {
  url: string;
  gateway: Gateway;
  emulators: RunningEmulators;
  registry: Registry;
  population: Population;
  logLines: string[];
  adminToken: string;
  tokenFor(person: { email: string }, roles?: string[]): Promise<string>;
  query(query: string, options?: { token?: string | null; variables?: Record<string, unknown> }): Promise<GraphQLResult>;
  /** Every request the gateway sent upstream since the last `clear()`. */
  requests(): Recorded[];
  /** The non-GET requests among them. */
  writes(): Recorded[];
  /** Forgets the recorded requests and clears the emulators' counters and faults (data stays). */
  clear(): void;
  counts(): Record<UpstreamName, RequestCounts>;
  faults(upstream: UpstreamName, faults: Faults): void;
  /** Links the demo population in the registry (as `usergraph sync` does). */
  syncPopulation(): Promise<void>;
  /** The registry's person with this email and their links by upstream (null when unknown). */
  registered(email: string): Promise<{ person: Person; links: Partial<Record<UpstreamName, string>> } | null>;
  close(): Promise<void>;
}

/** Request and response headers that belong to one connection, not to the message. */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'expect', 'upgrade', 'content-encoding']);

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function startProxy(upstream: UpstreamName, target: string, log: Recorded[]): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const method = req.method ?? 'GET';
    log.push({ upstream, method, path: url.pathname.slice(BASE_PATHS[upstream].length), body: parseBody(raw) });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers.set(name, value);
    }
    try {
      const answer = await fetch(`${target}${req.url ?? '/'}`, { method, headers, body: raw.length > 0 ? raw : undefined, redirect: 'manual' });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) out[name] = value;
      });
      out['content-length'] = String(body.length);
      res.writeHead(answer.status, out);
      res.end(body);
    } catch {
      // The emulator hung up (a `down` fault): so does the proxy, and the gateway sees the same failure.
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

export async function startMutationGateway(options: { people?: number } = {}): Promise<MutationGateway> {
  const population = buildPopulation({ people: options.people ?? 48 });
  const emulators = await startEmulators({ population, ports: 'ephemeral' });
  const log: Recorded[] = [];
  const proxies: http.Server[] = [];
  const urls = {} as Record<UpstreamName, string>;
  for (const upstream of UPSTREAM_NAMES) {
    const emulator = emulators.emulators[upstream]!;
    const proxy = await startProxy(upstream, emulator.origin(), log);
    proxies.push(proxy.server);
    urls[upstream] = `${proxy.origin}${BASE_PATHS[upstream]}`;
  }
  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const logLines: string[] = [];
  const gateway = await createGateway({
    registry,
    urls,
    tokens: DEV_TOKENS,
    poderoOrgId: DEV_PODERO_ORG_ID,
    jwt: { secret: JWT_SECRET },
    logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
    client: { headersTimeoutMs: 2000, bodyTimeoutMs: 2000, retryBaseDelayMs: 5, retryMaxDelayMs: 50, breakerThreshold: 1000 },
  });
  const url = await gateway.listen(0);
  const adminToken = await signToken(JWT_SECRET, { sub: 'test-admin', email: 'admin@usergraph.test', roles: ['admin'] });

  const t: MutationGateway = {
    url,
    gateway,
    emulators,
    registry,
    population,
    logLines,
    adminToken,
    tokenFor(person, roles = []) {
      return signToken(JWT_SECRET, { sub: `user-${person.email}`, email: person.email, roles });
    },
    async query(query, opts = {}) {
      const token = opts.token === undefined ? adminToken : opts.token;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables: opts.variables }),
      });
      return { status: res.status, ...((await res.json()) as Omit<GraphQLResult, 'status'>) };
    },
    requests: () => [...log],
    writes: () => log.filter((r) => r.method !== 'GET'),
    clear() {
      log.length = 0;
      emulators.reset(false);
    },
    counts() {
      return Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, emulators.emulators[u]!.counts()])) as Record<UpstreamName, RequestCounts>;
    },
    faults(upstream, faults) {
      emulators.emulators[upstream]!.setFaults(faults);
    },
    async syncPopulation() {
      const report = await sync({ registry, upstreams: gateway.upstreams });
      if (report.failures.length > 0) throw new Error(`sync failed: ${JSON.stringify(report.failures)}`);
      t.clear();
    },
    async registered(email) {
      const [person] = await registry.getPeopleByEmail([email]);
      if (!person) return null;
      const links = (await registry.linksFor([person.id])).get(person.id) ?? [];
      return { person, links: Object.fromEntries(links.map((l) => [l.upstream, l.accountId])) };
    },
    async close() {
      await gateway.close();
      await Promise.all(proxies.map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
      await emulators.close();
      await registry.close();
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
export function onlyError(res: GraphQLResult): { message: string; extensions?: Record<string, any> } {
  expect(res.errors).toHaveLength(1);
  return res.errors![0]!;
}
