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
  maxDepth?: number;
  maxAliases?: number;
  /** Operations per batched request (MAX_BATCH). Default 10. */
  maxBatch?: number;
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
    maxDepth: options.maxDepth ?? 12,
    maxAliases: options.maxAliases ?? 30,
    maxBatch: options.maxBatch ?? 10,
  });
  await apollo.start();
  const http = createHttpServer({
    apollo,
    context: createContextFactory(deps),
    logger,
    graphiql: options.graphiql,
    maxBatch: options.maxBatch ?? 10,
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
