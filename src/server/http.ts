/**
 * The gateway's HTTP surface on node:http: `/graphql` (Apollo Server 5, GraphQL over HTTP, POST and GET),
 * GraphiQL for browsers, `/healthz`, `/readyz` and `/metrics`. Apollo knows no transport here: this module
 * only translates node requests into `executeHTTPGraphQLRequest` calls and back.
 *
 * Every refusal of its own is JSON with a code (`{"errors":[{"message","extensions":{"code"}}]}`), even
 * those node's HTTP parser makes (431, 400: the 'clientError' event). Bodies are strict: POST takes
 * `application/json` or `application/graphql-response+json` (415 otherwise), in UTF-8 (400 for any
 * invalid byte, never silently replaced).
 *
 * For browsers and mobile apps (DESIGN.md "Browser and mobile clients"): CORS on `/graphql` for the
 * configured origins (`cors`), `br`/`gzip` compression of bodies over 1 KiB the client accepts, and
 * `WWW-Authenticate: Bearer` on every 401.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../lib/logger';
import { contextFromHeaders, inSpan, SpanKind, tracingEnabled, withContext } from '../lib/trace';

export interface HttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  /** Builds the per-request context; throws a GraphQLError (UNAUTHENTICATED) to refuse the request. */
  context: (req: { headers: http.IncomingHttpHeaders; requestId: string }) => Promise<C>;
  logger: Logger;
  /** `/readyz` body and whether the gateway is ready. */
  readiness: () => Promise<{ ready: boolean; body: unknown }>;
  /** `/metrics` in the Prometheus text format. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Serves GraphiQL assets (page and bundle) or returns undefined when GraphiQL is off or the path is not its. */
  graphiql?: (path: string) => Promise<{ contentType: string; body: string | Buffer; headers?: Record<string, string> } | undefined>;
  /** Largest accepted request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Production: `/metrics` is refused on the main port unless a token or a metrics port is configured. */
  production?: boolean;
  /** `/metrics` answers only requests with `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** `/metrics` is served on this port (0: any free one) by a listener of its own, and not on the main port. */
  metricsPort?: number;
  /** Operations accepted in one batched request (a JSON array). Default 1. */
  maxBatch?: number;
  /**
   * Origins whose pages may call `/graphql` (CORS): exact origins (`https://app.example.com`) or `*`
   * (any origin; config refuses it in production). Undefined: no CORS headers, and OPTIONS is a 405.
   */
  corsOrigins?: '*' | readonly string[];
}

export interface HttpServer {
  server: http.Server;
  /** The separate `/metrics` listener, when `metricsPort` is set. */
  metricsServer?: http.Server;
  /** Its origin once listening. */
  readonly metricsUrl?: string;
  listen(port: number, host: string): Promise<string>;
  /**
   * Stops accepting connections and closes idle keep-alive ones at once; a connection serving a request
   * closes when its response is sent (`Connection: close`). Requests still running after `graceMs`
   * (default 0: at once) have their connections cut. Resolves when every connection is gone.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** The codes of the HTTP layer's own refusals (README's error table). */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'INTERNAL_SERVER_ERROR';

/** The media types a POST body may have. */
const BODY_TYPES = new Set(['application/json', 'application/graphql-response+json']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function errorBody(code: HttpErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}): void {
  const text = errorBody(code, message);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/**
 * node's HTTP parser refuses some requests before any handler runs (headers over its limit, malformed
 * request lines); its own answer has no body. This writes the same status with a JSON body and a code.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message]: [number, string, HttpErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request headers are larger than the server accepts']
      : [400, 'Bad Request', 'BAD_REQUEST', 'The request is not valid HTTP/1.1'];
  const body = errorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Request headers a cross-origin page may send to `/graphql` (the preflight's answer). */
export const CORS_ALLOW_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-vrm-authorization',
  'x-request-id',
  'x-upstream-calls',
  'traceparent',
];
/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = ['x-request-id'];
/** How long a browser may reuse a preflight's answer, seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_S = 600;

/** Bodies up to this size are sent as they are: compressing them saves nothing worth the work. */
export const COMPRESS_MIN_BYTES = 1024;

type Coding = 'br' | 'gzip';

/**
 * The coding to answer with, from an Accept-Encoding header (RFC 9110 §12.5.3): the acceptable one
 * (q > 0) with the highest q, `br` on a tie; `*` stands for every coding not listed. Undefined: identity.
 */
export function chooseEncoding(header: string | undefined): Coding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!name) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(name, Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0);
  }
  const weight = (c: Coding): number => q.get(c) ?? (c === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0;
  const br = weight('br');
  const gzip = weight('gzip');
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Compresses with a brotli quality fit for answers made per request (11, the default, is for static files). */
function compress(body: Buffer, coding: Coding): Promise<Buffer> {
  return coding === 'br'
    ? brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gzip(body, { level: 6 });
}

/** Adds values to a response's Vary header, keeping those already there. */
function addVary(res: http.ServerResponse, ...values: string[]): void {
  const existing = res.getHeader('vary');
  if (existing === undefined) {
    res.setHeader('vary', values.join(', '));
    return;
  }
  const current = String(existing).split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of values) if (!current.some((c) => c.toLowerCase() === v.toLowerCase())) current.push(v);
  res.setHeader('vary', current.join(', '));
}

