/**
 * The timesheet emulator over real HTTP: auth and required headers, the seeded population, every
 * endpoint of seed document 004 with its documented errors, pagination and filters, refused writes that
 * change nothing, and the kit hooks as this upstream answers them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, membersOf, type DemoPerson } from '../../src/emulators/population';
import { createTimesheetEmulator } from '../../src/emulators/timesheet';
import { linkTo, rawGet, send, type Reply, type SendInit } from '../helpers/http';
import { record } from '../helpers/json';
import { loadOpenApi, type OpenApi } from '../helpers/openapi';

const TOKEN = DEV_TOKENS.timesheet;
const population = buildPopulation();
const members = membersOf(population, 'timesheet');

// The seeding rules README.md documents, restated here so the tests check them independently.
const idOf = (p: DemoPerson): number => 5000 + p.index;
const person = (rule: (i: number) => boolean): DemoPerson => {
  const found = members.find((p) => rule(p.index));
  if (!found) throw new Error('no seeded person matches the rule');
  return found;
};
const expectedState = (i: number): string => (i % 20 === 7 ? 'pending' : i % 20 === 13 ? 'disabled' : i % 40 === 18 ? 'suspended' : 'active');
const expectedRole = (i: number): string => (i % 10 === 0 ? 'admin' : i % 6 === 5 ? 'freelancer' : 'member');
const works = (i: number): boolean => expectedState(i) !== 'pending' && i % 20 !== 3;

const activeMember = person((i) => expectedState(i) === 'active' && works(i) && expectedRole(i) === 'member');
const activeFreelancer = person((i) => expectedState(i) === 'active' && works(i) && expectedRole(i) === 'freelancer');
const activeWithoutEntries = person((i) => expectedState(i) === 'active' && !works(i));
const pendingPerson = person((i) => expectedState(i) === 'pending');
const disabledPerson = person((i) => expectedState(i) === 'disabled');
const suspendedPerson = person((i) => expectedState(i) === 'suspended');
const disabledFreelancer = person((i) => expectedState(i) === 'disabled' && expectedRole(i) === 'freelancer');

let emulator: Emulator;

interface CallOptions extends Omit<SendInit, 'method' | 'json'> {
  /** Sent as JSON. */
  body?: unknown;
  /** `null` sends no token. */
  token?: string | null;
}

const CLIENT = { 'User-Agent': 'usergraph-tests/1.0' };

function call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers = { ...CLIENT, ...options.headers, ...(token === null ? {} : { 'X-FreckleToken': token }) };
  const contentType = options.contentType ?? (options.body !== undefined || options.raw !== undefined ? 'application/json' : undefined);
  return send(emulator.url() + path, { method, json: options.body, raw: options.raw, contentType, headers });
}

const get = (path: string, options?: CallOptions): Promise<Reply> => call('GET', path, options);

function items(answer: Reply): Record<string, unknown>[] {
  if (!Array.isArray(answer.body)) throw new Error(`expected a JSON array, but got: ${answer.text.slice(0, 200)}`);
  return answer.body.map(record);
}

/** rel → page number of the `Link` header. */
function links(answer: Reply): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of (answer.headers.get('link') ?? '').matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)) out[m[2]!] = Number(new URL(m[1]!).searchParams.get('page'));
  return out;
}

async function allPages(path: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let next: string | undefined = emulator.url() + path;
  while (next) {
    const res = await send(next, { headers: { ...CLIENT, 'X-FreckleToken': TOKEN } });
    expect(res.status).toBe(200);
    out.push(...items(res));
    next = linkTo(res.headers.get('link'), 'next');
  }
  return out;
}


const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

beforeAll(async () => {
  emulator = createTimesheetEmulator({ population });
  await emulator.listen(0);
});

afterAll(async () => {
  await emulator.close();
});

describe('authentication and required headers', () => {
  it('accepts the token as the access_token query parameter, which the Link header keeps', async () => {
    const res = await get(`/users/${idOf(activeMember)}?access_token=${TOKEN}`, { token: null });
    expect(res.status).toBe(200);
    const list = await get(`/users?access_token=${TOKEN}`, { token: null });
    const next = /<([^>]+)>;\s*rel="next"/.exec(list.headers.get('link') ?? '')![1]!;
    expect(new URL(next).searchParams.get('access_token')).toBe(TOKEN);
  });

  it('rejects a request without a User-Agent with 400, even with a valid token', async () => {
    const res = await rawGet(`${emulator.url()}/users`, { 'X-FreckleToken': TOKEN });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ message: expect.stringContaining('User-Agent') });
  });

});

