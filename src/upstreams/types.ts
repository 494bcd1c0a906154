/**
 * The contract between connectors and the one HTTP client (`client.ts`). Connectors build requests and
 * map wire formats; the client owns pools, timeouts, retries, the breaker, size limits and metrics, and
 * turns every failure into a `GatewayError` (src/errors.ts).
 */
import type { FieldError, UpstreamName } from '../errors';
import type { OperationBudget } from './budget';
import type { CooldownStore } from './cooldown';

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
  /**
   * The upstream resource this request reads or writes, for the answer cache (answers.ts): the account
   * it belongs to, named the same way by its reads and its writes (`user:<id>`). A write with a resource
   * invalidates the cached reads of that resource and every cached read without one (lists, searches,
   * lookups by another key); a write without one invalidates everything cached of its upstream.
   */
  resource?: string;
  /** Per-request context: request id, cancellation, call accounting, the operation's budget. */
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

/** A read answered without a call of its own: from the answer cache, or by joining the same call in flight. */
export interface SharedEvent {
  upstream: UpstreamName;
  method: HttpMethod;
  route: string;
  source: 'cache' | 'coalesced';
}

/** What a GraphQL request passes down to every upstream call it causes. */
export interface CallOptions {
  /** Propagated as `X-Request-Id`. */
  requestId?: string;
  signal?: AbortSignal;
  /**
   * Called for every attempt sent, and for a call refused by the breaker or a cooldown (status 0); not
   * for a call the budget refuses, which reached no upstream.
   */
  onCall?: (event: CallEvent) => void;
  /**
   * Reads skip the answer cache (their answers are still stored): set for mutations, whose checks and
   * create-or-link decisions must see the upstreams as they are, not as they were up to a TTL ago.
   */
  freshReads?: boolean;
  /** Called for every read answered without a call of its own (`SharedEvent`); such reads cost the budget nothing. */
  onShared?: (event: SharedEvent) => void;
  /** The operation's calls, deadline and response bytes (budget.ts); without one a call is bounded only by its own timeouts. */
  budget?: OperationBudget;
}

/**
 * What a connector reads from an upstream error body: field errors and a reason that are safe to show
 * (the gateway's words and known codes only), and the upstream's own text for the logs. The message a
 * client sees is not the describer's: `upstreamFailureMessage` (src/errors.ts) chooses it.
 */
export interface ErrorDescription {
  /** Field errors in the gateway's words: the connector's input path and a reason the gateway wrote. */
  fieldErrors?: FieldError[];
  /** An upstream reason code such as `not_pending`: only one of the describer's known codes. */
  reason?: string;
  /** What the upstream said, redacted and cut short: for logs only (GatewayError.detail). */
  detail?: string;
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
  /** Share of failed calls (5xx, timeout, connection error after retries) in the window that opens the breaker. Default 0.5. */
  breakerFailureRatio?: number;
  /** Calls the breaker's window must hold before its ratio is judged. Default 20. */
  breakerMinimumCalls?: number;
  /** The breaker's sliding window, ms. Default 10000. */
  breakerWindowMs?: number;
  /** How long the breaker stays open before half-open probes, ms. Default 5000. */
  breakerOpenMs?: number;
  /** Half-open probes, all of which must succeed to close the breaker. Default 3. */
  breakerProbes?: number;
  /** Largest accepted response body, bytes. Default 5 MiB. */
  maxResponseBytes?: number;
  /** Where 429 cooldowns are kept; shared by every client of the process (and replicas, with Redis). Default: a memory store of this client's own. */
  cooldowns?: CooldownStore;
  /** Where 2xx answers of reads are cached (answers.ts); shared by every client of the process. Used only when `cacheTtlMs` > 0. */
  answers?: AnswerStore;
  /** How long this upstream's answers are cached, ms (`CACHE_TTL_<UPSTREAM>_S`). Default 0: not at all. */
  cacheTtlMs?: number;
  /** Reads an upstream error body into safe words; the connector of that upstream provides it. */
  describeError?: (status: number, body: unknown) => ErrorDescription;
}

// The answer cache's contract with the client (answers.ts holds the stores and the invalidation rules).

export interface CachedAnswer {
  status: number;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  body: unknown;
}

/** What the client offers the store: the answer and its body as received. */
export interface FreshAnswer extends CachedAnswer {
  raw: Buffer;
}

/** The versions an entry is read under; opaque outside the store that issued it. */
export type AnswerTicket = string;

export interface AnswerLookup {
  answer?: CachedAnswer;
  /** Present when an answer may be stored afterwards (absent while Redis is unreachable). */
  ticket?: AnswerTicket;
}

export interface AnswerStore {
  /** The entry `key` of `upstream` in `scope` (a resource, or undefined for the queries). Never rejects. */
  get(upstream: UpstreamName, key: string, scope: string | undefined): Promise<AnswerLookup>;
  /** Stores the answer unless the scope was invalidated since `ticket` was issued. Never throws. */
  put(upstream: UpstreamName, key: string, scope: string | undefined, ticket: AnswerTicket, answer: FreshAnswer, ttlMs: number): void;
  /** After a write: `resource` and the upstream's queries, or everything of the upstream when undefined. Never rejects. */
  invalidate(upstream: UpstreamName, resource: string | undefined): Promise<void>;
  close(): Promise<void>;
}
