/**
 * Relay pagination on every connection, forward (`first`/`after`) and backward (`last`/`before`): the
 * pages meet exactly, `pageInfo` tells the truth, bad arguments are refused before any upstream call, and
 * the timesheet connections cost the calls src/graph/resolvers/timesheet.ts promises (the emulator's
 * request counter). The expected items are read independently, as one page of the whole list.
 */
import { sync } from '../../src/registry/sync';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: PageInfo;
}

let t: TestGateway;
let token: string;

beforeAll(async () => {
  t = await startTestGateway({ people: 30 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  token = await t.tokenFor(t.population.people[0]!);
}, 60_000);
afterAll(() => t.close());

const PAGE = 'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
type List = 'entries' | 'expenses' | 'participatingProjects';

/** One page of one of the person's timesheet lists, and the timesheet calls it cost. */
async function page(list: List, args: Record<string, unknown>): Promise<{ page: Page; calls: number; res: GraphQLResult<{ me: Record<List, Page | null> }> }> {
  const declared = Object.keys(args).map((k) => `$${k}: ${k === 'first' || k === 'last' ? 'Int' : k === 'from' || k === 'to' ? 'Date' : 'String'}`);
  const passed = Object.keys(args).map((k) => `${k}: $${k}`);
  t.resetCounts();
  const res = await t.query<{ me: Record<List, Page | null> }>(`query P${declared.length ? `(${declared.join(', ')})` : ''} { me { ${list}${passed.length ? `(${passed.join(', ')})` : ''} { ${PAGE} } } }`, {
    token,
    variables: args,
  });
  const calls = t.totals().timesheet;
  const found = res.data?.me?.[list];
  return { page: found ?? { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } }, calls, res };
}

const ids = (p: Page): string[] => p.edges.map((e) => e.node.id);

/** The whole list in one page of 100 (each of the person's lists is shorter), with every edge's cursor. */
async function whole(list: List): Promise<Page> {
  const { page: all, res } = await page(list, { first: 100 });
  expect(res.errors).toBeUndefined();
  expect(all.pageInfo.hasNextPage).toBe(false);
  expect(all.edges.length).toBeGreaterThan(20);
  return all;
}

describe('backward and forward pages of a timesheet connection', () => {
  let all: Page;
  let n: number;
  beforeAll(async () => {
    all = await whole('entries');
    n = all.edges.length;
  });

  it('gives the last items of the list for last without before, in list order', async () => {
    const { page: last, res } = await page('entries', { last: 7 });
    expect(res.errors).toBeUndefined();
    expect(ids(last)).toEqual(ids(all).slice(n - 7));
    expect(last.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: all.edges[n - 7]!.cursor, endCursor: all.edges[n - 1]!.cursor });
  });

  it('pages back from every item with last and before, and forward from every item with first and after', async () => {
    const size = 7;
    for (let i = 0; i < n; i++) {
      const cursor = all.edges[i]!.cursor;
      const back = await page('entries', { last: size, before: cursor });
      const from = Math.max(0, i - size);
      expect({ i, ids: ids(back.page), info: back.page.pageInfo }).toEqual({
        i,
        ids: ids(all).slice(from, i),
        info: { hasNextPage: true, hasPreviousPage: from > 0, startCursor: i > 0 ? all.edges[from]!.cursor : null, endCursor: i > 0 ? all.edges[i - 1]!.cursor : null },
      });
      expect(back.calls).toBeLessThanOrEqual(i === 0 ? 0 : 2);

      const forward = await page('entries', { first: size, after: cursor });
      const to = Math.min(n, i + 1 + size);
      expect({ i, ids: ids(forward.page), info: forward.page.pageInfo }).toEqual({
        i,
        ids: ids(all).slice(i + 1, to),
        // An unaligned page that reaches into the last upstream page still says whether items follow.
        info: { hasNextPage: to < n, hasPreviousPage: true, startCursor: all.edges[i + 1]?.cursor ?? null, endCursor: to > i + 1 ? all.edges[to - 1]!.cursor : null },
      });
      expect(forward.calls).toBeLessThanOrEqual(2);
    }
  });

  it('walks the whole list backward from its end, and meets the forward pages exactly', async () => {
    const seen: string[][] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const { page: p, res }: Awaited<ReturnType<typeof page>> = await page('entries', before ? { last: 6, before } : { last: 6 });
      expect(res.errors).toBeUndefined();
      seen.unshift(ids(p));
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen.flat()).toEqual(ids(all));
    const first = await page('entries', { first: 6 });
    const second = await page('entries', { first: 6, after: first.page.pageInfo.endCursor });
    const back = await page('entries', { last: 6, before: second.page.pageInfo.startCursor });
    expect(back.page).toEqual({ edges: first.page.edges, pageInfo: { ...first.page.pageInfo, hasNextPage: true } });
  });

  it('bounds the list by after and before together, either way', async () => {
    const [a, b] = [all.edges[3]!.cursor, all.edges[9]!.cursor];
    const forward = await page('entries', { first: 10, after: a, before: b });
    expect(ids(forward.page)).toEqual(ids(all).slice(4, 9));
    expect([forward.page.pageInfo.hasPreviousPage, forward.page.pageInfo.hasNextPage]).toEqual([true, false]);
    const backward = await page('entries', { last: 2, after: a, before: b });
    expect(ids(backward.page)).toEqual(ids(all).slice(7, 9));
    expect([backward.page.pageInfo.hasPreviousPage, backward.page.pageInfo.hasNextPage]).toEqual([true, true]);
    const empty = await page('entries', { first: 5, after: b, before: a });
    expect([empty.page.edges, empty.calls]).toEqual([[], 0]);
  });

  it('pages expenses and participating projects backward to their start as well', async () => {
    for (const list of ['expenses', 'participatingProjects'] as const) {
      const everything = await whole(list);
      const seen: string[] = [];
      let before: string | null = null;
      for (let guard = 0; guard < 30; guard++) {
        const { page: p }: Awaited<ReturnType<typeof page>> = await page(list, before ? { last: 8, before } : { last: 8 });
        seen.unshift(...ids(p));
        if (!p.pageInfo.hasPreviousPage) break;
        before = p.pageInfo.startCursor;
      }
      expect({ list, seen }).toEqual({ list, seen: ids(everything) });
    }
  });
});

