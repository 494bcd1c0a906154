/**
 * The one HTTP client every connector talks through (DESIGN.md "Flow of one request"): a keep-alive undici
 * `Pool` per upstream with a connection cap and timeouts, JSON bodies, `X-Request-Id` propagation,
 * retries of idempotent requests with exponential backoff, full jitter and `Retry-After`, a circuit
 * breaker, 429 cooldowns, the operation's budget, a response size limit and metrics. Every failure
 * becomes a `GatewayError` whose message holds nothing of the request (no URL, query, body or header
 * value: tokens travel in headers).
 *
 * Contract details beyond `types.ts`:
 * - A non-empty 2xx body must be JSON whatever its content type says (all five upstreams speak JSON; an
 *   HTML page with 200 is a proxy's, not the upstream's); an empty body is `undefined`. A non-2xx status
 *   listed in `acceptStatus` resolves with its body parsed when it is JSON, `undefined` otherwise.
 * - Retried: connection errors, timeouts, 429, 502, 503 and 504, for idempotent requests only. The wait
 *   is `Retry-After` when the upstream sends one, otherwise full jitter over `retryBaseDelayMs * 2^n`.
 *   No wait exceeds `retryMaxDelayMs`: when an upstream asks for longer, its answer is returned at once
 *   (429 → RATE_LIMITED with `retryAfter`) instead of retrying before it is ready.
 * - A 429 with `Retry-After` starts a cooldown of the upstream in the `CooldownStore`: until it ends,
 *   every call fails at once with RATE_LIMITED and the remaining seconds, and nothing is sent. A retry
 *   of the call that met the 429 waits out the cooldown (when that fits `retryMaxDelayMs` and the deadline).
 * - The operation's budget (`call.budget`, budget.ts) is spent here: each attempt sent takes one call, the
 *   body bytes read count against its cap, and the deadline caps each attempt's timeouts. A first attempt
 *   the budget refuses fails with BUDGET_EXCEEDED; a retry it refuses (or whose backoff would end past
 *   the deadline) is not made, and the last real answer is thrown.
 * - The breaker is asked once per call (a retry is part of its call) and told the call's outcome once:
 *   5xx, timeouts and connection errors after the last attempt are failures, any other answer shows the
 *   upstream alive. A malformed or oversized body, a cancelled call and an attempt cut short by the
 *   operation's deadline count neither way. Retries stop when the breaker leaves the state that
 *   admitted the call, and the error of the last real attempt is thrown.
 * - Cancellation (`call.signal`) rejects with UPSTREAM_UNAVAILABLE, is never retried and is not held
 *   against the upstream.
 * - Reads are GETs not marked `idempotent: false`; everything else is a write (a POST marked idempotent,
 *   a pure lookup, is neither cached nor coalesced, and invalidates nothing). Reads in flight are
 *   coalesced across requests (flights.ts): the same method, URL, accepted statuses and sent headers
 *   (the credential among them; never the request id or trace headers) cost one call while one is in
 *   flight, and each caller's cancellation and deadline end only its own wait.
 * - With an answer cache (`answers`, `cacheTtlMs` > 0; answers.ts) a read is first looked up there; a
 *   hit is answered without a call, the breaker or a cooldown (a cached answer is still an answer while
 *   the upstream is away). Only 2xx answers are stored: never an error, never an accepted 404 (a lookup
 *   that finds nobody usually comes before the create that makes it wrong). When a write ends, however
 *   it ends, the calls in flight it may affect take no more waiters and the cache entries it may have
 *   changed are invalidated (`UpstreamRequest.resource`) before its caller hears the outcome.
 * - `call.freshReads` (mutations) skips the cache lookup; the answer is still stored.
 * - `call.onShared` hears of every read answered without a call of its own (cache or coalesced); it is
 *   what `extensions.upstreamCacheHits` and `extensions.upstreamCoalesced` count.
 * - A value handed to more than one caller (coalesced, or cached in memory) is deep-frozen.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import packageJson from '../../package.json';
import { ErrorCode, GatewayError, codeForUpstreamStatus, upstreamFailureMessage, type UpstreamName } from '../errors';
import { BREAKER_DEFAULTS, CircuitBreaker, type BreakerOutcome } from './breaker';
import { deepFreeze, type AnswerTicket } from './answers';
import type { CallBudget } from './budget';
import { createMemoryCooldowns } from './cooldown';
import { exchange, fromSignal, type Cancel, type Expiry } from './exchange';
import { Flights } from './flights';
import { recordCacheLookup, recordCoalesced, recordInvalidation, recordUpstreamAttempt, trackBreaker, type UpstreamFailureKind } from './metrics';
import type {
  CallEvent,
  CallOptions,
  ErrorDescription,
  HttpMethod,
  QueryValue,
  UpstreamClient,
  UpstreamClientOptions,
  UpstreamRequest,
  UpstreamResponse,
} from './types';
import { injectTraceHeaders, inSpan, SpanKind, tracingEnabled } from '../lib/trace';

/** Sent unless `defaultHeaders` says otherwise; timesheet rejects requests without a User-Agent. */
export const USER_AGENT = `usergraph/${packageJson.version}`;

