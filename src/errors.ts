/**
 * The gateway's error vocabulary (DESIGN.md "Errors"). Every error a client sees carries one of these
 * codes in `extensions.code`; its message is the gateway's own words (for an upstream failure chosen by
 * `upstreamFailureMessage` from the code, the upstream and the status class), and nothing of an
 * upstream's response (message, detail, field-error text, stack, host, URL, token) is ever part of the
 * message or the extensions. What the upstream said is kept in `detail`, for logs only.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  UPSTREAM_AUTH_FAILED = 'UPSTREAM_AUTH_FAILED',
  UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE',
  REGISTRY_UNAVAILABLE = 'REGISTRY_UNAVAILABLE',
  /** The operation's upstream-call budget, deadline or response-size cap ran out (src/upstreams/budget.ts). */
  BUDGET_EXCEEDED = 'BUDGET_EXCEEDED',
  /** A static limit (depth, aliases, tokens, directives, estimated cost) refused the operation before it ran. */
  OPERATION_TOO_COMPLEX = 'OPERATION_TOO_COMPLEX',
}

/** The five upstreams, by their configuration name. */
export const UPSTREAM_NAMES = ['identity', 'evenergy', 'vrm', 'podero', 'timesheet'] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];

export function isUpstreamName(value: string): value is UpstreamName {
  return (UPSTREAM_NAMES as readonly string[]).includes(value);
}

/**
 * One invalid input field: `path` is the GraphQL input path (or the connector's input name; `[]` when
 * the upstream named no field the gateway knows), `message` says why in the gateway's words.
 */
export interface FieldError {
  path: string[];
  message: string;
}

export interface GatewayErrorOptions {
  upstream?: UpstreamName;
  /** Seconds the client should wait before retrying (RATE_LIMITED). */
  retryAfter?: number;
  /** For BAD_USER_INPUT: which input fields were wrong. */
  fieldErrors?: FieldError[];
  /**
   * An upstream-specific reason code that is safe to show (e.g. timesheet `not_pending`): only a value
   * of the describer's list of known codes, never free text of a response.
   */
  reason?: string;
  /** Upstream HTTP status, kept for logs and metrics; never sent to clients. */
  status?: number;
  /**
   * What the upstream said (its error text, cut short and redacted), for logs only: never in the
   * message or `toExtensions`, so never sent to a client.
   */
  detail?: string;
  cause?: unknown;
}

/** The one error class of the gateway: a code, a safe message, and where it came from. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly upstream?: UpstreamName;
  readonly retryAfter?: number;
  readonly fieldErrors?: FieldError[];
  readonly reason?: string;
  readonly status?: number;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.upstream = options.upstream;
    this.retryAfter = options.retryAfter;
    this.fieldErrors = options.fieldErrors;
    this.reason = options.reason;
    this.status = options.status;
    this.detail = options.detail;
  }

  /** What may be shown to a client in `extensions` (never the cause, status or detail). */
  toExtensions(): Record<string, unknown> {
    const ext: Record<string, unknown> = { code: this.code };
    if (this.upstream) ext.upstream = this.upstream;
    if (this.retryAfter !== undefined) ext.retryAfter = this.retryAfter;
    if (this.fieldErrors?.length) ext.fieldErrors = this.fieldErrors;
    if (this.reason) ext.reason = this.reason;
    return ext;
  }
}

export function badInput(path: string[], message: string, upstream?: UpstreamName): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `Invalid input at ${path.join('.')}: ${message}`, {
    upstream,
    fieldErrors: [{ path, message }],
  });
}

/** How the gateway names each upstream in its messages. */
export const UPSTREAM_TITLES: Readonly<Record<UpstreamName, string>> = {
  identity: 'identity',
  evenergy: 'ev.energy',
  vrm: 'VRM',
  podero: 'podero',
  timesheet: 'timesheet',
};

/**
 * The message of an upstream's error answer, in the gateway's words: chosen by the code, the upstream
 * and (for UPSTREAM_UNAVAILABLE) the status class, never built from the answer's body. What exactly was
 * wrong is in `extensions.fieldErrors` and `extensions.reason`; what the upstream said goes to the logs.
 */
export function upstreamFailureMessage(upstream: UpstreamName, code: ErrorCode, status?: number): string {
  const name = UPSTREAM_TITLES[upstream];
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
      return `${name} refused the request as invalid; extensions.fieldErrors and extensions.reason say why, where ${name} said.`;
    case ErrorCode.NOT_FOUND:
      return `${name} has no record with this identifier.`;
    case ErrorCode.CONFLICT:
      return `${name} refused the change: it conflicts with what ${name} already holds (extensions.reason says what, where known).`;
    case ErrorCode.RATE_LIMITED:
      return `${name} asked the gateway to slow down; try again after extensions.retryAfter seconds.`;
    case ErrorCode.UPSTREAM_AUTH_FAILED:
      return `${name} refused the gateway's own credentials; an operator must check the gateway's ${name} token.`;
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      if (status !== undefined && status >= 500) return `${name} could not answer (it reported a server error); try again shortly.`;
      return `${name} could not answer this request (it refused the way the gateway asked); try again later.`;
    default:
      return `${name} could not do this.`;
  }
}

/**
 * Maps an upstream HTTP status to the gateway's code: the one place that does (DESIGN.md error table).
 * 2xx/3xx are not errors and are not passed here.
 */
export function codeForUpstreamStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return ErrorCode.BAD_USER_INPUT;
  if (status === 401 || status === 403) return ErrorCode.UPSTREAM_AUTH_FAILED;
  if (status === 404 || status === 410) return ErrorCode.NOT_FOUND;
  if (status === 409) return ErrorCode.CONFLICT;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status >= 500) return ErrorCode.UPSTREAM_UNAVAILABLE;
  // 405, 406, 413, 415 and other 4xx mean the gateway spoke the contract wrongly: the upstream is
  // unusable for this request, which the client can do nothing about.
  return ErrorCode.UPSTREAM_UNAVAILABLE;
}

export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}
