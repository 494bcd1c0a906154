/**
 * The contract between connectors and the one HTTP client (`client.ts`). Connectors build requests and
 * map wire formats; the client owns pools, timeouts, retries, the breaker, size limits and metrics, and
 * turns every failure into a `GatewayError` (src/errors.ts).
 */
import type { FieldError, UpstreamName } from '../errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];

export interface UpstreamRequest {
  method: HttpMethod;
  /** Path below the upstream's base URL, segments already encoded: `/users/${encodeURIComponent(id)}`. */
  path: string;
  /** The route template, for metrics and call counts: `/users/:id`. */
  route: string;
  /** Query parameters; `undefined` and `null` values are left out, arrays repeat the key. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Serialised as JSON with `Content-Type: application/json`. */
  body?: unknown;
  /**
   * Whether the request may be retried. Defaults: GET, PUT, DELETE yes; POST, PATCH no. Set false for a
   * PUT that is not idempotent upstream, or true for a POST that is a pure lookup.
   */
  idempotent?: boolean;
  /** Statuses that are answers rather than errors for this call (a lookup's 404, say). */
  acceptStatus?: readonly number[];
  /** Per-request context: request id, cancellation, call accounting. */
  call?: CallOptions;
}

export interface UpstreamResponse<T = unknown> {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON; `undefined` for 204 and empty bodies. */
  body: T;
}

/** One completed upstream call, reported to `CallOptions.onCall` (for `extensions.upstreamCalls`). */
export interface CallEvent {
  upstream: UpstreamName;
  method: HttpMethod;
  route: string;
  /** HTTP status, or 0 when no response arrived (timeout, refused, breaker open). */
  status: number;
  durationMs: number;
  /** Which attempt this was (1 = first). */
  attempt: number;
}

/** What a GraphQL request passes down to every upstream call it causes. */
export interface CallOptions {
  /** Propagated as `X-Request-Id`. */
  requestId?: string;
  signal?: AbortSignal;
  onCall?: (event: CallEvent) => void;
}

/** What a connector can say about an upstream error body; safe to show (no URLs, tokens, raw bodies). */
export interface ErrorDescription {
  message?: string;
  fieldErrors?: FieldError[];
  /** An upstream reason code such as `not_pending`. */
  reason?: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface UpstreamClient {
  readonly upstream: UpstreamName;
  /** Origin plus base path, e.g. `http://127.0.0.1:4101/v2`. */
  readonly baseUrl: string;
  /** Resolves for 2xx (and `acceptStatus`); rejects with a `GatewayError` otherwise. */
  request<T = unknown>(req: UpstreamRequest): Promise<UpstreamResponse<T>>;
  breakerState(): BreakerState;
  close(): Promise<void>;
}

/** Options of `createUpstreamClient` (client.ts). Every number has a production-sensible default. */
export interface UpstreamClientOptions {
  upstream: UpstreamName;
  /** Origin plus base path: `https://api.ev.energy/v2`. */
  baseUrl: string;
  /** Sent with every request (the connector's auth header goes per request, not here). */
  defaultHeaders?: Record<string, string>;
  /** Keep-alive connections per upstream. Default 16. */
  connections?: number;
  /** Time to the response headers, ms. Default 5000. */
  headersTimeoutMs?: number;
  /** Time between body chunks, ms. Default 10000. */
  bodyTimeoutMs?: number;
  /** Retries of idempotent requests after the first attempt. Default 2. */
  maxRetries?: number;
  /** First backoff delay, ms (doubled each retry, with full jitter). Default 100. */
  retryBaseDelayMs?: number;
  /** Longest wait between retries, including a `Retry-After` the upstream asks for, ms. Default 5000. */
  retryMaxDelayMs?: number;
  /** Consecutive failures (5xx, timeout, connection error) that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** How long the breaker stays open before one half-open probe, ms. Default 10000. */
  breakerResetMs?: number;
  /** Largest accepted response body, bytes. Default 5 MiB. */
  maxResponseBytes?: number;
  /** Reads an upstream error body into safe words; the connector of that upstream provides it. */
  describeError?: (status: number, body: unknown) => ErrorDescription;
}
