/**
 * Records what an emulator's HTTP server received (method, path, body), by listening to its own
 * `request` events alongside the emulator's body reader: both see every chunk, nothing is mocked. Test
 * hooks (`/__emulator/*`) are left out. The returned array fills as requests arrive; empty it with
 * `received.length = 0`.
 */
import type { IncomingMessage, Server } from 'node:http';

export interface Received<B = unknown> {
  method: string;
  path: string;
  /** The JSON body (undefined when empty, the text when it is not JSON), or the raw text with `{ raw: true }`. */
  body: B;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface RecordOptions {
  /** Keep the body as raw text instead of parsing it. */
  raw?: boolean;
  /** Called with each entry as its request arrives (its body is filled in when the request ends). */
  onRequest?: (entry: Received<unknown>) => void;
}

export function recordRequests(server: Server, options?: RecordOptions & { raw?: false }): Received[];
export function recordRequests(server: Server, options: RecordOptions & { raw: true }): Received<string>[];
export function recordRequests(server: Server, options: RecordOptions = {}): Received<unknown>[] {
  const received: Received<unknown>[] = [];
  server.on('request', (req: IncomingMessage) => {
    const entry: Received<unknown> = { method: req.method ?? '', path: req.url ?? '', body: options.raw ? '' : undefined };
    if (entry.path.startsWith('/__emulator/')) return;
    received.push(entry);
    options.onRequest?.(entry);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      entry.body = options.raw ? text : parseBody(text);
    });
  });
  return received;
}
