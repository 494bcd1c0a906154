/**
 * Reads timesheet API answers (wire.ts shapes) into domain values (types.ts) with the shared reader
 * (`../shape.ts`), adding timesheet's own kinds: integer ids, `YYYY-MM-DD` days, second-precision
 * timestamps. An answer that is not what the contract says becomes UPSTREAM_UNAVAILABLE with a message
 * naming the field, what was expected and what kind of value came (never the value itself, except an
 * unknown enum word).
 */
import type { GatewayError } from '../../errors';
import type {
  TimesheetEntry,
  TimesheetExpense,
  TimesheetInvoice,
  TimesheetInvoiceState,
  TimesheetProject,
  TimesheetRole,
  TimesheetSimpleProject,
  TimesheetSimpleUser,
  TimesheetTag,
  TimesheetUser,
  TimesheetUserState,
} from './types';
import { WIRE_INVOICE_STATES, WIRE_ROLES, WIRE_USER_STATES } from '../../contracts/timesheet';
import { INTEGER, STRING, WireRecord, enumOf, kindOf, malformedAnswer, type Kind } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('timesheet', answer, expected, got, status);
}

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** Wire enum word → UPPER_SNAKE domain word (`awaiting_payment` → `AWAITING_PAYMENT`). */
function upperSnake(word: string): string {
  return word.toUpperCase().replace(/[\s-]+/g, '_');
}

/**
 * A decimal amount as the domain's string: two decimals when that is exact (`14.5` → `"14.50"`),
 * otherwise every digit the API sent.
 */
export function decimalString(value: number): string {
  const fixed = value.toFixed(2);
  return Number(fixed) === value ? fixed : String(value);
}

/** Timesheet's integer ids, as the domain's decimal strings. */
const ID: Kind<string> = { expected: 'an integer id', take: (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : undefined) };
const DAY: Kind<string> = { expected: 'a date as YYYY-MM-DD', take: (v) => (typeof v === 'string' && DAY_TEXT.test(v) ? v : undefined) };
const TIMESTAMP: Kind<Date> = {
  expected: 'a timestamp as YYYY-MM-DDTHH:MM:SSZ',
  take(v) {
    const ms = typeof v === 'string' && TIMESTAMP_TEXT.test(v) ? Date.parse(v) : NaN;
    return Number.isNaN(ms) ? undefined : new Date(ms);
  },
};

/** The documented wire words, each as its UPPER_SNAKE domain word (one of `domain`). */
function oneOf<D extends string>(wire: readonly string[], domain: readonly D[]): Kind<D> {
  return enumOf(Object.fromEntries(wire.flatMap((w) => domain.filter((d) => d === upperSnake(w)).map((d) => [w, d]))));
}

const id = (f: WireRecord): string => f.get('id', ID);

const ROLES = oneOf<TimesheetRole>(WIRE_ROLES, ['ADMIN', 'MEMBER', 'FREELANCER']);
const STATES = oneOf<TimesheetUserState>(WIRE_USER_STATES, ['DISABLED', 'PENDING', 'ACTIVE', 'SUSPENDED']);
const INVOICE_STATES = oneOf<TimesheetInvoiceState>(WIRE_INVOICE_STATES, ['UNPAID', 'AWAITING_PAYMENT', 'PAID']);

function readSimpleUser(f: WireRecord): TimesheetSimpleUser {
  return {
    id: id(f),
    email: f.string('email'),
    firstName: f.optional('first_name', STRING),
    lastName: f.optional('last_name', STRING),
    profileImageUrl: f.optional('profile_image_url', STRING),
  };
}

function readSimpleProject(f: WireRecord): TimesheetSimpleProject {
  return {
    id: id(f),
    name: f.string('name'),
    billingIncrement: f.integer('billing_increment'),
    enabled: f.boolean('enabled'),
    billable: f.boolean('billable'),
    color: f.string('color'),
  };
}

function readInvoice(f: WireRecord): TimesheetInvoice {
  return { id: id(f), number: f.string('number'), state: f.get('state', INVOICE_STATES), total: decimalString(f.number('total')) };
}

function readTag(f: WireRecord): TimesheetTag {
  return { id: id(f), name: f.string('name'), billable: f.boolean('billable') };
}

