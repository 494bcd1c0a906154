/**
 * `npm start`: the gateway with its embedded defaults. Every upstream without a configured URL is served
 * by its emulator, in-process, on its fixed port; the registry is SQLite under ./data/ unless
 * DATABASE_URL is set; without JWT_SECRET or JWT_JWKS_URL a development secret is generated and two ready
 * tokens are printed. With every upstream emulated and an empty registry, a first sync links the demo
 * population before the gateway listens, so `users` lists it from the first query.
 */
import { createDevSecret, signToken } from '../auth/dev';
import { loadConfig, UPSTREAM_URL_ENV } from '../config';
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { startEmulators, type RunningEmulators } from '../emulators';
import { buildPopulation } from '../emulators/population';
import { personalTokenFor } from '../emulators/vrm/seed';
import { openRegistry, type Registry } from '../registry';
import { createProgressPrinter, formatReport, syncUpstreams } from '../registry/sync-command';
import type { Config } from '../config';
import { createGateway } from './gateway';
import { recordRegistryCall } from './metrics';
import { createLogger } from '../lib/logger';
import { createGraphiqlAssets } from './graphiql';
import { startTelemetry } from './telemetry';

export async function start(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const started = performance.now();
  const config = loadConfig(env);
  const secrets = [...Object.values(config.upstreams).map((u) => u.token), config.jwt.secret ?? ''].filter(Boolean);
  const logger = createLogger({ level: config.logLevel, secrets });
  const say = (line = ''): void => void process.stdout.write(line + '\n');
  // Before anything serves, so the first request is traced too; off without OTEL_EXPORTER_OTLP_ENDPOINT.
  const telemetry = startTelemetry(env);

  const missing = UPSTREAM_NAMES.filter((u) => !config.upstreams[u].url);
  let emulators: RunningEmulators | undefined;
  const population = buildPopulation({ seed: config.emulatorSeed, people: config.emulatorPeople });
  if (missing.length > 0) {
    emulators = await startEmulators({
      population,
      only: missing,
      ports: config.emulatorPorts,
      tokens: Object.fromEntries(missing.map((u) => [u, config.upstreams[u].token])),
      poderoOrgId: config.poderoOrgId,
    });
  }
  const urls = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].url ?? emulators!.urls[u]!])) as Record<UpstreamName, string>;
  const tokens = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].token])) as Record<UpstreamName, string>;

  const registry = await openRegistry({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    pool: config.databasePool,
    onCall: recordRegistryCall,
    // Every statement at debug level; the logger masks each line (secrets never reach the output).
    onQuery: logger.isLevelEnabled('debug') ? (sql) => logger.debug({ sql }, 'registry query') : undefined,
    onFailure: (method, cause) => logger.warn({ method, error: cause instanceof Error ? cause.message : String(cause) }, 'registry call failed'),
  });
  const firstSync = await syncWhenEmpty(registry, config, urls, tokens, missing.length === UPSTREAM_NAMES.length, say);

  let jwt = config.jwt;
  let devTokens: { admin: string; user: string; userEmail: string } | undefined;
  if (!jwt.secret && !jwt.jwksUrl) {
    const secret = createDevSecret();
    jwt = { ...jwt, secret };
    const demo = population.people[0]!;
    devTokens = {
      admin: await signToken(secret, { sub: 'dev-admin', email: 'admin@usergraph.dev', roles: ['admin'], expiresIn: '12h' }),
      user: await signToken(secret, { sub: 'dev-user', email: demo.email, roles: [], expiresIn: '12h' }),
      userEmail: demo.email,
    };
  }

  const gateway = await createGateway({
    registry,
    urls,
    tokens,
    poderoOrgId: config.poderoOrgId,
    jwt,
    logger,
    secrets,
    introspection: config.introspection,
    federation: config.federation,
    concurrency: config.upstreamConcurrency,
    limits: config.limits,
    production: config.production,
    metrics: config.metrics,
    maxBatch: config.maxBatch,
    corsOrigins: config.corsOrigins,
    client: { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs, connections: config.upstreamConnections },
    budget: { maxCalls: config.maxUpstreamCalls, timeoutMs: config.operationTimeoutMs, maxBytes: config.maxResponseBytes },
    redisUrl: config.redisUrl,
    discoveryMissTtlMs: config.discoveryMissTtlS * 1000,
    cache: {
      ttlMs: Object.fromEntries(Object.entries(config.cache.ttlS).map(([u, s]) => [u, s * 1000])),
      maxEntries: config.cache.maxEntries,
      maxBytes: config.cache.maxMb * 1024 * 1024,
    },
    rediscoverIntervalMs: config.rediscoverIntervalS * 1000,
    graphiql: config.graphiql
      ? await createGraphiqlAssets({
          devToken: devTokens?.admin,
          userToken: devTokens?.user,
          // The demo person's own VRM token, for the VRM example tabs, when VRM is the emulator.
          vrmToken: devTokens && missing.includes('vrm') ? personalTokenFor(population.seed, population.people[0]!.index) : undefined,
          logger,
        })
      : undefined,
  });
  const origin = await gateway.listen(config.port, config.host);
  // Graceful shutdown (DESIGN.md "Health, replicas and shutdown"), registered before the banner says
  // "ready": a signal sent the moment a supervisor sees it must find the handler. Drain, keep serving for the delay so
  // load balancers see /readyz 503 and stop sending, then close the listener and give in-flight requests
  // and mutations the grace. The embedded emulators close only after the gateway, since in-flight requests
  // still call them; the registry last. A second signal exits at once, 128 + the signal's number.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    const { delayMs, graceMs } = config.shutdown;
    logger.info({ signal, delayMs, graceMs }, 'shutting down: draining');
    gateway.drain();
    new Promise<void>((resolve) => setTimeout(resolve, delayMs))
      .then(() => {
        logger.info({ graceMs }, 'shutting down: no new connections, finishing in-flight requests');
        return gateway.close({ graceMs });
      })
      .then(() => emulators?.close())
      .then(() => registry.close())
      .then(() => telemetry?.shutdown())
      .then(
        () => {
          logger.info('shut down');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ error: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);


  say('');
  say(`usergraph is ready in ${Math.round(performance.now() - started)} ms`);
  say(`  GraphQL   ${origin}/graphql${config.graphiql ? '   (open it in a browser for GraphiQL)' : ''}`);
  if (gateway.http.metricsUrl) say(`  metrics   ${gateway.http.metricsUrl}/metrics   (METRICS_PORT)`);
  say(`  registry  ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${config.sqlitePath}`}`);
  if (firstSync) say(`            ${firstSync}`);
  if (telemetry) say(`  tracing   OTLP to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
  if (emulators) {
    say(`  emulators ${missing.map((u) => `${u} ${emulators!.urls[u]}`).join(', ')}`);
    say(`            (demo population: seed ${population.seed}, ${population.people.length} people; set ${missing.map((u) => UPSTREAM_URL_ENV[u]).join(', ')} to use real APIs)`);
  }
  if (devTokens) {
    say('');
    say('  !! No JWT_SECRET or JWT_JWKS_URL is set: using a development secret generated for this run.');
    say('  !! Tokens below stop working when the gateway restarts. Never run like this in production.');
    say(`  admin token  Authorization: Bearer ${devTokens.admin}`);
    say(`  user token   Authorization: Bearer ${devTokens.user}`);
    say(`               (the user token belongs to ${devTokens.userEmail}, a demo person in all five upstreams)`);
  }
  say('');
}

/**
 * An empty registry lists nobody until a sync has run. With every upstream emulated the sync is local and
 * takes about a second, so it runs now, with progress; against real upstreams it may take long and touch
 * production data, so the gateway only says how to run it. Returns a line for the start banner.
 */
export async function syncWhenEmpty(
  registry: Registry,
  config: Config,
  urls: Record<UpstreamName, string>,
  tokens: Record<UpstreamName, string>,
  allEmulated: boolean,
  say: (line?: string) => void,
): Promise<string | undefined> {
  const page = await registry.listPeople({ first: 1 });
  if (page.people.length > 0) return undefined;
  if (!allEmulated) return 'the registry is empty: run `npm run sync` (usergraph sync) to link the people of your upstreams';
  const started = performance.now();
  say('first start with an empty registry: linking the demo population (usergraph sync)');
  const report = await syncUpstreams(config, registry, urls, tokens, createProgressPrinter((line) => say(`  ${line}`)));
  if (report.failures.length > 0) {
    say(formatReport(report));
    return 'the first sync could not read every upstream: run `npm run sync` again';
  }
  return `first sync: ${report.peopleCreated} people linked in ${Math.round(performance.now() - started)} ms`;
}
