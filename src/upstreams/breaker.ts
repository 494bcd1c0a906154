/**
 * A circuit breaker for one upstream (DESIGN.md "Limits, budgets and failing upstreams"), for outages,
 * not for bad luck. It opens on a failure *ratio* over a sliding time window, and only once the window
 * holds a minimum number of calls: a 20% error rate that retries absorb never opens it, an upstream that
 * is down does within seconds. Open, callers fail fast without touching the network; after `openMs` it
 * turns half-open and lets `probes` calls through; when they all succeed it closes with an empty window,
 * the first failed probe opens it for another `openMs`.
 *
 * Defaults (`BREAKER_DEFAULTS`): opens at 50% failures over 10 s with at least 20 calls in the window,
 * stays open 5 s, then 3 probes.
 *
 * A *call* is what a caller asked for, retries included: the HTTP client takes one permit per call and
 * records the call's final outcome once, so three attempts of one request are one call. What counts as
 * a failure is the caller's decision (the client counts 5xx, timeouts and connection errors). Permits tie
 * outcomes to the state that admitted them: a slow call admitted before the breaker opened cannot close
 * it, and results from an earlier closed period do not count in the next one.
 *
 * The window is `WINDOW_BUCKETS` buckets of `windowMs / WINDOW_BUCKETS` each, so memory is constant
 * whatever the call rate and old results leave the window bucket by bucket.
 */
import type { BreakerState } from './types';

export type BreakerOutcome =
  /** The upstream answered as it should (2xx, or a 4xx: the upstream is alive and said no). */
  | 'success'
  /** 5xx, timeout or connection error, after every retry of the call. */
  | 'failure'
  /** Says nothing about the upstream's health (the caller cancelled, the operation's deadline cut it). */
  | 'ignored';

export interface BreakerPermit {
  /** True for a half-open probe. */
  readonly probe: boolean;
  /** Which closed period admitted a normal call; results from an earlier period are stale. */
  readonly generation: number;
}

export interface CircuitBreakerOptions {
  /** Share of failed calls in the window (0 < ratio ≤ 1) at which the breaker opens. */
  failureRatio: number;
  /** Calls the window must hold before the ratio is judged; at least 1. */
  minimumCalls: number;
  /** Length of the sliding window, ms. */
  windowMs: number;
  /** How long the breaker stays open before probes are let through, ms. */
  openMs: number;
  /** Probes let through while half-open, all of which must succeed to close it; at least 1. */
  probes: number;
  /** The clock, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

export const BREAKER_DEFAULTS: Readonly<Omit<CircuitBreakerOptions, 'now'>> = {
  failureRatio: 0.5,
  minimumCalls: 20,
  windowMs: 10_000,
  openMs: 5000,
  probes: 3,
};

const WINDOW_BUCKETS = 10;

interface Bucket {
  /** Which bucket period (time / bucketMs, floored) the counts belong to. */
  period: number;
  calls: number;
  failures: number;
}

type Internal =
  | { kind: 'closed' }
  | { kind: 'open'; since: number }
  | { kind: 'half-open'; admitted: number; succeeded: number };

export class CircuitBreaker {
  private readonly options: Required<Omit<CircuitBreakerOptions, 'now'>>;
  private readonly now: () => number;
  private readonly bucketMs: number;
  private readonly buckets: Bucket[];
  private current: Internal = { kind: 'closed' };
  private generation = 0;

  constructor(options: CircuitBreakerOptions) {
    const { failureRatio, minimumCalls, windowMs, openMs, probes } = options;
    if (!(failureRatio > 0 && failureRatio <= 1)) {
      throw new RangeError(`breaker failureRatio must be above 0 and at most 1, but got: ${String(failureRatio)}`);
    }
    for (const [name, value] of [['minimumCalls', minimumCalls], ['probes', probes]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`breaker ${name} must be an integer of at least 1, but got: ${String(value)}`);
    }
    for (const [name, value, min] of [['windowMs', windowMs, WINDOW_BUCKETS], ['openMs', openMs, 0]] as const) {
      if (!Number.isFinite(value) || value < min) throw new RangeError(`breaker ${name} must be a number of at least ${min}, but got: ${String(value)}`);
    }
    this.options = { failureRatio, minimumCalls, windowMs, openMs, probes };
    this.now = options.now ?? Date.now;
    this.bucketMs = windowMs / WINDOW_BUCKETS;
    this.buckets = Array.from({ length: WINDOW_BUCKETS }, () => ({ period: -1, calls: 0, failures: 0 }));
  }

  /** `half-open` once the open period has elapsed (probes may go) and while probes are out. */
  state(): BreakerState {
    switch (this.current.kind) {
      case 'closed':
        return 'closed';
      case 'open':
        return this.now() - this.current.since >= this.options.openMs ? 'half-open' : 'open';
      case 'half-open':
        return 'half-open';
    }
  }

  /** Calls and failures in the sliding window (what the ratio is judged on); zero unless closed. */
  window(): { calls: number; failures: number } {
    if (this.current.kind !== 'closed') return { calls: 0, failures: 0 };
    const period = this.period();
    let calls = 0;
    let failures = 0;
    for (const b of this.buckets) {
      if (b.period > period - WINDOW_BUCKETS) {
        calls += b.calls;
        failures += b.failures;
      }
    }
    return { calls, failures };
  }

  /** Admits one call, or returns undefined when the caller must fail fast. */
  tryAcquire(): BreakerPermit | undefined {
    if (this.current.kind === 'open') {
      if (this.now() - this.current.since < this.options.openMs) return undefined;
      this.current = { kind: 'half-open', admitted: 0, succeeded: 0 };
    }
    switch (this.current.kind) {
      case 'closed':
        return { probe: false, generation: this.generation };
      case 'half-open':
        if (this.current.admitted >= this.options.probes) return undefined;
        this.current.admitted++;
        return { probe: true, generation: this.generation };
    }
  }

  /** Whether a call admitted by `permit` may still retry: not once the breaker has left its state. */
  admits(permit: BreakerPermit): boolean {
    if (permit.probe) return this.current.kind === 'half-open';
    return this.current.kind === 'closed' && permit.generation === this.generation;
  }

  /** Reports how the call admitted by `permit` ended, retries included. Each permit is recorded once. */
  record(permit: BreakerPermit, outcome: BreakerOutcome): void {
    if (permit.probe) {
      if (this.current.kind !== 'half-open') return;
      if (outcome === 'failure') this.open();
      else if (outcome === 'ignored') this.current.admitted--; // frees the slot for another probe
      else if (++this.current.succeeded >= this.options.probes) this.close();
      return;
    }
    if (this.current.kind !== 'closed' || permit.generation !== this.generation || outcome === 'ignored') return;
    const bucket = this.bucket();
    bucket.calls++;
    if (outcome === 'failure') bucket.failures++;
    const { calls, failures } = this.window();
    if (calls >= this.options.minimumCalls && failures >= calls * this.options.failureRatio) this.open();
  }

  private period(): number {
    return Math.floor(this.now() / this.bucketMs);
  }

  private bucket(): Bucket {
    const period = this.period();
    const bucket = this.buckets[period % WINDOW_BUCKETS]!;
    if (bucket.period !== period) Object.assign(bucket, { period, calls: 0, failures: 0 });
    return bucket;
  }

  private open(): void {
    this.current = { kind: 'open', since: this.now() };
  }

  private close(): void {
    this.generation++;
    for (const b of this.buckets) Object.assign(b, { period: -1, calls: 0, failures: 0 });
    this.current = { kind: 'closed' };
  }
}
