/**
 * Assembles one gateway from its parts: registry, upstream clients and connectors, linker, auth, schema,
 * Apollo and the HTTP surface. `start.ts` uses it for `npm start`; tests and benchmarks use it with
 * emulators on ephemeral ports and an in-memory registry.
 */
import { createJwtVerifier } from '../auth/jwt';
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { createContextFactory, type GatewayDeps } from '../graph/context';
import { buildSchema } from '../graph/schema';
import { createLinker } from '../registry/linker';
import type { Registry } from '../registry/types';
import { createUpstreams, type Upstreams } from '../upstreams';
import { metricsRegistry } from '../upstreams/metrics';
import type { UpstreamClientOptions } from '../upstreams/types';
import { createApollo } from './apollo';
import { createHttpServer, type HttpServer } from './http';
import type { OperationLimits } from './limits';
import type { Logger } from './logger';

export interface GatewayOptions {
  registry: Registry;
  urls: Record<UpstreamName, string>;
  tokens: Record<UpstreamName, string>;
  poderoOrgId: string;
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  logger: Logger;
  introspection?: boolean;
  concurrency?: number;
  /** Static operation limits; each omitted one takes its default. */
  limits?: Partial<OperationLimits>;
  /** Production: no "Did you mean" in validation errors, and /metrics only with a token or on its own port. */
  production?: boolean;
  /** `/metrics` access: a bearer token, and/or a separate port (0: any free port). */
  metrics?: { token?: string; port?: number };
  client?: Omit<UpstreamClientOptions, 'upstream' | 'baseUrl' | 'describeError'>;
  graphiql?: (path: string) => Promise<{ contentType: string; body: string | Buffer } | undefined>;
}

export interface Gateway {
  http: HttpServer;
  deps: GatewayDeps;
  upstreams: Upstreams;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { registry, logger } = options;
  const upstreams = createUpstreams({ urls: options.urls, tokens: options.tokens, poderoOrgId: options.poderoOrgId, client: options.client });
  const concurrency = options.concurrency ?? 8;
  const deps: GatewayDeps = {
    registry,
    upstreams,
    linker: createLinker({ registry, upstreams, logger, concurrency }),
    logger,
    verifier: createJwtVerifier(options.jwt),
    concurrency,
  };
  const apollo = createApollo({
    schema: buildSchema(),
    logger,
    introspection: options.introspection ?? true,
    limits: options.limits,
    production: options.production,
  });
  await apollo.start();
  const http = createHttpServer({
    apollo,
    context: createContextFactory(deps),
    logger,
    graphiql: options.graphiql,
    production: options.production,
    metricsToken: options.metrics?.token,
    metricsPort: options.metrics?.port,
    async readiness() {
      let registryOk = true;
      try {
        await registry.getPeople([]);
      } catch {
        registryOk = false;
      }
      const upstreamState = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, upstreams.clients[u].breakerState()]));
      const ready = registryOk && Object.values(upstreamState).every((s) => s !== 'open');
      return { ready, body: { status: ready ? 'ready' : 'degraded', registry: { dialect: registry.dialect, reachable: registryOk }, upstreams: upstreamState } };
    },
    async metrics() {
      const reg = metricsRegistry();
      return { contentType: reg.contentType, body: await reg.metrics() };
    },
  });
  return {
    http,
    deps,
    upstreams,
    listen: (port, host = '127.0.0.1') => http.listen(port, host),
    async close() {
      await http.close();
      await apollo.stop();
      await upstreams.close();
    },
  };
}
