/** CancelSource: how a shared call is cancelled (flights.ts), without an AbortController per read. */
import { CancelSource, fromSignal } from '../../src/upstreams/exchange';

describe('CancelSource', () => {
  it('runs each hook once on abort, not those removed, and keeps the first reason', () => {
    const source = new CancelSource();
    const heard: string[] = [];
    source.onAbort(() => heard.push('a'));
    const stop = source.onAbort(() => heard.push('b'));
    source.onAbort(() => heard.push('c'));
    stop();
    source.abort('first');
    source.abort('second');
    expect(heard).toEqual(['a', 'c']);
    expect(source.aborted).toBe(true);
    expect(source.reason).toBe('first');
  });

  it('runs a hook added after the abort, or by another hook during it, at once', () => {
    const source = new CancelSource();
    const heard: string[] = [];
    source.onAbort(() => source.onAbort(() => heard.push('added during')));
    source.abort();
    source.onAbort(() => heard.push('added after'));
    expect(heard).toEqual(['added during', 'added after']);
  });
});

describe('fromSignal', () => {
  it("follows the signal and leaves no listener behind once its hook is removed", () => {
    const controller = new AbortController();
    const cancel = fromSignal(controller.signal);
    let heard = 0;
    const stop = cancel.onAbort(() => heard++);
    stop();
    cancel.onAbort(() => heard++);
    controller.abort('why');
    expect(cancel.aborted).toBe(true);
    expect(cancel.reason).toBe('why');
    expect(heard).toBe(1);
  });
});
