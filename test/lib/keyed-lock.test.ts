import { KeyedLock } from '../../src/lib/keyed-lock';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs work on one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const job = (name: string) =>
      lock.run(['a'], async () => {
        events.push(`${name} start`);
        await tick();
        await tick();
        events.push(`${name} end`);
      });
    await Promise.all([job('1'), job('2'), job('3')]);
    expect(events).toEqual(['1 start', '1 end', '2 start', '2 end', '3 start', '3 end']);
    expect(lock.size).toBe(0);
  });

  it('lets work on different keys run at the same time', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const job = (key: string) =>
      lock.run([key], async () => {
        events.push(`${key} start`);
        await tick();
        events.push(`${key} end`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events).toEqual(['a start', 'b start', 'a end', 'b end']);
  });

  it('never deadlocks when two runs take overlapping keys in opposite orders', async () => {
    const lock = new KeyedLock();
    let inside = 0;
    let most = 0;
    const job = (keys: string[]) =>
      lock.run(keys, async () => {
        most = Math.max(most, ++inside);
        await tick();
        inside--;
      });
    await Promise.all([job(['x', 'y']), job(['y', 'x']), job(['y']), job(['x'])]);
    expect(most).toBe(1);
    expect(lock.size).toBe(0);
  });

  it('releases the keys when the work fails, and passes the failure on', async () => {
    const lock = new KeyedLock();
    await expect(lock.run(['a'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run(['a'], async () => 'next')).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
