/** mapLimit: DataLoader's contract for loaders without a batch endpoint (one slot per key, in order). */
import { mapLimit } from '../../src/lib/concurrency';

const later = <T>(value: T, ms: number): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('mapLimit', () => {
  it('answers every key in its own slot, in key order, whatever order the calls end in', async () => {
    const results = await mapLimit([30, 10, 20, 0], 2, (ms) => later(`waited ${ms}`, ms));
    expect(results).toEqual(['waited 30', 'waited 10', 'waited 20', 'waited 0']);
  });

  it('keeps at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    await mapLimit(Array.from({ length: 12 }, (_, i) => i), 3, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await later(i, 5);
      inFlight--;
    });
    expect(most).toBe(3);
  });

  it('fails only the key whose call failed, with an Error even when something else was thrown', async () => {
    const results = await mapLimit(['a', 'b', 'c'], 2, async (k) => {
      if (k === 'b') throw new Error('b failed');
      if (k === 'c') throw 'c failed';
      return k.toUpperCase();
    });
    expect(results[0]).toBe('A');
    expect(results[1]).toEqual(new Error('b failed'));
    expect(results[2]).toEqual(new Error('c failed'));
  });

  it('keeps the contract for a single key: its answer, or its error in the slot', async () => {
    expect(await mapLimit(['x'], 4, async (k) => k + '!')).toEqual(['x!']);
    const [failed] = await mapLimit(['x'], 4, async () => Promise.reject(new RangeError('no')));
    expect(failed).toBeInstanceOf(RangeError);
    expect(await mapLimit(['x'], 4, async () => Promise.reject(42))).toEqual([new Error('42')]);
  });

  it('answers no keys with no slots and no calls', async () => {
    const fn = jest.fn(async (k: string) => k);
    expect(await mapLimit([], 4, fn)).toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });
});
