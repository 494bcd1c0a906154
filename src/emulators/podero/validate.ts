/**
 * Request validation of the podero emulator, reporting failures the way django-ninja does with
 * pydantic v2: every failed rule at once, each as `{ type, loc, msg }` with pydantic's own type names and
 * messages (upstream-contracts.md §4.5 [I]). Body fields live at `loc: ['body', 'payload', <field>]`.
 * Unknown body keys are ignored, as pydantic's default `extra = "ignore"` does.
 *
 * The same field specs describe the request bodies in the OpenAPI document (openapi.ts), so what the
 * emulator documents and what it enforces cannot drift apart.
 */
import type { WireValidationItem } from '../../contracts/podero';
import { asRecord } from '../kit';

export type FieldSpec = { description: string; nullable?: boolean } & (
  | { type: 'string'; minLength?: number; maxLength?: number; pattern?: string }
  | { type: 'email' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'number' | 'integer'; minimum?: number; maximum?: number }
  | { type: 'datetime' }
  | { type: 'url' }
  /** A postal code: a string, or an integer that becomes its decimal string (contracts §4.2 [C]). */
  | { type: 'zip' }
);

export interface BodySchema {
  fields: Record<string, FieldSpec>;
  required?: readonly string[];
  /** Alternative names accepted for a field (`country_iso2` → `country`); the main name wins when both come. */
  aliases?: Record<string, string>;
}

export type Validated = { ok: true; value: Record<string, unknown> } | { ok: false; items: WireValidationItem[] };

/** Longest email the emulator accepts (RFC 5321). */
export const MAX_EMAIL_LENGTH = 254;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Renders an instant the way Django's JSON encoder does: UTC with `Z`, milliseconds only when non-zero. */
export function isoZ(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** A UUID in any accepted spelling (upper case, without hyphens) → canonical lower-case form, or undefined. */
export function canonicalUuid(value: string): string | undefined {
  if (!UUID.test(value)) return undefined;
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidError(location: 'path' | 'query', name: string): WireValidationItem {
  return { type: 'uuid_parsing', loc: [location, name], msg: 'Input should be a valid UUID, invalid character or length' };
}

export function missing(loc: (string | number)[]): WireValidationItem {
  return { type: 'missing', loc, msg: 'Field required' };
}

/** pydantic's lax boolean parsing of a query parameter; absent means false (the documented default). */
export function queryBool(query: URLSearchParams, name: string): { ok: true; value: boolean } | { ok: false; item: WireValidationItem } {
  const raw = query.get(name);
  if (raw === null) return { ok: true, value: false };
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return { ok: true, value: true };
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return { ok: true, value: false };
  return { ok: false, item: { type: 'bool_parsing', loc: ['query', name], msg: 'Input should be a valid boolean, unable to interpret input' } };
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted.join('');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Checks one value against its spec; returns the normalised value or the failed rule. */
export function checkField(spec: FieldSpec, value: unknown, loc: (string | number)[]): { ok: true; value: unknown } | { ok: false; item: WireValidationItem } {
  const fail = (type: string, msg: string) => ({ ok: false as const, item: { type, loc, msg } });
  if (value === null && spec.nullable) return { ok: true, value: null };
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') return fail('string_type', 'Input should be a valid string');
      if (spec.minLength !== undefined && value.length < spec.minLength) {
        return fail('string_too_short', `String should have at least ${plural(spec.minLength, 'character')}`);
      }
      if (spec.maxLength !== undefined && value.length > spec.maxLength) {
        return fail('string_too_long', `String should have at most ${plural(spec.maxLength, 'character')}`);
      }
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value)) {
        return fail('string_pattern_mismatch', `String should match pattern '${spec.pattern}'`);
      }
      return { ok: true, value };
    }
    case 'email': {
      if (typeof value !== 'string') return fail('string_type', 'Input should be a valid string');
      if (!value.includes('@')) return fail('value_error', 'value is not a valid email address: An email address must have an @-sign.');
      if (value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value)) {
        return fail('value_error', 'value is not a valid email address: The email address is not valid.');
      }
      return { ok: true, value };
    }
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) return fail('enum', `Input should be ${quoteList(spec.values)}`);
      return { ok: true, value };
    case 'boolean':
      if (typeof value !== 'boolean') return fail('bool_type', 'Input should be a valid boolean');
      return { ok: true, value };
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return spec.type === 'integer' ? fail('int_type', 'Input should be a valid integer') : fail('float_type', 'Input should be a valid number');
      }
      if (spec.type === 'integer' && !Number.isInteger(value)) {
        return fail('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      if (spec.minimum !== undefined && value < spec.minimum) return fail('greater_than_equal', `Input should be greater than or equal to ${spec.minimum}`);
      if (spec.maximum !== undefined && value > spec.maximum) return fail('less_than_equal', `Input should be less than or equal to ${spec.maximum}`);
      return { ok: true, value };
    }
    case 'datetime': {
      if (typeof value !== 'string') return fail('datetime_type', 'Input should be a valid datetime');
      const ms = ISO_DATETIME.test(value) ? Date.parse(value.replace(' ', 'T')) : NaN;
      if (Number.isNaN(ms)) return fail('datetime_from_date_parsing', 'Input should be a valid datetime or date, invalid character in year');
      return { ok: true, value: isoZ(ms) };
    }
    case 'url': {
      if (typeof value !== 'string') return fail('url_type', 'URL input should be a string or URL');
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        return fail('url_parsing', 'Input should be a valid URL, relative URL without a base');
      }
      return { ok: true, value };
    }
    case 'zip':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { ok: true, value: String(value) };
      if (typeof value !== 'string') return fail('string_type', 'Input should be a valid string');
      if (value.length > 16) return fail('string_too_long', 'String should have at most 16 characters');
      return { ok: true, value };
  }
}

/**
 * Validates a JSON body against a schema: required keys must be present, present keys must be valid.
 * The result holds only the keys that came (aliases folded into their main name), normalised.
 */
export function validateBody(schema: BodySchema, body: unknown): Validated {
  if (body === undefined) return { ok: false, items: [missing(['body', 'payload'])] };
  // The kit has already refused bodies that are not JSON objects.
  const record = asRecord(body);
  const items: WireValidationItem[] = [];
  const value: Record<string, unknown> = {};
  const incoming: Record<string, { key: string; raw: unknown }> = {};
  for (const [alias, main] of Object.entries(schema.aliases ?? {})) {
    if (record[alias] !== undefined && record[main] === undefined) incoming[main] = { key: alias, raw: record[alias] };
  }
  for (const name of Object.keys(schema.fields)) {
    if (record[name] !== undefined) incoming[name] = { key: name, raw: record[name] };
  }
  for (const name of schema.required ?? []) {
    if (!incoming[name]) items.push(missing(['body', 'payload', name]));
  }
  for (const [name, spec] of Object.entries(schema.fields)) {
    const got = incoming[name];
    if (!got) continue;
    const checked = checkField(spec, got.raw, ['body', 'payload', got.key]);
    if (checked.ok) value[name] = checked.value;
    else items.push(checked.item);
  }
  return items.length ? { ok: false, items } : { ok: true, value };
}
