/**
 * GraphiQL as the gateway serves it: the page and its files over HTTP, the bundle's freshness, and the page
 * itself in headless Chromium (Debian's `chromium`, driven by playwright-core) with every request to any
 * host but the gateway blocked, so nothing can come from a CDN. The gateway is the real one: five emulators
 * on ephemeral ports, an in-memory registry, development tokens.
 *
 * Two pages: a development one (tabs carrying the printed development tokens) and one of a deployment
 * without development tokens (JWT_SECRET set, VRM a real upstream), where the token is set once in the
 * page's Token dialog. Writes `test-artifacts/graphiql.png` (git-ignored; docs/graphiql.png is a copy):
 * that page with the Examples panel open, after running the person example.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createDevSecret, signToken } from '../../src/auth/dev';
import { loadConfig } from '../../src/config';
import type { UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { DEV_PODERO_ORG_ID, DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { openRegistry } from '../../src/registry';
import type { Registry } from '../../src/registry/types';
import { createGateway, type Gateway } from '../../src/server/gateway';
import { contentSecurityPolicy, createGraphiqlAssets, loadExamples } from '../../src/server/graphiql';
import { DEFAULT_BUNDLE_DIR, ensureGraphiqlBundle, extractInlineAssets, PROJECT_ROOT, staleness } from '../../src/server/graphiql-build';
import { CREDENTIALS_KEY, headersFor, isStarter, readPageConfig, UNRESOLVED_ID, VRM_TOKEN_PLACEHOLDER, type Example, type ExampleCredentials } from '../../src/server/graphiql-examples';
import { createLogger } from '../../src/lib/logger';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(PROJECT_ROOT, 'test-artifacts', 'graphiql.png');

interface Env {
  origin: string;
  gateway: Gateway;
  /** The same upstreams and registry behind a page without development tokens (a real deployment). */
  bareOrigin: string;
  bareGateway: Gateway;
  emulators: RunningEmulators;
  registry: Registry;
  credentials: Required<ExampleCredentials>;
  personEmail: string;
  examples: Example[];
}

async function startEnv(): Promise<Env> {
  const emulators = await startEmulators({ ports: 'ephemeral' });
  const registry = await openRegistry({ sqlitePath: ':memory:' });
  const secret = createDevSecret();
  const person = emulators.population.people[0]!;
  const credentials = {
    admin: await signToken(secret, { sub: 'dev-admin', email: 'admin@usergraph.dev', roles: ['admin'] }),
    user: await signToken(secret, { sub: 'dev-user', email: person.email }),
    vrm: personalTokenFor(emulators.population.seed, person.index),
  };
  const logger = createLogger({ level: 'silent' });
  const gateway = await createGateway({
    registry,
    urls: emulators.urls as Record<UpstreamName, string>,
    tokens: DEV_TOKENS,
    poderoOrgId: DEV_PODERO_ORG_ID,
    jwt: { secret },
    logger,
    graphiql: await createGraphiqlAssets({ devToken: credentials.admin, userToken: credentials.user, vrmToken: credentials.vrm, logger }),
  });
  const origin = await gateway.listen(0);
  const bareGateway = await createGateway({
    registry,
    urls: emulators.urls as Record<UpstreamName, string>,
    tokens: DEV_TOKENS,
    poderoOrgId: DEV_PODERO_ORG_ID,
    jwt: { secret },
    logger,
    graphiql: await createGraphiqlAssets({ logger }),
  });
  const bareOrigin = await bareGateway.listen(0);
  return { origin, gateway, bareOrigin, bareGateway, emulators, registry, credentials, personEmail: person.email, examples: await loadExamples() };
}

async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.gateway.close();
  await env.bareGateway.close();
  await env.emulators.close();
  await env.registry.close();
}

/** The JSON data block of a served page. */
function pageConfigOf(html: string): ReturnType<typeof readPageConfig> {
  const match = /<script type="application\/json" id="graphiql-config">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error(`expected the page to hold the #graphiql-config data block, but it does not: ${html.slice(0, 200)}`);
  return readPageConfig(match[1]!);
}

let env: Env;
beforeAll(async () => {
  env = await startEnv();
}, 60_000);
afterAll(async () => {
  await stopEnv(env);
});

