/**
 * The baseline of `npm run bench`: what a hand-written backend-for-frontend would do to answer the same
 * questions the gateway answers, and nothing more.
 *
 * `GET /person?email=<email>` answers what the gateway does for `userByEmail { firstName lastName status
 * notificationGroups { chargingFlow chargingIssues } role state }`, calling, concurrently:
 * - identity  `GET /api/v1/users/<email>` (the identifier may be an email; 404 = no identity user);
 * - ev.energy `GET /v2/users?email=<email>` (case-insensitive exact filter), then
 *   `GET /v2/users/<id>/notification_preferences` for the match (two matches are ambiguous: none taken);
 * - timesheet `GET /v2/users?email=<email>` (a substring filter, so the exact match is picked afterwards).
 * It answers 200 with `{ firstName, lastName, status, notificationGroups, role, state }`, 404 when no
 * upstream knows the email, 400 without an email.
 *
 * `GET /page?n=<index>` answers what the gateway does for page n of `users(first: 20) { nodes { email
 * firstName lastName status notificationGroups { … } sites { siteId name } address { town country } role
 * state } }`, from its own user table (the pages and each person's account ids, as the gateway's registry
 * lists them: `pagesFile`, read once at start). For every person on the page it calls at once, by account
 * id, each upstream that holds an account of theirs: identity `GET /users/<id>`, ev.energy
 * `GET /users/<id>/notification_preferences`, VRM `GET /users/<id>/installations`, podero
 * `GET /org/<org>/users/<id>` and timesheet `GET /users/<id>`: one call per person and upstream, the way
 * a hand-written fan-out does it (no batching). It answers 200 with `{ nodes: [...] }`, 404 for a page it
 * does not have.
 *
 * Every call carries its upstream's service credential, over one keep-alive undici Pool per upstream with
 * the gateway client's defaults (connection cap, header and body timeouts). Answers are in the gateway's
 * vocabulary (UPPER_SNAKE enums, null where the person has no account); an upstream failure is a 502
 * `{ error }` naming the upstream and status. It has no registry, no retries, no breaker, no auth of its
 * own and no GraphQL: the point of the comparison.
 *
 * Run as a child of `bench/gateway.ts`: `node --import tsx bench/fanout-server.ts '<json>'` where the JSON
 * argument is `{ "urls": { identity, evenergy, vrm, podero, timesheet }, "connections": 16, "pagesFile"? }`
 * (origin plus base path, as `usergraph emulators --json` prints them). It prints one JSON line
 * `{ "url": <origin> }` when listening and exits when its stdin closes or on SIGTERM, so it never outlives
 * the harness.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { readFileSync } from 'node:fs';
import { DEV_PODERO_ORG_ID, serviceToken } from '../src/contracts/dev-defaults';
import { acceptProfilerCommands } from './lib';

export type FanoutUpstream = 'identity' | 'evenergy' | 'vrm' | 'podero' | 'timesheet';

export const FANOUT_UPSTREAMS: readonly FanoutUpstream[] = ['identity', 'evenergy', 'vrm', 'podero', 'timesheet'];

/** One page of the baseline's user table: the cursor the gateway is asked it with, and its people. */
export interface BaselinePage {
  after: string | null;
  people: { email: string; accounts: Partial<Record<FanoutUpstream, string>> }[];
}