function readUserFields(f: WireRecord): TimesheetUser {
  return {
    ...readSimpleUser(f),
    state: f.get('state', STATES),
    role: f.get('role', ROLES),
    participatingProjectCount: f.integer('participating_projects'),
    accessibleProjectCount: f.integer('accessible_projects'),
    entryCount: f.integer('entries'),
    expenseCount: f.integer('expenses'),
    createdAt: f.get('created_at', TIMESTAMP),
    updatedAt: f.get('updated_at', TIMESTAMP),
  };
}

function readEntryFields(f: WireRecord): TimesheetEntry {
  const project = f.optionalObject('project');
  const invoice = f.optionalObject('invoice');
  const imported = f.optionalObject('import');
  return {
    id: id(f),
    date: f.get('date', DAY),
    user: readSimpleUser(f.object('user')),
    billable: f.boolean('billable'),
    minutes: f.integer('minutes'),
    description: f.optional('description', STRING),
    project: project ? readSimpleProject(project) : null,
    tags: f.records('tags').map(readTag),
    sourceUrl: f.optional('source_url', STRING),
    invoicedAt: f.optional('invoiced_at', TIMESTAMP),
    invoice: invoice ? readInvoice(invoice) : null,
    importId: imported ? id(imported) : null,
    createdAt: f.get('created_at', TIMESTAMP),
    updatedAt: f.get('updated_at', TIMESTAMP),
  };
}

function readExpenseFields(f: WireRecord): TimesheetExpense {
  const project = f.optionalObject('project');
  const invoice = f.optionalObject('invoice');
  return {
    id: id(f),
    price: decimalString(f.number('price')),
    description: f.optional('description', STRING),
    taxable: f.boolean('taxable'),
    date: f.get('date', DAY),
    project: project ? readSimpleProject(project) : null,
    invoice: invoice ? readInvoice(invoice) : null,
    user: readSimpleUser(f.object('user')),
    createdAt: f.get('created_at', TIMESTAMP),
    updatedAt: f.get('updated_at', TIMESTAMP),
  };
}

function readProjectFields(f: WireRecord): TimesheetProject {
  const group = f.optionalObject('group');
  const imported = f.optionalObject('import');
  return {
    ...readSimpleProject(f),
    group: group ? { id: id(group), name: group.string('name') } : null,
    minutes: f.integer('minutes'),
    billableMinutes: f.integer('billable_minutes'),
    unbillableMinutes: f.integer('unbillable_minutes'),
    invoicedMinutes: f.integer('invoiced_minutes'),
    remainingMinutes: f.optional('remaining_minutes', INTEGER),
    budgetMinutes: f.optional('budget_minutes', INTEGER),
    importId: imported ? id(imported) : null,
    invoices: f.records('invoices').map(readInvoice),
    participants: f.records('participants').map(readSimpleUser),
    entryCount: f.integer('entries'),
    expenseCount: f.integer('expenses'),
    createdAt: f.get('created_at', TIMESTAMP),
    updatedAt: f.get('updated_at', TIMESTAMP),
  };
}

export function readUser(answer: string, body: unknown): TimesheetUser {
  return readUserFields(WireRecord.of('timesheet', answer, 'user', body));
}

/** A list answer: a bare JSON array of `item`s. */
function readList<T>(answer: string, item: string, body: unknown, read: (f: WireRecord) => T): T[] {
  return WireRecord.list('timesheet', answer, item, body).map(read);
}

export const readUserList = (answer: string, body: unknown): TimesheetUser[] => readList(answer, 'users', body, readUserFields);
export const readEntryList = (answer: string, body: unknown): TimesheetEntry[] => readList(answer, 'entries', body, readEntryFields);
export const readExpenseList = (answer: string, body: unknown): TimesheetExpense[] => readList(answer, 'expenses', body, readExpenseFields);
export const readProjectList = (answer: string, body: unknown): TimesheetProject[] => readList(answer, 'projects', body, readProjectFields);

/** A 204 answer must carry no body. */
export function readEmptyAnswer(answer: string, body: unknown): void {
  if (body !== undefined) throw malformed(answer, 'no body', kindOf(body));
}
