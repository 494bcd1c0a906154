/**
 * The one reader of upstream answers, shared by every connector's `map.ts` (and `describe.ts`): an answer
 * that is not what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming the upstream, the
 * answer, the field, what was expected and what kind of value came — never the value itself (an unknown
 * enum word, which says what to add, goes to the log-only `detail`).
 *
 * A field is read as a `Kind`: what the contract promises (`'a string'`) and how to take it. The common
 * kinds live here; an upstream adds its own (VRM's unix times, timesheet's `YYYY-MM-DD` days) in its map.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';
import { redact } from '../lib/redact';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What kind of value came, for messages: never the value itself. */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The error for an answer that breaks the contract. */
export function malformedAnswer(upstream: UpstreamName, answer: string, expected: string, got: string, status?: number, detail?: string): GatewayError {
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${upstream} sent a malformed ${answer}: expected ${expected}, but got ${got}`, { upstream, status, detail });
}

/** Longest upstream text kept in a log-only `detail`. */
const MAX_TEXT = 200;

/**
 * Upstream text (an error body's message) made fit for a log line's `detail` (GatewayError.detail):
 * URLs and credentials masked, control characters dropped, length bounded. Never shown to a client,
 * not even this way (DESIGN.md "Errors"); the logger masks the configured secrets on top.
 */
export function detailText(text: string): string {
  return redact(text, [], { urls: true, maxLength: MAX_TEXT });
}

/** One kind of wire value: what the contract promises, and how to take it (`undefined`: not this kind). */
export interface Kind<T> {
  readonly expected: string;
  take(value: unknown): T | undefined;
  /** What came, for the log-only `detail` (an unknown enum word, cut short): never in the message. */
  detail?(value: unknown): string | undefined;
}

export const STRING: Kind<string> = { expected: 'a string', take: (v) => (typeof v === 'string' ? v : undefined) };
export const NUMBER: Kind<number> = { expected: 'a number', take: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined) };
export const INTEGER: Kind<number> = { expected: 'an integer', take: (v) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined) };
export const BOOLEAN: Kind<boolean> = { expected: 'a boolean', take: (v) => (typeof v === 'boolean' ? v : undefined) };

/** Any text `Date` parses (ISO-8601 as the specs say). */
export const ISO_TIME: Kind<Date> = {
  expected: 'an ISO-8601 timestamp',
  take(v) {
    const date = typeof v === 'string' ? new Date(v) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
  },
};

/** An array whose every item is of `item`. */
export function arrayOf<T>(item: Kind<T>, expected = `an array of ${item.expected.replace(/^an? /, '')}s`): Kind<T[]> {
  return {
    expected,
    take(v) {
      if (!Array.isArray(v)) return undefined;
      const out: T[] = [];
      for (const x of v) {
        const taken = item.take(x);
        if (taken === undefined) return undefined;
        out.push(taken);
      }
      return out;
    },
  };
}

/**
 * A wire word from a known set: a list of words taken as they are, or a map from wire word to domain word
 * (`{ active: 'ACTIVE' }`).
 */
export function enumOf<T extends string>(values: readonly T[] | Readonly<Record<string, T>>): Kind<T> {
  const map: Readonly<Record<string, T>> = Array.isArray(values) ? Object.fromEntries(values.map((v) => [v, v])) : (values as Readonly<Record<string, T>>);
  return {
    expected: `one of ${Object.keys(map).join(', ')}`,
    take: (v) => (typeof v === 'string' && Object.prototype.hasOwnProperty.call(map, v) ? map[v] : undefined),
    detail: (v) => (typeof v === 'string' ? `unknown word ${JSON.stringify(detailText(v.slice(0, 40)))}` : undefined),
  };
}

/** Reads the fields of one JSON object of one answer; every failure names the upstream, the answer and the path. */
export class WireRecord {
  private constructor(
    readonly upstream: UpstreamName,
    readonly answer: string,
    readonly path: string,
    private readonly value: Json,
  ) {}

  /** `value` as the object at `path` of `answer` (`'answer to GET /users'`, `'user'`). */
  static of(upstream: UpstreamName, answer: string, path: string, value: unknown): WireRecord {
    if (!isObject(value)) throw malformedAnswer(upstream, answer, `${path} to be an object`, kindOf(value));
    return new WireRecord(upstream, answer, path, value);
  }

  /** `value` as an array of objects, the items named `${path}[i]`. */
  static list(upstream: UpstreamName, answer: string, path: string, value: unknown, expected = 'a JSON array'): WireRecord[] {
    if (!Array.isArray(value)) throw malformedAnswer(upstream, answer, expected, kindOf(value));
    return value.map((item, i) => WireRecord.of(upstream, answer, `${path}[${i}]`, item));
  }

  /** The error for `key`: it was not `expected`; what came is told by its kind unless `got` says it. */
  fail(key: string, expected: string, got: string = kindOf(this.value[key]), detail?: string): GatewayError {
    return malformedAnswer(this.upstream, this.answer, `${this.path}.${key} to be ${expected}`, got, undefined, detail);
  }

  /** The value unread, for shape decisions (which branch of an anyOf). */
  raw(key: string): unknown {
    return this.value[key];
  }

  /** Present, even if null. */
  present(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.value, key);
  }

  /** Present and not null. */
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  keys(): string[] {
    return Object.keys(this.value);
  }

  /** A required value of `kind`. */
  get<T>(key: string, kind: Kind<T>): T {
    const taken = kind.take(this.value[key]);
    if (taken === undefined) throw this.fail(key, kind.expected, undefined, kind.detail?.(this.value[key]));
    return taken;
  }

  /** A value of `kind` or null; the key must be there. */
  nullable<T>(key: string, kind: Kind<T>): T | null {
    return this.value[key] === null ? null : this.orNull(key, kind);
  }

  /** A value of `kind`, or null when the key is null or absent (the spec does not require it). */
  optional<T>(key: string, kind: Kind<T>): T | null {
    return this.has(key) ? this.orNull(key, kind) : null;
  }

  private orNull<T>(key: string, kind: Kind<T>): T {
    const taken = kind.take(this.value[key]);
    if (taken === undefined) throw this.fail(key, `${kind.expected} or null`, undefined, kind.detail?.(this.value[key]));
    return taken;
  }

  string(key: string): string {
    return this.get(key, STRING);
  }

  number(key: string): number {
    return this.get(key, NUMBER);
  }

  integer(key: string): number {
    return this.get(key, INTEGER);
  }

  boolean(key: string): boolean {
    return this.get(key, BOOLEAN);
  }

  object(key: string): WireRecord {
    return WireRecord.of(this.upstream, this.answer, `${this.path}.${key}`, this.value[key]);
  }

  /** The object, or null when the key is null or absent. */
  optionalObject(key: string): WireRecord | null {
    return this.has(key) ? this.object(key) : null;
  }

  array(key: string): unknown[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw this.fail(key, 'an array');
    return v;
  }

  /** An array of objects, each read as its own record. */
  records(key: string): WireRecord[] {
    return this.array(key).map((item, i) => WireRecord.of(this.upstream, this.answer, `${this.path}.${key}[${i}]`, item));
  }
}

/**
 * The cache resource (UpstreamRequest.resource) of one upstream user and everything read below it: a
 * write with the same resource invalidates those reads, so every connector names it through this one place.
 */
export function userResource(userId: string | number): string {
  return `user:${userId}`;
}