export interface FanoutServerOptions {
  /** Origin plus base path of each upstream, e.g. `http://127.0.0.1:4103/api/v1`. */
  urls: Record<FanoutUpstream, string>;
  /** Service credential of each upstream. Default: `serviceToken(upstream)` (environment or dev token). */
  tokens?: Partial<Record<FanoutUpstream, string>>;
  /** The podero organization (`PODERO_ORG_ID`, else the development default). */
  poderoOrgId?: string;
  /** The pages `GET /page?n=` serves; none without. */
  pages?: readonly BaselinePage[];
  /** Keep-alive connections per upstream; the gateway's client default is 16. */
  connections?: number;
  /** Time to response headers and between body chunks, ms; the gateway client's defaults. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** The answer of `GET /person`, field for field what the gateway's `userByEmail` selection returns. */
export interface PersonView {
  firstName: string | null;
  lastName: string | null;
  status: string | null;
  notificationGroups: { chargingFlow: boolean | null; chargingIssues: boolean | null } | null;
  role: string | null;
  state: string | null;
}

/** One person of `GET /page`, field for field what the gateway's page selection returns. */
export interface PagePersonView {
  email: string;
  firstName: string | null;
  lastName: string | null;
  status: string | null;
  notificationGroups: PersonView['notificationGroups'];
  sites: { siteId: number | null; name: string | null }[] | null;
  address: { town: string | null; country: string | null } | null;
  role: string | null;
  state: string | null;
}

export interface FanoutServer {
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** An upstream answered something the baseline cannot use; becomes a 502. */
class UpstreamFailure extends Error {
  constructor(
    readonly upstream: FanoutUpstream,
    detail: string,
  ) {
    super(`${upstream} ${detail}`);
    this.name = 'UpstreamFailure';
  }
}

interface Target {
  pool: Pool;
  basePath: string;
  headers: Record<string, string>;
}

const USER_AGENT = 'usergraph-bench-fanout/1';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const flag = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);
const upper = (value: unknown): string | null => (typeof value === 'string' ? value.toUpperCase() : null);

/**
 * The one account in an upstream's user list whose email is this email, ignoring case. Two such accounts
 * (ev.energy keeps emails unique case-sensitively) are ambiguous: neither is taken, as the gateway's sync
 * refuses to link either (a DUPLICATE_EMAIL conflict), so both sides answer null for that upstream.
 */
function onlyMatch(list: unknown[], email: string): Record<string, unknown> | undefined {
  const wanted = email.toLowerCase();
  const matches = list.filter((u): u is Record<string, unknown> => isRecord(u) && typeof u.email === 'string' && u.email.toLowerCase() === wanted);
  return matches.length === 1 ? matches[0] : undefined;
}

function authHeaders(upstream: FanoutUpstream, token: string): Record<string, string> {
  switch (upstream) {
    case 'identity':
    case 'evenergy':
    case 'podero':
      return { authorization: `Bearer ${token}` };
    case 'vrm':
      return { 'x-authorization': `Token ${token}` };
    case 'timesheet':
      return { 'x-freckletoken': token };
    default: {
      const unreachable: never = upstream;
      throw new Error(`expected one of ${FANOUT_UPSTREAMS.join(', ')}, but got: ${String(unreachable)}`);
    }
  }
}

/** The fan-out itself, without its HTTP server: what `bench/apollo-floor.ts` puts behind Apollo Server. */
export interface Fanout {
  /** The person with this email, or undefined when no upstream knows it; throws UpstreamFailure. */
  person(email: string): Promise<PersonView | undefined>;
  /** Page `n` of the user table, or undefined when there is no such page; throws UpstreamFailure. */
  page(n: number): Promise<{ nodes: PagePersonView[] } | undefined>;
  close(): Promise<void>;
}

export function createFanout(options: FanoutServerOptions): Fanout {
  const connections = options.connections ?? 16;
  const headersTimeout = options.headersTimeoutMs ?? 5000;
  const bodyTimeout = options.bodyTimeoutMs ?? 10_000;
  const targets = {} as Record<FanoutUpstream, Target>;
  for (const upstream of FANOUT_UPSTREAMS) {
    const base = new URL(options.urls[upstream]);
    const token = options.tokens?.[upstream] ?? serviceToken(upstream);
    targets[upstream] = {
      pool: new Pool(base.origin, { connections, headersTimeout, bodyTimeout, connect: { timeout: headersTimeout } }),
      basePath: base.pathname.replace(/\/+$/, ''),
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...authHeaders(upstream, token) },
    };
  }

