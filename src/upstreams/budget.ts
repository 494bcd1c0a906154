/**
 * One operation's run-time budget (DESIGN.md "Limits, budgets and failing upstreams"): how many upstream
 * calls it may still send, by when it must be answered, and how many response bytes it may still read.
 * The per-request context creates one and passes it down in `CallOptions.budget`; the HTTP client is the
 * only code that spends it, so every connector call is bounded without knowing it.
 *
 * - Calls are counted as sent: every attempt, retries included (what the upstream sees). A call the
 *   client refuses before sending (breaker open, cooldown, budget spent) costs nothing.
 * - The deadline caps every attempt's timeouts and every retry's backoff: no attempt waits past it, and a
 *   retry whose backoff would end after it is not started.
 * - Bytes are those read from upstream bodies, error bodies included, across every call of the operation.
 *
 * What runs past the budget fails with `BUDGET_EXCEEDED`; the rest of the operation is answered.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';

export interface BudgetLimits {
  /** Upstream calls (attempts) one operation may send. */
  maxCalls: number;
  /** Time from the start of the operation to its deadline, ms. */
  timeoutMs: number;
  /** Response bytes one operation may read from upstreams, all calls together. */
  maxBytes: number;
}

/**
 * Defaults of `MAX_UPSTREAM_CALLS`, `OPERATION_TIMEOUT_MS` and `MAX_RESPONSE_BYTES` (README configuration
 * table). Measured against the demo population: the heaviest example in examples/ makes 12 calls; an
 * admin's page of 100 people with every person field makes 519 calls and reads 32 KB. 1000 calls leaves
 * that page room for retries; 16 MiB is 500 times its bytes and bounds the heap an operation can fill.
 */
export const DEFAULT_BUDGET: BudgetLimits = { maxCalls: 1000, timeoutMs: 10_000, maxBytes: 16 * 1024 * 1024 };

export type BudgetPart = 'calls' | 'deadline' | 'bytes';

/**
 * What the HTTP client asks of a budget while it sends: an operation's own, or that of a call shared by
 * several operations (flights.ts), which charges whoever still waits for it.
 */
export type CallBudget = Pick<OperationBudget, 'takeCall' | 'remainingMs' | 'remainingBytes' | 'addBytes' | 'exceeded'>;

export class OperationBudget {
  readonly limits: BudgetLimits;
  private readonly now: () => number;
  private readonly deadlineAt: number;
  private callsSent = 0;
  private bytesRead = 0;

  constructor(limits: BudgetLimits, now: () => number = () => performance.now()) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isFinite(value) || value < 1) throw new RangeError(`budget ${name} must be a number of at least 1, but got: ${String(value)}`);
    }
    this.limits = limits;
    this.now = now;
    this.deadlineAt = now() + limits.timeoutMs;
  }

  /** Calls sent so far. */
  calls(): number {
    return this.callsSent;
  }

  /** Response bytes read so far. */
  bytes(): number {
    return this.bytesRead;
  }

  /** Milliseconds left until the deadline, 0 once it has passed. */
  remainingMs(): number {
    return Math.max(0, this.deadlineAt - this.now());
  }

  /** Response bytes the operation may still read. */
  remainingBytes(): number {
    return Math.max(0, this.limits.maxBytes - this.bytesRead);
  }

  /**
   * Takes one call from the budget before an attempt is sent; returns what ran out instead when the
   * attempt may not go (nothing is taken then).
   */
  takeCall(): BudgetPart | undefined {
    const spent = this.spent();
    if (spent === undefined) this.callsSent++;
    return spent;
  }

  /** What has run out, if anything: time first, then calls, then bytes. */
  private spent(): BudgetPart | undefined {
    if (this.remainingMs() <= 0) return 'deadline';
    if (this.callsSent >= this.limits.maxCalls) return 'calls';
    if (this.remainingBytes() <= 0) return 'bytes';
    return undefined;
  }

  /** Counts bytes read from a response body. */
  addBytes(n: number): void {
    this.bytesRead += n;
  }

  /** Whether another call may still be sent: calls, time and bytes are all left. */
  hasRoom(): boolean {
    return this.spent() === undefined;
  }

  /** The error for a call that ran past `part` of the budget: the gateway's own words, with the limit. */
  exceeded(part: BudgetPart, upstream: UpstreamName): GatewayError {
    return budgetExceeded(part, upstream, this.limits);
  }
}

/** BUDGET_EXCEEDED for `part`, naming the limit when it is known. */
export function budgetExceeded(part: BudgetPart, upstream: UpstreamName, limits?: BudgetLimits): GatewayError {
  const why =
    part === 'calls'
      ? `its budget of ${limits ? `${limits.maxCalls} ` : ''}upstream calls is spent`
      : part === 'deadline'
        ? `its deadline${limits ? ` of ${limits.timeoutMs} ms` : ''} has passed`
        : `its cap of ${limits ? `${limits.maxBytes} ` : ''}response bytes is reached`;
  return new GatewayError(ErrorCode.BUDGET_EXCEEDED, `The operation stopped calling ${upstream}: ${why}`, { upstream });
}
