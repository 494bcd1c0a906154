/**
 * The small HTTP framework the five emulators share: routing on path templates, JSON bodies with a
 * size limit, per-route request counters, fault injection and the `/__emulator/*` test hooks
 * (DESIGN.md "Running"). It knows nothing of any upstream's wire format: each emulator supplies its own
 * error bodies through `EmulatorErrors`, so a malformed body or an injected 500 looks exactly like the
 * real API's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng } from './population';

export interface EmulatorResponse {
  status: number;
  /** Serialised as JSON unless `rawBody` is given; omitted for 204. */
  body?: unknown;
  /** Sent as is (used by the malformed-body fault and for non-JSON answers). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
}

export interface RequestContext<A = unknown> {
  method: string;
  /** The route template that matched, e.g. `/users/:id`. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON (or form) body; `undefined` when the request had none. */
  body: unknown;
  /** What `authenticate` returned for this request (undefined on routes with `auth: false`). */
  auth: A;
  /** This emulator's origin plus base path, e.g. `http://127.0.0.1:4101/v2`: used for `url` fields and `Link`. */
  baseUrl: string;
}

export interface Route<A = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base path, with `:name` parameters: `/users/:id/payout_method`. */
  path: string;
  /** Defaults to true. */
  auth?: boolean;
  /**
   * Content types accepted for a body (default JSON only). `application/x-www-form-urlencoded` bodies are
   * parsed into an object of strings.
   */
  bodyTypes?: string[];
  /** When true (default for POST/PUT/PATCH), a body that is present must be a JSON object. */
  objectBody?: boolean;
  handler: (ctx: RequestContext<A>) => EmulatorResponse | Promise<EmulatorResponse>;
}

/** The upstream-specific error bodies for failures the framework itself detects. */
export interface EmulatorErrors {
  unauthorized(reason: 'missing' | 'invalid'): EmulatorResponse;
  notFound(): EmulatorResponse;
  methodNotAllowed(): EmulatorResponse;
  malformedJson(): EmulatorResponse;
  notObject(): EmulatorResponse;
  unsupportedMediaType(): EmulatorResponse;
  tooLarge(): EmulatorResponse;
  /** The body an injected fault status carries (500, 503, 429 …). */
  forStatus(status: number): EmulatorResponse;
}

export interface EmulatorDefinition<A = unknown> {
  name: string;
  /** The real API's base path: `/v2`, `/api/v1`, `/api/partners/v2.0`. */
  basePath: string;
  /** Returns the caller's identity, or the error response to send (usually `errors.unauthorized`). */
  authenticate(headers: http.IncomingHttpHeaders, query: URLSearchParams): AuthResult<A>;
  errors: EmulatorErrors;
  routes: Route<A>[];
  /** Restores the seeded data (`POST /__emulator/reset?data=true`). */
  resetData(): void;
  /** The OpenAPI 3.1 document served at `GET /openapi.json` (and `<basePath>/openapi.json`). */
  openapi: () => unknown;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Fault switches (`POST /__emulator/faults`). All optional; an empty object clears them. */
export interface Faults {
  /** Delay before answering, in ms. */
  latencyMs?: number;
  /** Fraction (0..1) of requests that fail with `status`. Defaults to 1 when `status` is set. */
  errorRate?: number;
  /** Status of injected failures. Defaults to 500 when `errorRate` is set. */
  status?: number;
  /** Close the connection without answering. */
  down?: boolean;
  /** Answer 200 with a body that is not valid JSON. */
  malformed?: boolean;
  /** Run the handler (the write happens) and only then inject the failure. */
  afterHandler?: boolean;
  /** Only requests whose route key (`POST /users`) is listed are affected. Default: all. */
  routes?: string[];
  /** Only the next `count` affected requests fail; then the fault clears itself. */
  count?: number;
  /** `Retry-After` seconds sent with injected failures. */
  retryAfter?: number;
}

export interface RequestCounts {
  total: number;
  /** By route key: `GET /users/:id` → n. Unmatched paths count as `GET (unmatched)`. */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
}

export interface Emulator {
  name: string;
  basePath: string;
  server: http.Server;
  listen(port?: number, host?: string): Promise<string>;
  /** Origin plus base path once listening: `http://127.0.0.1:4101/v2`. */
  url(): string;
  /** The origin once listening: `http://127.0.0.1:4101`. */
  origin(): string;
  close(): Promise<void>;
  counts(): RequestCounts;
  setFaults(faults: Faults): void;
  reset(data?: boolean): void;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

interface CompiledRoute<A> {
  route: Route<A>;
  key: string;
  segments: string[];
}

function compile<A>(route: Route<A>): CompiledRoute<A> {
  return { route, key: `${route.method} ${route.path}`, segments: route.path.split('/').filter(Boolean) };
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      params[seg.slice(1)] = value;
    } else if (seg !== part) {
      return undefined;
    }
  }
  return params;
}

/** Literal segments win over parameters (`/users/me` before `/users/:id`). */
function specificity(segments: string[]): number {
  return segments.reduce((n, s, i) => n + (s.startsWith(':') ? 0 : 2 ** (16 - i)), 0);
}

