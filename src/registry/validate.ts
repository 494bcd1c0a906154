/**
 * Input checks shared by both registry backends, so both refuse the same inputs with the same
 * `BAD_USER_INPUT` messages. Internal to `src/registry/`.
 */
import { ErrorCode, GatewayError, UPSTREAM_NAMES, badInput, isUpstreamName, type UpstreamName } from '../errors';
import { isUuid } from '../lib/ids';
import type { PeoplePage, Person } from './types';

/**
 * Deliberately loose (one `@`, a dotted domain, no whitespace): the upstreams validate their own rules;
 * the registry only refuses what cannot be an address at all.
 */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const MAX_EMAIL_LENGTH = 254;
const MAX_ACCOUNT_ID_LENGTH = 200;

export const MAX_PAGE_SIZE = 100;

/** Returns the id in canonical (lower-case) form; BAD_USER_INPUT unless it is a UUID. */
export function personId(value: string, path: string[] = ['id']): string {
  if (typeof value !== 'string' || !isUuid(value)) {
    throw badInput(path, `expected a UUID, but got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

export function personIds(values: readonly string[], path = 'ids'): string[] {
  return values.map((v, i) => personId(v, [path, String(i)]));
}

/** Returns the email unchanged; BAD_USER_INPUT unless it looks like an address. */
export function email(value: string, path: string[] = ['email']): string {
  if (typeof value !== 'string' || value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value)) {
    const shown = typeof value === 'string' && value.length > 60 ? `${value.slice(0, 60)}…` : value;
    throw badInput(path, `expected an email address like name@example.com, but got ${JSON.stringify(shown)}`);
  }
  return value;
}

export function emails(values: readonly string[], path = 'emails'): string[] {
  return values.map((v, i) => email(v, [path, String(i)]));
}

/** The key emails are compared by: lower-cased, exactly as the unique index stores it. */
export function emailKey(value: string): string {
  return value.toLowerCase();
}

export function upstream(value: string, path: string[] = ['upstream']): UpstreamName {
  if (typeof value !== 'string' || !isUpstreamName(value)) {
    throw badInput(path, `expected one of ${UPSTREAM_NAMES.join(', ')}, but got ${JSON.stringify(value)}`);
  }
  return value;
}

export function accountId(value: string, path: string[] = ['accountId']): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ACCOUNT_ID_LENGTH || value.trim() !== value) {
    throw badInput(
      path,
      `expected a non-empty account id of at most ${MAX_ACCOUNT_ID_LENGTH} characters without surrounding spaces, but got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function pageSize(value: number, path: string[] = ['first']): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw badInput(path, `expected an integer from 1 to ${MAX_PAGE_SIZE}, but got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Which page of the list: `size` people from its start (forward) or its end (backward), within the cursors. */
export interface PageWindow {
  direction: 'forward' | 'backward';
  size: number;
  after?: CursorPosition;
  before?: CursorPosition;
}

/** Reads `first`/`last`/`after`/`before`: exactly one of the sizes, each cursor one this API issued. */
export function pageWindow(args: { first?: number; last?: number; after?: string; before?: string }): PageWindow {
  if (args.first !== undefined && args.last !== undefined) {
    throw badInput(['last'], 'expected first or last, not both: first pages forward (with after), last pages backward (with before)');
  }
  if (args.first === undefined && args.last === undefined) throw badInput(['first'], `expected first or last, a page size from 1 to ${MAX_PAGE_SIZE}`);
  const direction = args.last !== undefined ? 'backward' : 'forward';
  const size = direction === 'backward' ? pageSize(args.last!, ['last']) : pageSize(args.first!, ['first']);
  return {
    direction,
    size,
    ...(args.after !== undefined ? { after: decodeCursor(args.after, ['after']) } : {}),
    ...(args.before !== undefined ? { before: decodeCursor(args.before, ['before']) } : {}),
  };
}

/**
 * The page both backends answer, from the rows their query read: `size + 1` at most, in creation order
 * forward and in reverse creation order backward (the extra row says whether more lie that way).
 */
export function pageOf(window: PageWindow, rows: readonly Person[], totalCount: number): PeoplePage {
  const more = rows.length > window.size;
  const kept = rows.slice(0, window.size);
  const people = window.direction === 'backward' ? kept.reverse() : kept;
  const cursor = (p: Person | undefined): string | null => (p ? encodeCursor({ createdAtMs: p.createdAt.getTime(), id: p.id }) : null);
  return {
    people,
    hasNextPage: window.direction === 'forward' ? more : window.before !== undefined,
    hasPreviousPage: window.direction === 'backward' ? more : window.after !== undefined,
    startCursor: cursor(people[0]),
    endCursor: cursor(people.at(-1)),
    totalCount,
  };
}

/** Where a page starts: after the person with this creation time and id. */
export interface CursorPosition {
  createdAtMs: number;
  id: string;
}

/** Opaque to clients: base64url of `<createdAtMs>:<id>`. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAtMs}:${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, path: string[] = ['after']): CursorPosition {
  const shown = typeof cursor === 'string' && cursor.length > 60 ? `${cursor.slice(0, 60)}…` : cursor;
  const refuse = (): GatewayError => badInput(path, `expected a cursor this API returned (an edge's cursor, startCursor or endCursor), but got ${JSON.stringify(shown)}`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(decoded);
  if (!match || !isUuid(match[2])) throw refuse();
  return { createdAtMs: Number(match[1]), id: match[2] };
}

export function notFound(id: string): GatewayError {
  return new GatewayError(ErrorCode.NOT_FOUND, `No person with id ${id} exists in the registry`);
}

export function emailTaken(address: string): GatewayError {
  return new GatewayError(ErrorCode.CONFLICT, `The email ${address} already belongs to another person`, {
    reason: 'EMAIL_TAKEN',
  });
}

export function emailReserved(address: string): GatewayError {
  return new GatewayError(ErrorCode.CONFLICT, `The email ${address} is being taken by another person's email change`, {
    reason: 'EMAIL_RESERVED',
  });
}

/** A reservation's lifetime in ms: a positive whole number, at most a day. */
export function ttlMs(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 86_400_000) throw badInput(['ttlMs'], `expected a whole number of ms from 1 to 86400000, but got ${value}`);
  return value;
}

export function idTaken(id: string): GatewayError {
  return new GatewayError(ErrorCode.CONFLICT, `A person with id ${id} already exists`, { reason: 'ID_TAKEN' });
}

/**
 * Escapes `%`, `_` and the escape character itself for a `LIKE … ESCAPE '\'` pattern. A fragment longer
 * than an email can be is refused before the registry sees it (SQLite refuses long patterns itself, as
 * an internal error).
 */
export function likeContains(fragment: string, path: string[] = ['filter', 'emailContains']): string {
  if (typeof fragment !== 'string' || fragment.length > MAX_EMAIL_LENGTH) {
    throw badInput(path, `expected at most ${MAX_EMAIL_LENGTH} characters (the longest email), but got ${typeof fragment === 'string' ? fragment.length : typeof fragment}`);
  }
  return `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Validates `hasAccountIn` and removes repeats. */
export function upstreamList(values: readonly string[], path = 'hasAccountIn'): UpstreamName[] {
  return [...new Set(values.map((v, i) => upstream(v, [path, String(i)])))];
}
