/**
 * Narrowing for JSON answers in tests: each function returns the value as the type asked for or throws
 * with what came instead, so tests read wire bodies field by field without casts.
 */

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown): JsonObject {
  if (!isRecord(value)) throw new Error(`expected a JSON object, but got: ${JSON.stringify(value)}`);
  return value;
}

/** The object at `key` of an object. */
export function recordAt(value: unknown, key: string): JsonObject {
  const target = record(value)[key];
  if (!isRecord(target)) throw new Error(`expected ${key} to be a JSON object, but got: ${JSON.stringify(target)}`);
  return target;
}

export function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a JSON array, but got: ${JSON.stringify(value)}`);
  return value;
}

/** The array of objects at `key` of an object. */
export function recordsAt(value: unknown, key: string): JsonObject[] {
  const target = record(value)[key];
  if (!Array.isArray(target)) throw new Error(`expected ${key} to be an array, but got: ${JSON.stringify(target)}`);
  return target.map(record);
}

/** The value as an array of JSON objects. */
export function records(value: unknown): JsonObject[] {
  return list(value).map(record);
}

export function str(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, but got: ${JSON.stringify(value)}`);
  return value;
}