  /** GET below the upstream's base path; resolves with the parsed body, or undefined for an allowed 404. */
  const get = async (upstream: FanoutUpstream, path: string, allowNotFound: boolean): Promise<unknown> => {
    const target = targets[upstream];
    let res;
    try {
      res = await target.pool.request({ method: 'GET', path: target.basePath + path, headers: target.headers });
    } catch (err) {
      throw new UpstreamFailure(upstream, `could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    const raw = await res.body.text();
    if (res.statusCode === 404 && allowNotFound) return undefined;
    if (res.statusCode !== 200) throw new UpstreamFailure(upstream, `answered ${res.statusCode}, expected 200`);
    try {
      return JSON.parse(raw);
    } catch {
      throw new UpstreamFailure(upstream, 'answered 200 with a body that is not JSON');
    }
  };

  const identity = async (email: string): Promise<Pick<PersonView, 'firstName' | 'lastName' | 'status'> | undefined> => {
    const body = await get('identity', `/users/${encodeURIComponent(email)}`, true);
    if (body === undefined) return undefined;
    const user = isRecord(body) && isRecord(body.data) && isRecord(body.data.user) ? body.data.user : undefined;
    if (!user) throw new UpstreamFailure('identity', 'answered 200 without data.user');
    return { firstName: text(user.first_name), lastName: text(user.last_name), status: upper(user.status) };
  };

  const evenergy = async (email: string): Promise<PersonView['notificationGroups'] | undefined> => {
    const list = await get('evenergy', `/users?${new URLSearchParams({ email })}`, false);
    if (!Array.isArray(list)) throw new UpstreamFailure('evenergy', 'answered 200 with a body that is not an array');
    const match = onlyMatch(list, email);
    if (!match || typeof match.id !== 'string') return undefined;
    const prefs = await get('evenergy', `/users/${encodeURIComponent(match.id)}/notification_preferences`, false);
    const groups = isRecord(prefs) && isRecord(prefs.groups) ? prefs.groups : undefined;
    if (!groups) throw new UpstreamFailure('evenergy', 'answered 200 without groups');
    return { chargingFlow: flag(groups.charging_flow), chargingIssues: flag(groups.charging_issues) };
  };

  const timesheet = async (email: string): Promise<Pick<PersonView, 'role' | 'state'> | undefined> => {
    const list = await get('timesheet', `/users?${new URLSearchParams({ email })}`, false);
    if (!Array.isArray(list)) throw new UpstreamFailure('timesheet', 'answered 200 with a body that is not an array');
    // The filter matches substrings (re.ada@… contains ada@…): only the exact email is this person.
    const match = onlyMatch(list, email);
    return match ? { role: upper(match.role), state: upper(match.state) } : undefined;
  };

  const poderoUsers = `/org/${encodeURIComponent(options.poderoOrgId ?? DEV_PODERO_ORG_ID)}/users`;
  const segment = encodeURIComponent;

  /** One person of a page: every upstream that holds an account of theirs, asked at once by account id. */
  const pagePerson = async ({ email, accounts }: BaselinePage['people'][number]): Promise<PagePersonView> => {
    const ask = <T>(upstream: FanoutUpstream, path: (id: string) => string, read: (body: unknown) => T): Promise<T | null> => {
      const id = accounts[upstream];
      if (id === undefined) return Promise.resolve(null);
      return get(upstream, path(segment(id)), true).then((body) => (body === undefined ? null : read(body)));
    };
    const [who, groups, sites, address, team] = await Promise.all([
      ask('identity', (id) => `/users/${id}`, (body) => {
        const user = isRecord(body) && isRecord(body.data) && isRecord(body.data.user) ? body.data.user : undefined;
        if (!user) throw new UpstreamFailure('identity', 'answered 200 without data.user');
        return { firstName: text(user.first_name), lastName: text(user.last_name), status: upper(user.status) };
      }),
      ask('evenergy', (id) => `/users/${id}/notification_preferences`, (body) => {
        const g = isRecord(body) && isRecord(body.groups) ? body.groups : undefined;
        if (!g) throw new UpstreamFailure('evenergy', 'answered 200 without groups');
        return { chargingFlow: flag(g.charging_flow), chargingIssues: flag(g.charging_issues) };
      }),
      ask('vrm', (id) => `/users/${id}/installations`, (body) => {
        const records = isRecord(body) && Array.isArray(body.records) ? body.records : undefined;
        if (!records) throw new UpstreamFailure('vrm', 'answered 200 without records');
        return records.map((r: unknown) => ({ siteId: isRecord(r) && typeof r.idSite === 'number' ? r.idSite : null, name: isRecord(r) ? text(r.name) : null }));
      }),
      ask('podero', (id) => `${poderoUsers}/${id}`, (body) => {
        if (!isRecord(body)) throw new UpstreamFailure('podero', 'answered 200 with a body that is not an object');
        return { town: text(body.town), country: text(body.country) };
      }),
      ask('timesheet', (id) => `/users/${id}`, (body) => {
        if (!isRecord(body)) throw new UpstreamFailure('timesheet', 'answered 200 with a body that is not an object');
        return { role: upper(body.role), state: upper(body.state) };
      }),
    ]);
    return {
      email,
      firstName: who?.firstName ?? null,
      lastName: who?.lastName ?? null,
      status: who?.status ?? null,
      notificationGroups: groups,
      sites,
      address,
      role: team?.role ?? null,
      state: team?.state ?? null,
    };
  };

  const person = async (email: string): Promise<PersonView | undefined> => {
    const [who, groups, team] = await Promise.all([identity(email), evenergy(email), timesheet(email)]);
    if (!who && !groups && !team) return undefined;
    return {
      firstName: who?.firstName ?? null,
      lastName: who?.lastName ?? null,
      status: who?.status ?? null,
      notificationGroups: groups ?? null,
      role: team?.role ?? null,
      state: team?.state ?? null,
    };
  };

  const page = async (n: number): Promise<{ nodes: PagePersonView[] } | undefined> => {
    const found = options.pages?.[n];
    return found ? { nodes: await Promise.all(found.people.map(pagePerson)) } : undefined;
  };

  return {
    person,
    page,
    async close() {
      await Promise.all(FANOUT_UPSTREAMS.map((u) => targets[u].pool.close()));
    },
  };
}

/** An upstream failure is the client's 502 (its words name the upstream); anything else is a bug. */
export function isUpstreamFailure(err: unknown): err is Error {
  return err instanceof UpstreamFailure;
}

export function createFanoutServer(options: FanoutServerOptions): FanoutServer {
  const fanout = createFanout(options);
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fanout.invalid');
    if (url.pathname !== '/person' && url.pathname !== '/page') return send(res, 404, { error: `expected GET /person?email=… or /page?n=…, but got ${req.method} ${url.pathname}` });
    if (req.method !== 'GET') return send(res, 405, { error: `expected GET on ${url.pathname}, but got ${req.method}` });
    if (url.pathname === '/page') {
      try {
        const found = await fanout.page(Number(url.searchParams.get('n') ?? ''));
        if (!found) return send(res, 404, { error: `expected n from 0 to ${(options.pages?.length ?? 0) - 1}, but got ${JSON.stringify(url.searchParams.get('n'))}` });
        return send(res, 200, found);
      } catch (err) {
        if (err instanceof UpstreamFailure) return send(res, 502, { error: err.message });
        throw err;
      }
    }
    const email = url.searchParams.get('email');
    if (!email) return send(res, 400, { error: 'expected an email query parameter, but got none' });
    try {
      const found = await fanout.person(email);
      if (!found) return send(res, 404, { error: 'no upstream holds an account with this email' });
      return send(res, 200, found);
    } catch (err) {
      if (err instanceof UpstreamFailure) return send(res, 502, { error: err.message });
      throw err;
    }
  };

  const server = http.createServer((req, res) => {
    req.resume();
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  // Match node's keep-alive to the load generator's, so idle client connections are not cut mid-run.
  server.keepAliveTimeout = 65_000;

  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: actual } = server.address() as AddressInfo;
          resolve(`http://${host}:${actual}`);
        });
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fanout.close();
    },
  };
}

