/**
 * Timesheet-served fields: role and state (from the team member), and entries, expenses and
 * participating projects as Relay connections over the time tracker's page-number pagination
 * (upstream-contracts.md 5.2: `page`, `per_page`, a `Link` header with `next` and `last`). A cursor is an
 * item's absolute index in the list, so pages of any size and either direction meet exactly; every page
 * is read with `per_page` = the page size asked for. Upstream calls (the cost table in
 * src/server/cost.ts counts on these):
 * - `first` (with `after` and/or `before`): one call when the window starts on a page boundary, two when
 *   it does not;
 * - `last` with `before`: likewise one or two (the window ends at `before`);
 * - `last` without `before`: the end of the list must be found first, which the API tells only by its
 *   `last` link: the page holding `after` (page 1 without it), then the last page, then the page before
 *   it when the last is too short to fill the window; at most three calls, one when the list fits one page.
 */
import { ErrorCode, GatewayError } from '../../errors';
import type { EntryResolvers, ExpenseResolvers, ProjectResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import type { TimesheetSimpleProject } from '../../upstreams/timesheet/types';
import { malformedAnswer } from '../../upstreams/shape';
import { MAX_PAGE_NUMBER } from '../../upstreams/timesheet/connector';
import { accountOf, fromAccount, upstreamField } from '../access';
import type { GraphContext } from '../context';
import type { UserFieldResolvers } from './askPolicy';
import { toGlobalId } from '../ids';
import type { Page, PageKey, TimesheetList, TimesheetPageItems } from '../loaders';
import type { EntryModel, ExpenseModel, ProjectModel } from '../models';
import { cursorScope, offsetCursor, offsetOf, pageSizeOf, TIMESHEET_DEFAULT_PAGE, type ConnectionArgs } from '../paging';

interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

function checkRange(from: string | null | undefined, to: string | null | undefined): void {
  if (from && to && from > to) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `from (${from}) must not be after to (${to})`, { fieldErrors: [{ path: ['from'], message: 'must not be after to' }] });
  }
}

/**
 * A cursor is any index the cursor format can hold, but the time tracker serves pages up to
 * MAX_PAGE_NUMBER only: a window past the page of that number (at this page size) is refused at the
 * cursor that puts it there, before any call, instead of failing at a `page` the caller never named.
 */
function checkReachable(direction: 'forward' | 'backward', size: number, low: number, high: number | undefined): void {
  if (high !== undefined && high <= low) return; // an empty window costs no call
  // The last index a read of the window asks a page for (`last` without `before` starts counting at `low`).
  const lastIndex = direction === 'forward' ? (high === undefined ? low + size : Math.min(low + size, high)) - 1 : high === undefined ? low : high - 1;
  if (Math.floor(lastIndex / size) + 1 <= MAX_PAGE_NUMBER) return;
  // The window's far end is `before` when it bounds the window, else `after` (the only other cursor).
  const argument = high !== undefined && (direction === 'backward' || high < low + size) ? 'before' : 'after';
  throw new GatewayError(
    ErrorCode.BAD_USER_INPUT,
    `${argument} points past the last page the time tracker serves (page ${MAX_PAGE_NUMBER} of ${size} items): it is not a cursor this API returned for this list`,
    { fieldErrors: [{ path: [argument], message: 'past the end of any list at this page size' }] },
  );
}

type LoadPage<T> = (page: number) => Promise<Page<T>>;

/**
 * The items at indices [from, to) of a list read in pages of `perPage`, and whether an item lies at `to`
 * (known from the last page read: it holds that index, or a `next` link follows it). Reads page after
 * page and stops where the list ends.
 */
async function readRange<T>(load: LoadPage<T>, perPage: number, from: number, to: number): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  if (to <= from) return { items, more: false };
  const lastNeeded = Math.floor((to - 1) / perPage) + 1;
  for (let page = Math.floor(from / perPage) + 1; ; page++) {
    const result = await load(page);
    const base = (page - 1) * perPage;
    result.items.forEach((item, i) => {
      if (base + i >= from && base + i < to) items.push(item);
    });
    if (page === lastNeeded) return { items, more: to - base < result.items.length || result.nextPage !== null };
    if (result.nextPage === null) return { items, more: false };
  }
}

/**
 * How many items the list holds, starting from the page that holds index `from`: when a `next` link
 * follows, the `last` link says where to jump; without one (the API documents it, but did not send it)
 * the pages are walked one by one, within the operation's call budget.
 */
async function countItems<T>(load: LoadPage<T>, perPage: number, from: number): Promise<number> {
  let page = Math.floor(from / perPage) + 1;
  let result = await load(page);
  while (result.nextPage !== null) {
    const next = result.lastPage !== null && result.lastPage > page ? result.lastPage : result.nextPage;
    if (next <= page) throw malformedAnswer('timesheet', 'Link header', `a next page after page ${page}`, `page ${next}`);
    page = next;
    result = await load(page);
  }
  return (page - 1) * perPage + result.items.length;
}

