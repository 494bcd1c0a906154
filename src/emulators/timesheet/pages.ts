/**
 * The timesheet API's pagination (upstream-contracts.md 5.2): `page` (1-based) and `per_page` (default
 * 30, at most 1000), a bare JSON array as the body, and an RFC 8288 `Link` header with `first` and
 * `prev` (after page 1), `next` (before the last page) and `last` (when not on it). Link targets repeat
 * every query parameter of the request with only `page` changed, so filters carry over.
 */
import { linkHeader, type EmulatorResponse, type RequestContext } from '../kit';
import { WrongFormat } from './query';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;

export interface PageRequest {
  page: number;
  perPage: number;
}

function positive(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new WrongFormat(name, `an integer from 1 to ${max}`, value);
  }
  return Number(value);
}

export function readPage(query: URLSearchParams): PageRequest {
  return { page: positive(query, 'page', 1, 1_000_000), perPage: positive(query, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE) };
}

/** The request's own URL with only `page` replaced. */
function pageUrl(ctx: RequestContext<unknown>, page: number): string {
  const path = ctx.route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(ctx.params[name] ?? ''));
  const query = new URLSearchParams(ctx.query);
  query.set('page', String(page));
  return `${ctx.baseUrl}${path}?${query.toString()}`;
}

/** One page of `items` as the API answers it: 200, the bare array, and the `Link` header. */
export function pageOf<T, W>(ctx: RequestContext<unknown>, items: readonly T[], render: (item: T) => W): EmulatorResponse {
  const { page, perPage } = readPage(ctx.query);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const link = linkHeader({
    first: page > 1 ? pageUrl(ctx, 1) : undefined,
    prev: page > 1 ? pageUrl(ctx, Math.min(page - 1, lastPage)) : undefined,
    next: page < lastPage ? pageUrl(ctx, page + 1) : undefined,
    last: page !== lastPage ? pageUrl(ctx, lastPage) : undefined,
  });
  const body = items.slice((page - 1) * perPage, page * perPage).map(render);
  return { status: 200, body, headers: link ? { link } : {} };
}
