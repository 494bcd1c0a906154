/**
 * The timesheet emulator's data: the stored records and the deterministic seed built from the demo
 * population (the rules are documented in README.md beside this file). Records hold wire values
 * (snake_case enums, `YYYY-MM-DD` dates, `YYYY-MM-DDTHH:MM:SSZ` timestamps) so rendering is a copy.
 *
 * Who is seeded in which state and role follows arithmetic on the person's index, so a test or a person
 * exploring the API can find every interesting case without reading data; `rngFor(seed, 'timesheet', i)`
 * decides only the details (how many entries, their dates, minutes, projects, prices).
 */
import { EPOCH_MS, hexFor, membersOf, pick, rngFor, type Population } from '../population';
import type { WireInvoiceState, WireRole, WireUserState } from '../../contracts/timesheet';

export interface StoredUser {
  id: number;
  email: string;
  firstName: string | null;
  lastName: string | null;
  profileImageUrl: string | null;
  state: WireUserState;
  role: WireRole;
  /** Projects the user takes part in; seeded entries and expenses are on these projects. */
  participatingProjectIds: Set<number>;
  /** Projects a freelancer was given access to; members and admins can access every project. */
  accessibleProjectIds: Set<number>;
  createdAt: string;
  updatedAt: string;
}

export interface StoredProject {
  id: number;
  name: string;
  billingIncrement: number;
  enabled: boolean;
  billable: boolean;
  color: string;
  group: { id: number; name: string } | null;
  budgetMinutes: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredTag {
  id: number;
  name: string;
  billable: boolean;
}

export interface StoredInvoice {
  id: number;
  number: string;
  state: WireInvoiceState;
  total: number;
}

export interface StoredEntry {
  id: number;
  userId: number;
  date: string;
  billable: boolean;
  minutes: number;
  description: string | null;
  projectId: number | null;
  tagIds: number[];
  sourceUrl: string | null;
  invoicedAt: string | null;
  invoiceId: number | null;
  importId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredExpense {
  id: number;
  userId: number;
  price: number;
  description: string | null;
  taxable: boolean;
  date: string;
  projectId: number;
  invoiceId: number | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Contract: the routes write only `users`, the user records, the keys of `entriesByUser` /
 * `expensesByUser` and `nextUserId`. Projects, tags, invoices, entries and expenses are read-only once
 * seeded (the seed document has no endpoint that edits them), which is what lets `copyTimesheetData`
 * share them.
 */
export interface TimesheetData {
  /** By id, in ascending id order (new users get higher ids, so insertion order is id order). */
  users: Map<number, StoredUser>;
  projects: ReadonlyMap<number, Readonly<StoredProject>>;
  tags: ReadonlyMap<number, Readonly<StoredTag>>;
  invoices: ReadonlyMap<number, Readonly<StoredInvoice>>;
  /** A user's entries, newest date first (ties: higher id first), as the list endpoint returns them. */
  entriesByUser: Map<number, readonly Readonly<StoredEntry>[]>;
  /** A user's expenses, newest date first (ties: higher id first). */
  expensesByUser: Map<number, readonly Readonly<StoredExpense>[]>;
  /** The id `POST /users/` gives next: above every seeded id, never reused. */
  nextUserId: number;
}

/** Seeded user id of the person with index i. */
export const USER_ID_BASE = 5000;
export const PROJECT_ID_BASE = 37000;
export const PROJECT_GROUP_ID_BASE = 3700;
export const TAG_ID_BASE = 249000;
export const INVOICE_ID_BASE = 12345000;
export const ENTRY_ID_BASE = 1700000;
export const EXPENSE_ID_BASE = 220000;
export const IMPORT_ID = 8910;
export const PROJECT_COUNT = 120;

/** The seeded state of the person with index i (README.md "Who is who"). */
export function seededState(i: number): WireUserState {
  if (i % 20 === 7) return 'pending';
  if (i % 20 === 13) return 'disabled';
  if (i % 40 === 18) return 'suspended';
  return 'active';
}

/** Active people with i % 20 === 3 have no entries and no expenses: deactivate refuses them. */
export function seededWithoutWork(i: number): boolean {
  return i % 20 === 3;
}

/** The seeded role of the person with index i. */
export function seededRole(i: number): WireRole {
  if (i % 10 === 0) return 'admin';
  if (i % 6 === 5) return 'freelancer';
  return 'member';
}

const CLIENTS = [
  'Gear GmbH', 'Sprockets Inc', 'Northwind', 'Acme', 'Globex', 'Initech',
  'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Tyrell', 'Cyberdyne',
];
const KINDS = ['Website', 'Mobile app', 'Support', 'Audit', 'Migration', 'Onboarding', 'Research', 'Billing', 'Infrastructure', 'Training'];
const TAGS: readonly [string, boolean][] = [
  ['meeting', true], ['design', true], ['bugfix', true], ['review', true], ['planning', true], ['support', true],
  ['research', true], ['writing', true], ['travel', false], ['ops', true], ['training', false], ['internal', false],
];
const TASKS = [
  'Call with the client', 'Fixed the login flow', 'Wrote the release notes', 'Reviewed pull requests',
  'Sprint planning', 'Answered support tickets', 'Database migration', 'Drafted the proposal',
  'Updated the style guide', 'Investigated slow reports', 'Pair programming', 'Prepared the demo',
];
const EXPENSES = ['Train ticket', 'Software licence', 'Hotel night', 'Conference pass', 'Team lunch', 'Books', 'Cloud hosting', 'Taxi'];

const DAY_MS = 86_400_000;

/** `YYYY-MM-DDTHH:MM:SSZ`, the API's timestamp format (no milliseconds). */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `YYYY-MM-DD` of the day `k` days before the epoch (k = -1 is the day after), precomputed: seeding formats ~20k dates. */
const DAYS_AGO: readonly string[] = Array.from({ length: 367 }, (_, k) => new Date(EPOCH_MS - (k - 1) * DAY_MS).toISOString().slice(0, 10));
function daysAgo(k: number): string {
  return DAYS_AGO[k + 1]!;
}

/** A timestamp on `date` at `minute` minutes past midnight UTC. */
function at(date: string, minute: number): string {
  return `${date}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`;
}

function int(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** `count` distinct values of `items`, in a deterministic order (partial Fisher–Yates). */
function sample<T>(rng: () => number, items: readonly T[], count: number): T[] {
  const copy = items.slice();
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

function seedProjects(seed: number): Map<number, StoredProject> {
  const projects = new Map<number, StoredProject>();
  for (let k = 0; k < PROJECT_COUNT; k++) {
    const rng = rngFor(seed, 'timesheet:project', k);
    const clientIndex = k % CLIENTS.length;
    const client = CLIENTS[clientIndex]!;
    const created = EPOCH_MS - int(rng, 400, 1500) * DAY_MS;
    const id = PROJECT_ID_BASE + k;
    projects.set(id, {
      id,
      name: `${client} ${KINDS[Math.floor(k / CLIENTS.length) % KINDS.length]!}`,
      billingIncrement: pick(rng, [1, 5, 6, 10, 15, 15, 15, 30, 60]),
      // Every eleventh project is archived: entries stay, but it is no longer enabled.
      enabled: k % 11 !== 10,
      billable: rng() < 0.8,
      color: `#${hexFor(`timesheet:${seed}:color:${k}`, 6)}`,
      group: k % 4 === 3 ? null : { id: PROJECT_GROUP_ID_BASE + clientIndex, name: client },
      budgetMinutes: rng() < 0.4 ? int(rng, 20, 400) * 60 : null,
      createdAt: timestamp(created),
      updatedAt: timestamp(created + int(rng, 0, 300) * DAY_MS),
    });
  }
  return projects;
}

function seedTags(): Map<number, StoredTag> {
  return new Map(TAGS.map(([name, billable], k) => [TAG_ID_BASE + k, { id: TAG_ID_BASE + k, name, billable }]));
}

/** One invoice per month of the seeded year; totals are filled in once entries and expenses exist. */
function seedInvoices(): { invoices: Map<number, StoredInvoice>; byMonth: Map<string, { invoice: StoredInvoice; invoicedAt: string }> } {
  const invoices = new Map<number, StoredInvoice>();
  const byMonth = new Map<string, { invoice: StoredInvoice; invoicedAt: string }>();
  const epoch = new Date(EPOCH_MS);
  for (let m = 13; m >= 1; m--) {
    const month = new Date(Date.UTC(epoch.getUTCFullYear(), epoch.getUTCMonth() - m, 1)).toISOString().slice(0, 7);
    const id = INVOICE_ID_BASE + (13 - m);
    const state: WireInvoiceState = m > 3 ? 'paid' : m === 3 ? 'awaiting_payment' : 'unpaid';
    const invoice: StoredInvoice = { id, number: `INV-${month}`, state, total: 0 };
    invoices.set(id, invoice);
    // Work of a month is invoiced on the first of the next month.
    const invoicedAt = timestamp(Date.UTC(epoch.getUTCFullYear(), epoch.getUTCMonth() - m + 1, 1, 9, 0, 0));
    byMonth.set(month, { invoice, invoicedAt });
  }
  return { invoices, byMonth };
}

/** Builds the seeded data; the same population gives the same data, every run. */
export function seedTimesheetData(population: Population): TimesheetData {
  const { seed } = population;
  const projects = seedProjects(seed);
  const tags = seedTags();
  const { invoices, byMonth } = seedInvoices();
  const projectIds = [...projects.keys()];
  const tagIds = [...tags.keys()];
  const users = new Map<number, StoredUser>();
  const entriesByUser = new Map<number, StoredEntry[]>();
  const expensesByUser = new Map<number, StoredExpense[]>();
  let nextEntryId = ENTRY_ID_BASE;
  let nextExpenseId = EXPENSE_ID_BASE;
  // Work older than this many days is invoiced (sometimes); newer work is not yet.
  const invoicedAfterDays = 60;

  for (const person of membersOf(population, 'timesheet')) {
    const i = person.index;
    const rng = rngFor(seed, 'timesheet', i);
    const id = USER_ID_BASE + i;
    const state = seededState(i);
    const role = seededRole(i);
    const works = state !== 'pending' && !seededWithoutWork(i);
    const created = state === 'pending' ? EPOCH_MS - int(rng, 1, 20) * DAY_MS : EPOCH_MS - int(rng, 400, 1200) * DAY_MS;
    const updated = Math.min(EPOCH_MS, created + int(rng, 0, 300) * DAY_MS);
    const participating = works
      ? sample(rng, projectIds, int(rng, 31, 45))
      : state === 'pending'
        ? []
        : sample(rng, projectIds, int(rng, 0, 2));
    const user: StoredUser = {
      id,
      email: person.email,
      firstName: person.firstName,
      lastName: person.lastName,
      profileImageUrl: rng() < 0.7 ? `https://avatars.example.com/timesheet/${id}.jpg` : null,
      state,
      role,
      participatingProjectIds: new Set(participating),
      accessibleProjectIds: new Set(role === 'freelancer' ? participating : []),
      createdAt: timestamp(created),
      updatedAt: timestamp(updated),
    };
    users.set(id, user);

    const entries: StoredEntry[] = [];
    const expenses: StoredExpense[] = [];
    if (works) {
      const entryCount = int(rng, 35, 90);
      const drafts = [];
      for (let n = 0; n < entryCount; n++) drafts.push({ ago: int(rng, 0, 364), r: rng() });
      drafts.sort((a, b) => b.ago - a.ago);
      for (const draft of drafts) {
        const date = daysAgo(draft.ago);
        const project = draft.r < 0.9 ? projects.get(pick(rng, participating))! : null;
        const increment = project?.billingIncrement ?? 1;
        const minutes = Math.ceil(int(rng, 15, 480) / increment) * increment;
        const billable = project ? project.billable && rng() < 0.9 : false;
        const entryTags = sample(rng, tagIds, int(rng, 0, 2));
        const task = pick(rng, TASKS);
        const description = [task, ...entryTags.map((t) => `#${tags.get(t)!.name}`)].join(' ');
        const invoicing = billable && draft.ago > invoicedAfterDays && rng() < 0.7 ? byMonth.get(date.slice(0, 7)) : undefined;
        const minute = int(rng, 8 * 60, 19 * 60);
        const createdAt = at(date, minute);
        const entryId = nextEntryId++;
        entries.push({
          id: entryId,
          userId: id,
          date,
          billable,
          minutes,
          description,
          projectId: project?.id ?? null,
          tagIds: entryTags,
          sourceUrl: rng() < 0.15 ? `https://git.example.com/commits/${hexFor(`timesheet:${seed}:commit:${entryId}`, 12)}` : null,
          invoicedAt: invoicing?.invoicedAt ?? null,
          invoiceId: invoicing?.invoice.id ?? null,
          importId: rng() < 0.05 ? IMPORT_ID : null,
          createdAt,
          // Some entries were edited the next day.
          updatedAt: rng() < 0.2 ? at(daysAgo(draft.ago - 1), minute) : createdAt,
        });
        if (invoicing) invoicing.invoice.total += (minutes / 60) * 95;
      }
      const expenseCount = int(rng, 31, 65);
      const agos = [];
      for (let n = 0; n < expenseCount; n++) agos.push(int(rng, 0, 364));
      agos.sort((a, b) => b - a);
      for (const ago of agos) {
        const date = daysAgo(ago);
        // A few refunds: the documented price "can be negative".
        const price = Math.round((rng() < 0.04 ? -1 : 1) * (5 + rng() * 395) * 100) / 100;
        const invoicing = ago > invoicedAfterDays && rng() < 0.5 ? byMonth.get(date.slice(0, 7)) : undefined;
        const createdAt = at(date, int(rng, 8 * 60, 19 * 60));
        expenses.push({
          id: nextExpenseId++,
          userId: id,
          price,
          description: pick(rng, EXPENSES),
          taxable: rng() < 0.7,
          date,
          projectId: pick(rng, participating),
          invoiceId: invoicing?.invoice.id ?? null,
          createdAt,
          updatedAt: createdAt,
        });
        if (invoicing) invoicing.invoice.total += price;
      }
    }
    entriesByUser.set(id, entries.sort(newestFirst));
    expensesByUser.set(id, expenses.sort(newestFirst));
  }
  for (const invoice of invoices.values()) invoice.total = Math.round(invoice.total * 100) / 100;
  const lastPerson = population.people.length - 1;
  return { users, projects, tags, invoices, entriesByUser, expensesByUser, nextUserId: USER_ID_BASE + lastPerson + 1 };
}

function newestFirst(a: { date: string; id: number }, b: { date: string; id: number }): number {
  if (a.date !== b.date) return a.date < b.date ? 1 : -1;
  return b.id - a.id;
}

/**
 * A working copy of seeded data for the routes to change: fresh user records and maps, sharing the
 * read-only records (see `TimesheetData`). Resetting thus costs a millisecond instead of a re-seed.
 */
export function copyTimesheetData(seeded: TimesheetData): TimesheetData {
  const users = new Map<number, StoredUser>();
  for (const [id, u] of seeded.users) {
    users.set(id, { ...u, participatingProjectIds: new Set(u.participatingProjectIds), accessibleProjectIds: new Set(u.accessibleProjectIds) });
  }
  return { ...seeded, users, entriesByUser: new Map(seeded.entriesByUser), expensesByUser: new Map(seeded.expensesByUser) };
}