async function connection<L extends TimesheetList, M>(
  ctx: GraphContext,
  person: Person,
  kind: L,
  args: ConnectionArgs & { from?: string | null; to?: string | null; billable?: boolean | null },
  toModel: (item: TimesheetPageItems[L]) => M,
): Promise<Connection<M> | null> {
  const { direction, size } = pageSizeOf(args, TIMESHEET_DEFAULT_PAGE);
  // The window of indices the cursors leave: [low, high), high open-ended without `before`.
  // A cursor names a position in this list only: this person's, of this kind, under these filters.
  const scope = cursorScope(kind, person.id, args.from ?? null, args.to ?? null, args.billable ?? null);
  const low = args.after != null ? offsetOf(args.after, 'after', scope) + 1 : 0;
  const high = args.before != null ? offsetOf(args.before, 'before', scope) : undefined;
  checkReachable(direction, size, low, high);
  checkRange(args.from, args.to);
  return upstreamField(ctx, async () => {
    const accountId = await accountOf(ctx, person, 'timesheet');
    if (accountId === null) return null;
    const pages = ctx.loaders.timesheetPages[kind];
    const load: LoadPage<TimesheetPageItems[L]> = (page) =>
      pages.load({ accountId, page, perPage: size, from: args.from, to: args.to, billable: args.billable } satisfies PageKey);

    let start: number;
    let read: { items: TimesheetPageItems[L][]; more: boolean };
    let hasNextPage: boolean;
    let hasPreviousPage: boolean;
    if (direction === 'forward') {
      start = low;
      const end = high === undefined ? low + size : Math.min(low + size, high);
      read = await readRange(load, size, start, end);
      hasNextPage = read.more && (high === undefined || end < high);
      hasPreviousPage = low > 0;
    } else {
      const end = high ?? Math.max(low, await countItems(load, size, low));
      start = Math.max(low, end - size);
      read = await readRange(load, size, start, end);
      hasNextPage = high !== undefined;
      hasPreviousPage = start > low;
    }
    const nodes = read.items.map(toModel);
    const edges = nodes.map((node, i) => ({ cursor: offsetCursor(start + i, scope), node }));
    return {
      edges,
      nodes,
      pageInfo: {
        hasNextPage,
        hasPreviousPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  });
}

export const UserTimesheetFields: Pick<UserFieldResolvers, 'role' | 'state' | 'entries' | 'expenses' | 'participatingProjects'> = {
  async role(person, _args, ctx) {
    const user = await fromAccount(ctx, person, 'timesheet', (id) => ctx.loaders.timesheetUser.load(id));
    return user ? user.role : null;
  },
  async state(person, _args, ctx) {
    const user = await fromAccount(ctx, person, 'timesheet', (id) => ctx.loaders.timesheetUser.load(id));
    return user ? user.state : null;
  },
  entries: (person, args, ctx) => connection(ctx, person, 'entries', args, (e) => ({ ...e, personId: person.id })),
  expenses: (person, args, ctx) => connection(ctx, person, 'expenses', args, (e) => ({ ...e, personId: person.id })),
  participatingProjects: (person, args, ctx) =>
    connection(ctx, person, 'projects', args, (p) => ({ ...p, personId: person.id })),
};

const projectOf = (personId: string, p: TimesheetSimpleProject | null): ProjectModel | null => (p ? { ...p, personId } : null);

export const Entry: EntryResolvers<GraphContext, EntryModel> = {
  id: (e) => toGlobalId('Entry', e.personId, e.id),
  entryId: (e) => e.id,
  date: (e) => e.date,
  minutes: (e) => e.minutes,
  billable: (e) => e.billable,
  description: (e) => e.description,
  project: (e) => projectOf(e.personId, e.project),
  tags: (e) => e.tags.map((t) => t.name),
  invoicedAt: (e) => e.invoicedAt,
};

export const Expense: ExpenseResolvers<GraphContext, ExpenseModel> = {
  id: (e) => toGlobalId('Expense', e.personId, e.id),
  expenseId: (e) => e.id,
  date: (e) => e.date,
  price: (e) => e.price,
  description: (e) => e.description,
  taxable: (e) => e.taxable,
  project: (e) => projectOf(e.personId, e.project),
};

export const Project: ProjectResolvers<GraphContext, ProjectModel> = {
  id: (p) => toGlobalId('Project', p.personId, p.id),
  projectId: (p) => p.id,
  name: (p) => p.name,
  billable: (p) => p.billable,
  enabled: (p) => p.enabled,
  color: (p) => p.color,
};
