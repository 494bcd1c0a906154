/**
 * Reading the timesheet API's query parameters: the list filters of users, entries, expenses and
 * projects (seed document 004 and the Entry / Expense / Project list actions it refers to). A value of
 * the wrong type or range throws `WrongFormat`, which the routes answer with the documented 400 "Fields
 * were not in the correct format". An empty value counts as absent, as it does for the real API's
 * presence checks.
 */
import {
  WIRE_BILLING_INCREMENTS,
  WIRE_ROLES,
  WIRE_TAG_FILTER_TYPES,
  WIRE_USER_STATES,
  type WireRole,
  type WireTagFilterType,
  type WireUserState,
} from '../../contracts/timesheet';
import type { StoredEntry, StoredExpense, StoredProject, StoredUser } from './data';

export class WrongFormat extends Error {
  constructor(parameter: string, expected: string, got: string) {
    super(`${parameter} must be ${expected}, but got: ${JSON.stringify(got)}`);
    this.name = 'WrongFormat';
  }
}

function text(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return values.some((v) => v === value);
}

export function readEnum<T extends string>(query: URLSearchParams, name: string, values: readonly T[]): T | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  if (!isOneOf(values, value)) throw new WrongFormat(name, `one of ${values.join(', ')}`, value);
  return value;
}

function readBoolean(query: URLSearchParams, name: string): boolean | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new WrongFormat(name, 'true or false', value);
  return value === 'true';
}

/** A real calendar day as `YYYY-MM-DD` (2023-02-30 is refused). */
export function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function readDay(query: URLSearchParams, name: string): string | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  if (!isDay(value)) throw new WrongFormat(name, 'a date as YYYY-MM-DD', value);
  return value;
}

/** A comma-separated list of ids: `1,2,3`. */
function readIds(query: URLSearchParams, name: string): Set<number> | undefined {
  const value = text(query, name);
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^[1-9]\d{0,14}$/.test(p))) throw new WrongFormat(name, 'a comma-separated list of ids', value);
  return new Set(parts.map(Number));
}

function contains(haystack: string | null, needle: string | undefined): boolean {
  return needle === undefined || (haystack ?? '').toLowerCase().includes(needle.toLowerCase());
}

export interface UserFilter {
  name?: string;
  email?: string;
  role?: WireRole;
  state?: WireUserState;
}

export function readUserFilter(query: URLSearchParams): UserFilter {
  return {
    name: text(query, 'name'),
    email: text(query, 'email'),
    role: readEnum(query, 'role', WIRE_ROLES),
    state: readEnum(query, 'state', WIRE_USER_STATES),
  };
}

/** `name` and `email` are case-insensitive substring filters ("with this string in their …"). */
export function userMatches(f: UserFilter, u: StoredUser): boolean {
  const fullName = [u.firstName, u.lastName].filter(Boolean).join(' ');
  return contains(fullName, f.name) && contains(u.email, f.email) && (f.role === undefined || u.role === f.role) && (f.state === undefined || u.state === f.state);
}

export interface EntryFilter {
  userIds?: Set<number>;
  description?: string;
  projectIds?: Set<number>;
  tagIds?: Set<number>;
  tagFilterType: WireTagFilterType;
  invoiceIds?: Set<number>;
  importIds?: Set<number>;
  from?: string;
  to?: string;
  invoicedAtFrom?: string;
  invoicedAtTo?: string;
  billable?: boolean;
}

export function readEntryFilter(query: URLSearchParams): EntryFilter {
  return {
    userIds: readIds(query, 'user_ids'),
    description: text(query, 'description'),
    projectIds: readIds(query, 'project_ids'),
    tagIds: readIds(query, 'tag_ids'),
    tagFilterType: readEnum(query, 'tag_filter_type', WIRE_TAG_FILTER_TYPES) ?? 'and',
    invoiceIds: readIds(query, 'invoice_ids'),
    importIds: readIds(query, 'import_ids'),
    from: readDay(query, 'from'),
    to: readDay(query, 'to'),
    invoicedAtFrom: readDay(query, 'invoiced_at_from'),
    invoicedAtTo: readDay(query, 'invoiced_at_to'),
    billable: readBoolean(query, 'billable'),
  };
}

