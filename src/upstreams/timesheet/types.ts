/**
 * The gateway's domain types for the timesheet upstream (a team member with role and state, their
 * entries, expenses and participating projects). Public: the graph's resolvers and loaders use these.
 * camelCase, string ids (the API's integer ids as decimal strings), `Date` timestamps, `YYYY-MM-DD`
 * strings for days, UPPER_SNAKE unions that map 1:1 onto the GraphQL enums, and decimal amounts as
 * strings (`"12.50"`) so no float rounding happens on the way to the client.
 */

export type TimesheetRole = 'ADMIN' | 'MEMBER' | 'FREELANCER';
export type TimesheetUserState = 'DISABLED' | 'PENDING' | 'ACTIVE' | 'SUSPENDED';
export type TimesheetInvoiceState = 'UNPAID' | 'AWAITING_PAYMENT' | 'PAID';
/** How `tagIds` combine: `AND` every tag (the API's default), `COMBINATION_OF` any of them. */
export type TimesheetTagFilterType = 'AND' | 'COMBINATION_OF';

/** A user as embedded in entries, expenses and project participants. */
export interface TimesheetSimpleUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  profileImageUrl: string | null;
}

export interface TimesheetUser extends TimesheetSimpleUser {
  state: TimesheetUserState;
  role: TimesheetRole;
  participatingProjectCount: number;
  /** Freelancers: projects granted to them; everyone else: every project of the account. */
  accessibleProjectCount: number;
  entryCount: number;
  expenseCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface TimesheetSimpleProject {
  id: string;
  name: string;
  /** Minutes that logged time is rounded up to. */
  billingIncrement: number;
  /** False for archived projects. */
  enabled: boolean;
  billable: boolean;
  /** `#rrggbb`. */
  color: string;
}

export interface TimesheetProjectGroup {
  id: string;
  name: string;
}

export interface TimesheetTag {
  id: string;
  name: string;
  billable: boolean;
}

export interface TimesheetInvoice {
  id: string;
  number: string;
  state: TimesheetInvoiceState;
  /** Decimal string, e.g. `"189.50"`. */
  total: string;
}

export interface TimesheetEntry {
  id: string;
  /** `YYYY-MM-DD`. */
  date: string;
  user: TimesheetSimpleUser;
  billable: boolean;
  minutes: number;
  description: string | null;
  project: TimesheetSimpleProject | null;
  tags: TimesheetTag[];
  sourceUrl: string | null;
  invoicedAt: Date | null;
  invoice: TimesheetInvoice | null;
  importId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TimesheetExpense {
  id: string;
  /** Decimal string; negative for refunds. */
  price: string;
  description: string | null;
  taxable: boolean;
  /** `YYYY-MM-DD`. */
  date: string;
  project: TimesheetSimpleProject | null;
  invoice: TimesheetInvoice | null;
  user: TimesheetSimpleUser;
  createdAt: Date;
  updatedAt: Date;
}

export interface TimesheetProject extends TimesheetSimpleProject {
  group: TimesheetProjectGroup | null;
  minutes: number;
  billableMinutes: number;
  unbillableMinutes: number;
  invoicedMinutes: number;
  /** Budget left, or `null` without a budget. */
  remainingMinutes: number | null;
  budgetMinutes: number | null;
  importId: string | null;
  invoices: TimesheetInvoice[];
  participants: TimesheetSimpleUser[];
  entryCount: number;
  expenseCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Page-number pagination: 1-based `page`, `perPage` from 1 to 1000 (the API's default is 30). */
export interface TimesheetPageOptions {
  page?: number;
  perPage?: number;
}

/** One page of a list: `nextPage` is null on the last page; `lastPage` is null when the API did not say. */
export interface TimesheetPage<T> {
  items: T[];
  nextPage: number | null;
  lastPage: number | null;
}

export interface TimesheetUserPage {
  users: TimesheetUser[];
  nextPage: number | null;
  lastPage: number | null;
}

/** `GET /users/` filters. `name` and `email` are case-insensitive substring filters upstream. */
export interface TimesheetUserFilter {
  name?: string;
  email?: string;
  role?: TimesheetRole;
  state?: TimesheetUserState;
}

/** Filters of a user's entries; days are `YYYY-MM-DD` and inclusive. */
export interface TimesheetEntryFilter {
  from?: string;
  to?: string;
  description?: string;
  projectIds?: readonly string[];
  tagIds?: readonly string[];
  tagFilterType?: TimesheetTagFilterType;
  invoiceIds?: readonly string[];
  importIds?: readonly string[];
  userIds?: readonly string[];
  invoicedAtFrom?: string;
  invoicedAtTo?: string;
  billable?: boolean;
}

/** Filters of a user's expenses; days are `YYYY-MM-DD` and inclusive. */
export interface TimesheetExpenseFilter {
  from?: string;
  to?: string;
  description?: string;
  projectIds?: readonly string[];
  invoiceIds?: readonly string[];
  userIds?: readonly string[];
  taxable?: boolean;
  invoiced?: boolean;
}

/** Filters of a user's participating projects. */
export interface TimesheetProjectFilter {
  name?: string;
  projectGroupIds?: readonly string[];
  /** One of 1, 5, 6, 10, 15, 20, 30, 60. */
  billingIncrement?: number;
  enabled?: boolean;
  billable?: boolean;
}

/** `POST /users/`: the new user is invited (`PENDING`); `role` defaults to `MEMBER` upstream. */
export interface CreateTimesheetUserInput {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  role?: TimesheetRole;
}

/** `PATCH /users/:id`: omitted (`undefined`) keys are not sent; `null` names are cleared. */
export interface UpdateTimesheetUserInput {
  email?: string;
  firstName?: string | null;
  lastName?: string | null;
  role?: TimesheetRole;
}
