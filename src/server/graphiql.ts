/**
 * GraphiQL, served by the gateway itself: `GET /graphiql` (and `GET /graphql` from a browser) answers the
 * page, `/graphiql/<file>` the bundle built from the `graphiql` package (src/server/graphiql-build.ts).
 * Nothing is loaded from anywhere else, and the page's Content-Security-Policy says so.
 *
 * The page hands the browser every example operation in `examples/` (src/server/graphiql-examples.ts): the
 * first group opens as tabs, the rest wait in the page's Examples panel (src/server/graphiql-entry.tsx).
 * When the gateway runs with development tokens, each tab carries the one it needs; the caller passes
 * tokens only in development, so other pages carry none, and the person sets theirs once in the page's
 * Token dialog (kept in their browser).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureGraphiqlBundle, PROJECT_ROOT, type BundleFile } from './graphiql-build';
import { parseExample, STORAGE_NAMESPACE_PREFIX, type Example, type ExampleCredentials, type GraphiqlPageConfig } from './graphiql-examples';
import type { Logger } from '../lib/logger';

export const DEFAULT_EXAMPLES_DIR = path.join(PROJECT_ROOT, 'examples');

export interface GraphiqlOptions {
  /**
   * Development admin token: the `Authorization` header of new tabs and of the examples marked
   * `Token: admin`. Pass it in development only.
   */
  devToken?: string;
  /** Development token of the demo person, for the examples marked `Token: user` (falls back to devToken). */
  userToken?: string;
  /**
   * That person's own VRM access token, for the examples that need `X-Vrm-Authorization` (VRM emulated
   * only). Without it those tabs keep the header with a placeholder the Token dialog's VRM token replaces.
   */
  vrmToken?: string;
  /** Where the example operations are. Default: `examples/` of the project. */
  examplesDir?: string;
  /** Where the bundle is kept. Default: `.graphiql/` of the project. */
  bundleDir?: string;
  /** Told when the bundle had to be built first. */
  logger?: Logger;
}

export interface GraphiqlAsset {
  contentType: string;
  body: string | Buffer;
  /** Response headers of its own (the page's framing policy). */
  headers?: Record<string, string>;
}

/**
 * The page's headers: no other site may frame it (the page keeps the person's token; framed under a decoy
 * it could be clicked through). `frame-ancestors` cannot be said in the page's meta CSP, so it is a header;
 * X-Frame-Options for browsers that predate it. A second CSP only restricts further.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = { 'content-security-policy': "frame-ancestors 'none'", 'x-frame-options': 'DENY' };

/** What the HTTP layer calls: `/graphiql` for the page, `/graphiql/<file>` for a file; undefined otherwise. */
export type GraphiqlAssets = (path: string) => Promise<GraphiqlAsset | undefined>;

/**
 * Only the gateway's own files, and no inline script at all: the config travels in a JSON data block, which
 * is not script. Inline style only with this response's nonce (see `GraphiqlPageConfig.styleNonce`).
 * (`frame-ancestors` cannot be set from a meta element: it is in `PAGE_HEADERS`.)
 */
export function contentSecurityPolicy(styleNonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#e535ab" d="M16 2l12.1 7v14L16 30 3.9 23V9z"/><circle cx="16" cy="16" r="5" fill="#fff"/></svg>`;

/** Reads every `*.graphql` of the directory with its `.variables.json`, in file-name order. */
export async function loadExamples(dir: string = DEFAULT_EXAMPLES_DIR): Promise<Example[]> {
  const entries = await fs.readdir(dir);
  const names = entries.filter((n) => n.endsWith('.graphql')).map((n) => n.slice(0, -'.graphql'.length)).sort();
  const orphans = entries.filter((n) => n.endsWith('.variables.json') && !names.includes(n.slice(0, -'.variables.json'.length)));
  if (orphans.length > 0) throw new Error(`${dir}: ${orphans.join(', ')} belong to no example; expected a .graphql file of the same name`);
  const examples: Example[] = [];
  for (const name of names) {
    const source = await fs.readFile(path.join(dir, `${name}.graphql`), 'utf8');
    const variablesFile = `${name}.variables.json`;
    const variables = entries.includes(variablesFile) ? await fs.readFile(path.join(dir, variablesFile), 'utf8') : undefined;
    examples.push(parseExample(name, source, variables));
  }
  return examples;
}

/** Escapes what could end a data block early: `<` (as in `</script>`) and the JS line separators. */
function dataBlockJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The page: the CSP, the bundle's files and the config data block. */
export function renderPage(config: GraphiqlPageConfig): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(config.styleNonce)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<title>usergraph · GraphiQL</title>',
    '<link rel="icon" href="/graphiql/favicon.svg" type="image/svg+xml">',
    '<link rel="stylesheet" href="/graphiql/app.css">',
    `<script type="application/json" id="graphiql-config">${dataBlockJson(config)}</script>`,
    '<script defer src="/graphiql/app.js"></script>',
    '</head>',
    '<body>',
    '<div id="graphiql">Loading GraphiQL…</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Prepares GraphiQL: reads the examples (a malformed one fails here, naming the file), and loads the bundle
 * from `.graphiql/`, building it first when it is missing or stale (a second or two).
 */
export async function createGraphiqlAssets(options: GraphiqlOptions = {}): Promise<GraphiqlAssets> {
  const examples = await loadExamples(options.examplesDir);
  const started = performance.now();
  const { bundle, built, reason } = await ensureGraphiqlBundle(options.bundleDir);
  if (built) options.logger?.info({ reason, ms: Math.round(performance.now() - started) }, 'graphiql bundle built');

  const credentials: ExampleCredentials = { admin: options.devToken, user: options.userToken, vrm: options.vrmToken };
  const storageNamespace = `${STORAGE_NAMESPACE_PREFIX}${createHash('sha256').update(JSON.stringify({ examples, credentials })).digest('hex').slice(0, 12)}`;

  const files = new Map<string, BundleFile>(bundle.files.map((f) => [`/graphiql/${f.path}`, f]));
  files.set('/graphiql/favicon.svg', { path: 'favicon.svg', contentType: 'image/svg+xml', body: Buffer.from(FAVICON) });

  return async (requestPath) => {
    if (requestPath === '/graphiql') {
      const styleNonce = randomBytes(18).toString('base64');
      return { contentType: 'text/html; charset=utf-8', headers: { ...PAGE_HEADERS }, body: renderPage({ endpoint: '/graphql', examples, credentials, storageNamespace, styleNonce }) };
    }
    const file = files.get(requestPath);
    return file ? { contentType: file.contentType, body: file.body } : undefined;
  };
}