export type AuthResult<A> = { ok: true; caller: A } | { ok: false; response: EmulatorResponse };

function send(res: http.ServerResponse, r: EmulatorResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let payload: string | undefined;
  if (r.rawBody !== undefined) payload = r.rawBody;
  else if (r.body !== undefined && r.status !== 204) payload = JSON.stringify(r.body);
  if (payload !== undefined) {
    headers['content-type'] = r.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (r.status !== 204 && r.status !== 304) {
    headers['content-length'] = '0';
  }
  res.writeHead(r.status, headers);
  res.end(payload);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Builds an RFC 8288 `Link` header from rel → URL pairs, skipping absent ones. */
export function linkHeader(links: Record<string, string | undefined>): string | undefined {
  const parts = Object.entries(links)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([rel, url]) => `<${url}>; rel="${rel}"`);
  return parts.length ? parts.join(', ') : undefined;
}

export function createEmulator<A>(def: EmulatorDefinition<A>): Emulator {
  const routes = def.routes.map(compile).sort((a, b) => specificity(b.segments) - specificity(a.segments));
  const maxBody = def.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let counts: RequestCounts = { total: 0, byRoute: {}, byStatus: {} };
  let faults: Faults = {};
  let random = prng(1);
  let listeningUrl: string | undefined;

  const count = (key: string, status: number): void => {
    counts.total++;
    counts.byRoute[key] = (counts.byRoute[key] ?? 0) + 1;
    counts.byStatus[String(status)] = (counts.byStatus[String(status)] ?? 0) + 1;
  };

  const faultApplies = (key: string): boolean => {
    if (faults.routes && !faults.routes.includes(key)) return false;
    if (faults.count !== undefined && faults.count <= 0) return false;
    return true;
  };

  const consumeFault = (): void => {
    if (faults.count !== undefined) {
      faults.count--;
      if (faults.count <= 0) faults = {};
    }
  };

  const injected = (): EmulatorResponse | 'down' | undefined => {
    if (faults.down) return 'down';
    if (faults.malformed) return { status: 200, rawBody: '{"truncated": ', contentType: 'application/json' };
    const rate = faults.errorRate ?? (faults.status !== undefined ? 1 : 0);
    if (rate > 0 && random() < rate) {
      const r = def.errors.forStatus(faults.status ?? 500);
      if (faults.retryAfter !== undefined) r.headers = { ...(r.headers ?? {}), 'retry-after': String(faults.retryAfter) };
      return r;
    }
    return undefined;
  };

  const hooks = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname === '/__emulator/requests' && req.method === 'GET') {
      send(res, { status: 200, body: counts });
      return true;
    }
    if (url.pathname === '/__emulator/reset' && req.method === 'POST') {
      req.resume();
      reset(url.searchParams.get('data') === 'true');
      send(res, { status: 200, body: { ok: true } });
      return true;
    }
    if (url.pathname === '/__emulator/faults' && req.method === 'POST') {
      const raw = await readBody(req, 64 * 1024);
      let parsed: unknown;
      try {
        parsed = raw === 'too-large' ? undefined : raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        parsed = undefined;
      }
      const problem = validateFaults(parsed);
      if (problem) {
        send(res, { status: 400, body: { error: problem } });
        return true;
      }
      faults = parsed as Faults;
      send(res, { status: 200, body: { ok: true, faults } });
      return true;
    }
    if ((url.pathname === '/openapi.json' || url.pathname === `${def.basePath}/openapi.json`) && req.method === 'GET') {
      send(res, { status: 200, body: def.openapi() });
      return true;
    }
    return false;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const host = req.headers.host ?? 'localhost';
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname.startsWith('/__emulator/') || url.pathname.endsWith('/openapi.json')) {
      if (await hooks(req, res, url)) return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const baseUrl = `http://${host}${def.basePath}`;
    const respond = (r: EmulatorResponse, key: string): void => {
      count(key, r.status);
      send(res, r);
    };

    if (!url.pathname.startsWith(def.basePath + '/') && url.pathname !== def.basePath) {
      req.resume();
      return respond(def.errors.notFound(), `${method} (unmatched)`);
    }
    const rest = url.pathname.slice(def.basePath.length);
    const parts = rest.split('/').filter(Boolean);
    let matched: { compiled: CompiledRoute<A>; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const compiled of routes) {
      const params = matchSegments(compiled.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (compiled.route.method === method) {
        matched = { compiled, params };
        break;
      }
    }
    if (!matched) {
      req.resume();
      return respond(pathMatched ? def.errors.methodNotAllowed() : def.errors.notFound(), `${method} (unmatched)`);
    }
    const { compiled, params } = matched;
    const { route, key } = compiled;

    const affected = faultApplies(key) && Object.keys(faults).some((k) => k !== 'routes' && k !== 'count');
    if (affected && faults.latencyMs) {
      const onlyLatency = !faults.down && !faults.malformed && faults.status === undefined && !faults.errorRate;
      await new Promise((r) => setTimeout(r, faults.latencyMs));
      // A latency-only fault with a count is used up by the requests it slowed down.
      if (onlyLatency) consumeFault();
    }
    if (affected && !faults.afterHandler) {
      const fault = injected();
      if (fault) {
        consumeFault();
        req.resume();
        if (fault === 'down') {
          count(key, 0);
          req.socket.destroy();
          return;
        }
        return respond(fault, key);
      }
    }

    let auth = undefined as A;
    if (route.auth !== false) {
      const result = def.authenticate(req.headers, url.searchParams);
      if (!result.ok) {
        req.resume();
        return respond(result.response, key);
      }
      auth = result.caller;
    }

    let body: unknown;
    const raw = await readBody(req, maxBody);
    if (raw === 'too-large') return respond(def.errors.tooLarge(), key);
    if (raw.length > 0) {
      const type = mediaType(req.headers['content-type']);
      const accepted = route.bodyTypes ?? ['application/json'];
      if (!accepted.includes(type) && !(type.endsWith('+json') && accepted.includes('application/json'))) {
        return respond(def.errors.unsupportedMediaType(), key);
      }
      const text = raw.toString('utf8');
      if (type === 'application/x-www-form-urlencoded') {
        body = Object.fromEntries(new URLSearchParams(text));
      } else {
        try {
          body = JSON.parse(text);
        } catch {
          return respond(def.errors.malformedJson(), key);
        }
      }
      const wantsObject = route.objectBody ?? ['POST', 'PUT', 'PATCH'].includes(method);
      if (wantsObject && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return respond(def.errors.notObject(), key);
      }
    }

    let result: EmulatorResponse;
    try {
      result = await route.handler({ method, route: route.path, params, query: url.searchParams, headers: req.headers, body, auth, baseUrl });
    } catch (err) {
      // A handler bug must not take the emulator down; it answers like the real API's 500.
      process.stderr.write(`[emulator ${def.name}] ${key} failed: ${(err as Error).stack ?? String(err)}\n`);
      result = def.errors.forStatus(500);
    }
    if (affected && faults.afterHandler) {
      const fault = injected();
      if (fault) {
        consumeFault();
        if (fault === 'down') {
          count(key, 0);
          req.socket.destroy();
          return;
        }
        result = fault;
      }
    }
    respond(result, key);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      process.stderr.write(`[emulator ${def.name}] ${(err as Error).stack ?? String(err)}\n`);
      if (!res.headersSent) send(res, def.errors.forStatus(500));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  const reset = (data = false): void => {
    counts = { total: 0, byRoute: {}, byStatus: {} };
    faults = {};
    random = prng(1);
    if (data) def.resetData();
  };

  return {
    name: def.name,
    basePath: def.basePath,
    server,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, rejectListen) => {
        server.once('error', rejectListen);
        server.listen(port, host, () => {
          server.off('error', rejectListen);
          const addr = server.address() as AddressInfo;
          listeningUrl = `http://${host}:${addr.port}`;
          resolve(listeningUrl + def.basePath);
        });
      });
    },
    url() {
      if (!listeningUrl) throw new Error(`emulator ${def.name} is not listening`);
      return listeningUrl + def.basePath;
    },
    origin() {
      if (!listeningUrl) throw new Error(`emulator ${def.name} is not listening`);
      return listeningUrl;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
    counts: () => counts,
    setFaults(f: Faults) {
      const problem = validateFaults(f);
      if (problem) throw new Error(problem);
      faults = { ...f };
    },
    reset,
  };
}