function inIds(ids: Set<number> | undefined, id: number | null): boolean {
  return ids === undefined || (id !== null && ids.has(id));
}

function inRange(day: string | null, from: string | undefined, to: string | undefined): boolean {
  if (from === undefined && to === undefined) return true;
  if (day === null) return false;
  return (from === undefined || day >= from) && (to === undefined || day <= to);
}

export function entryMatches(f: EntryFilter, e: StoredEntry): boolean {
  if (f.tagIds) {
    const has = (id: number): boolean => e.tagIds.includes(id);
    // `and`: every listed tag; `combination of`: any of them.
    const tagged = f.tagFilterType === 'and' ? [...f.tagIds].every(has) : [...f.tagIds].some(has);
    if (!tagged) return false;
  }
  return (
    inIds(f.userIds, e.userId) &&
    contains(e.description, f.description) &&
    inIds(f.projectIds, e.projectId) &&
    inIds(f.invoiceIds, e.invoiceId) &&
    inIds(f.importIds, e.importId) &&
    inRange(e.date, f.from, f.to) &&
    inRange(e.invoicedAt?.slice(0, 10) ?? null, f.invoicedAtFrom, f.invoicedAtTo) &&
    (f.billable === undefined || e.billable === f.billable)
  );
}

export interface ExpenseFilter {
  userIds?: Set<number>;
  description?: string;
  projectIds?: Set<number>;
  invoiceIds?: Set<number>;
  from?: string;
  to?: string;
  taxable?: boolean;
  invoiced?: boolean;
}

export function readExpenseFilter(query: URLSearchParams): ExpenseFilter {
  return {
    userIds: readIds(query, 'user_ids'),
    description: text(query, 'description'),
    projectIds: readIds(query, 'project_ids'),
    invoiceIds: readIds(query, 'invoice_ids'),
    from: readDay(query, 'from'),
    to: readDay(query, 'to'),
    taxable: readBoolean(query, 'taxable'),
    invoiced: readBoolean(query, 'invoiced'),
  };
}

export function expenseMatches(f: ExpenseFilter, x: StoredExpense): boolean {
  return (
    inIds(f.userIds, x.userId) &&
    contains(x.description, f.description) &&
    inIds(f.projectIds, x.projectId) &&
    inIds(f.invoiceIds, x.invoiceId) &&
    inRange(x.date, f.from, f.to) &&
    (f.taxable === undefined || x.taxable === f.taxable) &&
    (f.invoiced === undefined || (x.invoiceId !== null) === f.invoiced)
  );
}

export interface ProjectFilter {
  name?: string;
  projectGroupIds?: Set<number>;
  billingIncrement?: number;
  enabled?: boolean;
  billable?: boolean;
}

export function readProjectFilter(query: URLSearchParams): ProjectFilter {
  const increment = text(query, 'billing_increment');
  if (increment !== undefined && !WIRE_BILLING_INCREMENTS.some((n) => String(n) === increment)) {
    throw new WrongFormat('billing_increment', `one of ${WIRE_BILLING_INCREMENTS.join(', ')}`, increment);
  }
  return {
    name: text(query, 'name'),
    projectGroupIds: readIds(query, 'project_group_ids'),
    billingIncrement: increment === undefined ? undefined : Number(increment),
    enabled: readBoolean(query, 'enabled'),
    billable: readBoolean(query, 'billable'),
  };
}

export function projectMatches(f: ProjectFilter, p: StoredProject): boolean {
  return (
    contains(p.name, f.name) &&
    inIds(f.projectGroupIds, p.group?.id ?? null) &&
    (f.billingIncrement === undefined || p.billingIncrement === f.billingIncrement) &&
    (f.enabled === undefined || p.enabled === f.enabled) &&
    (f.billable === undefined || p.billable === f.billable)
  );
}
