/**
 * The timesheet upstream's wire format (Freckle API v2 as documented in 2014, the variant the seed
 * document `004` pins; see upstream-contracts.md section 5). These types are what the API sends and
 * accepts, snake_case and all; the emulator renders them and the connector reads them (narrowing, never
 * trusting them) into the domain types of `types.ts`.
 *
 * Conventions of this API: ids are integers; blank fields are `null`; dates are `YYYY-MM-DD`;
 * timestamps are `YYYY-MM-DDTHH:MM:SSZ` in UTC; list bodies are bare arrays paginated with
 * `page`/`per_page` and an RFC 8288 `Link` header (`first`, `prev`, `next`, `last`).
 */

export const WIRE_ROLES = ['admin', 'member', 'freelancer'] as const;
export type WireRole = (typeof WIRE_ROLES)[number];

export const WIRE_USER_STATES = ['disabled', 'pending', 'active', 'suspended'] as const;
export type WireUserState = (typeof WIRE_USER_STATES)[number];

/** Invoice states that occur on the embedded SimpleInvoice of entries, expenses and projects. */
export const WIRE_INVOICE_STATES = ['unpaid', 'awaiting_payment', 'paid'] as const;
export type WireInvoiceState = (typeof WIRE_INVOICE_STATES)[number];

/** Accepted `billing_increment` values of a project (minutes). */
export const WIRE_BILLING_INCREMENTS = [1, 5, 6, 10, 15, 20, 30, 60] as const;

/** `tag_filter_type` of the entry list: `and` (default) or `combination of`. */
export const WIRE_TAG_FILTER_TYPES = ['and', 'combination of'] as const;
export type WireTagFilterType = (typeof WIRE_TAG_FILTER_TYPES)[number];

/** The user as embedded in entries, expenses and project participants. */
export interface WireSimpleUser {
  id: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  profile_image_url: string | null;
  url: string;
}

/** `GET /users/:id`, list items of `GET /users/`, and the answer of `POST /users/` and `PATCH /users/:id`. */
export interface WireUser extends WireSimpleUser {
  state: WireUserState;
  role: WireRole;
  participating_projects: number;
  participating_projects_url: string;
  accessible_projects: number;
  accessible_projects_url: string;
  entries: number;
  entries_url: string;
  expenses: number;
  expenses_url: string;
  add_project_access: string;
  remove_project_access: string;
  created_at: string;
  updated_at: string;
}

export interface WireSimpleProject {
  id: number;
  name: string;
  billing_increment: number;
  enabled: boolean;
  billable: boolean;
  /** `#rrggbb`. */
  color: string;
  url: string;
}

export interface WireProjectGroup {
  id: number;
  name: string;
  url: string;
}

export interface WireTag {
  id: number;
  name: string;
  billable: boolean;
  url: string;
}

export interface WireSimpleInvoice {
  id: number;
  number: string;
  state: WireInvoiceState;
  /** Decimal amount. */
  total: number;
  url: string;
}

export interface WireImportRef {
  id: number;
  url: string;
}

/** List items of `GET /users/:id/entries`. */
export interface WireEntry {
  id: number;
  date: string;
  user: WireSimpleUser;
  billable: boolean;
  minutes: number;
  description: string | null;
  project: WireSimpleProject | null;
  tags: WireTag[];
  source_url: string | null;
  invoiced_at: string | null;
  invoice: WireSimpleInvoice | null;
  import: WireImportRef | null;
  url: string;
  created_at: string;
  updated_at: string;
}

/** List items of `GET /users/:id/expenses`. `url` is `/v2/expense/<id>` (singular, as documented). */
export interface WireExpense {
  id: number;
  /** Decimal amount; may be negative. */
  price: number;
  description: string | null;
  taxable: boolean;
  date: string;
  project: WireSimpleProject | null;
  invoice: WireSimpleInvoice | null;
  user: WireSimpleUser;
  url: string;
  created_at: string;
  updated_at: string;
}

/** List items of `GET /users/:id/participating_projects`. */
export interface WireProject extends WireSimpleProject {
  group: WireProjectGroup | null;
  minutes: number;
  billable_minutes: number;
  unbillable_minutes: number;
  invoiced_minutes: number;
  /** `budget_minutes - minutes`, or `null` without a budget. */
  remaining_minutes: number | null;
  budget_minutes: number | null;
  import: WireImportRef | null;
  invoices: WireSimpleInvoice[];
  participants: WireSimpleUser[];
  entries: number;
  entries_url: string;
  expenses: number;
  expenses_url: string;
  created_at: string;
  updated_at: string;
}

/** `POST /users/`: `email` required, `role` defaults to `member`. */
export interface WireCreateUserBody {
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  role?: WireRole;
}

/** `PATCH /users/:id`: only the keys present are changed. */
export interface WireUpdateUserBody {
  email?: string;
  first_name?: string | null;
  last_name?: string | null;
  role?: WireRole;
}

/** `PUT /users/:id/give_access_to_projects` and `/revoke_access_to_projects`. */
export interface WireProjectAccessBody {
  projects: number[];
}

/** Standard codes of `errors[].code` (documented), then the user actions' custom codes. */
export const WIRE_STANDARD_ERROR_CODES = ['missing', 'missing_field', 'already_exists'] as const;
export const WIRE_USER_ERROR_CODES = [
  'reached_user_limit',
  'deactivated',
  'not_pending',
  'not_deactivated',
  'deletable',
  'not_a_freelancer',
  'already_has_access',
  'dependent',
] as const;
export type WireErrorCode = (typeof WIRE_STANDARD_ERROR_CODES)[number] | (typeof WIRE_USER_ERROR_CODES)[number];

export interface WireFieldError {
  /** The type of object the request tried to affect: `User`, `Project`. */
  resource: string;
  /** The field at fault, or `base` for a refusal of the whole action. */
  field: string;
  code: WireErrorCode;
}

/** Error body: `{message}` alone (400 parsing errors, 503) or with `errors` (422 validation). */
export interface WireErrorBody {
  message: string;
  errors?: WireFieldError[];
}
