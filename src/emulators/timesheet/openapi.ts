/**
 * The OpenAPI 3.1 document of exactly what the timesheet emulator serves (served at `/openapi.json` and
 * `/v2/openapi.json`): the thirteen operations of seed document 004 under `/v2`, their parameters,
 * bodies, status codes, error bodies and the `Link` pagination header.
 */
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './pages';
import { WIRE_BILLING_INCREMENTS, WIRE_INVOICE_STATES, WIRE_ROLES, WIRE_TAG_FILTER_TYPES, WIRE_USER_STATES, WIRE_STANDARD_ERROR_CODES, WIRE_USER_ERROR_CODES } from '../../contracts/timesheet';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: Json = {}): Json => ({ type: [type, 'null'], ...extra });
const nullableRef = (name: string): Json => ({ oneOf: [ref(name), { type: 'null' }] });
const timestamp: Json = { type: 'string', format: 'date-time', description: '`YYYY-MM-DDTHH:MM:SSZ`, UTC.' };
const day: Json = { type: 'string', format: 'date', description: '`YYYY-MM-DD`.' };
const url: Json = { type: 'string', format: 'uri' };
const object = (properties: Json, required = Object.keys(properties)): Json => ({ type: 'object', properties, required });

const schemas: Record<string, Json> = {
  SimpleUser: object({
    id: { type: 'integer' },
    email: { type: 'string', format: 'email' },
    first_name: nullable('string'),
    last_name: nullable('string'),
    profile_image_url: nullable('string', { format: 'uri' }),
    url,
  }),
  User: {
    allOf: [
      ref('SimpleUser'),
      object({
        state: { type: 'string', enum: [...WIRE_USER_STATES] },
        role: { type: 'string', enum: [...WIRE_ROLES] },
        participating_projects: { type: 'integer', description: 'How many projects the user takes part in.' },
        participating_projects_url: url,
        accessible_projects: { type: 'integer', description: 'Freelancers: projects granted; others: every project.' },
        accessible_projects_url: { ...url, description: 'Documented link; this emulator serves no such list.' },
        entries: { type: 'integer' },
        entries_url: url,
        expenses: { type: 'integer' },
        expenses_url: url,
        add_project_access: url,
        remove_project_access: url,
        created_at: timestamp,
        updated_at: timestamp,
      }),
    ],
  },
  SimpleProject: object({
    id: { type: 'integer' },
    name: { type: 'string' },
    billing_increment: { type: 'integer', enum: [...WIRE_BILLING_INCREMENTS] },
    enabled: { type: 'boolean', description: 'false for archived projects.' },
    billable: { type: 'boolean' },
    color: { type: 'string', pattern: '^#[0-9a-f]{6}$' },
    url,
  }),
  ProjectGroup: object({ id: { type: 'integer' }, name: { type: 'string' }, url }),
  Tag: object({ id: { type: 'integer' }, name: { type: 'string' }, billable: { type: 'boolean' }, url }),
  SimpleInvoice: object({
    id: { type: 'integer' },
    number: { type: 'string' },
    state: { type: 'string', enum: [...WIRE_INVOICE_STATES] },
    total: { type: 'number' },
    url,
  }),
  ImportRef: object({ id: { type: 'integer' }, url }),
  Entry: object({
    id: { type: 'integer' },
    date: day,
    user: ref('SimpleUser'),
    billable: { type: 'boolean' },
    minutes: { type: 'integer' },
    description: nullable('string'),
    project: nullableRef('SimpleProject'),
    tags: { type: 'array', items: ref('Tag') },
    source_url: nullable('string', { format: 'uri' }),
    invoiced_at: nullable('string', { format: 'date-time' }),
    invoice: nullableRef('SimpleInvoice'),
    import: nullableRef('ImportRef'),
    url,
    created_at: timestamp,
    updated_at: timestamp,
  }),
  Expense: object({
    id: { type: 'integer' },
    price: { type: 'number', description: 'Decimal; may be negative.' },
    description: nullable('string'),
    taxable: { type: 'boolean' },
    date: day,
    project: nullableRef('SimpleProject'),
    invoice: nullableRef('SimpleInvoice'),
    user: ref('SimpleUser'),
    url: { ...url, description: '`/v2/expense/<id>` (singular, as documented).' },
    created_at: timestamp,
    updated_at: timestamp,
  }),
  Project: {
    allOf: [
      ref('SimpleProject'),
      object({
        group: nullableRef('ProjectGroup'),
        minutes: { type: 'integer' },
        billable_minutes: { type: 'integer' },
        unbillable_minutes: { type: 'integer' },
        invoiced_minutes: { type: 'integer' },
        remaining_minutes: nullable('integer'),
        budget_minutes: nullable('integer'),
        import: nullableRef('ImportRef'),
        invoices: { type: 'array', items: ref('SimpleInvoice') },
        participants: { type: 'array', items: ref('SimpleUser') },
        entries: { type: 'integer' },
        entries_url: url,
        expenses: { type: 'integer' },
        expenses_url: url,
        created_at: timestamp,
        updated_at: timestamp,
      }),
    ],
  },
  CreateUser: object(
    {
      email: { type: 'string', format: 'email' },
      first_name: nullable('string', { maxLength: 255 }),
      last_name: nullable('string', { maxLength: 255 }),
      role: { type: 'string', enum: [...WIRE_ROLES], default: 'member' },
    },
    ['email'],
  ),
  UpdateUser: object(
    {
      email: { type: 'string', format: 'email' },
      first_name: nullable('string', { maxLength: 255 }),
      last_name: nullable('string', { maxLength: 255 }),
      role: { type: 'string', enum: [...WIRE_ROLES] },
    },
    [],
  ),
  ProjectAccess: object({ projects: { type: 'array', items: { type: 'integer' }, minItems: 1 } }),
  Message: object({ message: { type: 'string' } }),
  ValidationFailed: object({
    message: { type: 'string', const: 'Validation Failed' },
    errors: {
      type: 'array',
      items: object({
        resource: { type: 'string', examples: ['User', 'Project'] },
        field: { type: 'string', description: '`base` for a refusal of the whole action.' },
        code: { type: 'string', enum: [...WIRE_STANDARD_ERROR_CODES, ...WIRE_USER_ERROR_CODES] },
      }),
    },
  }),
};

