/**
 * The few tracing calls the gateway makes, over the OpenTelemetry API. Until a tracer provider is
 * registered (src/server/telemetry.ts, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) every call here is the
 * API's no-op: no span is created, nothing is recorded, and no header is added.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('usergraph');

let enabled = false;

/** Whether a tracer provider is registered; hot paths skip span bookkeeping entirely when not. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Set by the telemetry setup when it registers (or removes) a tracer provider. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export type { Attributes, Span };
export { SpanKind };

/**
 * Runs `fn` inside a new span that is a child of the active one; ends it when `fn` settles, marking it
 * failed (with the error's name only: messages may quote what a client sent) when `fn` throws.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The trace context a client sent (`traceparent`, `tracestate`), to run the request's work in. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers, {
    get: (carrier, key) => {
      const v = carrier[key];
      return Array.isArray(v) ? v[0] : v;
    },
    keys: (carrier) => Object.keys(carrier),
  });
}

/** Runs `fn` with `ctx` as the active trace context. */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Adds the active span's `traceparent` (and `tracestate`) to outgoing headers; nothing when tracing is off. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}
