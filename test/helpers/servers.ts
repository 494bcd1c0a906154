/**
 * Small real HTTP servers for connector tests: a recording proxy in front of an emulator (to see each
 * request exactly as it arrived on the wire) and a server that answers every request with one canned
 * answer (to break the contract on purpose). Nothing is mocked: the client under test speaks real HTTP.
 */
import http from 'node:http';

export interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestServer {
  /** Origin plus the base path given. */
  baseUrl: string;
  close(): Promise<void>;
}

async function listen(server: http.Server, basePath: string): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`expected a TCP address, but got: ${String(address)}`);
  return {
    baseUrl: `http://127.0.0.1:${address.port}${basePath}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A proxy to `origin` that records every request and forwards the headers a connector sends. */
export async function startRecordingProxy(origin: string, basePath: string): Promise<TestServer & { requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const forward: Record<string, string> = {};
      for (const name of ['authorization', 'accept', 'content-type', 'x-request-id']) {
        const v = req.headers[name];
        if (typeof v === 'string') forward[name] = v;
      }
      fetch(origin + (req.url ?? ''), { method: req.method, headers: forward, body: body.length ? body : undefined })
        .then(async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  return { ...(await listen(server, basePath)), requests };
}

/** A server answering every request with one canned status and body. */
export function startCanned(basePath: string, status: number, body: string, contentType = 'application/json'): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  return listen(server, basePath);
}