const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });

const responses: Record<string, Json> = {
  BadRequest: {
    description:
      'Malformed JSON (`{"message":"JSON Parsing Error"}`, also for a body that is not JSON), a body that is not an object ' +
      '(`{"message":"Body should be JSON Hash"}`), a missing User-Agent (`{"message":…}`), or a field or query parameter in the wrong ' +
      'format (no body).',
    ...json(ref('Message')),
  },
  Unauthorized: { description: 'Missing or unknown token.', ...json(ref('Message')) },
  NotFound: { description: 'Unknown user id (no body).' },
  TooLarge: { description: 'Request body over 1 MiB.', ...json(ref('Message')) },
  ValidationFailed: { description: 'Validation failed or the action is refused; see `errors[].code`.', ...json(ref('ValidationFailed')) },
  RateLimited: { description: 'Too many requests (no body).' },
  Unavailable: { description: 'Account locked for migration.', ...json(ref('Message')) },
  NoContent: { description: 'Done.' },
};

const parameters: Record<string, Json> = {
  UserAgent: { name: 'User-Agent', in: 'header', required: true, schema: { type: 'string', minLength: 1 }, description: 'Required on every request, e.g. `My-Freckle-App`.' },
  UserId: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
  page: { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
  per_page: { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE } },
};

const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const query = (name: string, schema: Json, description: string): Json => ({ name, in: 'query', schema, description });
const idList = (name: string, what: string): Json => query(name, { type: 'string', pattern: '^\\d+(,\\d+)*$' }, `Comma-separated ${what} ids.`);
const bool = (name: string, description: string): Json => query(name, { type: 'boolean' }, description);

const linkHeader: Json = {
  Link: {
    description: 'RFC 8288 links with rel `first`, `prev`, `next`, `last`; each repeats the request query with another `page`.',
    schema: { type: 'string' },
  },
};

const errorsFor = (withUser: boolean, withBody: boolean, refusals: boolean): Json => ({
  '400': response('BadRequest'),
  '401': response('Unauthorized'),
  ...(withUser ? { '404': response('NotFound') } : {}),
  ...(withBody ? { '413': response('TooLarge') } : {}),
  ...(refusals ? { '422': response('ValidationFailed') } : {}),
  '429': response('RateLimited'),
  '503': response('Unavailable'),
});

const list = (summary: string, item: string, filters: Json[], withUser: boolean): Json => ({
  summary,
  parameters: [param('UserAgent'), ...(withUser ? [param('UserId')] : []), ...filters, param('page'), param('per_page')],
  responses: {
    '200': { description: 'One page, newest first where dated.', headers: linkHeader, ...json({ type: 'array', items: ref(item) }) },
    ...errorsFor(withUser, false, false),
  },
});

const action = (summary: string, codes: string, body?: string): Json => ({
  summary,
  description: `Refusal codes (422): ${codes}.`,
  parameters: [param('UserAgent'), param('UserId')],
  ...(body ? { requestBody: { required: true, ...json(ref(body)) } } : {}),
  responses: { '204': response('NoContent'), ...errorsFor(true, true, true) },
});