describe('seeded population', () => {
  let users: Record<string, unknown>[];
  beforeAll(async () => {
    users = items(await get('/users?per_page=1000'));
  });

  it('holds every timesheet member with integer id 5000 + index, the population email and names', () => {
    expect(users.map((u) => u.id)).toEqual(members.map(idOf));
    for (const [k, p] of members.entries()) {
      expect(users[k]).toMatchObject({ email: p.email, first_name: p.firstName, last_name: p.lastName });
    }
  });

  it('varies state and role by the documented index rules', () => {
    for (const [k, p] of members.entries()) expect([users[k]!.state, users[k]!.role]).toEqual([expectedState(p.index), expectedRole(p.index)]);
    const states = new Set(users.map((u) => u.state));
    const roles = new Set(users.map((u) => u.role));
    expect([...states].sort()).toEqual(['active', 'disabled', 'pending', 'suspended']);
    expect([...roles].sort()).toEqual(['admin', 'freelancer', 'member']);
    expect(users.filter((u) => u.state === 'active').length).toBeGreaterThan(users.length * 0.7);
  });

  it('gives everyone who works 35 to 90 entries and more than a page of expenses and projects', () => {
    for (const [k, p] of members.entries()) {
      const u = users[k]!;
      if (works(p.index)) {
        expect(u.entries).toBeGreaterThanOrEqual(35);
        expect(u.entries).toBeLessThanOrEqual(90);
        expect(u.expenses).toBeGreaterThan(30);
        expect(u.participating_projects).toBeGreaterThan(30);
      } else {
        expect([u.entries, u.expenses]).toEqual([0, 0]);
      }
    }
  });

  it('renders users in the documented wire shape', () => {
    const u = users.find((x) => x.id === idOf(activeFreelancer))!;
    const base = emulator.url();
    expect(u).toEqual({
      id: idOf(activeFreelancer),
      email: activeFreelancer.email,
      first_name: activeFreelancer.firstName,
      last_name: activeFreelancer.lastName,
      profile_image_url: u.profile_image_url === null ? null : expect.stringMatching(/^https:\/\//),
      url: `${base}/users/${u.id}`,
      state: 'active',
      role: 'freelancer',
      participating_projects: expect.any(Number),
      participating_projects_url: `${base}/users/${u.id}/participating_projects`,
      accessible_projects: u.participating_projects,
      accessible_projects_url: `${base}/users/${u.id}/accessible_projects`,
      entries: expect.any(Number),
      entries_url: `${base}/users/${u.id}/entries`,
      expenses: expect.any(Number),
      expenses_url: `${base}/users/${u.id}/expenses`,
      add_project_access: `${base}/users/${u.id}/give_access_to_projects`,
      remove_project_access: `${base}/users/${u.id}/revoke_access_to_projects`,
      created_at: expect.stringMatching(TIMESTAMP),
      updated_at: expect.stringMatching(TIMESTAMP),
    });
  });

  it('builds the same data from the same seed and other details from another seed', async () => {
    const build = async (seed: number): Promise<string> => {
      const e = createTimesheetEmulator({ population: buildPopulation({ seed, people: 30 }) });
      await e.listen(0);
      try {
        const res = await fetch(`${e.url()}/users/5000/entries?per_page=1000`, { headers: { 'User-Agent': 't', 'X-FreckleToken': TOKEN } });
        return (await res.text()).split(e.origin()).join('');
      } finally {
        await e.close();
      }
    };
    const [a, b, c] = await Promise.all([build(7), build(7), build(8)]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('GET /users: pagination', () => {
  it('answers 30 users per page by default with next and last links', async () => {
    const res = await get('/users');
    expect(res.status).toBe(200);
    expect(items(res)).toHaveLength(30);
    const last = Math.ceil(members.length / 30);
    expect(links(res)).toEqual({ next: 2, last });
  });

  it('links first, prev, next and last from a middle page, and only first and prev from the last', async () => {
    expect(links(await get('/users?page=2'))).toEqual({ first: 1, prev: 1, next: 3, last: Math.ceil(members.length / 30) });
    const lastPage = Math.ceil(members.length / 30);
    const res = await get(`/users?page=${lastPage}`);
    expect(items(res)).toHaveLength(members.length - (lastPage - 1) * 30);
    expect(links(res)).toEqual({ first: 1, prev: lastPage - 1 });
  });

  it('answers an empty array after the last page', async () => {
    const res = await get('/users?page=99');
    expect(res.body).toEqual([]);
    expect(links(res)).toMatchObject({ first: 1, last: Math.ceil(members.length / 30) });
  });

  it('visits every user exactly once when following next links', async () => {
    const all = await allPages('/users?per_page=7');
    expect(all.map((u) => u.id)).toEqual(members.map(idOf));
  });

  it('keeps the filters and per_page in the links', async () => {
    const res = await get('/users?state=active&per_page=5');
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')![1]!;
    expect(Object.fromEntries(new URL(next).searchParams)).toEqual({ state: 'active', per_page: '5', page: '2' });
  });

  it.each(['page=0', 'page=-1', 'page=abc', 'per_page=0', 'per_page=1001', 'per_page=ten'])('answers 400 without a body for %s (out of range or not a number)', async (q) => {
    const res = await get(`/users?${q}`);
    expect([res.status, res.text]).toEqual([400, '']);
  });

  it('accepts per_page=1000, the largest page', async () => {
    expect((await get('/users?per_page=1000')).status).toBe(200);
  });
});

describe('GET /users: filters', () => {
  it('treats email as a case-insensitive substring, so the re. trap person matches too', async () => {
    const ten = members.find((p) => p.index === 10)!;
    const eleven = members.find((p) => p.index === 11)!;
    expect(eleven.email).toBe(`re.${ten.email}`);
    const found = items(await get(`/users?email=${encodeURIComponent(ten.email.toUpperCase())}`));
    expect(found.map((u) => u.id).sort()).toEqual([idOf(ten), idOf(eleven)]);
  });

  it('filters by a substring of the full name, ignoring case', async () => {
    const p = activeMember;
    const found = items(await get(`/users?per_page=1000&name=${encodeURIComponent(`${p.firstName} ${p.lastName}`.toLowerCase())}`));
    expect(found.map((u) => u.id)).toContain(idOf(p));
    for (const u of found) expect(`${String(u.first_name)} ${String(u.last_name)}`.toLowerCase()).toContain(`${p.firstName} ${p.lastName}`.toLowerCase());
  });

  it('filters by role and by state, and both at once', async () => {
    const freelancers = items(await get('/users?role=freelancer&per_page=1000'));
    expect(freelancers.map((u) => u.id)).toEqual(members.filter((p) => expectedRole(p.index) === 'freelancer').map(idOf));
    const pending = items(await get('/users?state=pending&per_page=1000'));
    expect(pending.map((u) => u.id)).toEqual(members.filter((p) => expectedState(p.index) === 'pending').map(idOf));
    const both = items(await get('/users?state=disabled&role=freelancer&per_page=1000'));
    expect(both.map((u) => u.id)).toContain(idOf(disabledFreelancer));
    for (const u of both) expect([u.state, u.role]).toEqual(['disabled', 'freelancer']);
  });

  it.each(['role=owner', 'state=deleted', 'role=ADMIN'])('answers 400 for %s, not one of the accepted values', async (q) => {
    const res = await get(`/users?${q}`);
    expect([res.status, res.text]).toEqual([400, '']);
  });

  it('answers an empty page without links when nothing matches', async () => {
    const res = await get('/users?email=nobody-here');
    expect([res.status, res.body, res.headers.get('link')]).toEqual([200, [], null]);
  });
});

describe('GET /users/:id', () => {
  it('answers the user', async () => {
    const res = await get(`/users/${idOf(pendingPerson)}`);
    expect(res.status).toBe(200);
    expect(record(res.body)).toMatchObject({ id: idOf(pendingPerson), state: 'pending', email: pendingPerson.email });
  });

  const notInTimesheet = population.people.find((p) => !p.in.timesheet)!;
  it.each([
    ['an unknown id', '999999'],
    ['the id of a person timesheet does not hold', String(idOf(notInTimesheet))],
    ['a malformed id', 'abc'],
    ['id 0', '0'],
    ['a negative id', '-5000'],
  ])('answers 404 without a body for %s (%s)', async (_case, id) => {
    const res = await get(`/users/${id}`);
    expect([res.status, res.text]).toEqual([404, '']);
  });
});

describe("a user's entries", () => {
  const path = `/users/${idOf(activeMember)}/entries`;

  it('span several pages of 30, newest first, in the documented wire shape', async () => {
    const user = record((await get(`/users/${idOf(activeMember)}`)).body);
    const first = await get(path);
    expect(items(first)).toHaveLength(30);
    expect(links(first).next).toBe(2);
    const all = await allPages(path);
    expect(all).toHaveLength(Number(user.entries));
    const dates = all.map((e) => String(e.date));
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const e = all[0]!;
    expect(e).toEqual({
      id: expect.any(Number),
      date: expect.stringMatching(DAY),
      user: { id: idOf(activeMember), email: activeMember.email, first_name: activeMember.firstName, last_name: activeMember.lastName, profile_image_url: user.profile_image_url, url: user.url },
      billable: expect.any(Boolean),
      minutes: expect.any(Number),
      description: expect.any(String),
      project: e.project === null ? null : expect.objectContaining({ id: expect.any(Number), name: expect.any(String), billing_increment: expect.any(Number), color: expect.stringMatching(/^#[0-9a-f]{6}$/) }),
      tags: expect.any(Array),
      source_url: e.source_url === null ? null : expect.any(String),
      invoiced_at: e.invoiced_at === null ? null : expect.stringMatching(TIMESTAMP),
      invoice: e.invoice === null ? null : expect.objectContaining({ id: expect.any(Number), number: expect.any(String) }),
      import: e.import === null ? null : expect.objectContaining({ id: expect.any(Number) }),
      url: `${emulator.url()}/entries/${String(e.id)}`,
      created_at: expect.stringMatching(TIMESTAMP),
      updated_at: expect.stringMatching(TIMESTAMP),
    });
  });

  it('filters by from and to, inclusive', async () => {
    const all = await allPages(`${path}?per_page=1000`);
    const from = String(all[Math.floor(all.length * 0.7)]!.date);
    const to = String(all[Math.floor(all.length * 0.3)]!.date);
    const found = items(await get(`${path}?per_page=1000&from=${from}&to=${to}`));
    expect(found.map((e) => e.id)).toEqual(all.filter((e) => String(e.date) >= from && String(e.date) <= to).map((e) => e.id));
    expect(found.length).toBeGreaterThan(0);
  });

  it('filters by billable, project, description and invoice', async () => {
    const all = await allPages(`${path}?per_page=1000`);
    const billable = items(await get(`${path}?per_page=1000&billable=false`));
    expect(billable.map((e) => e.id)).toEqual(all.filter((e) => e.billable === false).map((e) => e.id));
    const projectId = record(all.find((e) => e.project !== null)!.project).id;
    const byProject = items(await get(`${path}?per_page=1000&project_ids=${String(projectId)},1`));
    expect(byProject.map((e) => e.id)).toEqual(all.filter((e) => e.project !== null && record(e.project).id === projectId).map((e) => e.id));
    const word = String(all[0]!.description).split(' ')[0]!;
    const byText = items(await get(`${path}?per_page=1000&description=${encodeURIComponent(word.toUpperCase())}`));
    expect(byText.map((e) => e.id)).toEqual(all.filter((e) => String(e.description).toLowerCase().includes(word.toLowerCase())).map((e) => e.id));
    const invoiced = all.find((e) => e.invoice !== null);
    if (invoiced) {
      const invoiceId = record(invoiced.invoice).id;
      const byInvoice = items(await get(`${path}?per_page=1000&invoice_ids=${String(invoiceId)}`));
      expect(byInvoice.length).toBeGreaterThan(0);
      for (const e of byInvoice) expect(record(e.invoice).id).toBe(invoiceId);
    }
  });

  it('filters by tags: every tag by default, any tag with combination of', async () => {
    const all = await allPages(`${path}?per_page=1000`);
    const tagIds = (e: Record<string, unknown>): unknown[] => (Array.isArray(e.tags) ? e.tags.map((t) => record(t).id) : []);
    const twoTags = all.find((e) => tagIds(e).length === 2)!;
    const [a, b] = tagIds(twoTags);
    const every = items(await get(`${path}?per_page=1000&tag_ids=${String(a)},${String(b)}`));
    expect(every.map((e) => e.id)).toEqual(all.filter((e) => tagIds(e).includes(a) && tagIds(e).includes(b)).map((e) => e.id));
    const any = items(await get(`${path}?per_page=1000&tag_ids=${String(a)},${String(b)}&tag_filter_type=combination%20of`));
    expect(any.map((e) => e.id)).toEqual(all.filter((e) => tagIds(e).includes(a) || tagIds(e).includes(b)).map((e) => e.id));
    expect(any.length).toBeGreaterThan(every.length);
  });

  it.each(['from=2023-13-01', 'to=yesterday', 'from=2023-02-30', 'billable=yes', 'project_ids=1,,2', 'tag_ids=a', 'tag_filter_type=or', 'invoiced_at_from=1/1/2023'])(
    'answers 400 without a body for %s (a malformed date, boolean or id list)',
    async (q) => {
      const res = await get(`${path}?${q}`);
      expect([res.status, res.text]).toEqual([400, '']);
    },
  );

  it('answers an empty first page for a user without entries', async () => {
    const res = await get(`/users/${idOf(activeWithoutEntries)}/entries`);
    expect([res.status, res.body, res.headers.get('link')]).toEqual([200, [], null]);
  });

  it('answers 404 for an unknown user', async () => {
    const res = await get('/users/999999/entries');
    expect([res.status, res.text]).toEqual([404, '']);
  });
});

describe("a user's expenses", () => {
  const path = `/users/${idOf(activeFreelancer)}/expenses`;

  it('span several pages, newest first, with the documented singular expense url', async () => {
    const first = await get(path);
    expect(items(first)).toHaveLength(30);
    expect(links(first).next).toBe(2);
    const all = await allPages(path);
    const user = record((await get(`/users/${idOf(activeFreelancer)}`)).body);
    expect(all).toHaveLength(Number(user.expenses));
    const dates = all.map((x) => String(x.date));
    expect([...dates].sort().reverse()).toEqual(dates);
    const x = all[0]!;
    expect(x).toEqual({
      id: expect.any(Number),
      price: expect.any(Number),
      description: expect.any(String),
      taxable: expect.any(Boolean),
      date: expect.stringMatching(DAY),
      project: expect.objectContaining({ id: expect.any(Number) }),
      invoice: x.invoice === null ? null : expect.objectContaining({ id: expect.any(Number), state: expect.stringMatching(/^(unpaid|awaiting_payment|paid)$/) }),
      user: expect.objectContaining({ id: idOf(activeFreelancer) }),
      url: `${emulator.url()}/expense/${String(x.id)}`,
      created_at: expect.stringMatching(TIMESTAMP),
      updated_at: expect.stringMatching(TIMESTAMP),
    });
  });

  it('filters by taxable, invoiced and date range', async () => {
    const all = await allPages(`${path}?per_page=1000`);
    const taxFree = items(await get(`${path}?per_page=1000&taxable=false`));
    expect(taxFree.map((x) => x.id)).toEqual(all.filter((x) => x.taxable === false).map((x) => x.id));
    const invoiced = items(await get(`${path}?per_page=1000&invoiced=true`));
    expect(invoiced.map((x) => x.id)).toEqual(all.filter((x) => x.invoice !== null).map((x) => x.id));
    const day = String(all[5]!.date);
    const onDay = items(await get(`${path}?per_page=1000&from=${day}&to=${day}`));
    expect(onDay.map((x) => x.id)).toEqual(all.filter((x) => x.date === day).map((x) => x.id));
  });

  it('answers 400 for a malformed filter and 404 for an unknown user', async () => {
    expect((await get(`${path}?invoiced=maybe`)).status).toBe(400);
    expect((await get('/users/999999/expenses')).status).toBe(404);
  });
});

describe("a user's participating projects", () => {
  const path = `/users/${idOf(activeMember)}/participating_projects`;

  it('span more than one page, sorted by name, with the user among the participants', async () => {
    const first = await get(path);
    expect(items(first)).toHaveLength(30);
    expect(links(first).next).toBe(2);
    const all = await allPages(path);
    const user = record((await get(`/users/${idOf(activeMember)}`)).body);
    expect(all).toHaveLength(Number(user.participating_projects));
    const names = all.map((p) => String(p.name));
    expect([...names].sort()).toEqual(names);
    for (const p of all) {
      expect(Array.isArray(p.participants) && p.participants.map((u) => record(u).id)).toContain(idOf(activeMember));
      expect(p.minutes).toBe(Number(p.billable_minutes) + Number(p.unbillable_minutes));
      expect(p.remaining_minutes).toBe(p.budget_minutes === null ? null : Number(p.budget_minutes) - Number(p.minutes));
      expect(p).toMatchObject({ entries_url: `${String(p.url)}/entries`, expenses_url: `${String(p.url)}/expenses` });
    }
  });

  it.each([
    ['enabled=false', (p: Record<string, unknown>) => p.enabled === false],
    ['billable=true', (p: Record<string, unknown>) => p.billable === true],
    ['name=acme', (p: Record<string, unknown>) => String(p.name).toLowerCase().includes('acme')],
    ['billing_increment=15', (p: Record<string, unknown>) => p.billing_increment === 15],
  ] as const)('filters by %s', async (q, keep) => {
    const all = await allPages(`${path}?per_page=1000`);
    const found = items(await get(`${path}?per_page=1000&${q}`));
    expect(found.map((p) => p.id)).toEqual(all.filter(keep).map((p) => p.id));
  });

  it('answers 400 for a billing increment that is not accepted and 404 for an unknown user', async () => {
    expect((await get(`${path}?billing_increment=7`)).status).toBe(400);
    expect((await get('/users/999999/participating_projects')).status).toBe(404);
  });
});

describe('POST /users', () => {
  afterEach(() => emulator.reset(true));

  it('creates a pending member by default with a new integer id, answering 200', async () => {
    const res = await call('POST', '/users', { body: { email: 'new.person@example.com' } });
    expect(res.status).toBe(200);
    const created = record(res.body);
    expect(created).toMatchObject({ email: 'new.person@example.com', first_name: null, last_name: null, role: 'member', state: 'pending', entries: 0, expenses: 0 });
    expect(Number.isInteger(created.id)).toBe(true);
    expect(Number(created.id)).toBeGreaterThan(5000 + population.people.length - 1);
    expect(record((await get(`/users/${String(created.id)}`)).body)).toEqual(created);
    expect(items(await get('/users?email=new.person')).map((u) => u.id)).toEqual([created.id]);
  });

  it('takes the names and role given, and never reuses an id', async () => {
    const a = record((await call('POST', '/users', { body: { email: 'a@example.com', first_name: 'Ann', last_name: 'Lee', role: 'freelancer' } })).body);
    const b = record((await call('POST', '/users', { body: { email: 'b@example.com', role: 'admin' } })).body);
    expect(a).toMatchObject({ first_name: 'Ann', last_name: 'Lee', role: 'freelancer' });
    expect(b.role).toBe('admin');
    expect((await call('DELETE', `/users/${String(b.id)}`)).status).toBe(204);
    const c = record((await call('POST', '/users', { body: { email: 'c@example.com' } })).body);
    expect(Number(c.id)).toBeGreaterThan(Number(b.id));
  });

  it.each([{}, { email: '' }, { email: '   ' }, { email: null }, { first_name: 'No Email' }])('refuses %j, a missing or blank email, with 422 missing_field', async (body) => {
    const res = await call('POST', '/users', { body });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'email', code: 'missing_field' }] });
  });

  it('refuses a request without a body with 422', async () => {
    const empty = await call('POST', '/users');
    expect(empty.status).toBe(422);
  });

  it('refuses an email already taken, ignoring case, and creates nothing', async () => {
    const before = items(await get('/users?per_page=1000')).length;
    const res = await call('POST', '/users', { body: { email: activeMember.email.toUpperCase() } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'email', code: 'already_exists' }] });
    expect(items(await get('/users?per_page=1000'))).toHaveLength(before);
  });

  it.each([
    ['an email that is a number', { email: 42 }],
    ['an email that is not one', { email: 'not-an-email' }],
    ['an unknown role', { email: 'x@example.com', role: 'owner' }],
    ['a first name that is a number', { email: 'x@example.com', first_name: 7 }],
    ['a last name over 255 characters', { email: 'x@example.com', last_name: 'x'.repeat(256) }],
  ])('answers 400 without a body for %s, creating nobody', async (_case, body) => {
    const res = await call('POST', '/users', { body });
    expect([res.status, res.text]).toEqual([400, '']);
    expect(items(await get('/users?email=x@example.com'))).toEqual([]);
  });

  it.each(['[]', '"text"', '42', 'null'])('answers 400 "Body should be JSON Hash" for the non-object body %s', async (raw) => {
    const res = await call('POST', '/users', { raw });
    expect([res.status, res.body]).toEqual([400, { message: 'Body should be JSON Hash' }]);
  });

  it('answers the documented parsing errors for malformed JSON and a non-JSON body', async () => {
    const malformed = await call('POST', '/users', { raw: '{"email": ' });
    expect([malformed.status, malformed.body]).toEqual([400, { message: 'JSON Parsing Error' }]);
    const plain = await call('POST', '/users', { raw: '{"email":"p@example.com"}', contentType: 'text/plain' });
    expect([plain.status, plain.body]).toEqual([400, { message: 'JSON Parsing Error' }]);
    expect(items(await get('/users?email=p@example.com'))).toEqual([]);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const res = await call('POST', '/users', { raw: JSON.stringify({ email: 'big@example.com', first_name: 'x'.repeat(1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ message: expect.any(String) });
  });

  it('stamps created_at and updated_at of writes with the clock given in the options, to the second', async () => {
    let now = Date.UTC(2024, 5, 1, 12, 0, 0, 750);
    const clocked = createTimesheetEmulator({ population: buildPopulation({ people: 10 }), now: () => now });
    await clocked.listen(0);
    try {
      const send = async (method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
        const res = await fetch(clocked.url() + path, { method, headers: { 'User-Agent': 't', 'X-FreckleToken': TOKEN, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        return record(await res.json());
      };
      const created = await send('POST', '/users', { email: 'clock@example.com' });
      expect([created.created_at, created.updated_at]).toEqual(['2024-06-01T12:00:00Z', '2024-06-01T12:00:00Z']);
      now += 60_000;
      const edited = await send('PATCH', `/users/${String(created.id)}`, { first_name: 'Tick' });
      expect([edited.created_at, edited.updated_at]).toEqual(['2024-06-01T12:00:00Z', '2024-06-01T12:01:00Z']);
    } finally {
      await clocked.close();
    }
  });

  it('refuses with reached_user_limit once the account holds as many active and pending users as allowed', async () => {
    const small = buildPopulation({ people: 10 });
    const seats = membersOf(small, 'timesheet').filter((p) => ['active', 'pending'].includes(expectedState(p.index))).length;
    const limited = createTimesheetEmulator({ population: small, userLimit: seats + 1 });
    await limited.listen(0);
    try {
      const post = (email: string): Promise<Response> =>
        fetch(`${limited.url()}/users`, { method: 'POST', headers: { 'User-Agent': 't', 'X-FreckleToken': TOKEN, 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
      expect((await post('one@example.com')).status).toBe(200);
      const refused = await post('two@example.com');
      expect(refused.status).toBe(422);
      expect(await refused.json()).toEqual({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'base', code: 'reached_user_limit' }] });
    } finally {
      await limited.close();
    }
  });
});

describe('PATCH /users/:id', () => {
  afterEach(() => emulator.reset(true));
  const path = `/users/${idOf(activeMember)}`;

  it('changes only the keys sent, and clears a name sent as null', async () => {
    const before = record((await get(path)).body);
    const res = await call('PATCH', path, { body: { first_name: 'Changed', last_name: null } });
    expect(res.status).toBe(200);
    const after = record(res.body);
    expect(after).toEqual({ ...before, first_name: 'Changed', last_name: null, updated_at: expect.stringMatching(TIMESTAMP) });
    expect(after.updated_at).not.toBe(before.updated_at);
    expect(record((await get(path)).body)).toEqual(after);
  });

  it('changes email and role', async () => {
    const res = await call('PATCH', path, { body: { email: 'moved@example.com', role: 'admin' } });
    expect(record(res.body)).toMatchObject({ email: 'moved@example.com', role: 'admin' });
    expect(items(await get('/users?email=moved@example.com')).map((u) => u.id)).toEqual([idOf(activeMember)]);
  });

  it('leaves the user untouched for an empty body', async () => {
    const before = record((await get(path)).body);
    const res = await call('PATCH', path, { body: {} });
    expect([res.status, res.body]).toEqual([200, before]);
  });

  it.each([
    ['disabled', disabledPerson],
    ['suspended', suspendedPerson],
  ])('refuses to edit a %s user with deactivated, changing nothing', async (_state, p) => {
    const before = (await get(`/users/${idOf(p)}`)).body;
    const res = await call('PATCH', `/users/${idOf(p)}`, { body: { first_name: 'Nope' } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'base', code: 'deactivated' }] });
    expect((await get(`/users/${idOf(p)}`)).body).toEqual(before);
  });

  it('refuses a null email or role and an email of someone else, changing nothing', async () => {
    const before = (await get(path)).body;
    const nulls = await call('PATCH', path, { body: { email: null, role: null, first_name: 'Half' } });
    expect(nulls.status).toBe(422);
    expect(nulls.body).toEqual({
      message: 'Validation Failed',
      errors: [
        { resource: 'User', field: 'email', code: 'missing_field' },
        { resource: 'User', field: 'role', code: 'missing_field' },
      ],
    });
    const taken = await call('PATCH', path, { body: { email: activeFreelancer.email } });
    expect(taken.body).toEqual({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'email', code: 'already_exists' }] });
    expect((await get(path)).body).toEqual(before);
  });

  it('accepts the user keeping their own email in another case', async () => {
    const res = await call('PATCH', path, { body: { email: activeMember.email.toUpperCase() } });
    expect(res.status).toBe(200);
  });

  it.each([{ role: 'boss' }, { email: ['a@b.c'] }, { first_name: false }])('answers 400 for %j, a field in the wrong format, changing nothing', async (body) => {
    const before = (await get(path)).body;
    const res = await call('PATCH', path, { body });
    expect([res.status, res.text]).toEqual([400, '']);
    expect((await get(path)).body).toEqual(before);
  });

  it('answers 404 for an unknown user', async () => {
    expect((await call('PATCH', '/users/999999', { body: { first_name: 'X' } })).status).toBe(404);
  });

  it('answers the parsing errors for malformed and non-object bodies', async () => {
    expect((await call('PATCH', path, { raw: '{' })).body).toEqual({ message: 'JSON Parsing Error' });
    expect((await call('PATCH', path, { raw: '[1]' })).body).toEqual({ message: 'Body should be JSON Hash' });
  });
});

describe('user actions: invitation, activation, deactivation', () => {
  afterEach(() => emulator.reset(true));
  const refusal = (code: string): unknown => ({ message: 'Validation Failed', errors: [{ resource: 'User', field: 'base', code }] });

  it('resends the invitation of a pending user with 204 and no body', async () => {
    const res = await call('PUT', `/users/${idOf(pendingPerson)}/resend_invitation_email`);
    expect([res.status, res.text]).toEqual([204, '']);
  });

  it.each([
    ['an active', activeMember],
    ['a disabled', disabledPerson],
  ])('refuses to resend the invitation of %s user (not pending) with not_pending', async (_state, p) => {
    const res = await call('PUT', `/users/${idOf(p)}/resend_invitation_email`);
    expect([res.status, res.body]).toEqual([422, refusal('not_pending')]);
  });

  it.each([
    ['disabled', disabledPerson],
    ['suspended', suspendedPerson],
  ])('activates a %s user', async (_state, p) => {
    const res = await call('PUT', `/users/${idOf(p)}/activate`);
    expect([res.status, res.text]).toEqual([204, '']);
    expect(record((await get(`/users/${idOf(p)}`)).body).state).toBe('active');
  });

  it.each([
    ['an active', activeMember],
    ['a pending', pendingPerson],
  ])('refuses to activate %s user (not deactivated) with not_deactivated, changing nothing', async (_state, p) => {
    const before = (await get(`/users/${idOf(p)}`)).body;
    const res = await call('PUT', `/users/${idOf(p)}/activate`);
    expect([res.status, res.body]).toEqual([422, refusal('not_deactivated')]);
    expect((await get(`/users/${idOf(p)}`)).body).toEqual(before);
  });

  it('deactivates an active user who has entries, who can then be activated again', async () => {
    const path = `/users/${idOf(activeMember)}`;
    expect((await call('PUT', `${path}/deactivate`)).status).toBe(204);
    expect(record((await get(path)).body).state).toBe('disabled');
    expect((await call('PUT', `${path}/activate`)).status).toBe(204);
    expect(record((await get(path)).body).state).toBe('active');
  });

  it.each([
    ['an active', activeWithoutEntries],
    ['a pending', pendingPerson],
  ])('refuses to deactivate %s user without entries with deletable, changing nothing', async (_state, p) => {
    const before = (await get(`/users/${idOf(p)}`)).body;
    const res = await call('PUT', `/users/${idOf(p)}/deactivate`);
    expect([res.status, res.body]).toEqual([422, refusal('deletable')]);
    expect((await get(`/users/${idOf(p)}`)).body).toEqual(before);
  });

  it.each(['resend_invitation_email', 'activate', 'deactivate', 'give_access_to_projects', 'revoke_access_to_projects'])('answers 404 for an unknown user on %s', async (action) => {
    const res = await call('PUT', `/users/999999/${action}`, { body: { projects: [37000] } });
    expect([res.status, res.text]).toEqual([404, '']);
  });
});

describe('user actions: freelancer project access', () => {
  afterEach(() => emulator.reset(true));
  const refusal = (code: string, field = 'base', resource = 'User'): unknown => ({ message: 'Validation Failed', errors: [{ resource, field, code }] });

  async function accessibleCount(p: DemoPerson): Promise<number> {
    return Number(record((await get(`/users/${idOf(p)}`)).body).accessible_projects);
  }

  /** Project ids the freelancer does not take part in (seeded access equals participation). */
  async function projectsWithoutAccess(p: DemoPerson, count: number): Promise<number[]> {
    const own = new Set((await allPages(`/users/${idOf(p)}/participating_projects?per_page=1000`)).map((x) => Number(x.id)));
    const out: number[] = [];
    for (let id = 37000; out.length < count; id++) if (!own.has(id)) out.push(id);
    return out;
  }

  it('gives a freelancer access to projects, then revokes it', async () => {
    const path = `/users/${idOf(activeFreelancer)}`;
    const before = await accessibleCount(activeFreelancer);
    const ids = await projectsWithoutAccess(activeFreelancer, 2);
    const give = await call('PUT', `${path}/give_access_to_projects`, { body: { projects: ids } });
    expect([give.status, give.text]).toEqual([204, '']);
    expect(await accessibleCount(activeFreelancer)).toBe(before + 2);
    const again = await call('PUT', `${path}/give_access_to_projects`, { body: { projects: ids } });
    expect([again.status, again.body]).toEqual([422, refusal('already_has_access', 'projects')]);
    expect(await accessibleCount(activeFreelancer)).toBe(before + 2);
    const revoke = await call('PUT', `${path}/revoke_access_to_projects`, { body: { projects: ids } });
    expect([revoke.status, revoke.text]).toEqual([204, '']);
    expect(await accessibleCount(activeFreelancer)).toBe(before);
  });

  it('lists what was granted among the participating projects, and drops what was revoked', async () => {
    const path = `/users/${idOf(activeFreelancer)}`;
    const participating = async (): Promise<number[]> => (await allPages(`${path}/participating_projects?per_page=1000`)).map((x) => Number(x.id));
    const before = await participating();
    const [granted] = await projectsWithoutAccess(activeFreelancer, 1);
    const stampedBefore = record((await get(path)).body).updated_at;
    expect((await call('PUT', `${path}/give_access_to_projects`, { body: { projects: [granted] } })).status).toBe(204);
    expect(await participating()).toEqual(expect.arrayContaining([...before, granted]));
    expect(record((await get(path)).body)).toMatchObject({ participating_projects: before.length + 1, accessible_projects: before.length + 1 });
    expect(record((await get(path)).body).updated_at).not.toBe(stampedBefore);
    const revoked = before[0]!;
    expect((await call('PUT', `${path}/revoke_access_to_projects`, { body: { projects: [revoked, granted] } })).status).toBe(204);
    expect((await participating()).sort()).toEqual(before.filter((id) => id !== revoked).sort());
  });

  it('answers 204 and changes nothing when revoking access the freelancer does not have', async () => {
    const path = `/users/${idOf(activeFreelancer)}`;
    const before = (await get(path)).body;
    const ids = await projectsWithoutAccess(activeFreelancer, 2);
    const res = await call('PUT', `${path}/revoke_access_to_projects`, { body: { projects: ids } });
    expect([res.status, res.text]).toEqual([204, '']);
    expect((await get(path)).body).toEqual(before);
  });

  it.each(['give_access_to_projects', 'revoke_access_to_projects'])('refuses %s for a member with not_a_freelancer', async (action) => {
    const res = await call('PUT', `/users/${idOf(activeMember)}/${action}`, { body: { projects: [37000] } });
    expect([res.status, res.body]).toEqual([422, refusal('not_a_freelancer')]);
  });

  it.each(['give_access_to_projects', 'revoke_access_to_projects'])('refuses %s for a deactivated freelancer with deactivated, changing nothing', async (action) => {
    const path = `/users/${idOf(disabledFreelancer)}`;
    const before = (await get(path)).body;
    const [own] = (await allPages(`${path}/participating_projects?per_page=1000`)).map((x) => Number(x.id));
    const [other] = await projectsWithoutAccess(disabledFreelancer, 1);
    const res = await call('PUT', `${path}/${action}`, { body: { projects: [own, other] } });
    expect([res.status, res.body]).toEqual([422, refusal('deactivated')]);
    expect((await get(path)).body).toEqual(before);
  });

  it('refuses unknown projects with missing and grants none of the list', async () => {
    const before = await accessibleCount(activeFreelancer);
    const [known] = await projectsWithoutAccess(activeFreelancer, 1);
    const res = await call('PUT', `/users/${idOf(activeFreelancer)}/give_access_to_projects`, { body: { projects: [known, 99] } });
    expect([res.status, res.body]).toEqual([422, refusal('missing', 'projects', 'Project')]);
    expect(await accessibleCount(activeFreelancer)).toBe(before);
  });

  it.each([{}, { projects: [] }, { projects: null }])('requires projects: %j is refused with 422 missing_field', async (body) => {
    const res = await call('PUT', `/users/${idOf(activeFreelancer)}/give_access_to_projects`, { body });
    expect([res.status, res.body]).toEqual([422, refusal('missing_field', 'projects')]);
  });

  it.each([{ projects: '37000' }, { projects: [37000.5] }, { projects: ['37000'] }, { projects: [-1] }])('requires projects as an array of integer ids: %j is answered 400', async (body) => {
    const res = await call('PUT', `/users/${idOf(activeFreelancer)}/revoke_access_to_projects`, { body });
    expect([res.status, res.text]).toEqual([400, '']);
  });
});

describe('DELETE /users/:id', () => {
  afterEach(() => emulator.reset(true));

  it('deletes a user without entries with 204; the user is then gone', async () => {
    const path = `/users/${idOf(activeWithoutEntries)}`;
    const res = await call('DELETE', path);
    expect([res.status, res.text]).toEqual([204, '']);
    expect((await get(path)).status).toBe(404);
    expect((await call('DELETE', path)).status).toBe(404);
    expect(items(await get('/users?per_page=1000')).map((u) => u.id)).not.toContain(idOf(activeWithoutEntries));
  });

  it.each([
    ['an active', activeMember],
    ['a disabled', disabledPerson],
  ])('refuses to delete %s user with entries with dependent, changing nothing', async (_state, p) => {
    const path = `/users/${idOf(p)}`;
    const before = (await get(path)).body;
    const res = await call('DELETE', path);
    expect([res.status, res.body]).toEqual([422, { message: 'Validation Failed', errors: [{ resource: 'User', field: 'base', code: 'dependent' }] }]);
    expect((await get(path)).body).toEqual(before);
  });
});

describe('emulator hooks as this upstream answers them', () => {
  afterEach(() => emulator.reset(true));

  it('restores the seeded data on reset with data', async () => {
    const before = (await get(`/users/${idOf(activeMember)}`)).body;
    await call('PATCH', `/users/${idOf(activeMember)}`, { body: { first_name: 'Changed' } });
    await call('POST', '/users', { body: { email: 'temp@example.com' } });
    const reset = await fetch(`${emulator.origin()}/__emulator/reset?data=true`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect((await get(`/users/${idOf(activeMember)}`)).body).toEqual(before);
    expect(items(await get('/users?email=temp@example.com'))).toEqual([]);
  });

  it('answers an injected 403 without a body, as documented', async () => {
    emulator.setFaults({ status: 403, count: 1 });
    const forbidden = await get('/users');
    expect([forbidden.status, forbidden.text]).toEqual([403, '']);
  });
});

describe('the OpenAPI document against real answers', () => {
  let api: OpenApi;
  beforeAll(async () => {
    api = await loadOpenApi(emulator.origin());
  });
  afterEach(() => emulator.reset(true));

  it.each([
    ['/users', '/users?per_page=1000'],
    ['/users/{id}/entries', `/users/${idOf(activeMember)}/entries?per_page=1000`],
    ['/users/{id}/expenses', `/users/${idOf(activeFreelancer)}/expenses?per_page=1000`],
    ['/users/{id}/participating_projects', `/users/${idOf(activeMember)}/participating_projects?per_page=1000`],
  ] as const)('describes the list answer of GET %s, item by item, with nothing undeclared', async (path, url) => {
    const res = await get(url);
    expect(api.responseProblems(path, 'get', 200, res.body)).toEqual([]);
  });

  it('describes a created user, an edited user and the error bodies', async () => {
    const created = await call('POST', '/users', { body: { email: 'schema@example.com', role: 'freelancer' } });
    expect(api.responseProblems('/users', 'post', 200, created.body)).toEqual([]);
    const edited = await call('PATCH', `/users/${idOf(activeMember)}`, { body: { last_name: null } });
    expect(api.responseProblems('/users/{id}', 'patch', 200, edited.body)).toEqual([]);
    const refused = await call('PUT', `/users/${idOf(activeMember)}/activate`);
    expect(api.responseProblems('/users/{id}/activate', 'put', 422, refused.body)).toEqual([]);
    const malformed = await call('POST', '/users', { raw: '{' });
    expect(api.responseProblems('/users', 'post', 400, malformed.body)).toEqual([]);
    const unauthorized = await get('/users', { token: null });
    expect(api.responseProblems('/users', 'get', 401, unauthorized.body)).toEqual([]);
  });

  it('catches an answer that does not fit (the checker itself can fail)', () => {
    const problems = api.responseProblems('/users/{id}', 'get', 200, { id: '5000', extra: true });
    expect(problems).toEqual(
      expect.arrayContaining(['GET /users/{id} 200/id must be integer', 'GET /users/{id} 200.extra is not described', "GET /users/{id} 200 must have required property 'email'"]),
    );
  });
});

describe('the README table of interesting people', () => {
  const readme = readFileSync(join(__dirname, '../../src/emulators/timesheet/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Interesting people'));
  const rows = [...section.matchAll(/^\| (\d+) \| (\d+) \| `([^`]+)` \| (\w+) \| (\w+) \| (\d+) \| (\d+) \| (\d+) \|$/gm)].map((m) => m.slice(1));

  it('lists at least ten people', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows)('matches what the emulator serves for person %s (user %s, %s)', async (index, id, email, userState, userRole, entries, expenses, projects) => {
    expect(Number(id)).toBe(5000 + Number(index));
    const served = record((await get(`/users/${id}`)).body);
    expect([served.email, served.state, served.role, served.entries, served.expenses, served.participating_projects]).toEqual([
      email,
      userState,
      userRole,
      Number(entries),
      Number(expenses),
      Number(projects),
    ]);
  });
});