/**
 * Sends a whole body, compressed when the client accepts br or gzip and it is over COMPRESS_MIN_BYTES.
 * Its representation depends on Accept-Encoding either way, so caches are told (Vary).
 */
async function sendBody(req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): Promise<void> {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  addVary(res, 'Accept-Encoding');
  const coding = raw.length > COMPRESS_MIN_BYTES ? chooseEncoding(req.headers['accept-encoding']) : undefined;
  const sent = coding ? await compress(raw, coding) : raw;
  res.writeHead(status, { ...headers, ...(coding ? { 'content-encoding': coding } : {}), 'content-length': String(sent.length) });
  res.end(sent);
}

/** Compares secrets in constant time (their digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when every parameter of a query string decodes as UTF-8. */
function validQueryString(search: string): boolean {
  for (const part of search.replace(/^\?/, '').split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}

function wantsHtml(req: http.IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return req.method === 'GET' && accept.includes('text/html');
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What is read of a request's URL: its path and query string. */
type RequestUrl = Pick<URL, 'pathname' | 'search'>;

/** `POST /graphql`, nearly every request, needs no URL parser: it is its own path, with no query. */
const PLAIN_GRAPHQL: RequestUrl = Object.freeze({ pathname: '/graphql', search: '' });

function requestUrl(raw: string | undefined): RequestUrl {
  return raw === '/graphql' ? PLAIN_GRAPHQL : new URL(raw ?? '/', 'http://gateway');
}

export function createHttpServer<C extends BaseContext>(options: HttpOptions<C>): HttpServer {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const { logger } = options;

  /** Reads a POST body: JSON in UTF-8 of an accepted media type, or why not (the answer is sent). */
  const postBody = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<{ body: unknown } | undefined> => {
    const [mediaType = '', ...params] = String(req.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
    const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
    if (!BODY_TYPES.has(mediaType) || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
      req.resume();
      sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `POST /graphql takes a JSON body in UTF-8 (content-type: application/json), but got content-type ${JSON.stringify(String(req.headers['content-type'] ?? '')).slice(0, 100)}`, { accept: 'application/json' });
      return undefined;
    }
    const raw = await readBody(req, maxBody);
    if (raw === 'too-large') {
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBody} bytes`);
      return undefined;
    }
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      sendError(res, 400, 'BAD_REQUEST', 'Request body is not valid UTF-8');
      return undefined;
    }
    try {
      return { body: text.length ? JSON.parse(text) : undefined };
    } catch {
      sendError(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
      return undefined;
    }
  };

  const allowed = options.corsOrigins === undefined ? undefined : options.corsOrigins === '*' ? '*' : new Set(options.corsOrigins);

  /**
   * CORS for `/graphql` (DESIGN.md "Browser and mobile clients"): an allowed origin is echoed, with the
   * headers it may read; a preflight is answered here (true: the response is sent). Without
   * `corsOrigins` nothing is added, and OPTIONS gets the 405 of any other method.
   */
  const cors = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (allowed === undefined) return false;
    // The answer depends on the Origin, so a cache must not give one origin's answer to another.
    addVary(res, 'Origin');
    const origin = req.headers.origin;
    const ok = typeof origin === 'string' && (allowed === '*' || allowed.has(origin));
    if (ok) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS.join(', '));
    }
    if (req.method !== 'OPTIONS') return false;
    req.resume();
    // A disallowed origin gets the same 204 without Access-Control-* headers: the browser refuses.
    const headers: Record<string, string> = { allow: 'GET, POST', 'content-length': '0' };
    if (ok) {
      headers['access-control-allow-methods'] = 'GET, POST';
      headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS.join(', ');
      headers['access-control-max-age'] = String(CORS_MAX_AGE_S);
    }
    res.writeHead(204, headers);
    res.end();
    return true;
  };

  const graphql = async (req: http.IncomingMessage, res: http.ServerResponse, url: RequestUrl, requestId: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed on /graphql; use POST or GET`, { allow: 'GET, POST' });
      return;
    }
    if (!validQueryString(url.search)) {
      sendError(res, 400, 'BAD_REQUEST', 'The query string is not valid percent-encoded UTF-8');
      return;
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      const read = await postBody(req, res);
      if (!read) return;
      body = read.body;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const maxBatch = options.maxBatch ?? 1;
    if (Array.isArray(body) && maxBatch > 1 && body.length > maxBatch) {
      sendError(res, 400, 'BAD_REQUEST', `A batch may hold at most ${maxBatch} operations (MAX_BATCH), but this one holds ${body.length}`);
      return;
    }
    const method = req.method;
    const execute = () =>
      options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: url.search, body },
        context: () => options.context({ headers: req.headers, requestId }),
      });
    // With tracing on, the operation is one server span in the client's trace (its `traceparent`), and every
    // loader batch and upstream call below it is its child.
    const result = tracingEnabled()
      ? await withContext(contextFromHeaders(req.headers), () =>
          inSpan('graphql', { 'usergraph.request_id': requestId, 'http.request.method': method }, execute, SpanKind.SERVER),
        )
      : await execute();
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [k, v] of result.headers) outHeaders[k] = v;
    const status = result.status ?? 200;
    if (status === 401 && outHeaders['www-authenticate'] === undefined) {
      // RFC 6750 §3: a refused token is `invalid_token`; without one the challenge only names the scheme.
      outHeaders['www-authenticate'] = req.headers.authorization === undefined ? 'Bearer realm="usergraph"' : 'Bearer realm="usergraph", error="invalid_token"';
    }
    if (result.body.kind === 'complete') {
      await sendBody(req, res, status, outHeaders, result.body.string);
    } else {
      // Incremental delivery (multipart) is sent as it comes, uncompressed: a compressor would hold parts
      // back. graphql 16 never streams, so Apollo answers every request here with a complete body.
      res.writeHead(status, outHeaders);
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, log: () => Logger): Promise<void> => {
    const started = performance.now();
    const url = requestUrl(req.url);
    // Nothing to build when the line would not be written (LOG_LEVEL above info).
    if (logger.isLevelEnabled('info')) {
      res.on('finish', () => {
        log().info({ method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'http request');
      });
    }

    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const { ready, body } = await options.readiness();
      return sendJson(res, ready ? 200 : 503, body);
    }
    if (url.pathname === '/metrics') {
      if (options.metricsPort !== undefined) return sendError(res, 404, 'NOT_FOUND', 'Metrics are served on the metrics port (METRICS_PORT), not here');
      if (options.metricsToken === undefined && options.production) {
        return sendError(res, 403, 'FORBIDDEN', 'Metrics are not served in production without METRICS_TOKEN or METRICS_PORT');
      }
      return serveMetrics(req, res);
    }
    if (options.graphiql && (url.pathname === '/graphiql' || url.pathname.startsWith('/graphiql/') || (url.pathname === '/graphql' && wantsHtml(req)))) {
      const asset = await options.graphiql(url.pathname === '/graphql' ? '/graphiql' : url.pathname);
      if (asset) {
        return sendBody(req, res, 200, { ...asset.headers, 'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }, asset.body);
      }
    }
    if (url.pathname === '/graphql') {
      if (cors(req, res)) return;
      return graphql(req, res, url, requestId);
    }
    sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname.slice(0, 200)}; the API is at /graphql`);
  };

  /** `/metrics` itself, behind the token when one is configured. */
  const serveMetrics = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (options.metricsToken !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      if (!match || !sameSecret(match[1]!, options.metricsToken)) {
        return sendError(res, 401, 'UNAUTHENTICATED', 'Metrics need Authorization: Bearer <METRICS_TOKEN>', { 'www-authenticate': 'Bearer realm="metrics"' });
      }
    }
    const m = await options.metrics();
    return sendBody(req, res, 200, { 'content-type': m.contentType }, m.body);
  };

  const failed = (res: http.ServerResponse, log: () => Logger = () => logger) => (err: unknown) => {
    log().error({ error: err instanceof Error ? err.message : String(err) }, 'unhandled request failure');
    if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    else res.destroy();
  };

  // Set by close(): every response from then on (and every one still running) ends its connection.
  let closing = false;
  const active = new Set<http.ServerResponse>();
  const track = (res: http.ServerResponse): void => {
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
    active.add(res);
    res.once('close', () => active.delete(res));
    // A response whose headers went out before close() could not say `Connection: close`: once it is
    // sent, its connection is idle and closes here.
    res.once('finish', () => {
      if (closing) setImmediate(closeIdle);
    });
  };
  const closeIdle = (): void => {
    server.closeIdleConnections();
    metricsServer?.closeIdleConnections();
  };

  const server = http.createServer((req, res) => {
    track(res);
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    // Every line logged for this request carries its id; the child logger is made for the first line.
    let child: Logger | undefined;
    const log = (): Logger => (child ??= logger.child({ requestId }));
    handle(req, res, requestId, log).catch(failed(res, log));
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);

  const metricsServer =
    options.metricsPort === undefined
      ? undefined
      : http.createServer((req, res) => {
          track(res);
          const path = new URL(req.url ?? '/', 'http://gateway').pathname;
          if (path !== '/metrics') return sendError(res, 404, 'NOT_FOUND', 'This port serves only /metrics');
          serveMetrics(req, res).catch(failed(res));
        });
  metricsServer?.on('clientError', answerClientError);
  let metricsUrl: string | undefined;

  const listenOn = (s: http.Server, port: number, host: string): Promise<string> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        const addr = s.address() as AddressInfo;
        resolve(`http://${host}:${addr.port}`);
      });
    });
  /**
   * `server.close()` stops the listener and closes the connections idle now; the ones that become idle
   * later are ended by `Connection: close` on their response (set below for responses not yet started,
   * and by `track` for requests that arrive on a kept-alive connection meanwhile). After the grace, what
   * is left is cut.
   */
  const closeOne = (s: http.Server, graceMs: number): Promise<void> =>
    new Promise((resolve) => {
      if (!s.listening) return resolve();
      let cut: NodeJS.Timeout | undefined;
      s.close(() => {
        if (cut) clearTimeout(cut);
        resolve();
      });
      s.closeIdleConnections();
      if (graceMs <= 0) s.closeAllConnections();
      else {
        cut = setTimeout(() => s.closeAllConnections(), graceMs);
        cut.unref();
      }
    });

  return {
    server,
    metricsServer,
    get metricsUrl() {
      return metricsUrl;
    },
    async listen(port, host) {
      const origin = await listenOn(server, port, host);
      if (metricsServer) metricsUrl = await listenOn(metricsServer, options.metricsPort!, host);
      return origin;
    },
    async close(closeOptions = {}) {
      closing = true;
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      const graceMs = closeOptions.graceMs ?? 0;
      await Promise.all([closeOne(server, graceMs), metricsServer ? closeOne(metricsServer, graceMs) : Promise.resolve()]);
    },
  };
}