describe('what a backward page costs upstream', () => {
  let n: number;
  beforeAll(async () => {
    n = (await whole('entries')).edges.length;
    // The cases below need a list that is not one page of 7, that 7 does not divide and that 10 does.
    expect([n > 14, n % 7 !== 0, n % 10 === 0]).toEqual([true, true, true]);
  });

  it('costs one call when the list fits one page', async () => {
    expect((await page('entries', { last: 100 })).calls).toBe(1);
  });

  it('costs two when the last page fills the window: page 1 (whose Link names the last page), then the last', async () => {
    const { page: p, calls } = await page('entries', { last: 10 });
    expect(p.edges).toHaveLength(10);
    expect(calls).toBe(2);
  });

  it('costs three when the last page is short: page 1, the last page, and the one before it', async () => {
    const { page: p, calls } = await page('entries', { last: 7 });
    expect(p.edges).toHaveLength(7);
    expect(calls).toBe(3);
  });

  it('costs one or two with before, as a forward page does: one when the window starts on a page boundary', async () => {
    const all = await whole('entries');
    expect((await page('entries', { last: 10, before: all.edges[20]!.cursor })).calls).toBe(1);
    expect((await page('entries', { last: 10, before: all.edges[25]!.cursor })).calls).toBe(2);
  });
});