/** Reads the child's one JSON argument: `{ urls: { identity, evenergy, vrm, podero, timesheet }, connections?, pagesFile? }`. */
export function parseChildArgument(raw: string | undefined): FanoutServerOptions {
  let parsed: unknown;
  try {
    parsed = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const urls = isRecord(parsed) && isRecord(parsed.urls) ? parsed.urls : undefined;
  const picked = {} as Record<FanoutUpstream, string>;
  for (const upstream of FANOUT_UPSTREAMS) {
    const value = urls?.[upstream];
    if (typeof value !== 'string') {
      throw new Error(`expected one JSON argument {"urls":{"identity","evenergy","vrm","podero","timesheet"},"connections"?,"pagesFile"?}, but got: ${String(raw).slice(0, 200)}`);
    }
    picked[upstream] = value;
  }
  const connections = isRecord(parsed) && typeof parsed.connections === 'number' ? parsed.connections : undefined;
  const pagesFile = isRecord(parsed) && typeof parsed.pagesFile === 'string' ? parsed.pagesFile : undefined;
  // Written by the harness from the gateway's own answers just before this process starts.
  const pages = pagesFile === undefined ? undefined : (JSON.parse(readFileSync(pagesFile, 'utf8')) as BaselinePage[]);
  return { urls: picked, connections, pages, poderoOrgId: process.env.PODERO_ORG_ID || undefined };
}

async function runAsChild(): Promise<void> {
  const server = createFanoutServer(parseChildArgument(process.argv[2]));
  const url = await server.listen(0);
  process.stdout.write(JSON.stringify({ url }) + '\n');
  const stop = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  acceptProfilerCommands(process.stdin);
}

if (require.main === module) {
  runAsChild().catch((err: unknown) => {
    process.stderr.write(`fanout-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
