/**
 * Bounded fan-out for loaders whose upstream has no batch endpoint: at most `limit` calls in flight, one
 * result slot per key, and an `Error` in a slot fails only that key (DataLoader's contract).
 */
export async function mapLimit<K, V>(keys: readonly K[], limit: number, fn: (key: K) => Promise<V>): Promise<(V | Error)[]> {
  // One key, the common batch of a request about one person: no workers to start.
  if (keys.length === 1) {
    try {
      return [await fn(keys[0]!)];
    } catch (err) {
      return [err instanceof Error ? err : new Error(String(err))];
    }
  }
  const results: (V | Error)[] = new Array(keys.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const i = next++;
      try {
        results[i] = await fn(keys[i]!);
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, keys.length)) }, worker));
  return results;
}