/** Says what is wrong with a faults body, or undefined when it is valid. */
export function validateFaults(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'faults must be a JSON object';
  const f = value as Record<string, unknown>;
  const known = ['latencyMs', 'errorRate', 'status', 'down', 'malformed', 'afterHandler', 'routes', 'count', 'retryAfter'];
  for (const k of Object.keys(f)) if (!known.includes(k)) return `unknown fault "${k}"; expected one of ${known.join(', ')}`;
  const num = (k: string, min: number, max: number): string | undefined => {
    const v = f[k];
    if (v === undefined) return undefined;
    return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? undefined : `${k} must be a number from ${min} to ${max}, but got: ${JSON.stringify(v)}`;
  };
  const bool = (k: string): string | undefined => (f[k] === undefined || typeof f[k] === 'boolean' ? undefined : `${k} must be a boolean, but got: ${JSON.stringify(f[k])}`);
  return (
    num('latencyMs', 0, 120_000) ??
    num('errorRate', 0, 1) ??
    num('status', 100, 599) ??
    num('count', 1, 1_000_000) ??
    num('retryAfter', 0, 86_400) ??
    bool('down') ??
    bool('malformed') ??
    bool('afterHandler') ??
    (f.routes === undefined || (Array.isArray(f.routes) && f.routes.every((r) => typeof r === 'string')) ? undefined : 'routes must be an array of route keys such as "POST /users"')
  );
}

/** Reads a JSON object body field by field in handlers without casting. */
export function asRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
