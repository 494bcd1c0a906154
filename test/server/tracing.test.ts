/**
 * OpenTelemetry as a platform team meets it: the real CLI with OTEL_EXPORTER_OTLP_ENDPOINT set sends spans
 * over OTLP/HTTP (JSON) to a local receiver run by this test; the client's `traceparent` is the trace the
 * operation joins; every upstream call carries a `traceparent` of that trace (seen by the emulators' own
 * servers, run here); and the spans nest operation → loader batch → upstream call, with upstream, route,
 * status and attempt. A child process, because the exporter loads node:http with a dynamic import that
 * jest's module sandbox cannot run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { signToken } from '../../src/auth/dev';
import { UPSTREAM_NAMES, type UpstreamName } from '../../src/errors';
import { startEmulators, type RunningEmulators } from '../../src/emulators';
import { buildPopulation } from '../../src/emulators/population';
import { UPSTREAM_URL_ENV } from '../../src/config';
import { startTelemetry } from '../../src/server/telemetry';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'tracing-test-secret-0123456789abcdef-0123456789';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[];
}

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const v = span.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue);
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_PARENT = '00f067aa0ba902b7';

describe('tracing over OTLP', () => {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  let receiver: http.Server;
  let emulators: RunningEmulators;
  let child: ChildProcess;
  let graphqlUrl: string;
  const upstreamHeaders: Partial<Record<UpstreamName, (string | undefined)[]>> = {};
  const population = buildPopulation({ people: 20 });

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        paths.push(req.url ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    emulators = await startEmulators({ population, ports: 'ephemeral' });
    for (const [name, emulator] of Object.entries(emulators.emulators)) {
      const seen: (string | undefined)[] = (upstreamHeaders[name as UpstreamName] = []);
      emulator!.server.on('request', (req: http.IncomingMessage) => {
        if (!(req.url ?? '').includes('__emulator')) seen.push(req.headers.traceparent as string | undefined);
      });
    }
    const urls = Object.fromEntries(UPSTREAM_NAMES.map((u) => [UPSTREAM_URL_ENV[u], emulators.urls[u]!]));
    child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...urls,
        PORT: '0',
        SQLITE_PATH: ':memory:',
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    graphqlUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway did not start within 30 s:\n${out}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /GraphQL\s+(http:\/\/\S+\/graphql)/.exec(out);
        if (m && out.includes('tracing   OTLP to')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await emulators?.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('is off, at no cost, without the standard endpoint variable', () => {
    expect(startTelemetry({})).toBeUndefined();
  });

  it('joins the client trace and nests operation, loader batches and upstream calls, with traceparent sent upstream', async () => {
    const person = population.people[0]!;
    const admin = await signToken(SECRET, { sub: 'tracing-admin', roles: ['admin'] });
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, traceparent: `00-${TRACE_ID}-${CLIENT_PARENT}-01` },
      body: JSON.stringify({ query: 'query PersonForTrace($e: EmailAddress!) { userByEmail(email: $e) { firstName role } }', variables: { e: person.email } }),
    });
    const r = (await res.json()) as { data?: { userByEmail: { firstName: string | null } }; errors?: unknown };
    expect(r.errors).toBeUndefined();
    expect(r.data!.userByEmail.firstName).toBe(person.firstName);
    // Flushed by the batch processor every 50 ms, possibly over several exports: the operation's span,
    // the root, ends last (after the answer is written), so wait for it rather than for any upstream span.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !spans.some((s) => s.name === 'graphql query PersonForTrace')) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(paths.every((p) => p === '/v1/traces')).toBe(true);

    const mine = spans.filter((s) => s.traceId === TRACE_ID);
    const operation = mine.find((s) => s.name === 'graphql query PersonForTrace');
    expect(operation).toBeDefined();
    expect(operation!.parentSpanId).toBe(CLIENT_PARENT);
    expect(attr(operation!, 'graphql.operation.name')).toBe('PersonForTrace');

    const upstreamSpans = mine.filter((s) => attr(s, 'usergraph.upstream') !== undefined);
    const identity = upstreamSpans.find((s) => attr(s, 'usergraph.upstream') === 'identity');
    expect(identity).toBeDefined();
    expect(attr(identity!, 'http.route')).toBe('/users/:identifier');
    expect(attr(identity!, 'http.response.status_code')).toBe(200);
    expect(attr(identity!, 'usergraph.attempt')).toBe(1);

    // Every upstream span hangs below the operation, through the loader batch that made it.
    const byId = new Map(mine.map((s) => [s.spanId, s]));
    for (const s of upstreamSpans) {
      let parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      while (parent && parent !== operation) parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined;
      expect(parent).toBe(operation);
    }
    expect(mine.some((s) => s.name.startsWith('loader '))).toBe(true);

    // What the upstreams saw: a traceparent of the client's trace, naming the call's own span.
    const seen = upstreamHeaders.identity!.filter((h): h is string => typeof h === 'string');
    expect(seen.length).toBeGreaterThan(0);
    for (const h of seen) expect(h).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(seen.map((h) => h.split('-')[2])).toContain(identity!.spanId);
  });
});
