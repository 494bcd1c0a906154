import assert from 'node:assert';
import { CircuitBreaker, type BreakerPermit } from '../../src/upstreams/breaker';

/** A breaker on a clock the test moves by hand. */
function breakerAt(threshold = 3, resetMs = 1000): { breaker: CircuitBreaker; advance: (ms: number) => void } {
  let now = 10_000;
  const breaker = new CircuitBreaker({ threshold, resetMs, now: () => now });
  return { breaker, advance: (ms) => (now += ms) };
}

function acquire(breaker: CircuitBreaker): BreakerPermit {
  const permit = breaker.tryAcquire();
  assert(permit, `expected the breaker to admit a call, but it is ${breaker.state()}`);
  return permit;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) breaker.record(acquire(breaker), 'failure');
}

describe('closed', () => {
  it('admits calls and stays closed below the threshold', () => {
    const { breaker } = breakerAt(3);
    fail(breaker, 2);
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(2);
    expect(breaker.tryAcquire()).toEqual({ probe: false, generation: 0 });
  });

  it('opens after the threshold of consecutive failures', () => {
    const { breaker } = breakerAt(3);
    fail(breaker, 3);
    expect(breaker.state()).toBe('open');
  });

  it('starts counting again after a success', () => {
    const { breaker } = breakerAt(3);
    fail(breaker, 2);
    breaker.record(acquire(breaker), 'success');
    fail(breaker, 2);
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(2);
  });

  it('neither counts nor clears failures for ignored outcomes', () => {
    const { breaker } = breakerAt(3);
    fail(breaker, 2);
    breaker.record(acquire(breaker), 'ignored');
    expect(breaker.failures()).toBe(2);
    fail(breaker, 1);
    expect(breaker.state()).toBe('open');
  });
});

describe('open', () => {
  it('rejects every call until the reset time has passed', () => {
    const { breaker, advance } = breakerAt(1, 1000);
    fail(breaker, 1);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(999);
    expect(breaker.state()).toBe('open');
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it('ignores results of calls admitted before it opened', () => {
    const { breaker, advance } = breakerAt(1, 1000);
    const slow = acquire(breaker);
    fail(breaker, 1);
    breaker.record(slow, 'success');
    expect(breaker.state()).toBe('open');
    advance(1000);
    const probe = acquire(breaker);
    breaker.record(slow, 'success');
    expect(breaker.state()).toBe('half-open');
    breaker.record(probe, 'failure');
    expect(breaker.state()).toBe('open');
  });
});

describe('half-open', () => {
  it('turns half-open after the reset time and lets exactly one probe through', () => {
    const { breaker, advance } = breakerAt(2, 500);
    fail(breaker, 2);
    advance(500);
    expect(breaker.state()).toBe('half-open');
    const probe = acquire(breaker);
    expect(probe.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state()).toBe('half-open');
  });

  it('closes when the probe succeeds', () => {
    const { breaker, advance } = breakerAt(2, 500);
    fail(breaker, 2);
    advance(500);
    breaker.record(acquire(breaker), 'success');
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(0);
    expect(acquire(breaker).probe).toBe(false);
  });

  it('re-opens for a full reset period when the probe fails', () => {
    const { breaker, advance } = breakerAt(2, 500);
    fail(breaker, 2);
    advance(500);
    breaker.record(acquire(breaker), 'failure');
    expect(breaker.state()).toBe('open');
    advance(499);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(1);
    expect(acquire(breaker).probe).toBe(true);
  });

  it('frees the probe slot when the probe says nothing about health', () => {
    const { breaker, advance } = breakerAt(1, 500);
    fail(breaker, 1);
    advance(500);
    breaker.record(acquire(breaker), 'ignored');
    expect(breaker.state()).toBe('half-open');
    expect(acquire(breaker).probe).toBe(true);
  });

  it('does not let results of the previous closed period count after it closes again', () => {
    const { breaker, advance } = breakerAt(1, 500);
    const straggler = acquire(breaker);
    fail(breaker, 1);
    advance(500);
    breaker.record(acquire(breaker), 'success');
    breaker.record(straggler, 'failure');
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(0);
  });
});

describe('options', () => {
  it('refuses a threshold below one with a message naming what came', () => {
    expect(() => new CircuitBreaker({ threshold: 0, resetMs: 10 })).toThrow('breaker threshold must be an integer of at least 1, but got: 0');
  });
});
