/**
 * A circuit breaker for one upstream (DESIGN.md "Flow of one request"): after `threshold` consecutive
 * failures it opens and callers fail fast without touching the network; after `resetMs` it lets exactly
 * one probe through (half-open); the probe's success closes it, its failure opens it for another
 * `resetMs`.
 *
 * What counts as a failure is the caller's decision (the HTTP client counts 5xx, timeouts and connection
 * errors). A call is admitted with `tryAcquire()`, which hands out a permit, and its outcome is reported
 * with `record(permit, outcome)`. Permits tie outcomes to the state that admitted them, so a slow call
 * admitted before the breaker opened cannot close it (or count twice) while a probe is out.
 */
import type { BreakerState } from './types';

export type BreakerOutcome =
  /** The upstream answered as it should (2xx, or a 4xx: the upstream is alive and said no). */
  | 'success'
  /** 5xx, timeout or connection error. */
  | 'failure'
  /** Says nothing about the upstream's health (the caller cancelled, say). */
  | 'ignored';

export interface BreakerPermit {
  /** True for the one half-open probe. */
  readonly probe: boolean;
  /** Which closed period admitted a normal call; results from an earlier period are stale. */
  readonly generation: number;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker; at least 1. */
  threshold: number;
  /** How long the breaker stays open before one probe is let through, ms. */
  resetMs: number;
  /** The clock, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

type Internal =
  | { kind: 'closed'; failures: number }
  | { kind: 'open'; since: number }
  | { kind: 'probing' };

export class CircuitBreaker {
  private readonly threshold: number;
  private readonly resetMs: number;
  private readonly now: () => number;
  private current: Internal = { kind: 'closed', failures: 0 };
  private generation = 0;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.threshold) || options.threshold < 1) {
      throw new RangeError(`breaker threshold must be an integer of at least 1, but got: ${String(options.threshold)}`);
    }
    if (!Number.isFinite(options.resetMs) || options.resetMs < 0) {
      throw new RangeError(`breaker resetMs must be a non-negative number, but got: ${String(options.resetMs)}`);
    }
    this.threshold = options.threshold;
    this.resetMs = options.resetMs;
    this.now = options.now ?? Date.now;
  }

  /** `half-open` once the open period has elapsed (a probe may go) and while the probe is out. */
  state(): BreakerState {
    switch (this.current.kind) {
      case 'closed':
        return 'closed';
      case 'open':
        return this.now() - this.current.since >= this.resetMs ? 'half-open' : 'open';
      case 'probing':
        return 'half-open';
    }
  }

  /** Consecutive failures counted so far while closed (0 otherwise). */
  failures(): number {
    return this.current.kind === 'closed' ? this.current.failures : 0;
  }

  /** Admits one call, or returns undefined when the caller must fail fast. */
  tryAcquire(): BreakerPermit | undefined {
    switch (this.current.kind) {
      case 'closed':
        return { probe: false, generation: this.generation };
      case 'open':
        if (this.now() - this.current.since < this.resetMs) return undefined;
        this.current = { kind: 'probing' };
        return { probe: true, generation: this.generation };
      case 'probing':
        return undefined;
    }
  }

  /** Reports how the call admitted by `permit` went. Each permit is recorded once. */
  record(permit: BreakerPermit, outcome: BreakerOutcome): void {
    if (permit.probe) {
      if (this.current.kind !== 'probing') return;
      if (outcome === 'success') this.close();
      else if (outcome === 'failure') this.open();
      // An ignored probe frees the slot: the next call may probe instead.
      else this.current = { kind: 'open', since: this.now() - this.resetMs };
      return;
    }
    if (this.current.kind !== 'closed' || permit.generation !== this.generation) return;
    if (outcome === 'success') this.current = { kind: 'closed', failures: 0 };
    else if (outcome === 'failure') {
      const failures = this.current.failures + 1;
      if (failures >= this.threshold) this.open();
      else this.current = { kind: 'closed', failures };
    }
  }

  private open(): void {
    this.current = { kind: 'open', since: this.now() };
  }

  private close(): void {
    this.generation++;
    this.current = { kind: 'closed', failures: 0 };
  }
}
