/**
 * The gateway's error vocabulary (DESIGN.md "Errors"). Every error a client sees carries one of these
 * codes in `extensions.code`; nothing of an upstream's response (URL, body, token) is ever part of the
 * message.
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

/** One invalid input field: `path` is the GraphQL input path (or the upstream field name), `message` says why. */
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
  /** An upstream-specific reason code that is safe to show (e.g. timesheet `not_pending`). */
  reason?: string;
  /** Upstream HTTP status, kept for logs and metrics; never sent to clients. */
  status?: number;
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

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.upstream = options.upstream;
    this.retryAfter = options.retryAfter;
    this.fieldErrors = options.fieldErrors;
    this.reason = options.reason;
    this.status = options.status;
  }

  /** What may be shown to a client in `extensions` (never the cause or status). */
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
