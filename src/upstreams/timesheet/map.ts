/**
 * Reads timesheet API answers (wire.ts shapes) into domain values (types.ts), checking the shape as it
 * goes: an answer that is not what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming
 * the field, what was expected and what kind of value came (never the value itself, except an unknown
 * enum word).
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
import { isObject, kindOf, malformedAnswer, type Json } from '../shape';

export function malformed(answer: string, expected: string, got: string, status?: number): GatewayError {
  return malformedAnswer('timesheet', answer, expected, got, status);
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

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

/** Reads fields of one JSON object, naming the answer and the path in every failure. */
class Fields {
  private constructor(
    private readonly answer: string,
    private readonly path: string,
    private readonly value: Json,
  ) {}

  static of(answer: string, path: string, value: unknown): Fields {
    if (!isObject(value)) throw malformed(answer, `${path} to be an object`, kindOf(value));
    return new Fields(answer, path, value);
  }

  private fail(key: string, expected: string): GatewayError {
    return malformed(this.answer, `${this.path}.${key} to be ${expected}`, kindOf(this.value[key]));
  }

  has(key: string): boolean {
    return this.value[key] !== null && this.value[key] !== undefined;
  }

  object(key: string): Fields {
    return Fields.of(this.answer, `${this.path}.${key}`, this.value[key]);
  }

  /** `null` for a null (or absent) value, the object otherwise. */
  optionalObject(key: string): Fields | null {
    return this.has(key) ? this.object(key) : null;
  }

  array(key: string): Fields[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw this.fail(key, 'an array');
    return v.map((item, i) => Fields.of(this.answer, `${this.path}.${key}[${i}]`, item));
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') throw this.fail(key, 'a string');
    return v;
  }

  nullableString(key: string): string | null {
    const v = this.value[key];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'string') throw this.fail(key, 'a string or null');
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw this.fail(key, 'a boolean');
    return v;
  }

  integer(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.fail(key, 'an integer');
    return v;
  }

  nullableInteger(key: string): number | null {
    return this.has(key) ? this.integer(key) : null;
  }

  number(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'a number');
    return v;
  }

  /** An integer id as the domain's decimal string. */
  id(key = 'id'): string {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(key, 'an integer id');
    return String(v);
  }

  day(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string' || !DAY.test(v)) throw this.fail(key, 'a date as YYYY-MM-DD');
    return v;
  }

  timestamp(key: string): Date {
    const v = this.value[key];
    const ms = typeof v === 'string' && TIMESTAMP.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) throw this.fail(key, 'a timestamp as YYYY-MM-DDTHH:MM:SSZ');
    return new Date(ms);
  }

  nullableTimestamp(key: string): Date | null {
    return this.has(key) ? this.timestamp(key) : null;
  }

  /** One of the documented wire words, as its UPPER_SNAKE domain word. */
  oneOf<D extends string>(key: string, wire: readonly string[], domain: (word: string) => D | undefined): D {
    const v = this.value[key];
    const mapped = typeof v === 'string' && wire.includes(v) ? domain(upperSnake(v)) : undefined;
    if (mapped === undefined) {
      const got = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : kindOf(v);
      throw malformed(this.answer, `${this.path}.${key} to be one of ${wire.join(', ')}`, got);
    }
    return mapped;
  }
}

const ROLES: readonly TimesheetRole[] = ['ADMIN', 'MEMBER', 'FREELANCER'];
const STATES: readonly TimesheetUserState[] = ['DISABLED', 'PENDING', 'ACTIVE', 'SUSPENDED'];
const INVOICE_STATES: readonly TimesheetInvoiceState[] = ['UNPAID', 'AWAITING_PAYMENT', 'PAID'];
const find =
  <D extends string>(values: readonly D[]) =>
  (word: string): D | undefined =>
    values.find((v) => v === word);

function readSimpleUser(f: Fields): TimesheetSimpleUser {
  return {
    id: f.id(),
    email: f.string('email'),
    firstName: f.nullableString('first_name'),
    lastName: f.nullableString('last_name'),
    profileImageUrl: f.nullableString('profile_image_url'),
  };
}

function readSimpleProject(f: Fields): TimesheetSimpleProject {
  return {
    id: f.id(),
    name: f.string('name'),
    billingIncrement: f.integer('billing_increment'),
    enabled: f.boolean('enabled'),
    billable: f.boolean('billable'),
    color: f.string('color'),
  };
}