describe('bad page arguments', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['first and last together', { first: 2, last: 2 }, 'last', /^first and last cannot be used together/],
    ['last of 0', { last: 0 }, 'last', /^last must be from 1 to 100, but got: 0$/],
    ['a negative last', { last: -3 }, 'last', /^last must be from 1 to 100, but got: -3$/],
    ['last over the maximum page size', { last: 101 }, 'last', /^last must be from 1 to 100, but got: 101$/],
    ['a negative first', { first: -1 }, 'first', /^first must be from 1 to 100, but got: -1$/],
    ['a malformed before', { last: 2, before: 'not-a-cursor!' }, 'before', /^before is not a cursor this API returned/],
    ['a malformed after', { first: 2, after: 'bm9wZQ' }, 'after', /^after is not a cursor this API returned/],
  ];

  it.each(cases)('refuses %s on a timesheet connection with BAD_USER_INPUT, before any upstream call', async (_case, args, path, message) => {
    const { res, calls } = await page('entries', args);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.message).toMatch(message);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: [path] }] });
    expect(calls).toBe(0);
  });

  it.each(cases)('refuses %s on users with BAD_USER_INPUT', async (_case, args, path, message) => {
    const declared = Object.keys(args).map((k) => `$${k}: ${k === 'first' || k === 'last' ? 'Int' : 'String'}`);
    const res = await t.query<unknown>(`query(${declared.join(', ')}) { users(${Object.keys(args).map((k) => `${k}: $${k}`).join(', ')}) { nodes { id } } }`, { variables: args });
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: [path] }] });
  });

  it('refuses a cursor past any page the time tracker serves at the cursor itself, naming no parameter of its own', async () => {
    // A cursor is an index; with first: 1 the page holding index 5 000 000 would be page 5 000 001, past
    // the time tracker's last page number (1 000 000). The caller named after, so the refusal is at after.
    const issued = Buffer.from((await page('entries', { first: 1 })).page.pageInfo.endCursor!, 'base64url').toString('utf8');
    const far = Buffer.from(issued.replace(/:\d+$/, ':5000000'), 'utf8').toString('base64url');
    for (const args of [{ first: 1, after: far }, { last: 1, before: far }]) {
      const { res, calls } = await page('entries', args);
      const [argument] = Object.keys(args).filter((k) => k === 'after' || k === 'before');
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0]!.message).toMatch(new RegExp(`^${argument} `));
      expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: [argument], message: expect.any(String) }] });
      expect(calls).toBe(0);
    }
  });

  it("refuses a timesheet list's cursor on another list, under other filters, or edited to another list's scope", async () => {
    const entry = (await page('entries', { first: 2 })).page.pageInfo.endCursor!;
    expect((await page('entries', { first: 1, after: entry })).res.errors).toBeUndefined();
    for (const [list, args] of [
      ['expenses', { first: 1, after: entry }],
      ['participatingProjects', { last: 1, before: entry }],
      ['entries', { first: 1, after: entry, from: '2020-01-01' }],
    ] as const) {
      const { res, calls } = await page(list, args);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['after' in args ? 'after' : 'before'] }] });
      expect(calls).toBe(0);
    }
    // Another person's list: the same position under the admin's view of someone else.
    const other = t.population.people[1]!;
    const res = await t.query<unknown>(
      'query($e: EmailAddress!, $c: String) { userByEmail(email: $e) { entries(first: 1, after: $c) { edges { cursor } } } }',
      { variables: { e: other.email, c: entry } },
    );
    expect((res.errors ?? [])[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['after'] }] });
  });

  it("refuses one connection's cursor on another: a users cursor on entries, an entries cursor on users", async () => {
    const users = await t.query<{ users: { pageInfo: PageInfo } }>('{ users(first: 1) { pageInfo { endCursor } } }');
    const entries = await page('entries', { first: 1 });
    const onEntries = await page('entries', { last: 1, before: dataOf(users).users.pageInfo.endCursor });
    expect(onEntries.res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['before'] }] });
    const onUsers = await t.query<unknown>('query($c: String) { users(last: 1, before: $c) { nodes { id } } }', { variables: { c: entries.page.pageInfo.endCursor } });
    expect(onUsers.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['before'] }] });
  });
});

describe('backward pages of users', () => {
  type UsersPage = { users: { totalCount: number } & Page };
  const USERS = `query U($first: Int, $after: String, $last: Int, $before: String) {
    users(first: $first, after: $after, last: $last, before: $before) { totalCount ${PAGE} }
  }`;
  const users = async (variables: Record<string, unknown>): Promise<UsersPage['users']> => dataOf(await t.query<UsersPage>(USERS, { variables })).users;

  it('walks everyone backward from the end and meets the forward order, at no upstream cost', async () => {
    const all = await users({ first: 100 });
    expect(all.pageInfo.hasNextPage).toBe(false);
    t.resetCounts();
    const seen: string[] = [];
    const flags: boolean[][] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 40; guard++) {
      const p: UsersPage['users'] = await users(before ? { last: 4, before } : { last: 4 });
      expect(p.totalCount).toBe(all.totalCount);
      seen.unshift(...ids(p));
      flags.push([p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen).toEqual(ids(all));
    expect(flags[0]).toEqual([true, false]);
    expect(flags.at(-1)).toEqual([false, true]);
    expect(Object.values(t.totals()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('defaults to first: 20 when neither first nor last is given', async () => {
    const p = await users({});
    expect(p.edges).toHaveLength(20);
    expect([p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]).toEqual([false, true]);
  });

  it('shows a plain user only themselves, backward too', async () => {
    const res = await t.query<UsersPage>(USERS, { token, variables: { last: 5 } });
    const p = dataOf(res).users;
    expect(p.totalCount).toBe(1);
    expect(p.edges).toHaveLength(1);
    expect([p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]).toEqual([false, false]);
  });
});
