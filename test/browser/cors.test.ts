/**
 * A single-page app on another origin calls the gateway from headless Chromium (Debian's `chromium`,
 * driven by playwright-core): a tiny node:http server on another port serves a page whose script POSTs
 * to `/graphql` with `fetch`, `Authorization` and `Content-Type: application/json` (so the browser sends
 * a preflight first). With `CORS_ORIGINS` naming the page's origin the page shows the data and can read
 * `X-Request-Id`; with `CORS_ORIGINS` unset, or naming another origin, Chromium blocks it and `fetch`
 * rejects. The gateway is the test one: five emulators on ephemeral ports, an in-memory registry.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  process.stderr.write(`Skipping the CORS browser tests: ${CHROMIUM} is missing (apt-get install -y chromium).\n`);
}

/**
 * The app's page: on load it calls the gateway named in its query string (`?gateway=…&token=…&email=…`) and
 * writes what happened into `#result` as JSON: `{ ok, status, requestId, data }` or `{ ok: false, error }`.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>app</title></head>
<body><pre id="result">pending</pre>
<script>
  const params = new URLSearchParams(location.search);
  const out = document.getElementById('result');
  fetch(params.get('gateway') + '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + params.get('token'), 'x-request-id': 'from-the-app' },
    body: JSON.stringify({
      query: 'query App($email: EmailAddress!) { userByEmail(email: $email) { id email } __schema { types { name description } } }',
      variables: { email: params.get('email') },
    }),
  })
    .then(async (res) => {
      const body = await res.json();
      out.textContent = JSON.stringify({ ok: true, status: res.status, requestId: res.headers.get('x-request-id'), data: body.data });
    })
    .catch((err) => {
      out.textContent = JSON.stringify({ ok: false, error: String(err) });
    });
</script></body></html>`;

interface Outcome {
  ok: boolean;
  status?: number;
  requestId?: string | null;
  data?: { userByEmail: { id: string; email: string } | null; __schema: { types: { name: string }[] } };
  error?: string;
}

/** A server for the app's page on a port of its own: another origin than the gateway's. */
async function startAppServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

(haveChromium || process.env.CI ? describe : describe.skip)('a page on another origin calling the gateway from Chromium', () => {
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startAppServer>>;
  let otherApp: Awaited<ReturnType<typeof startAppServer>>;
  let withCors: TestGateway;
  let withoutCors: TestGateway;
  let forOther: TestGateway;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`The CORS browser test needs Chromium at ${CHROMIUM} in CI (apt-get install -y chromium)`);
    [app, otherApp] = await Promise.all([startAppServer(), startAppServer()]);
    [withCors, withoutCors, forOther] = await Promise.all([
      startTestGateway({ people: 4, corsOrigins: [app.origin] }),
      startTestGateway({ people: 4 }),
      startTestGateway({ people: 4, corsOrigins: [otherApp.origin] }),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([withCors?.close(), withoutCors?.close(), forOther?.close(), app?.close(), otherApp?.close()]);
  });

  /** Opens the app's page against `gateway` and returns what its fetch got, and what Chromium logged. */
  async function runApp(gateway: TestGateway): Promise<{ outcome: Outcome; console: string[]; encodings: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const logged: string[] = [];
    const encodings: string[] = [];
    page.on('console', (m) => logged.push(m.text()));
    page.on('response', (r) => {
      if (r.url() === `${gateway.url}/graphql` && r.request().method() === 'POST') encodings.push(r.headers()['content-encoding'] ?? 'identity');
    });
    await page.goto(`${app.origin}/?gateway=${encodeURIComponent(gateway.url)}&token=${encodeURIComponent(gateway.adminToken)}&email=${encodeURIComponent(gateway.population.people[0]!.email)}`);
    await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending', undefined, { timeout: 15_000 });
    const outcome = JSON.parse((await page.textContent('#result')) ?? '') as Outcome;
    await context.close();
    return { outcome, console: logged, encodings };
  }

  it('works with CORS_ORIGINS set to the page’s origin: the data is shown and X-Request-Id is readable', async () => {
    expect(new URL(app.origin).port).not.toBe(new URL(withCors.url).port);
    const { outcome, encodings } = await runApp(withCors);
    expect(outcome).toMatchObject({ ok: true, status: 200, requestId: 'from-the-app' });
    expect(outcome.data?.userByEmail).toEqual({ id: expect.any(String), email: withCors.population.people[0]!.email });
    // The schema's answer is well over 1 KiB: it came compressed (Chromium accepts br), and Chromium decoded it.
    expect(encodings).toEqual(['br']);
    expect(outcome.data?.__schema.types.map((t) => t.name)).toContain('IdentitySubscription');
  });

  it('is blocked with CORS_ORIGINS unset: fetch rejects and Chromium names CORS', async () => {
    const { outcome, console } = await runApp(withoutCors);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/TypeError: Failed to fetch/);
    expect(console.join('\n')).toMatch(/blocked by CORS policy/);
  });

  it('is blocked when CORS_ORIGINS names another origin only', async () => {
    const { outcome, console } = await runApp(forOther);
    expect(outcome.ok).toBe(false);
    expect(console.join('\n')).toMatch(/blocked by CORS policy/);
  });
});
