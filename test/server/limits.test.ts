/**
 * Hostile operations over real HTTP (DESIGN.md "Limits, budgets and failing upstreams"): each is refused
 * with OPERATION_TOO_COMPLEX fast, before any upstream call, and the process keeps answering meanwhile.
 */
import { startTestGateway, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ people: 30 });
  // The people the cost bomb would fan out over are in the registry.
  await t.query('{ users(first: 1) { totalCount } }');
  for (const p of t.population.people.slice(0, 10)) await t.query(`{ userByEmail(email: "${p.email}") { id } }`);
});
afterAll(() => t.close());

/** `{ me { ...F0 } }` with `n` fragments, each spreading the next twice: 2^n paths through them. */
function fragmentBomb(n: number, leaf = 'id'): string {
  let q = '{ me { ...F0 } }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }\n`;
  return `${q}fragment F${n} on User { ${leaf} }`;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe('fragments', () => {
  it('answers the 26-fragment query at once, with no path walked twice', async () => {
    const token = await t.tokenFor(t.population.people[0]!);
    const { value: res, ms } = await timed(() => t.query(fragmentBomb(26), { token }));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ me: { id: expect.any(String) } });
    expect(ms).toBeLessThan(1000);
  });

  it('counts an alias inside spread fragments once per spread: 2^26 aliases', async () => {
    const { value: res, ms } = await timed(() => t.query(fragmentBomb(26, 'a: id')));
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'aliases', cost: 2 ** 26, max: 15 });
    expect(ms).toBeLessThan(1000);
  });

  it('counts a fragment with 10 aliases spread 20 times as 200 aliases', async () => {
    const fragment = `fragment A on User { ${Array.from({ length: 10 }, (_, i) => `a${i}: id`).join(' ')} }`;
    const res = await t.query(`{ me { ${'...A '.repeat(20)}} } ${fragment}`);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'aliases', cost: 200, max: 15 });
  });

  it('keeps /healthz answering while a fragment query is checked', async () => {
    const bombs = Array.from({ length: 4 }, (_, i) => t.query(fragmentBomb(26 + i, 'a: id')));
    const health = await timed(() => fetch(`${t.url}/healthz`));
    const answers = await Promise.all(bombs);
    expect(health.value.status).toBe(200);
    expect(health.ms).toBeLessThan(250);
    expect(answers.map((a) => a.errors?.[0]?.extensions?.limit)).toEqual(['aliases', 'aliases', 'aliases', 'aliases']);
  });
});

describe('tokens and directives', () => {
  it('refuses a 10,000-token query before parsing it all', async () => {
    const { value: res, ms } = await timed(() => t.query(`{ me { ${'id '.repeat(10_000)}} }`));
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'tokens', cost: 1001, max: 1000 });
    expect(ms).toBeLessThan(1000);
  });

  it('counts directives with spreads expanded', async () => {
    const res = await t.query(`{ me { ...D ...D ...D ...D } } fragment D on User { ${Array.from({ length: 13 }, () => 'id @include(if: true)').join(' ')} }`);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'directives', cost: 52, max: 50 });
  });
});

describe('the estimated upstream-call cost', () => {
  const projectsOf100 = 'users(first: 100) { nodes { participatingProjects(first: 100) { nodes { name } } } }';

  it('refuses 10 aliased pages of 100 people × 100 projects with the estimate, and calls no upstream', async () => {
    t.resetCounts();
    const bomb = Array.from({ length: 10 }, (_, i) => `p${i}: ${projectsOf100}`).join(' ');
    const { value: res, ms } = await timed(() => t.query(`{ ${bomb} }`));
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'cost', cost: 5 + 10 * 100 * 2, max: 1000 });
    expect(ms).toBeLessThan(1000);
    expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });

  it('refuses the same operation every time it is sent, not only the first (its estimate is kept with the document)', async () => {
    const bomb = Array.from({ length: 10 }, (_, i) => `p${i}: ${projectsOf100}`).join(' ');
    for (let i = 0; i < 3; i++) {
      t.resetCounts();
      const res = await t.query(`{ ${bomb} }`);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'cost', cost: 5 + 10 * 100 * 2, max: 1000 });
      expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
    }
  });

  it('refuses the 31-alias version of it at the alias limit, and calls no upstream', async () => {
    t.resetCounts();
    const bomb = Array.from({ length: 31 }, (_, i) => `p${i}: ${projectsOf100}`).join(' ');
    const res = await t.query(`{ ${bomb} }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit: 'aliases' });
    expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });

  it('takes first from the variables: the same page is answered at 10 and refused at 100 × 100', async () => {
    const q = 'query($n: Int!, $m: Int!) { a: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } b: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } c: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } d: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } e: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } f: users(first: $n) { nodes { participatingProjects(first: $m) { nodes { name } } } } }';
    const small = await t.query(q, { variables: { n: 10, m: 10 } });
    expect(small.status).toBe(200);
    expect(small.errors).toBeUndefined();
    t.resetCounts();
    const big = await t.query(q, { variables: { n: 100, m: 100 } });
    expect(big.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'cost', cost: 5 + 6 * 100 * 2, max: 1000 });
    expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });
});

describe('long and repeated input', () => {
  it('answers 1,000 × me { id } with a code', async () => {
    const res = await t.query(`{ ${'me { id } '.repeat(1000)}}`);
    expect(res.errors?.every((e) => typeof e.extensions?.code === 'string')).toBe(true);
    const anonymous = await t.query('{ me { id } } '.repeat(1000));
    expect(anonymous.status).toBe(400);
    expect(anonymous.errors?.length).toBeGreaterThan(0);
    expect(anonymous.errors?.every((e) => typeof e.extensions?.code === 'string')).toBe(true);
  });

  it('refuses emailContains over 254 characters with its input path, before the registry', async () => {
    const res = await t.query('query($s: String) { users(filter: { emailContains: $s }) { totalCount } }', { variables: { s: 'x'.repeat(500_000) } });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['filter', 'emailContains'] }] });
    expect(JSON.stringify(res).length).toBeLessThan(1000);
    const fits = await t.query('query($s: String) { users(filter: { emailContains: $s }) { totalCount } }', { variables: { s: 'x'.repeat(254) } });
    expect(fits.errors).toBeUndefined();
  });

  it('echoes a bad 500 KB variable in at most a few hundred bytes', async () => {
    const res = await t.query('query($n: Int) { users(first: $n) { totalCount } }', { variables: { n: 'x'.repeat(500_000) } });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res).length).toBeLessThan(1000);
  });
});
