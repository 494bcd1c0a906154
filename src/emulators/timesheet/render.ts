/**
 * Stored records → the timesheet wire objects (wire.ts), with hypermedia URLs under the emulator's own
 * base URL so that following them stays on the emulator.
 */
import type {
  WireEntry,
  WireExpense,
  WireProject,
  WireSimpleInvoice,
  WireSimpleProject,
  WireSimpleUser,
  WireUser,
} from '../../contracts/timesheet';
import type { StoredEntry, StoredExpense, StoredInvoice, StoredProject, StoredUser, TimesheetData } from './data';

export function renderSimpleUser(user: StoredUser, base: string): WireSimpleUser {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    profile_image_url: user.profileImageUrl,
    url: `${base}/users/${user.id}`,
  };
}

/** How many projects a user can see: freelancers only those granted, everyone else all of them. */
export function accessibleProjectCount(data: TimesheetData, user: StoredUser): number {
  return user.role === 'freelancer' ? user.accessibleProjectIds.size : data.projects.size;
}

export function renderUser(data: TimesheetData, user: StoredUser, base: string): WireUser {
  const url = `${base}/users/${user.id}`;
  return {
    ...renderSimpleUser(user, base),
    state: user.state,
    role: user.role,
    participating_projects: user.participatingProjectIds.size,
    participating_projects_url: `${url}/participating_projects`,
    accessible_projects: accessibleProjectCount(data, user),
    // Documented in the user object although the seed document serves no such list (README.md).
    accessible_projects_url: `${url}/accessible_projects`,
    entries: data.entriesByUser.get(user.id)?.length ?? 0,
    entries_url: `${url}/entries`,
    expenses: data.expensesByUser.get(user.id)?.length ?? 0,
    expenses_url: `${url}/expenses`,
    // The documented keys, pointing at the actions this API version serves for them.
    add_project_access: `${url}/give_access_to_projects`,
    remove_project_access: `${url}/revoke_access_to_projects`,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

export function renderSimpleProject(project: StoredProject, base: string): WireSimpleProject {
  return {
    id: project.id,
    name: project.name,
    billing_increment: project.billingIncrement,
    enabled: project.enabled,
    billable: project.billable,
    color: project.color,
    url: `${base}/projects/${project.id}`,
  };
}

export function renderInvoice(invoice: StoredInvoice, base: string): WireSimpleInvoice {
  return { id: invoice.id, number: invoice.number, state: invoice.state, total: invoice.total, url: `${base}/invoices/${invoice.id}` };
}

function invoiceOf(data: TimesheetData, id: number | null, base: string): WireSimpleInvoice | null {
  const invoice = id === null ? undefined : data.invoices.get(id);
  return invoice ? renderInvoice(invoice, base) : null;
}

function projectOf(data: TimesheetData, id: number | null, base: string): WireSimpleProject | null {
  const project = id === null ? undefined : data.projects.get(id);
  return project ? renderSimpleProject(project, base) : null;
}

export function renderEntry(data: TimesheetData, entry: StoredEntry, owner: StoredUser, base: string): WireEntry {
  return {
    id: entry.id,
    date: entry.date,
    user: renderSimpleUser(owner, base),
    billable: entry.billable,
    minutes: entry.minutes,
    description: entry.description,
    project: projectOf(data, entry.projectId, base),
    tags: entry.tagIds.flatMap((id) => {
      const tag = data.tags.get(id);
      return tag ? [{ id: tag.id, name: tag.name, billable: tag.billable, url: `${base}/tags/${tag.id}` }] : [];
    }),
    source_url: entry.sourceUrl,
    invoiced_at: entry.invoicedAt,
    invoice: invoiceOf(data, entry.invoiceId, base),
    import: entry.importId === null ? null : { id: entry.importId, url: `${base}/imports/${entry.importId}` },
    url: `${base}/entries/${entry.id}`,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
  };
}

export function renderExpense(data: TimesheetData, expense: StoredExpense, owner: StoredUser, base: string): WireExpense {
  return {
    id: expense.id,
    price: expense.price,
    description: expense.description,
    taxable: expense.taxable,
    date: expense.date,
    project: projectOf(data, expense.projectId, base),
    invoice: invoiceOf(data, expense.invoiceId, base),
    user: renderSimpleUser(owner, base),
    // Singular `expense`, exactly as the API documents it.
    url: `${base}/expense/${expense.id}`,
    created_at: expense.createdAt,
    updated_at: expense.updatedAt,
  };
}

interface ProjectTotals {
  minutes: number;
  billableMinutes: number;
  invoicedMinutes: number;
  entries: number;
  expenses: number;
  invoiceIds: Set<number>;
  participants: StoredUser[];
}

/**
 * Per-project totals over everyone's entries and expenses. Computed per request (a few thousand
 * records): the totals then can never go stale after a write.
 */
export function projectTotals(data: TimesheetData, projectIds: ReadonlySet<number>): Map<number, ProjectTotals> {
  const totals = new Map<number, ProjectTotals>();
  for (const id of projectIds) {
    totals.set(id, { minutes: 0, billableMinutes: 0, invoicedMinutes: 0, entries: 0, expenses: 0, invoiceIds: new Set(), participants: [] });
  }
  for (const entries of data.entriesByUser.values()) {
    for (const e of entries) {
      const t = e.projectId === null ? undefined : totals.get(e.projectId);
      if (!t) continue;
      t.entries++;
      t.minutes += e.minutes;
      if (e.billable) t.billableMinutes += e.minutes;
      if (e.invoiceId !== null) {
        t.invoicedMinutes += e.minutes;
        t.invoiceIds.add(e.invoiceId);
      }
    }
  }
  for (const expenses of data.expensesByUser.values()) {
    for (const x of expenses) {
      const t = totals.get(x.projectId);
      if (!t) continue;
      t.expenses++;
      if (x.invoiceId !== null) t.invoiceIds.add(x.invoiceId);
    }
  }
  for (const user of data.users.values()) {
    for (const id of user.participatingProjectIds) totals.get(id)?.participants.push(user);
  }
  return totals;
}

export function renderProject(data: TimesheetData, project: StoredProject, totals: ProjectTotals, base: string): WireProject {
  const url = `${base}/projects/${project.id}`;
  return {
    ...renderSimpleProject(project, base),
    group: project.group ? { ...project.group, url: `${base}/project_groups/${project.group.id}` } : null,
    minutes: totals.minutes,
    billable_minutes: totals.billableMinutes,
    unbillable_minutes: totals.minutes - totals.billableMinutes,
    invoiced_minutes: totals.invoicedMinutes,
    remaining_minutes: project.budgetMinutes === null ? null : project.budgetMinutes - totals.minutes,
    budget_minutes: project.budgetMinutes,
    import: null,
    invoices: [...totals.invoiceIds]
      .sort((a, b) => a - b)
      .flatMap((id) => {
        const invoice = data.invoices.get(id);
        return invoice ? [renderInvoice(invoice, base)] : [];
      }),
    participants: totals.participants.map((u) => renderSimpleUser(u, base)),
    entries: totals.entries,
    entries_url: `${url}/entries`,
    expenses: totals.expenses,
    expenses_url: `${url}/expenses`,
    created_at: project.createdAt,
    updated_at: project.updatedAt,
  };
}
