/**
 * The gateway's HTTP surface on node:http: `/graphql` (Apollo Server 5, GraphQL over HTTP, POST and GET),
 * GraphiQL for browsers, `/healthz`, `/readyz` and `/metrics`. Apollo knows no transport here: this module
 * only translates node requests into `executeHTTPGraphQLRequest` calls and back.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from './logger';

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
  graphiql?: (path: string) => Promise<{ contentType: string; body: string | Buffer } | undefined>;
  /** Largest accepted request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Operations accepted in one batched request (a JSON array). Default 1. */
  maxBatch?: number;
}

export interface HttpServer {
  server: http.Server;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function wantsHtml(req: http.IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return req.method === 'GET' && accept.includes('text/html');
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createHttpServer<C extends BaseContext>(options: HttpOptions<C>): HttpServer {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const { logger } = options;

  const graphql = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendJson(res, 405, { errors: [{ message: `Method ${req.method} is not allowed on /graphql; use POST or GET`, extensions: { code: 'METHOD_NOT_ALLOWED' } }] }, { allow: 'GET, POST' });
      return;
    }
    const raw = req.method === 'POST' ? await readBody(req, maxBody) : '';
    if (raw === 'too-large') {
      sendJson(res, 413, { errors: [{ message: `Request body is larger than ${maxBody} bytes`, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    let body: unknown = undefined;
    const type = headers.get('content-type') ?? '';
    if (req.method === 'POST') {
      if (type.includes('json')) {
        try {
          body = raw.length ? JSON.parse(raw) : undefined;
        } catch {
          sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
          return;
        }
      } else {
        body = raw;
      }
    }
    const maxBatch = options.maxBatch ?? 1;
    if (Array.isArray(body) && maxBatch > 1 && body.length > maxBatch) {
      sendJson(res, 400, { errors: [{ message: `A batch may hold at most ${maxBatch} operations (MAX_BATCH), but this one holds ${body.length}`, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const result = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
      context: () => options.context({ headers: req.headers, requestId }),
    });
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [k, v] of result.headers) outHeaders[k] = v;
    if (result.body.kind === 'complete') {
      outHeaders['content-length'] = String(Buffer.byteLength(result.body.string));
      res.writeHead(result.status ?? 200, outHeaders);
      res.end(result.body.string);
    } else {
      res.writeHead(result.status ?? 200, outHeaders);
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const url = new URL(req.url ?? '/', 'http://gateway');
    res.on('finish', () => {
      logger.info('http request', { requestId, method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) });
    });

    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const { ready, body } = await options.readiness();
      return sendJson(res, ready ? 200 : 503, body);
    }
    if (url.pathname === '/metrics') {
      const m = await options.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    if (options.graphiql && (url.pathname === '/graphiql' || url.pathname.startsWith('/graphiql/') || (url.pathname === '/graphql' && wantsHtml(req)))) {
      const asset = await options.graphiql(url.pathname === '/graphql' ? '/graphiql' : url.pathname);
      if (asset) {
        res.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
        res.end(asset.body);
        return;
      }
    }
    if (url.pathname === '/graphql') return graphql(req, res, url, requestId);
    sendJson(res, 404, { error: `No route for ${req.method} ${url.pathname}; the API is at /graphql` });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('unhandled request failure', { error: (err as Error).message });
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          resolve(`http://${host}:${addr.port}`);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