const entryFilters = [
  idList('user_ids', 'user'),
  query('description', { type: 'string' }, 'Only entries whose description contains this text.'),
  idList('project_ids', 'project'),
  idList('tag_ids', 'tag'),
  query('tag_filter_type', { type: 'string', enum: [...WIRE_TAG_FILTER_TYPES], default: 'and' }, '`and`: every tag; `combination of`: any tag.'),
  idList('invoice_ids', 'invoice'),
  idList('import_ids', 'import'),
  query('from', day, 'Entries on or after this day.'),
  query('to', day, 'Entries on or before this day.'),
  query('invoiced_at_from', day, 'Entries invoiced on or after this day.'),
  query('invoiced_at_to', day, 'Entries invoiced on or before this day.'),
  bool('billable', 'Only billable (true) or unbillable (false) entries.'),
];

const expenseFilters = [
  idList('user_ids', 'user'),
  query('description', { type: 'string' }, 'Only expenses whose description contains this text.'),
  idList('project_ids', 'project'),
  idList('invoice_ids', 'invoice'),
  query('from', day, 'Expenses on or after this day.'),
  query('to', day, 'Expenses on or before this day.'),
  bool('taxable', 'Only taxable (true) or tax-free (false) expenses.'),
  bool('invoiced', 'Only invoiced (true) or uninvoiced (false) expenses.'),
];

const projectFilters = [
  query('name', { type: 'string' }, 'Only projects whose name contains this text.'),
  idList('project_group_ids', 'project group'),
  query('billing_increment', { type: 'integer', enum: [...WIRE_BILLING_INCREMENTS] }, 'Only projects with this billing increment.'),
  bool('enabled', 'Enabled (true) or archived (false) projects.'),
  bool('billable', 'Billable (true) or unbillable (false) projects.'),
];

const userFilters = [
  query('name', { type: 'string' }, 'Only users with this text in their name (case-insensitive).'),
  query('email', { type: 'string' }, 'Only users with this text in their email (case-insensitive substring).'),
  query('role', { type: 'string', enum: [...WIRE_ROLES] }, 'Only users with this role.'),
  query('state', { type: 'string', enum: [...WIRE_USER_STATES] }, 'Only users in this state.'),
];

const one = (summary: string, status: string, body?: string): Json => ({
  summary,
  parameters: [param('UserAgent'), param('UserId')],
  ...(body ? { requestBody: { required: true, ...json(ref(body)) } } : {}),
  responses: { [status]: { description: 'The user.', ...json(ref('User')) }, ...errorsFor(true, body !== undefined, body !== undefined) },
});

export function timesheetOpenApi(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Timesheet (Freckle API v2, 2014 user endpoints) emulator',
      version: '2',
      description:
        'Serves the user endpoints of the Freckle/Noko time-tracking API v2 as documented in 2014, seeded from the usergraph demo ' +
        'population. Every request needs a User-Agent header and a personal access token (X-FreckleToken header or access_token query).',
    },
    servers: [{ url: '/v2' }],
    security: [{ FreckleToken: [] }, { AccessTokenQuery: [] }],
    paths: {
      '/users': {
        get: list('List users', 'User', userFilters, false),
        post: {
          summary: 'Create (invite) a user; it starts `pending`, role defaults to `member`.',
          description: 'Refusal codes (422): missing_field (email), already_exists (email), reached_user_limit.',
          parameters: [param('UserAgent')],
          requestBody: { required: true, ...json(ref('CreateUser')) },
          responses: { '200': { description: 'The created user.', ...json(ref('User')) }, ...errorsFor(false, true, true) },
        },
      },
      '/users/{id}': {
        get: one('Get a user', '200'),
        patch: {
          ...one('Edit a user: only the keys sent change', '200', 'UpdateUser'),
          description: 'Refusal codes (422): deactivated, missing_field (email or role sent as null/blank), already_exists (email).',
        },
        delete: action('Delete a user', 'dependent (the user has entries or expenses)'),
      },
      '/users/{id}/entries': { get: list("A user's entries", 'Entry', entryFilters, true) },
      '/users/{id}/expenses': { get: list("A user's expenses", 'Expense', expenseFilters, true) },
      '/users/{id}/participating_projects': { get: list('Projects the user takes part in', 'Project', projectFilters, true) },
      '/users/{id}/resend_invitation_email': { put: action("Resend a pending user's invitation email", 'not_pending') },
      '/users/{id}/activate': { put: action('Activate a deactivated (disabled or suspended) user', 'not_deactivated') },
      '/users/{id}/deactivate': { put: action('Deactivate a user who has entries', 'deletable (no entries: delete the user instead)') },
      '/users/{id}/give_access_to_projects': {
        put: action('Give a freelancer access to projects', 'missing_field, deactivated, not_a_freelancer, missing (unknown project), already_has_access', 'ProjectAccess'),
      },
      '/users/{id}/revoke_access_to_projects': {
        put: action("Revoke a freelancer's access to projects", 'missing_field, deactivated, not_a_freelancer, missing (unknown project)', 'ProjectAccess'),
      },
    },
    components: {
      securitySchemes: {
        FreckleToken: { type: 'apiKey', in: 'header', name: 'X-FreckleToken' },
        AccessTokenQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
      },
      schemas,
      responses,
      parameters,
    },
  };
}