describe('serving GraphiQL over HTTP', () => {
  it('answers GET /graphiql with the page, under a CSP that allows only the gateway itself', async () => {
    const res = await fetch(`${env.origin}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toBeDefined();
    const nonce = pageConfigOf(html).styleNonce;
    expect(csp).toBe(contentSecurityPolicy(nonce));
    for (const directive of csp!.split('; ')) {
      const sources = directive.split(' ').slice(1);
      // Every source is the page's own origin, nothing, or this response's style nonce.
      expect(sources.every((s) => s === "'self'" || s === "'none'" || s === `'nonce-${nonce}'`)).toBe(true);
    }
    expect(csp).toContain("script-src 'self'");
    expect(html).not.toMatch(/<script>|<style|\son[a-z]+=/i);
  });

  it('forbids every other site to frame the page, in headers (a meta element cannot say frame-ancestors)', async () => {
    // Framed by another site, the page (and the token it keeps) could be clicked through under a decoy.
    for (const path of ['/graphiql', '/graphql']) {
      const res = await fetch(`${env.origin}${path}`, { headers: { accept: 'text/html' } });
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('answers a browser GET /graphql (Accept: text/html) with the same page, and API clients with GraphQL', async () => {
    const page = await fetch(`${env.origin}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('id="graphiql-config"');

    const api = await fetch(`${env.origin}/graphql?query=%7B__typename%7D`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(api.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves every script, style, font and image the page names, all from /graphiql/ on the gateway', async () => {
    const html = await (await fetch(`${env.origin}/graphiql`)).text();
    const named = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(named.sort()).toEqual(['/graphiql/app.css', '/graphiql/app.js', '/graphiql/favicon.svg']);
    const css = await (await fetch(`${env.origin}/graphiql/app.css`)).text();
    const fromCss = [...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => new URL(m[1]!, `${env.origin}/graphiql/app.css`).pathname);
    expect(fromCss.length).toBeGreaterThan(10);
    const expectedTypes: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml$/, woff2: /^font\/woff2$/, woff: /^font\/woff$/, png: /^image\/png$/ };
    for (const file of new Set([...named, ...fromCss])) {
      expect(file.startsWith('/graphiql/')).toBe(true);
      const res = await fetch(`${env.origin}${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
      expect(res.headers.get('content-type')).toMatch(expectedTypes[path.extname(file).slice(1)]!);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it.each(['/graphiql/nope.js', '/graphiql/../package.json', '/graphiql/manifest.json', '/graphiql/'])('answers %s, under /graphiql/ but not a GraphiQL file, with 404', async (p) => {
    const res = await fetch(`${env.origin}${p}`);
    expect(res.status).toBe(404);
  });

  it('hands the page every example with the development tokens, and each page its own style nonce', async () => {
    const first = pageConfigOf(await (await fetch(`${env.origin}/graphiql`)).text());
    const second = pageConfigOf(await (await fetch(`${env.origin}/graphiql`)).text());
    expect(first.examples.map((e) => e.name)).toEqual(env.examples.map((e) => e.name));
    expect(first.credentials).toEqual(env.credentials);
    expect(first.endpoint).toBe('/graphql');
    expect(first.styleNonce).not.toBe(second.styleNonce);
    expect(first.storageNamespace).toBe(second.storageNamespace);
  });

  it('carries no token at all when created without development tokens, as in production', async () => {
    const assets = await createGraphiqlAssets({});
    const page = await assets('/graphiql');
    expect(page).toBeDefined();
    const html = String(page!.body);
    expect(pageConfigOf(html).credentials).toEqual({});
    expect(html).not.toMatch(/Bearer|eyJ/);
  });

  it('is on in development, off in production unless GRAPHIQL=true', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig({}).graphiql).toBe(true);
    expect(loadConfig(production).graphiql).toBe(false);
    expect(loadConfig({ ...production, GRAPHIQL: 'true' }).graphiql).toBe(true);
  });

  it('serves no GraphiQL, and no Apollo landing page from a CDN, when GraphiQL is off', async () => {
    const bare = await createGateway({
      registry: env.registry,
      urls: env.emulators.urls as Record<UpstreamName, string>,
      tokens: DEV_TOKENS,
      poderoOrgId: DEV_PODERO_ORG_ID,
      jwt: { secret: createDevSecret() },
      logger: createLogger({ level: 'silent' }),
    });
    const origin = await bare.listen(0);
    try {
      expect((await fetch(`${origin}/graphiql`)).status).toBe(404);
      // What a browser gets at /graphql then must not load anything from the internet (Apollo Sandbox does).
      const body = await (await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } })).text();
      expect(body.match(/https?:\/\/[^\s"'<>;]+/g) ?? []).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});

describe('the GraphiQL bundle', () => {
  let copy: string;
  beforeEach(async () => {
    // The gateway above made sure .graphiql/ is current; each test works on a copy of it.
    copy = await fs.mkdtemp(path.join(os.tmpdir(), 'graphiql-bundle-'));
    await fs.cp(DEFAULT_BUNDLE_DIR, copy, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(copy, { recursive: true, force: true });
  });

  async function editManifest(edit: (manifest: { sources: Record<string, string>; packages: Record<string, string> }) => void): Promise<void> {
    const file = path.join(copy, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
    edit(manifest);
    await fs.writeFile(file, JSON.stringify(manifest));
  }

  it('is served as built when it was built from the current sources and packages', async () => {
    const current = await staleness(copy);
    expect('bundle' in current ? current.bundle.files.map((f) => f.path) : current.reason).toEqual(expect.arrayContaining(['app.js', 'app.css']));
  });

  it('records the entry, the examples module and the graphiql packages it was built from', async () => {
    const current = await staleness(copy);
    if (!('bundle' in current)) throw new Error(`expected a current bundle, but: ${current.reason}`);
    expect(Object.keys(current.bundle.manifest.sources)).toEqual(expect.arrayContaining(['src/server/graphiql-entry.tsx', 'src/server/graphiql-examples.ts']));
    expect(Object.keys(current.bundle.manifest.packages)).toEqual(expect.arrayContaining(['node_modules/graphiql', 'node_modules/@graphiql/plugin-explorer', 'node_modules/react', 'node_modules/react-dom']));
  });

  it('is rebuilt when a source it was built from has changed since', async () => {
    await editManifest((m) => {
      m.sources['src/server/graphiql-entry.tsx'] = '0'.repeat(64);
    });
    expect(await staleness(copy)).toEqual({ reason: 'src/server/graphiql-entry.tsx changed' });
    const result = await ensureGraphiqlBundle(copy);
    expect(result.built).toBe(true);
    expect('bundle' in (await staleness(copy))).toBe(true);
  }, 60_000);

  it('is stale when a bundled package changed version', async () => {
    await editManifest((m) => {
      m.packages['node_modules/graphiql'] = '0.0.1';
    });
    expect(await staleness(copy)).toEqual({ reason: 'package node_modules/graphiql is no longer 0.0.1' });
  });

  it('is not served when a file does not match its manifest, or is missing', async () => {
    await fs.appendFile(path.join(copy, 'app.js'), '\n/* changed */');
    expect(await staleness(copy)).toEqual({ reason: 'app.js does not match the manifest' });
    await fs.rm(path.join(copy, 'app.js'));
    expect(await staleness(copy)).toEqual({ reason: 'app.js is missing' });
  });

  it('moves inline base64 fonts and images out of the CSS and refuses any other data: URL', () => {
    const font = Buffer.from('wOF2 font bytes');
    const { css, assets } = extractInlineAssets(`@font-face{src:url(data:font/woff2;base64,${font.toString('base64')}) format("woff2")}.x{background:url("data:image/png;base64,iVBORw0K")}`);
    expect(css).toMatch(/^@font-face\{src:url\(assets\/[0-9a-f]{16}\.woff2\) format\("woff2"\)\}\.x\{background:url\(assets\/[0-9a-f]{16}\.png\)\}$/);
    expect(assets.map((a) => [a.contentType, a.body.equals(font)])).toEqual([
      ['font/woff2', true],
      ['image/png', false],
    ]);
    expect(() => extractInlineAssets('.x{background:url("data:image/svg+xml;utf8,<svg/>")}')).toThrow(/still holds an inline data: URL/);
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  process.stderr.write(`Skipping the GraphiQL browser tests: ${CHROMIUM} is missing (apt-get install -y chromium).\n`);
}
const inChromium = haveChromium || process.env.CI ? describe : describe.skip;

interface Browser {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  requested: string[];
  blocked: string[];
  problems: string[];
}

/** Chromium on a fresh profile, every host but `origin`'s blocked, with GraphiQL open from /graphql. */
async function openGraphiql(origin: string): Promise<Browser> {
  if (!haveChromium) throw new Error(`The GraphiQL browser test needs Chromium at ${CHROMIUM} in CI (apt-get install -y chromium)`);
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'graphiql-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
  });
  const browser: Browser = { context, page: context.pages()[0] ?? (await context.newPage()), userDataDir, requested: [], blocked: [], problems: [] };
  const host = new URL(origin).host;
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    browser.requested.push(url);
    if (new URL(url).host === host) return route.continue();
    browser.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  browser.page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) browser.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  browser.page.on('pageerror', (err) => browser.problems.push(`page error: ${err.message}`));
  await browser.page.goto(`${origin}/graphql`);
  await browser.page.waitForSelector('.graphiql-tab', { timeout: 20_000 });
  return browser;
}

async function closeBrowser(browser: Browser | undefined): Promise<void> {
  await browser?.context.close();
  if (browser) await fs.rm(browser.userDataDir, { recursive: true, force: true });
}

/** The text of one of GraphiQL's CodeMirror editors. */
function editorText(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const cm: unknown = host ? Reflect.get(host, 'CodeMirror') : undefined;
    const getValue: unknown = typeof cm === 'object' && cm !== null ? Reflect.get(cm, 'getValue') : undefined;
    return typeof getValue === 'function' ? String(getValue.call(cm)) : '';
  }, selector);
}
const queryEditor = '.graphiql-query-editor .CodeMirror';
const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const variablesEditor = '.graphiql-editor-tool .graphiql-editor .CodeMirror';
const resultEditor = '.result-window .CodeMirror';

/** The headers editor's JSON (GraphiQL shows one editor at a time: the Headers tab is opened first). */
async function tabHeaders(page: Page): Promise<Record<string, string>> {
  await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
  const text = await editorText(page, headersEditor);
  await page.locator('.graphiql-editor-tools button', { hasText: 'Variables' }).click();
  return text.trim() === '' ? {} : JSON.parse(text);
}

/** Waits until the query editor shows `operationName`. */
async function showing(page: Page, operationName: string): Promise<void> {
  await page.waitForFunction(([sel, name]) => Boolean(document.querySelector(sel!)?.textContent?.includes(name!)), [queryEditor, operationName], { timeout: 10_000 });
  // GraphiQL takes the operation name from the editor after a debounce; run at once after a tab switch and
  // it may still send the previous tab's operationName ("Unknown operation named …", seen on loaded CI).
  await page.waitForTimeout(500);
}

/** The `id` variable of the active tab once its lookup has settled: a User id, or the page's explanation. */
async function settledId(page: Page): Promise<string> {
  const handle = await page.waitForFunction(
    (sel) => {
      const host = document.querySelector(sel);
      const cm: unknown = host ? Reflect.get(host, 'CodeMirror') : undefined;
      const getValue: unknown = typeof cm === 'object' && cm !== null ? Reflect.get(cm, 'getValue') : undefined;
      try {
        const id: unknown = typeof getValue === 'function' ? JSON.parse(String(getValue.call(cm))).id : undefined;
        if (typeof id !== 'string' || id.startsWith('{{')) return false;
        return id.startsWith('<') && !/not a person your token may see/.test(id) ? false : id;
      } catch {
        return false;
      }
    },
    variablesEditor,
    { timeout: 10_000 },
  );
  return String(await handle.jsonValue());
}

async function switchToTab(page: Page, operationName: string): Promise<void> {
  await page.locator('.graphiql-tab', { hasText: operationName }).first().locator('.graphiql-tab-button').click();
  await showing(page, operationName);
}

/** Runs the active tab; the request as sent (every header) and the gateway's answer. */
async function runActiveTab(page: Page): Promise<{ headers: Record<string, string>; operation: string; result: { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith('/graphql') && r.method() === 'POST' && !(r.postData() ?? '').includes('IntrospectionQuery'), { timeout: 20_000 }),
    page.locator('.graphiql-execute-button').click(),
  ]);
  const response = await request.response();
  const body: unknown = request.postDataJSON();
  const query = typeof body === 'object' && body !== null ? Reflect.get(body, 'query') : undefined;
  return { headers: await request.allHeaders(), operation: /(?:query|mutation)\s+(\w+)/.exec(String(query))?.[1] ?? '', result: await response!.json() };
}

async function openExamples(page: Page): Promise<void> {
  if ((await page.locator('.usergraph-examples').count()) === 0) await page.locator('[aria-label="Show Examples"]').click();
  await page.locator('.usergraph-examples').waitFor({ timeout: 10_000 });
}

/** Opens an example from the Examples panel and waits until its tab shows it. */
async function openExample(page: Page, example: Example): Promise<void> {
  await openExamples(page);
  await page.locator(`[data-example="${example.name}"]`).click();
  await showing(page, example.operationName);
}

inChromium('GraphiQL in headless Chromium with development tokens, every other host blocked', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await openGraphiql(env.origin);
    page = browser.page;
  }, 60_000);
  afterAll(() => closeBrowser(browser));

  it('opens from /graphql with a handful of starter tabs (the reads), titled by their operations', async () => {
    const titles = await page.locator('.graphiql-tab .graphiql-tab-button').allTextContents();
    const starters = env.examples.filter(isStarter);
    expect(titles.map((t) => t.trim())).toEqual(starters.map((e) => e.operationName));
    expect(starters.length).toBeLessThan(env.examples.length / 2);
    expect(await editorText(page, queryEditor)).toBe(env.examples[0]!.source);
  });

  it("opens with the first example's development token and VRM token in the headers", async () => {
    expect(await tabHeaders(page)).toEqual(headersFor(env.examples[0]!, env.credentials));
    expect(env.examples[0]!.token).toBe('user');
  });

  it("runs the person example and shows the person's result in the page", async () => {
    const { result } = await runActiveTab(page);
    await page.waitForFunction(([sel, email]) => Boolean(document.querySelector(sel!)?.textContent?.includes(email!)), [resultEditor, env.personEmail], { timeout: 20_000 });
    expect(result.errors).toBeUndefined();
    const me = result.data?.me as { email: string; firstName: unknown; sites: unknown[] };
    expect(me.email).toBe(env.personEmail);
    expect(me.firstName).toEqual(expect.any(String));
    expect(me.sites.length).toBeGreaterThan(0);
  });

  it('lists every example in the Examples panel, grouped', async () => {
    await openExamples(page);
    const listed = await page.locator('.usergraph-example').evaluateAll((els) => els.map((e) => e.getAttribute('data-example')));
    expect(listed).toEqual(env.examples.map((e) => e.name));
    expect(await page.locator('.usergraph-example-group h3').count()).toBeGreaterThanOrEqual(5);
  });

  it('opens an admin example from the panel in a tab of its own, with the admin token and the id it looked up', async () => {
    const provision = env.examples.find((e) => e.operationName === 'ProvisionMissingAccounts')!;
    expect(isStarter(provision)).toBe(false);
    const before = await page.locator('.graphiql-tab').count();
    await openExample(page, provision);
    expect(await page.locator('.graphiql-tab').count()).toBe(before + 1);
    expect((await page.locator('.graphiql-tab-active .graphiql-tab-button').textContent())?.trim()).toBe('ProvisionMissingAccounts');
    expect(await editorText(page, queryEditor)).toBe(provision.source);
    expect(await tabHeaders(page)).toEqual({ Authorization: `Bearer ${env.credentials.admin}` });
    const variables = JSON.parse(await editorText(page, variablesEditor));
    expect(Buffer.from(variables.id, 'base64url').toString('utf8')).toMatch(/^User:[0-9a-f-]{36}$/);
  });

  it('switches to the tab an example is open in instead of opening a second one', async () => {
    const count = await page.locator('.graphiql-tab').count();
    await openExample(page, env.examples[0]!);
    expect(await page.locator('.graphiql-tab').count()).toBe(count);
    expect((await page.locator('.graphiql-tab-active .graphiql-tab-button').textContent())?.trim()).toBe(env.examples[0]!.operationName);
  });

  it('shows the schema documentation, with the descriptions of the SDL', async () => {
    await page.locator('[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.waitFor({ timeout: 10_000 });
    await docs.getByText('Query', { exact: true }).first().click();
    const field = docs.locator('.graphiql-doc-explorer-field-name', { hasText: /^userByEmail$/ });
    await field.waitFor({ timeout: 10_000 });
    await expect(docs.textContent()).resolves.toContain('A person by email (case-insensitive).');
  });

  it('shows the explorer, with the fields of the open example ticked', async () => {
    await switchToTab(page, env.examples[0]!.operationName);
    await page.locator('[aria-label="Show GraphiQL Explorer"]').click();
    const explorer = page.locator('.graphiql-explorer-root');
    await explorer.waitFor({ timeout: 10_000 });
    expect(await explorer.locator('[data-field-name="userByEmail"]').count()).toBeGreaterThan(0);
    // The person example selects me { devices { … } }: the explorer has opened me to show them.
    expect(await explorer.locator('[data-field-name="devices"]').count()).toBeGreaterThan(0);
  });

  it('opens and closes the settings dialog (it injects a <style> of its own, allowed by the nonce)', async () => {
    await page.locator('[aria-label="Open settings dialog"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 10_000 });
    await expect(dialog.textContent()).resolves.toContain('Persist headers');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it("loads nothing but the gateway's own files, and breaks no CSP rule", () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.problems).toEqual([]);
    expect(browser.requested.some((u) => u.endsWith('/graphiql/app.js'))).toBe(true);
  });
});

inChromium('GraphiQL of a deployment without development tokens (JWT_SECRET set, VRM a real upstream)', () => {
  let browser: Browser;
  let page: Page;
  let token: string;
  let vrmToken: string;
  const starters = (): Example[] => env.examples.filter(isStarter);
  beforeAll(async () => {
    browser = await openGraphiql(env.bareOrigin);
    page = browser.page;
    token = env.credentials.user;
    vrmToken = env.credentials.vrm;
  }, 60_000);
  afterAll(() => closeBrowser(browser));

  /** Fills the Token dialog and saves; resolves with what the dialog then says about the token. */
  async function setInDialog(values: { token?: string; vrmToken?: string }): Promise<string> {
    await page.locator('.usergraph-token-button').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 10_000 });
    if (values.token !== undefined) await dialog.locator('#usergraph-token').fill(values.token);
    if (values.vrmToken !== undefined) await dialog.locator('#usergraph-vrm-token').fill(values.vrmToken);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const status = dialog.locator('.usergraph-check:not(.is-checking)');
    await status.waitFor({ timeout: 10_000 });
    const said = (await status.textContent()) ?? '';
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    return said;
  }

  it('asks for a token, and carries none in any tab: nothing of a token is in the page', async () => {
    expect((await page.locator('.usergraph-token-button').textContent())?.trim()).toBe('Set token');
    for (const e of starters()) {
      await switchToTab(page, e.operationName);
      expect(Object.keys(await tabHeaders(page))).not.toContain('Authorization');
    }
    expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10}/);
  });

  it('keeps the X-Vrm-Authorization header of the VRM tabs, saying what goes there', async () => {
    await switchToTab(page, 'PersonAcrossAllUpstreams');
    expect(await tabHeaders(page)).toEqual({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER });
    const vrmExample = env.examples.find((e) => e.operationName === 'CreateVrmAccessToken')!;
    await openExample(page, vrmExample);
    expect(await tabHeaders(page)).toEqual({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER });
  });

  it('says in the variables what to put where an id cannot be looked up without a token', async () => {
    await switchToTab(page, 'NodeById');
    const id = JSON.parse(await editorText(page, variablesEditor)).id as string;
    expect(id.startsWith(`${UNRESOLVED_ID} set your token`)).toBe(true);
    expect(id).toContain('sophie.lovelace0@example.com');
  });

  it('says plainly when the gateway refuses the token given', async () => {
    const said = await setInDialog({ token: 'not-a-token' });
    expect(said).toMatch(/^The gateway refused this token: /);
    expect(said).not.toMatch(/at |stack|http:\/\//i);
  });

  it("sends the token set once in the Token dialog with every tab's requests", async () => {
    expect(await setInDialog({ token })).toBe(`Signed in as ${env.personEmail}.`);
    expect((await page.locator('.usergraph-token-button').textContent())?.trim()).toBe('Token set');
    for (const e of starters()) {
      await switchToTab(page, e.operationName);
      const { headers, operation } = await runActiveTab(page);
      expect({ operation, authorization: headers.authorization }).toEqual({ operation: e.operationName, authorization: `Bearer ${token}` });
      // No VRM token set: the placeholder is not sent, and the person tab answers without its VRM fields.
      expect(headers['x-vrm-authorization']).toBeUndefined();
    }
    await switchToTab(page, 'PersonAcrossAllUpstreams');
    const { result } = await runActiveTab(page);
    expect((result.data?.me as { email: string }).email).toBe(env.personEmail);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.message).toMatch(/X-Vrm-Authorization/);
  });

  it('keeps the token across a reload (localStorage), and the requests after it carry it', async () => {
    await page.waitForTimeout(700); // GraphiQL stores its tabs 500 ms after a change
    await page.reload();
    await page.waitForSelector('.graphiql-tab', { timeout: 20_000 });
    expect(await page.evaluate((key) => localStorage.getItem(key), CREDENTIALS_KEY)).toBe(JSON.stringify({ token }));
    expect((await page.locator('.usergraph-token-button').textContent())?.trim()).toBe('Token set');
    await switchToTab(page, 'UsersPage');
    const { headers, result } = await runActiveTab(page);
    expect(headers.authorization).toBe(`Bearer ${token}`);
    expect(result.errors).toBeUndefined();
  });

  it('sends the VRM token of the dialog from the tabs whose header asks for it, and from no other', async () => {
    expect(await setInDialog({ vrmToken })).toBe(`Signed in as ${env.personEmail}.`);
    await switchToTab(page, 'PersonAcrossAllUpstreams');
    const person = await runActiveTab(page);
    expect(person.headers['x-vrm-authorization']).toBe(`Token ${vrmToken}`);
    expect(person.result.errors).toBeUndefined();
    expect((person.result.data?.me as { accessTokens: unknown[] }).accessTokens.length).toBeGreaterThan(0);
    await switchToTab(page, 'UsersPage');
    expect((await runActiveTab(page)).headers['x-vrm-authorization']).toBeUndefined();
  });

  it('opens examples from the panel with their ids looked up with the token, or says why not', async () => {
    // The tab that waited for an id gets it when its example is opened again.
    await openExample(page, env.examples.find((e) => e.operationName === 'NodeById')!);
    const filled = await settledId(page);
    expect(Buffer.from(filled, 'base64url').toString('utf8')).toMatch(/^User:[0-9a-f-]{36}$/);
    expect((await runActiveTab(page)).result.errors).toBeUndefined();
    // Another person's id is not the user's to see.
    await openExample(page, env.examples.find((e) => e.operationName === 'ProvisionMissingAccounts')!);
    const refused = await settledId(page);
    expect(refused).toMatch(new RegExp(`^${UNRESOLVED_ID} \\S+@example\\.com is not a person your token may see`));
  });

  it('shows the Examples panel beside a result (the screenshot in docs/graphiql.png)', async () => {
    await switchToTab(page, 'PersonAcrossAllUpstreams');
    await runActiveTab(page);
    await page.waitForFunction(([sel, email]) => Boolean(document.querySelector(sel!)?.textContent?.includes(email!)), [resultEditor, env.personEmail], { timeout: 20_000 });
    await openExamples(page);
    await fs.mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect((await fs.stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
  });

  it('forgets the token when asked: nothing is left in the browser, and requests go out without it', async () => {
    await page.locator('.usergraph-token-button').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Forget' }).click();
    await expect(dialog.locator('.usergraph-check').textContent()).resolves.toMatch(/^Forgotten/);
    await page.keyboard.press('Escape');
    expect(await page.evaluate((key) => localStorage.getItem(key), CREDENTIALS_KEY)).toBeNull();
    await switchToTab(page, 'UsersPage');
    const { headers, result } = await runActiveTab(page);
    expect(headers.authorization).toBeUndefined();
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("loads nothing but the gateway's own files, and breaks no CSP rule", () => {
    expect(browser.blocked).toEqual([]);
    // Chromium logs the refused token's 401 (the first test here) as a console error of its own.
    expect(browser.problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    expect(browser.problems.filter((p) => /status of 401/.test(p)).length).toBeLessThanOrEqual(1);
  });
});