const DEFAULTS = {
  connections: 16,
  headersTimeoutMs: 5000,
  bodyTimeoutMs: 10_000,
  maxRetries: 2,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5000,
  breakerFailureRatio: BREAKER_DEFAULTS.failureRatio,
  breakerMinimumCalls: BREAKER_DEFAULTS.minimumCalls,
  breakerWindowMs: BREAKER_DEFAULTS.windowMs,
  breakerOpenMs: BREAKER_DEFAULTS.openMs,
  breakerProbes: BREAKER_DEFAULTS.probes,
  maxResponseBytes: 5 * 1024 * 1024,
  cacheTtlMs: 0,
} as const;

const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'PUT', 'DELETE']);
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

type Settings = { -readonly [K in keyof typeof DEFAULTS]: number };

/** An answer and its body as received (what the answer cache stores). */
interface Answer {
  response: UpstreamResponse<unknown>;
  raw: Buffer;
}

/** What one call is sent with: a caller's own options, or a shared call's (flights.ts). */
interface Sending {
  requestId?: string;
  cancel?: Cancel;
  onCall?: (event: CallEvent) => void;
  budget?: CallBudget;
}

/** How one attempt ended: an answer for the caller, or an error with what to do about it. */
type Attempt =
  | { kind: 'answer'; response: UpstreamResponse<unknown>; raw: Buffer }
  | { kind: 'failed'; error: GatewayError; retryable: boolean; retryAfterMs?: number };

/** What one attempt tells the breaker, `onCall` and metrics besides its result. */
interface AttemptReport {
  attempt: Attempt;
  /** HTTP status for `onCall`, 0 when no complete answer arrived. */
  eventStatus: number;
  metricStatus: number | UpstreamFailureKind;
  breaker: BreakerOutcome;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const upstream = options.upstream;
  const settings = resolveSettings(options);
  const base = parseBaseUrl(options.baseUrl, upstream);
  const describeError = options.describeError;
  const defaultHeaders: Record<string, string> = {
    accept: 'application/json',
    'user-agent': USER_AGENT,
    ...lowerCaseKeys(options.defaultHeaders ?? {}),
  };

  const pool = new Pool(base.origin, {
    connections: settings.connections,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    connect: { timeout: settings.headersTimeoutMs },
  });
  const breaker = new CircuitBreaker({
    failureRatio: settings.breakerFailureRatio,
    minimumCalls: settings.breakerMinimumCalls,
    windowMs: settings.breakerWindowMs,
    openMs: settings.breakerOpenMs,
    probes: settings.breakerProbes,
  });
  const cooldowns = options.cooldowns ?? createMemoryCooldowns();
  const { cacheTtlMs } = settings;
  const answers = cacheTtlMs > 0 ? options.answers : undefined;
  const flights = new Flights<Answer>({ upstream, cancelled: (signal) => cancelled(signal.reason), share: (answer) => deepFreeze(answer.response) });
  const untrackBreaker = trackBreaker(upstream, () => breaker.state());
  let closed = false;