function readInvoice(f: Fields): TimesheetInvoice {
  return { id: f.id(), number: f.string('number'), state: f.oneOf('state', WIRE_INVOICE_STATES, find(INVOICE_STATES)), total: decimalString(f.number('total')) };
}

function readTag(f: Fields): TimesheetTag {
  return { id: f.id(), name: f.string('name'), billable: f.boolean('billable') };
}

function readUserFields(f: Fields): TimesheetUser {
  return {
    ...readSimpleUser(f),
    state: f.oneOf('state', WIRE_USER_STATES, find(STATES)),
    role: f.oneOf('role', WIRE_ROLES, find(ROLES)),
    participatingProjectCount: f.integer('participating_projects'),
    accessibleProjectCount: f.integer('accessible_projects'),
    entryCount: f.integer('entries'),
    expenseCount: f.integer('expenses'),
    createdAt: f.timestamp('created_at'),
    updatedAt: f.timestamp('updated_at'),
  };
}

function readEntryFields(f: Fields): TimesheetEntry {
  const project = f.optionalObject('project');
  const invoice = f.optionalObject('invoice');
  const imported = f.optionalObject('import');
  return {
    id: f.id(),
    date: f.day('date'),
    user: readSimpleUser(f.object('user')),
    billable: f.boolean('billable'),
    minutes: f.integer('minutes'),
    description: f.nullableString('description'),
    project: project ? readSimpleProject(project) : null,
    tags: f.array('tags').map(readTag),
    sourceUrl: f.nullableString('source_url'),
    invoicedAt: f.nullableTimestamp('invoiced_at'),
    invoice: invoice ? readInvoice(invoice) : null,
    importId: imported ? imported.id() : null,
    createdAt: f.timestamp('created_at'),
    updatedAt: f.timestamp('updated_at'),
  };
}

function readExpenseFields(f: Fields): TimesheetExpense {
  const project = f.optionalObject('project');
  const invoice = f.optionalObject('invoice');
  return {
    id: f.id(),
    price: decimalString(f.number('price')),
    description: f.nullableString('description'),
    taxable: f.boolean('taxable'),
    date: f.day('date'),
    project: project ? readSimpleProject(project) : null,
    invoice: invoice ? readInvoice(invoice) : null,
    user: readSimpleUser(f.object('user')),
    createdAt: f.timestamp('created_at'),
    updatedAt: f.timestamp('updated_at'),
  };
}

function readProjectFields(f: Fields): TimesheetProject {
  const group = f.optionalObject('group');
  const imported = f.optionalObject('import');
  return {
    ...readSimpleProject(f),
    group: group ? { id: group.id(), name: group.string('name') } : null,
    minutes: f.integer('minutes'),
    billableMinutes: f.integer('billable_minutes'),
    unbillableMinutes: f.integer('unbillable_minutes'),
    invoicedMinutes: f.integer('invoiced_minutes'),
    remainingMinutes: f.nullableInteger('remaining_minutes'),
    budgetMinutes: f.nullableInteger('budget_minutes'),
    importId: imported ? imported.id() : null,
    invoices: f.array('invoices').map(readInvoice),
    participants: f.array('participants').map(readSimpleUser),
    entryCount: f.integer('entries'),
    expenseCount: f.integer('expenses'),
    createdAt: f.timestamp('created_at'),
    updatedAt: f.timestamp('updated_at'),
  };
}

export function readUser(answer: string, body: unknown): TimesheetUser {
  return readUserFields(Fields.of(answer, 'user', body));
}

/** A list answer: a bare JSON array of `item`s. */
function readList<T>(answer: string, item: string, body: unknown, read: (f: Fields) => T): T[] {
  if (!Array.isArray(body)) throw malformed(answer, 'a JSON array', kindOf(body));
  return body.map((value, i) => read(Fields.of(answer, `${item}[${i}]`, value)));
}

export const readUserList = (answer: string, body: unknown): TimesheetUser[] => readList(answer, 'users', body, readUserFields);
export const readEntryList = (answer: string, body: unknown): TimesheetEntry[] => readList(answer, 'entries', body, readEntryFields);
export const readExpenseList = (answer: string, body: unknown): TimesheetExpense[] => readList(answer, 'expenses', body, readExpenseFields);
export const readProjectList = (answer: string, body: unknown): TimesheetProject[] => readList(answer, 'projects', body, readProjectFields);

/** A 204 answer must carry no body. */
export function readEmptyAnswer(answer: string, body: unknown): void {
  if (body !== undefined) throw malformed(answer, 'no body', kindOf(body));
}
