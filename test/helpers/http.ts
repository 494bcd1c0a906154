/**
 * One HTTP call for emulator tests, over real HTTP: JSON or raw bodies, the answer read once as text and
 * parsed when it is JSON. Each emulator suite wraps it with how its API carries the credential.
 */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: Headers;
  /** `content-type` of the answer, '' when there is none. */
  contentType: string;
  /** The parsed JSON body; undefined when the body is empty or not JSON (see `text`). */
  body: unknown;
  text: string;
}

export interface SendInit {
  method?: string;
  /** Sent as JSON with `content-type: application/json` (unless `contentType` says otherwise). */
  json?: unknown;
  /** Sent as is, with `contentType` when given. */
  raw?: string | FormData | URLSearchParams;
  contentType?: string;
  headers?: Record<string, string>;
}

export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function send(url: string, init: SendInit = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  let body: string | FormData | URLSearchParams | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] = init.contentType ?? 'application/json';
  } else if (init.raw !== undefined) {
    body = init.raw;
    if (init.contentType) headers['content-type'] = init.contentType;
  }
  Object.assign(headers, init.headers);
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', body: parseJson(text), text };
}

/** A GET with exactly the headers given (fetch always adds a User-Agent; some APIs require one). */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The URL of `rel` in a `Link` header, if any. */
export function linkTo(header: string | null, rel: string): string | undefined {
  return new RegExp(`<([^>]*)>;\\s*rel="${rel}"`).exec(header ?? '')?.[1];
}