  const cancelled = (reason: unknown): GatewayError =>
    new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${upstream} call was cancelled before it completed`, { upstream, cause: reason });

  const report = (req: UpstreamRequest, sending: Sending, attempt: number, eventStatus: number, metricStatus: number | UpstreamFailureKind, durationMs: number): void => {
    recordUpstreamAttempt({ upstream, method: req.method, route: req.route, status: metricStatus }, durationMs);
    sending.onCall?.({ upstream, method: req.method, route: req.route, status: eventStatus, durationMs, attempt });
  };

  /** Sends the request once and reads the whole (bounded) answer. Never throws. */
  const send = async (
    req: UpstreamRequest,
    cancel: Cancel | undefined,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
    budget: CallBudget | undefined,
  ): Promise<AttemptReport> => {
    // The operation's remaining bytes cap this body when they are fewer than the client's own limit.
    const byteLimit = Math.min(settings.maxResponseBytes, budget?.remainingBytes() ?? Infinity);
    const byBudget = byteLimit < settings.maxResponseBytes;
    const end = await exchange(
      pool,
      { path, method: req.method, headers, body: payload },
      {
        headersMs: settings.headersTimeoutMs,
        bodyMs: settings.bodyTimeoutMs,
        deadlineMs: budget?.remainingMs() ?? Infinity,
        byteLimit,
        onBytes: budget ? (bytes) => budget.addBytes(bytes) : undefined,
        cancel,
      },
    );
    if (end.kind === 'answer') return answered(req, end.status, end.headers, end.raw, byBudget ? budget : undefined);
    if (end.kind === 'cancelled') {
      return { attempt: { kind: 'failed', error: cancelled(cancel?.reason), retryable: false }, eventStatus: 0, metricStatus: 'cancelled', breaker: 'ignored' };
    }
    if (end.kind === 'expired' && end.expiry === 'deadline' && budget) {
      // Cut short by the operation, not by the upstream's own timeout: nothing to hold against it.
      return { attempt: { kind: 'failed', error: budget.exceeded('deadline', upstream), retryable: false }, eventStatus: 0, metricStatus: 'timeout', breaker: 'ignored' };
    }
    const cause = end.kind === 'error' ? end.error : undefined;
    const timeout = timeoutMessage(end.kind === 'expired' ? end.expiry : errorCode(cause));
    const message = timeout ?? `Expected an HTTP answer from ${upstream}, but the connection failed (${errorCode(cause) ?? 'unknown error'})`;
    const error = new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, message, { upstream, cause });
    return { attempt: { kind: 'failed', error, retryable: true }, eventStatus: 0, metricStatus: timeout ? 'timeout' : 'connection_error', breaker: 'failure' };
  };

  /** What an answer that arrived means: one for the caller, or an error of its status or its body. */
  const answered = (req: UpstreamRequest, status: number, resHeaders: Record<string, string>, raw: Buffer | 'too-large', byteBudget: CallBudget | undefined): AttemptReport => {
    const accepted = (status >= 200 && status < 300) || (req.acceptStatus ?? []).includes(status);
    const breakerOutcome: BreakerOutcome = status >= 500 ? 'failure' : 'success';
    if (accepted) {
      if (raw === 'too-large') return tooLarge(status, byteBudget);
      const parsed = status >= 200 && status < 300 ? parseStrict(raw) : { ok: true as const, value: parseLenient(raw) };
      if (!parsed.ok) {
        const error = new GatewayError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          `${upstream} sent a malformed response: expected a JSON body with status ${status}, but it did not parse`,
          { upstream, status },
        );
        return { attempt: { kind: 'failed', error, retryable: false }, eventStatus: status, metricStatus: 'malformed', breaker: 'ignored' };
      }
      return {
        attempt: { kind: 'answer', response: { status, headers: resHeaders, body: parsed.value }, raw },
        eventStatus: status,
        metricStatus: status,
        breaker: breakerOutcome,
      };
    }
    // An oversized error body is dropped: the status alone still says what happened.
    const body = raw === 'too-large' ? undefined : parseLenient(raw);
    const retryAfterMs = parseRetryAfter(resHeaders['retry-after']);
    const error = statusError(status, body, retryAfterMs);
    return {
      attempt: { kind: 'failed', error, retryable: RETRYABLE_STATUSES.has(status), retryAfterMs },
      eventStatus: status,
      metricStatus: status,
      breaker: breakerOutcome,
    };
  };

  const tooLarge = (status: number, budget: CallBudget | undefined): AttemptReport => {
    if (budget) {
      return { attempt: { kind: 'failed', error: budget.exceeded('bytes', upstream), retryable: false }, eventStatus: status, metricStatus: 'too_large', breaker: 'ignored' };
    }
    const error = new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      `${upstream} sent a response larger than the ${settings.maxResponseBytes}-byte limit`,
      { upstream, status },
    );
    return { attempt: { kind: 'failed', error, retryable: false }, eventStatus: status, metricStatus: 'too_large', breaker: 'ignored' };
  };

  /** Our own timer's kind, or undici's timeout error code (its timers are the backstop). */
  const timeoutMessage = (kind: Expiry | string | undefined): string | undefined => {
    switch (kind) {
      case 'headers':
      case 'UND_ERR_HEADERS_TIMEOUT':
        return `${upstream} did not answer within ${settings.headersTimeoutMs} ms`;
      case 'body':
      case 'UND_ERR_BODY_TIMEOUT':
        return `${upstream} stopped sending its response for ${settings.bodyTimeoutMs} ms`;
      case 'UND_ERR_CONNECT_TIMEOUT':
        return `${upstream} could not be connected to within ${settings.headersTimeoutMs} ms`;
      default:
        return undefined;
    }
  };

  const statusError = (status: number, body: unknown, retryAfterMs: number | undefined): GatewayError => {
    const description = describe(status, body);
    const code = codeForUpstreamStatus(status);
    // The gateway's words by code and status class; the upstream's own text only in `detail`, for logs.
    const detail = `${upstream} answered ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}${description.detail ? `: ${description.detail}` : ''}`;
    return new GatewayError(code, upstreamFailureMessage(upstream, code, status), {
      upstream,
      status,
      detail,
      retryAfter: status === 429 && retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
      fieldErrors: description.fieldErrors?.length ? description.fieldErrors : undefined,
      reason: description.reason,
    });
  };

  const describe = (status: number, body: unknown): ErrorDescription => {
    if (!describeError) return {};
    try {
      return describeError(status, body);
    } catch {
      // A describer that cannot read an unexpected body must not hide the status: fall back to generic words.
      return {};
    }
  };

  /**
   * One attempt in a client span (`<upstream> <METHOD> <route>`: upstream, route, method, attempt, status),
   * with the span's W3C `traceparent` sent to the upstream. Only when tracing is on.
   */
  const tracedSend = (
    req: UpstreamRequest,
    cancel: Cancel | undefined,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
    budget: CallBudget | undefined,
    attempt: number,
  ): Promise<AttemptReport> =>
    inSpan(
      `${upstream} ${req.method} ${req.route}`,
      { 'usergraph.upstream': upstream, 'http.route': req.route, 'http.request.method': req.method, 'usergraph.attempt': attempt },
      async (span) => {
        const traced = { ...headers };
        injectTraceHeaders(traced);
        const result = await send(req, cancel, path, traced, payload, budget);
        span.setAttribute('http.response.status_code', result.eventStatus);
        if (result.attempt.kind === 'failed') span.setAttribute('usergraph.error_code', result.attempt.error.code);
        return result;
      },
      SpanKind.CLIENT,
    );

  /** Sends one call (its retries included) and answers, or throws its GatewayError. */
  const execute = async (req: UpstreamRequest, sending: Sending, path: string, headers: Record<string, string>, payload: string | undefined): Promise<Answer> => {
    const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(req.method);
    const budget = sending.budget;
    const cancel = sending.cancel;
    const cooling = cooldowns.remainingMs(upstream);
    if (cooling > 0) {
      report(req, sending, 1, 0, 'cooling_down', 0);
      throw new GatewayError(ErrorCode.RATE_LIMITED, `${upstream} asked the gateway to slow down; calls to it resume in ${Math.ceil(cooling / 1000)} s`, {
        upstream,
        retryAfter: Math.ceil(cooling / 1000),
      });
    }
    const permit = breaker.tryAcquire();
    if (!permit) {
      report(req, sending, 1, 0, 'breaker_open', 0);
      throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${upstream} is unavailable: its circuit breaker is open after repeated failures`, { upstream });
    }
    // The call's outcome for the breaker: the last attempt that said something about the upstream's health.
    let health: BreakerOutcome = 'ignored';
    let lastError: GatewayError | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        if (cancel?.aborted) throw cancelled(cancel.reason);
        const spent = budget?.takeCall();
        if (spent) {
          recordUpstreamAttempt({ upstream, method: req.method, route: req.route, status: 'budget_exceeded' }, 0);
          throw lastError ?? budget!.exceeded(spent, upstream);
        }
        const started = performance.now();
        const result = tracingEnabled() ? await tracedSend(req, cancel, path, headers, payload, budget, attempt) : await send(req, cancel, path, headers, payload, budget);
        if (result.breaker !== 'ignored') health = result.breaker;
        report(req, sending, attempt, result.eventStatus, result.metricStatus, performance.now() - started);

        const outcome = result.attempt;
        if (outcome.kind === 'answer') return { response: outcome.response, raw: outcome.raw };
        lastError = outcome.error;
        if (outcome.error.code === ErrorCode.RATE_LIMITED && outcome.retryAfterMs !== undefined) cooldowns.start(upstream, outcome.retryAfterMs);
        if (!outcome.retryable || !idempotent || attempt > settings.maxRetries) throw outcome.error;
        // A retry waits out any cooldown of the upstream, its own 429's or one another request met.
        const wait = Math.max(outcome.retryAfterMs ?? fullJitter(settings.retryBaseDelayMs, settings.retryMaxDelayMs, attempt), cooldowns.remainingMs(upstream));
        if (wait > settings.retryMaxDelayMs) throw outcome.error;
        // A retry whose backoff would end past the deadline is not started.
        if (budget && wait >= budget.remainingMs()) throw outcome.error;
        if (!(await backoff(wait, cancel))) throw cancelled(cancel?.reason);
        if (!breaker.admits(permit)) throw outcome.error;
      }
    } finally {
      breaker.record(permit, health);
    }
  };

  /** After a write, however it ended: no read started later may get an answer from before it. */
  const invalidate = async (resource: string | undefined): Promise<void> => {
    flights.forget(resource);
    if (!answers) return;
    recordInvalidation(upstream, resource === undefined ? 'upstream' : 'resource');
    await answers.invalidate(upstream, resource);
  };

  const request = async <T = unknown>(req: UpstreamRequest): Promise<UpstreamResponse<T>> => {
    if (!req.path.startsWith('/') || req.path.includes('?') || req.path.includes('#')) {
      throw new TypeError(`${upstream} request path must start with "/" and carry no query (use \`query\`), but got: ${JSON.stringify(req.route)}`);
    }
    const call: CallOptions = req.call ?? {};
    if (closed) {
      throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${upstream} client is closed`, { upstream });
    }
    const path = base.path + req.path + queryString(req.query);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { ...defaultHeaders, ...lowerCaseKeys(req.headers ?? {}) };
    const read = req.method === 'GET' && req.idempotent !== false;
    // The key is taken before the request id joins the headers (trace headers join only the copy a traced
    // attempt sends): it names the answer, not the request. Hashed only for a cache, which may be Redis.
    const key = read ? answerKey(req.method, path, headers, req.acceptStatus, answers !== undefined) : '';
    if (call.requestId) headers['x-request-id'] = call.requestId;
    if (payload !== undefined) headers['content-type'] = 'application/json';

    if (!read) {
      const lookup = req.method === 'POST' && req.idempotent === true;
      try {
        // The response body is JSON the connector validates and maps; T is its claim about the shape.
        const sending: Sending = { requestId: call.requestId, onCall: call.onCall, budget: call.budget, cancel: call.signal ? fromSignal(call.signal) : undefined };
        return (await execute(req, sending, path, headers, payload)).response as UpstreamResponse<T>;
      } finally {
        if (!lookup) await invalidate(req.resource?.toLowerCase());
      }
    }

    // Lower-cased: two spellings of one id must not escape each other's invalidation (merging two is harmless).
    const scope = req.resource?.toLowerCase();
    let ticket: AnswerTicket | undefined;
    if (answers) {
      const found = await answers.get(upstream, key, scope);
      if (found.answer && !call.freshReads) {
        recordCacheLookup(upstream, 'hit');
        call.onShared?.({ upstream, method: req.method, route: req.route, source: 'cache' });
        return found.answer as UpstreamResponse<T>;
      }
      if (!call.freshReads) recordCacheLookup(upstream, found.ticket === undefined ? 'unavailable' : 'miss');
      ticket = found.ticket;
    }
    const answer = await flights.run(
      key,
      scope,
      call,
      async (flight) => {
        const fresh = await execute(req, flight, path, headers, undefined);
        const { status } = fresh.response;
        if (answers && ticket !== undefined && status >= 200 && status < 300) answers.put(upstream, key, scope, ticket, { ...fresh.response, raw: fresh.raw }, cacheTtlMs);
        return fresh;
      },
      () => {
        recordCoalesced(upstream);
        call.onShared?.({ upstream, method: req.method, route: req.route, source: 'coalesced' });
      },
    );
    return answer.response as UpstreamResponse<T>;
  };

  return {
    upstream,
    baseUrl: base.origin + base.path,
    request,
    breakerState: () => breaker.state(),
    async close() {
      if (closed) return;
      closed = true;
      untrackBreaker();
      await pool.close();
    },
  };
}

function resolveSettings(options: UpstreamClientOptions): Settings {
  const pick = (name: keyof Settings, min: number): number => {
    const value = options[name] ?? DEFAULTS[name];
    if (!Number.isFinite(value) || value < min) {
      throw new RangeError(`${options.upstream} client option ${name} must be a number of at least ${min}, but got: ${String(value)}`);
    }
    return value;
  };
  return {
    connections: pick('connections', 1),
    headersTimeoutMs: pick('headersTimeoutMs', 1),
    bodyTimeoutMs: pick('bodyTimeoutMs', 1),
    maxRetries: pick('maxRetries', 0),
    retryBaseDelayMs: pick('retryBaseDelayMs', 0),
    retryMaxDelayMs: pick('retryMaxDelayMs', 0),
    breakerFailureRatio: pick('breakerFailureRatio', Number.MIN_VALUE),
    breakerMinimumCalls: pick('breakerMinimumCalls', 1),
    breakerWindowMs: pick('breakerWindowMs', 10),
    breakerOpenMs: pick('breakerOpenMs', 0),
    breakerProbes: pick('breakerProbes', 1),
    maxResponseBytes: pick('maxResponseBytes', 1),
    cacheTtlMs: pick('cacheTtlMs', 0),
  };
}

function parseBaseUrl(baseUrl: string, upstream: UpstreamName): { origin: string; path: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`${upstream} baseUrl must be an absolute http(s) URL, but got: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${upstream} baseUrl must be an http(s) URL, but got protocol ${url.protocol}`);
  }
  if (url.search || url.hash) {
    throw new TypeError(`${upstream} baseUrl must be an origin plus base path without query or fragment`);
  }
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
}

/** `undefined` and `null` are left out; arrays repeat the key. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * What names one read's answer: method, URL, accepted statuses and the headers sent (credentials among
 * them, so two credentials never share an answer). For the in-flight map the plain text does; for a cache
 * it is hashed, so a credential never appears in a key, in memory or in Redis.
 */
function answerKey(method: HttpMethod, path: string, headers: Record<string, string>, acceptStatus: readonly number[] | undefined, hashed: boolean): string {
  let text = `${method} ${path}\n`;
  for (const name of Object.keys(headers).sort()) text += `${name}:${headers[name]}\n`;
  if (acceptStatus?.length) text += `accept-status:${[...acceptStatus].sort((a, b) => a - b).join(',')}`;
  return hashed ? createHash('sha256').update(text).digest('base64url') : text;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** Waits `ms` before a retry; false when the call was cancelled meanwhile. */
function backoff(ms: number, cancel: Cancel | undefined): Promise<boolean> {
  if (cancel?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const stop = cancel?.onAbort(() => {
      clearTimeout(timer);
      resolve(false);
    });
    const timer = setTimeout(() => {
      stop?.();
      resolve(true);
    }, ms);
  });
}

function parseStrict(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Error and accepted non-2xx bodies: JSON when they parse, otherwise nothing (an empty 429, an HTML 502). */
function parseLenient(raw: Buffer): unknown {
  const parsed = parseStrict(raw);
  return parsed.ok ? parsed.value : undefined;
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only an HTTP date (it has a day or month name): V8's Date.parse also reads bare numbers like "1.5".
  const date = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^(n-1))]. */
function fullJitter(baseMs: number, capMs: number, attempt: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
