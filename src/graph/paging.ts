/**
 * Relay connection arguments, read the same way by every connection (`users`, `entries`, `expenses`,
 * `participatingProjects`): `first` (with `after`) pages forward, `last` (with `before`) pages backward,
 * never both sizes at once; with neither, `first` is the connection's default. `after` and `before` may
 * be given together (the Relay spec's `ApplyCursorsToEdges`): they bound the list either way. Each
 * connection reads its own cursors.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, GatewayError } from '../errors';
import { MAX_PAGE_SIZE } from '../registry/validate';

export { MAX_PAGE_SIZE };

/** Page size of `users` when neither `first` nor `last` is given. */
export const USERS_DEFAULT_PAGE = 20;
/** Page size of the timesheet connections when neither `first` nor `last` is given. */
export const TIMESHEET_DEFAULT_PAGE = 30;

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageSize {
  direction: 'forward' | 'backward';
  size: number;
}

const given = (value: number | null | undefined): value is number => value !== null && value !== undefined;

function checked(argument: 'first' | 'last', value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} must be from 1 to ${MAX_PAGE_SIZE}, but got: ${value}`, {
      fieldErrors: [{ path: [argument], message: `must be from 1 to ${MAX_PAGE_SIZE}` }],
    });
  }
  return value;
}

/** Which way and how many; BAD_USER_INPUT for both sizes at once and for a size outside 1..100. */
export function pageSizeOf(args: ConnectionArgs, defaultSize: number): PageSize {
  if (given(args.first) && given(args.last)) {
    throw new GatewayError(
      ErrorCode.BAD_USER_INPUT,
      'first and last cannot be used together: pass first (with after) to page forward, or last (with before) to page backward',
      { fieldErrors: [{ path: ['last'], message: 'not together with first' }] },
    );
  }
  if (given(args.last)) return { direction: 'backward', size: checked('last', args.last) };
  return { direction: 'forward', size: checked('first', given(args.first) ? args.first : defaultSize) };
}

/** The message every connection refuses a cursor with, naming the argument. */
export function badCursor(argument: 'after' | 'before', cursor: string): GatewayError {
  const shown = cursor.length > 60 ? `${cursor.slice(0, 60)}…` : cursor;
  return new GatewayError(
    ErrorCode.BAD_USER_INPUT,
    `${argument} is not a cursor this API returned for this list (an edge's cursor, startCursor or endCursor), but got: ${JSON.stringify(shown)}`,
    { fieldErrors: [{ path: [argument], message: 'not a valid cursor' }] },
  );
}

/**
 * The scope an offset cursor belongs to: a short digest of what identifies the list (which list, whose,
 * under which filters), so a cursor of one list is refused by another instead of silently meaning a
 * position there.
 */
export function cursorScope(...parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 10);
}

/** Opaque cursors for offset-based pages: the item's index in the list, and the list's scope. */
export function offsetCursor(offset: number, scope: string): string {
  return Buffer.from(`offset:${scope}:${offset}`, 'utf8').toString('base64url');
}

/** The index an offset cursor of this list stands for; BAD_USER_INPUT naming the argument when it is not one. */
export function offsetOf(cursor: string, argument: 'after' | 'before', scope: string): number {
  const text = /^[A-Za-z0-9_-]{1,60}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^offset:([A-Za-z0-9_-]{10}):(\d{1,9})$/.exec(text);
  if (!match || match[1] !== scope) throw badCursor(argument, cursor);
  return Number(match[2]);
}
