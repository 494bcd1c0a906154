import assert from 'node:assert';
import { BREAKER_DEFAULTS, CircuitBreaker, type BreakerOutcome, type BreakerPermit, type CircuitBreakerOptions } from '../../src/upstreams/breaker';

/** A breaker on a clock the test moves by hand: opens at 50% over 1 s with at least 4 calls, open 1 s, 2 probes. */
function breakerAt(options: Partial<CircuitBreakerOptions> = {}): { breaker: CircuitBreaker; advance: (ms: number) => void } {
  let now = 10_000;
  const breaker = new CircuitBreaker({ failureRatio: 0.5, minimumCalls: 4, windowMs: 1000, openMs: 1000, probes: 2, ...options, now: () => now });
  return { breaker, advance: (ms) => (now += ms) };
}

function acquire(breaker: CircuitBreaker): BreakerPermit {
  const permit = breaker.tryAcquire();
  assert(permit, `expected the breaker to admit a call, but it is ${breaker.state()}`);
  return permit;
}

function calls(breaker: CircuitBreaker, outcome: BreakerOutcome, times: number): void {
  for (let i = 0; i < times; i++) breaker.record(acquire(breaker), outcome);
}

/** Opens a fresh breaker with four failures. */
function opened(options: Partial<CircuitBreakerOptions> = {}) {
  const b = breakerAt(options);
  calls(b.breaker, 'failure', 4);
  expect(b.breaker.state()).toBe('open');
  return b;
}

describe('closed', () => {
  it('stays closed below the minimum number of calls, however many of them fail', () => {
    const { breaker } = breakerAt();
    calls(breaker, 'failure', 3);
    expect(breaker.state()).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 3, failures: 3 });
    expect(breaker.tryAcquire()).toEqual({ probe: false, generation: 0 });
  });

  it('opens once the window holds the minimum number of calls and the failure ratio is reached', () => {
    const { breaker } = breakerAt();
    calls(breaker, 'success', 2);
    calls(breaker, 'failure', 1);
    expect(breaker.state()).toBe('closed');
    calls(breaker, 'failure', 1);
    expect(breaker.state()).toBe('open');
  });

  it('stays closed at a failure ratio below the threshold, for any number of calls', () => {
    const { breaker } = breakerAt({ minimumCalls: 20 });
    for (let i = 0; i < 1000; i++) breaker.record(acquire(breaker), i % 5 === 0 ? 'failure' : 'success');
    expect(breaker.state()).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 1000, failures: 200 });
  });

  it('forgets calls that have left the sliding window', () => {
    const { breaker, advance } = breakerAt();
    calls(breaker, 'failure', 3);
    advance(1000);
    expect(breaker.window()).toEqual({ calls: 0, failures: 0 });
    calls(breaker, 'failure', 3);
    expect(breaker.state()).toBe('closed');
  });

  it('lets the oldest bucket leave the window first', () => {
    const { breaker, advance } = breakerAt();
    calls(breaker, 'failure', 1);
    advance(500);
    calls(breaker, 'success', 2);
    expect(breaker.window()).toEqual({ calls: 3, failures: 1 });
    advance(500);
    expect(breaker.window()).toEqual({ calls: 2, failures: 0 });
  });

  it('neither counts nor clears anything for ignored outcomes', () => {
    const { breaker } = breakerAt();
    calls(breaker, 'failure', 3);
    calls(breaker, 'ignored', 5);
    expect(breaker.window()).toEqual({ calls: 3, failures: 3 });
    calls(breaker, 'failure', 1);
    expect(breaker.state()).toBe('open');
  });
});

describe('open', () => {
  it('rejects every call until the open period has passed', () => {
    const { breaker, advance } = opened();
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(999);
    expect(breaker.state()).toBe('open');
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it('ignores results of calls admitted before it opened', () => {
    const { breaker, advance } = breakerAt();
    const slow = acquire(breaker);
    calls(breaker, 'failure', 4);
    breaker.record(slow, 'success');
    expect(breaker.state()).toBe('open');
    expect(breaker.admits(slow)).toBe(false);
    advance(1000);
    const probe = acquire(breaker);
    breaker.record(slow, 'success');
    expect(breaker.state()).toBe('half-open');
    breaker.record(probe, 'failure');
    expect(breaker.state()).toBe('open');
  });
});

describe('half-open', () => {
  it('turns half-open after the open period and lets exactly `probes` probes through', () => {
    const { breaker, advance } = opened();
    advance(1000);
    expect(breaker.state()).toBe('half-open');
    expect(acquire(breaker).probe).toBe(true);
    expect(acquire(breaker).probe).toBe(true);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state()).toBe('half-open');
  });

  it('closes with an empty window when every probe succeeds', () => {
    const { breaker, advance } = opened();
    advance(1000);
    const [first, second] = [acquire(breaker), acquire(breaker)];
    breaker.record(first, 'success');
    expect(breaker.state()).toBe('half-open');
    breaker.record(second, 'success');
    expect(breaker.state()).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 0, failures: 0 });
    expect(acquire(breaker).probe).toBe(false);
  });

  it('re-opens for a full open period when a probe fails', () => {
    const { breaker, advance } = opened();
    advance(1000);
    const [first, second] = [acquire(breaker), acquire(breaker)];
    breaker.record(first, 'success');
    breaker.record(second, 'failure');
    expect(breaker.state()).toBe('open');
    advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(1);
    expect(acquire(breaker).probe).toBe(true);
  });

  it('frees the probe slot when a probe says nothing about health', () => {
    const { breaker, advance } = opened({ probes: 1 });
    advance(1000);
    breaker.record(acquire(breaker), 'ignored');
    expect(breaker.state()).toBe('half-open');
    expect(acquire(breaker).probe).toBe(true);
  });

  it('does not let results of the previous closed period count after it closes again', () => {
    const { breaker, advance } = breakerAt({ probes: 1 });
    const straggler = acquire(breaker);
    calls(breaker, 'failure', 4);
    advance(1000);
    breaker.record(acquire(breaker), 'success');
    breaker.record(straggler, 'failure');
    expect(breaker.state()).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 0, failures: 0 });
  });
});

describe('options', () => {
  it('documents its defaults: 50% over 10 s with at least 20 calls, open 5 s, 3 probes', () => {
    expect(BREAKER_DEFAULTS).toEqual({ failureRatio: 0.5, minimumCalls: 20, windowMs: 10_000, openMs: 5000, probes: 3 });
  });

  it('refuses out-of-range values with a message naming what came', () => {
    const base = { ...BREAKER_DEFAULTS };
    expect(() => new CircuitBreaker({ ...base, minimumCalls: 0 })).toThrow('breaker minimumCalls must be an integer of at least 1, but got: 0');
    expect(() => new CircuitBreaker({ ...base, failureRatio: 1.5 })).toThrow('breaker failureRatio must be above 0 and at most 1, but got: 1.5');
    expect(() => new CircuitBreaker({ ...base, probes: 0.5 })).toThrow('breaker probes must be an integer of at least 1, but got: 0.5');
    expect(() => new CircuitBreaker({ ...base, windowMs: 5 })).toThrow('breaker windowMs must be a number of at least 10, but got: 5');
  });
});
