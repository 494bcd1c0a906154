/**
 * The gateway's own Prometheus metrics, beside the upstream call metrics of src/upstreams/metrics.ts and on
 * the same registry (`/metrics`):
 *
 * - `usergraph_operation_duration_seconds{operation, type}`: one per GraphQL operation, from the request to
 *   the answer. `operation` is the client's operation name when it is a plain GraphQL name, `anonymous`
 *   without one; after `MAX_OPERATION_NAMES` distinct names every new one counts as `other`, so a client
 *   that invents names cannot grow the metric without bound.
 * - `usergraph_operation_errors_total{code}`: errors in answers, by `extensions.code`.
 * - `usergraph_operation_upstream_calls{upstream}`: upstream calls one operation made.
 * - `usergraph_registry_call_duration_seconds{method, outcome}`: registry calls (`ok` or `failed`).
 */
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../upstreams/metrics';

const MAX_OPERATION_NAMES = 200;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const seen = new Set<string>();

const registry = metricsRegistry();

const operationDuration = new Histogram({
  name: 'usergraph_operation_duration_seconds',
  help: 'GraphQL operations, from the request to the answer, by operation name and type.',
  labelNames: ['operation', 'type'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const operationErrors = new Counter({
  name: 'usergraph_operation_errors_total',
  help: 'Errors in GraphQL answers, by extensions.code.',
  labelNames: ['code'] as const,
  registers: [registry],
});

const operationUpstreamCalls = new Histogram({
  name: 'usergraph_operation_upstream_calls',
  help: 'Upstream calls made by one GraphQL operation, by upstream.',
  labelNames: ['upstream'] as const,
  buckets: [0, 1, 2, 3, 5, 10, 25, 50, 100, 250, 1000],
  registers: [registry],
});

const registryCalls = new Histogram({
  name: 'usergraph_registry_call_duration_seconds',
  help: 'Registry (SQLite or PostgreSQL) calls, by method and outcome.',
  labelNames: ['method', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers: [registry],
});

/** The label for an operation name: bounded in shape and in number. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (!NAME.test(name)) return 'other';
  if (seen.has(name)) return name;
  if (seen.size >= MAX_OPERATION_NAMES) return 'other';
  seen.add(name);
  return name;
}

export interface OperationRecord {
  name: string | null | undefined;
  type: 'query' | 'mutation' | 'subscription' | 'unknown';
  seconds: number;
  errorCodes: readonly string[];
  upstreamCalls: Readonly<Record<string, number>>;
}

export function recordOperation(op: OperationRecord): void {
  operationDuration.observe({ operation: operationLabel(op.name), type: op.type }, op.seconds);
  for (const code of op.errorCodes) operationErrors.inc({ code });
  for (const [upstream, calls] of Object.entries(op.upstreamCalls)) operationUpstreamCalls.observe({ upstream }, calls);
}

export function recordRegistryCall(method: string, seconds: number, ok: boolean): void {
  registryCalls.observe({ method, outcome: ok ? 'ok' : 'failed' }, seconds);
}
