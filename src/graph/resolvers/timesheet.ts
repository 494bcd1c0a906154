/**
 * Timesheet-served fields: role and state (from the team member), and entries, expenses and
 * participating projects as Relay connections over the time tracker's page-number pagination. A cursor
 * is an item's absolute offset; a page is fetched with `per_page` = `first`, so an aligned page costs one
 * upstream call and an unaligned one two.
 */
import { ErrorCode, GatewayError } from '../../errors';
import type { EntryResolvers, ExpenseResolvers, ProjectResolvers } from '../../generated/graphql';
import type { Person } from '../../registry/types';
import type { TimesheetSimpleProject } from '../../upstreams/timesheet/types';
import { accountOf, fromAccount, upstreamField } from '../access';
import type { GraphContext } from '../context';
import type { UserFieldResolvers } from './askPolicy';
import { offsetCursor, startAfterCursor, toGlobalId } from '../ids';
import type { PageKey, TimesheetList, TimesheetPageItems } from '../loaders';
import type { EntryModel, ExpenseModel, ProjectModel } from '../models';

interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

function checkFirst(first: number | null | undefined): number {
  const n = first ?? 30;
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `first must be from 1 to 100, but got: ${n}`, { fieldErrors: [{ path: ['first'], message: 'must be from 1 to 100' }] });
  }
  return n;
}

function checkRange(from: string | null | undefined, to: string | null | undefined): void {
  if (from && to && from > to) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `from (${from}) must not be after to (${to})`, { fieldErrors: [{ path: ['from'], message: 'must not be after to' }] });
  }
}

async function connection<L extends TimesheetList, M>(
  ctx: GraphContext,
  person: Person,
  kind: L,
  args: { first?: number | null; after?: string | null; from?: string | null; to?: string | null; billable?: boolean | null },
  toModel: (item: TimesheetPageItems[L]) => M,
): Promise<Connection<M> | null> {
  const first = checkFirst(args.first);
  const offset = startAfterCursor(args.after);
  checkRange(args.from, args.to);
  return upstreamField(ctx, async () => {
    const accountId = await accountOf(ctx, person, 'timesheet');
    if (accountId === null) return null;
    const key = (page: number): PageKey => ({ accountId, page, perPage: first, from: args.from, to: args.to, billable: args.billable });
    const firstPage = Math.floor(offset / first) + 1;
    const skip = offset % first;
    const pages = ctx.loaders.timesheetPages[kind];
    const pageA = await pages.load(key(firstPage));
    let items = pageA.items.slice(skip);
    let nextPage = pageA.nextPage;
    if (skip > 0 && nextPage !== null) {
      const pageB = await pages.load(key(nextPage));
      items = items.concat(pageB.items.slice(0, skip));
      nextPage = pageB.nextPage;
    }
    const nodes = items.slice(0, first).map(toModel);
    const edges = nodes.map((node, i) => ({ cursor: offsetCursor(offset + i), node }));
    return {
      edges,
      nodes,
      pageInfo: {
        hasNextPage: items.length > first || nextPage !== null,
        hasPreviousPage: offset > 0,
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
