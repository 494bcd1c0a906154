/**
 * Builds the GraphiQL bundle: esbuild's JS API over `graphiql-entry.tsx`, with React 18, GraphiQL, the
 * explorer plugin and their CSS. Every font and image the CSS carries inline (`url(data:…)`) is written out
 * as a file of its own, so the page's Content-Security-Policy can allow 'self' and nothing else.
 *
 * The bundle is built ahead of time by `scripts/build-graphiql.ts` into `.graphiql/`, and on first use by
 * the server when `.graphiql/` is missing or was built from other sources. `.graphiql/manifest.json`
 * records what the build read (a hash of each project file, the version of each package) and what it
 * wrote (a hash of each file), so a stale or half-written bundle is never served.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';

/** The package root: `.graphiql/` and `examples/` live here, whatever the working directory. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_BUNDLE_DIR = path.join(PROJECT_ROOT, '.graphiql');

/** Bump when the build's options or output layout change: older bundles are then rebuilt. */
const FORMAT = 1;
const MANIFEST = 'manifest.json';

export interface BundleFile {
  /** Path below `/graphiql/`: `app.js`, `app.css`, `assets/<hash>.woff2`. */
  path: string;
  contentType: string;
  body: Buffer;
}

export interface GraphiqlBundle {
  files: BundleFile[];
  /** When and from what it was built. */
  manifest: BundleManifest;
}

export interface BundleManifest {
  format: number;
  builtAt: string;
  esbuild: string;
  /** Project files the bundle was built from (relative to the project root) and their sha256. */
  sources: Record<string, string>;
  /** Packages bundled (their directory relative to the project root) and their versions. */
  packages: Record<string, string>;
  files: { path: string; contentType: string; sha256: string }[];
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  woff2: 'font/woff2',
  woff: 'font/woff',
  ttf: 'font/ttf',
  png: 'image/png',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  jpeg: 'image/jpeg',
};

function extensionFor(mime: string): string {
  const ext = { 'font/woff2': 'woff2', 'font/woff': 'woff', 'font/ttf': 'ttf', 'application/font-woff': 'woff', 'application/x-font-woff': 'woff', 'image/png': 'png', 'image/gif': 'gif', 'image/svg+xml': 'svg', 'image/jpeg': 'jpeg' }[mime.toLowerCase()];
  if (!ext) throw new Error(`The GraphiQL CSS carries an inline data: URL of type ${mime}; expected a font or an image type the build knows how to write out`);
  return ext;
}

/** The entry point. The project runs from its TypeScript sources (bin/usergraph.js uses tsx), so it is there. */
export function entryPoint(): string {
  const entry = path.join(PROJECT_ROOT, 'src', 'server', 'graphiql-entry.tsx');
  if (!existsSync(entry)) throw new Error(`The GraphiQL entry is missing: expected ${entry}`);
  return entry;
}

const BASE64_URL = /url\(\s*(["']?)data:([a-z0-9.+/-]+);base64,([A-Za-z0-9+/=]+)\1\s*\)/gi;

/** Moves each inline base64 font or image of the CSS into a file of its own; fails on any other data: URL. */
export function extractInlineAssets(css: string): { css: string; assets: BundleFile[] } {
  const assets = new Map<string, BundleFile>();
  const out = css.replace(BASE64_URL, (_whole, _quote: string, mime: string, data: string) => {
    const body = Buffer.from(data, 'base64');
    const ext = extensionFor(mime);
    const file = `assets/${sha256(body).slice(0, 16)}.${ext}`;
    assets.set(file, { path: file, contentType: CONTENT_TYPES[ext]!, body });
    // Relative to app.css, which is served at /graphiql/app.css.
    return `url(${file})`;
  });
  const left = /url\(\s*["']?data:[^)]{0,40}/i.exec(out);
  if (left) throw new Error(`The GraphiQL CSS still holds an inline data: URL the CSP would block (${left[0]}…); expected only base64 fonts and images`);
  return { css: out, assets: [...assets.values()] };
}

/**
 * The package directory an input comes from (`node_modules/@scope/name`, or a nested
 * `node_modules/a/node_modules/b`), relative to the project root; undefined for project files.
 */
export function packageDirOf(input: string): string | undefined {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  const first = parts[at + 1];
  if (at < 0 || !first) return undefined;
  return parts.slice(0, at + (first.startsWith('@') ? 3 : 2)).join('/');
}

/** The version in a package directory's package.json, `missing` when it has none. */
async function packageVersion(dir: string): Promise<string> {
  try {
    const version: unknown = Reflect.get(JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, dir, 'package.json'), 'utf8')), 'version');
    return typeof version === 'string' ? version : 'missing';
  } catch {
    return 'missing';
  }
}

async function describeInputs(metafile: Metafile): Promise<Pick<BundleManifest, 'sources' | 'packages'>> {
  const sources: Record<string, string> = {};
  const names = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const pkg = packageDirOf(input);
    if (pkg) names.add(pkg);
    else sources[input] = sha256(await fs.readFile(path.join(PROJECT_ROOT, input)));
  }
  const packages: Record<string, string> = {};
  for (const name of [...names].sort()) packages[name] = await packageVersion(name);
  return { sources, packages };
}

/** Builds the bundle in memory (about a second or two). */
export async function buildGraphiqlBundle(): Promise<GraphiqlBundle> {
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: { app: entryPoint() },
    bundle: true,
    write: false,
    outdir: 'graphiql-out',
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'none',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl', '.gif': 'dataurl' },
    metafile: true,
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const cssFile = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !cssFile) {
    throw new Error(`esbuild was expected to write app.js and app.css, but wrote ${result.outputFiles.map((f) => path.basename(f.path)).join(', ') || 'nothing'}`);
  }
  const { css, assets } = extractInlineAssets(cssFile.text);
  const files: BundleFile[] = [
    { path: 'app.js', contentType: CONTENT_TYPES.js!, body: Buffer.from(js.contents) },
    { path: 'app.css', contentType: CONTENT_TYPES.css!, body: Buffer.from(css, 'utf8') },
    ...assets,
  ];
  const manifest: BundleManifest = {
    format: FORMAT,
    builtAt: new Date().toISOString(),
    esbuild: await packageVersion('node_modules/esbuild'),
    ...(await describeInputs(result.metafile)),
    files: files.map((f) => ({ path: f.path, contentType: f.contentType, sha256: sha256(f.body) })),
  };
  return { files, manifest };
}

