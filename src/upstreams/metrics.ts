/**
 * Prometheus metrics of the upstream calls (DESIGN.md: per-operation upstream call counts are measured).
 * One registry for the whole process: the server exposes it at `/metrics` and may register its own
 * metrics on it. The HTTP client is the only writer of the three metrics below.
 *
 * - `usergraph_upstream_requests_total{upstream, method, route, status}`: one per attempt; `status` is
 *   the HTTP status, or what went wrong instead (`UpstreamCallStatus`).
 * - `usergraph_upstream_request_duration_seconds{upstream, method, route}`: attempt durations.
 * - `usergraph_upstream_breaker_state{upstream}`: 0 closed, 1 half-open, 2 open, read at scrape time.
 *
 * And of the GETs answered without a call of their own (answers.ts, flights.ts):
 * - `usergraph_upstream_cache_lookups_total{upstream, result}`: `hit`, `miss`, or `unavailable` (the
 *   store could not be asked: Redis down or slow, so the upstream was called).
 * - `usergraph_upstream_coalesced_total{upstream}`: GETs that joined the same call already in flight.
 * - `usergraph_upstream_cache_invalidations_total{upstream, scope}`: writes that invalidated a `resource`
 *   and the queries, or the whole `upstream`.
 * - `usergraph_upstream_cache_store_errors_total{operation}`: Redis commands of the answer cache that
 *   failed or timed out (`get`, `put`, `invalidate`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamName } from '../errors';
import type { BreakerState, HttpMethod } from './types';

/** Attempts that ended without a usable HTTP answer are counted under one of these instead of a status. */
export type UpstreamFailureKind =
  | 'timeout'
  | 'connection_error'
  | 'breaker_open'
  | 'cooling_down'
  | 'budget_exceeded'
  | 'cancelled'
  | 'malformed'
  | 'too_large';

/** Refusals before anything was sent: counted, but they have no duration worth observing. */
const REFUSALS: ReadonlySet<number | UpstreamFailureKind> = new Set<UpstreamFailureKind>(['breaker_open', 'cooling_down', 'budget_exceeded']);

export interface UpstreamAttemptLabels {
  upstream: UpstreamName;
  method: HttpMethod;
  route: string;
  /** HTTP status as a number, or the failure kind. */
  status: number | UpstreamFailureKind;
}

const registry = new Registry();

const requests = new Counter({
  name: 'usergraph_upstream_requests_total',
  help: 'Upstream HTTP attempts (retries count separately), by upstream, method, route template and status or failure kind.',
  labelNames: ['upstream', 'method', 'route', 'status'] as const,
  registers: [registry],
});

const durations = new Histogram({
  name: 'usergraph_upstream_request_duration_seconds',
  help: 'Duration of upstream HTTP attempts, from sending to the end of the body, in seconds.',
  labelNames: ['upstream', 'method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const cacheLookups = new Counter({
  name: 'usergraph_upstream_cache_lookups_total',
  help: 'Answer cache lookups of upstream GETs, by upstream and result (hit, miss, unavailable).',
  labelNames: ['upstream', 'result'] as const,
  registers: [registry],
});

const coalesced = new Counter({
  name: 'usergraph_upstream_coalesced_total',
  help: 'Upstream GETs answered by joining the same call another request already had in flight.',
  labelNames: ['upstream'] as const,
  registers: [registry],
});

const invalidations = new Counter({
  name: 'usergraph_upstream_cache_invalidations_total',
  help: 'Writes that invalidated cached answers, by upstream and scope (resource: one resource and the queries; upstream: everything of it).',
  labelNames: ['upstream', 'scope'] as const,
  registers: [registry],
});

const cacheStoreErrors = new Counter({
  name: 'usergraph_upstream_cache_store_errors_total',
  help: 'Answer cache commands to Redis that failed or timed out, by operation (get, put, invalidate).',
  labelNames: ['operation'] as const,
  registers: [registry],
});

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Live breaker readers by upstream; the most recently created client of an upstream is the one reported. */
const breakers = new Map<UpstreamName, (() => BreakerState)[]>();

new Gauge({
  name: 'usergraph_upstream_breaker_state',
  help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
  labelNames: ['upstream'] as const,
  registers: [registry],
  collect() {
    // Read at scrape time: an open breaker turns half-open by the clock, not by an event.
    this.reset();
    for (const [upstream, readers] of breakers) {
      const read = readers[readers.length - 1];
      if (read) this.set({ upstream }, BREAKER_VALUE[read()]);
    }
  },
});

/** The process-wide registry the server serves at `/metrics`. */
export function metricsRegistry(): Registry {
  return registry;
}

/** Zeroes every metric of the registry (tests). Breakers of live clients stay tracked. */
export function resetMetrics(): void {
  registry.resetMetrics();
}

/** Counts one attempt and its duration. */
export function recordUpstreamAttempt(labels: UpstreamAttemptLabels, durationMs: number): void {
  const { upstream, method, route } = labels;
  requests.inc({ upstream, method, route, status: String(labels.status) });
  if (!REFUSALS.has(labels.status)) durations.observe({ upstream, method, route }, durationMs / 1000);
}

/** Reports an upstream client's breaker in the gauge until the returned function is called. */
export function trackBreaker(upstream: UpstreamName, read: () => BreakerState): () => void {
  const readers = breakers.get(upstream) ?? [];
  readers.push(read);
  breakers.set(upstream, readers);
  return () => {
    const list = breakers.get(upstream);
    if (!list) return;
    const index = list.indexOf(read);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) breakers.delete(upstream);
  };
}

export function recordCacheLookup(upstream: UpstreamName, result: 'hit' | 'miss' | 'unavailable'): void {
  cacheLookups.inc({ upstream, result });
}

export function recordCoalesced(upstream: UpstreamName): void {
  coalesced.inc({ upstream });
}

export function recordInvalidation(upstream: UpstreamName, scope: 'resource' | 'upstream'): void {
  invalidations.inc({ upstream, scope });
}

export function recordCacheStoreError(operation: 'get' | 'put' | 'invalidate'): void {
  cacheStoreErrors.inc({ operation });
}
