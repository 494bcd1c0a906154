/**
 * Narrowing for JSON answers in tests: each function returns the value as the type asked for or throws
 * with what came instead, so tests read wire bodies field by field without casts.
 */

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as a JSON object, or the object at `key` of it. */
export function record(value: unknown, key?: string): JsonObject {
  const target = key === undefined ? value : record(value)[key];
  if (!isRecord(target)) throw new Error(`expected ${key === undefined ? 'a JSON object' : `${key} to be a JSON object`}, but got: ${JSON.stringify(target)}`);
  return target;
}

/** The value as a JSON array, or the array at `key` of an object. */
export function list(value: unknown, key?: string): unknown[] {
  const target = key === undefined ? value : record(value)[key];
  if (!Array.isArray(target)) throw new Error(`expected ${key === undefined ? 'a JSON array' : `${key} to be a JSON array`}, but got: ${JSON.stringify(target)}`);
  return target;
}

/** The value as an array of JSON objects, or the array of objects at `key` of an object. */
export function records(value: unknown, key?: string): JsonObject[] {
  return list(value, key).map((item) => record(item));
}

export function str(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, but got: ${JSON.stringify(value)}`);
  return value;
}