/** Writes a file so that a reader sees the old content or the new, never a part. */
async function writeAtomically(file: string, body: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(temp, body);
  await fs.rename(temp, file);
}

/** Writes the bundle into `dir`, the manifest last, and removes files of earlier builds. */
export async function writeGraphiqlBundle(bundle: GraphiqlBundle, dir: string = DEFAULT_BUNDLE_DIR): Promise<void> {
  for (const f of bundle.files) await writeAtomically(path.join(dir, f.path), f.body);
  await writeAtomically(path.join(dir, MANIFEST), JSON.stringify(bundle.manifest, null, 2) + '\n');
  const keep = new Set([MANIFEST, ...bundle.files.map((f) => f.path)]);
  const assetDir = path.join(dir, 'assets');
  const present = existsSync(assetDir) ? (await fs.readdir(assetDir)).map((n) => `assets/${n}`) : [];
  for (const name of present) if (!keep.has(name) && !name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { force: true });
}

function isManifest(value: unknown): value is BundleManifest {
  const files: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, 'files') : undefined;
  const field = (key: string): unknown => (typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined);
  const record = (v: unknown): boolean => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
  return (
    field('format') === FORMAT &&
    typeof field('esbuild') === 'string' &&
    record(field('sources')) &&
    record(field('packages')) &&
    Array.isArray(files) &&
    files.every((f: unknown) => typeof f === 'object' && f !== null && ['path', 'contentType', 'sha256'].every((k) => typeof Reflect.get(f, k) === 'string'))
  );
}

/**
 * The bundle in `dir` when it is current (built by this format and esbuild, from project files and
 * packages exactly as they are now, and complete), or why it cannot be served.
 */
export async function staleness(dir: string = DEFAULT_BUNDLE_DIR): Promise<{ reason: string } | { bundle: GraphiqlBundle }> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return { reason: `${path.join(dir, MANIFEST)} is missing or unreadable` };
  }
  if (!isManifest(manifest)) return { reason: `${MANIFEST} is of another format` };
  if (manifest.esbuild !== (await packageVersion('node_modules/esbuild'))) return { reason: 'esbuild changed' };
  for (const [source, hash] of Object.entries(manifest.sources)) {
    let current: string;
    try {
      current = sha256(await fs.readFile(path.join(PROJECT_ROOT, source)));
    } catch {
      return { reason: `${source} is gone` };
    }
    if (current !== hash) return { reason: `${source} changed` };
  }
  for (const [name, version] of Object.entries(manifest.packages)) {
    if ((await packageVersion(name)) !== version) return { reason: `package ${name} is no longer ${version}` };
  }
  const files: BundleFile[] = [];
  for (const f of manifest.files) {
    let body: Buffer;
    try {
      body = await fs.readFile(path.join(dir, f.path));
    } catch {
      return { reason: `${f.path} is missing` };
    }
    if (sha256(body) !== f.sha256) return { reason: `${f.path} does not match the manifest` };
    files.push({ path: f.path, contentType: f.contentType, body });
  }
  return { bundle: { files, manifest } };
}

/**
 * The current bundle: read from `dir` when it is up to date, otherwise built and written there. Writing
 * is best effort (a read-only checkout still serves the bundle built in memory).
 */
export async function ensureGraphiqlBundle(dir: string = DEFAULT_BUNDLE_DIR): Promise<{ bundle: GraphiqlBundle; built: boolean; reason?: string }> {
  const current = await staleness(dir);
  if ('bundle' in current) return { bundle: current.bundle, built: false };
  const bundle = await buildGraphiqlBundle();
  try {
    await writeGraphiqlBundle(bundle, dir);
  } catch {
    // Serving matters more than caching: the next start builds again.
  }
  return { bundle, built: true, reason: current.reason };
}
