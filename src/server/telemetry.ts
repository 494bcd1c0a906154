/**
 * OpenTelemetry for the gateway (docs/architecture.md "Operating it"). Off unless the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, so an unconfigured
 * gateway pays nothing; on, it registers a tracer provider that batches spans to that endpoint over
 * OTLP/HTTP (JSON), W3C trace-context propagation and an AsyncLocalStorage context manager, so the spans
 * of one request (operation → resolver batch → upstream call) share its trace. The exporter reads the
 * other `OTEL_*` variables itself (headers, timeout); `OTEL_SERVICE_NAME` names the service.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { setTracingEnabled } from '../lib/trace';

export interface Telemetry {
  /** Sends what is still buffered and stops. */
  shutdown(): Promise<void>;
}

export function telemetryEnabled(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/** Where spans go: the traces endpoint as given, or the base endpoint's `/v1/traces` (the OTLP convention). */
function tracesUrl(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces`;
}

/** Starts tracing when the environment asks for it; `undefined` otherwise. Call once, before serving. */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env, options: { version?: string } = {}): Telemetry | undefined {
  if (!telemetryEnabled(env)) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'usergraph',
      ...(options.version ? { 'service.version': options.version } : {}),
    }),
    spanProcessors: [// No batch settings of our own: the SDK reads OTEL_BSP_* itself, as the README promises.
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }))],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setTracingEnabled(true);
  return {
    async shutdown() {
      setTracingEnabled(false);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
