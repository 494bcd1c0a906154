/**
 * What the GraphiQL page does with the examples and the Token dialog's credentials
 * (src/server/graphiql-examples.ts, shared by the page and the server): which headers a request goes out
 * with, how the tabs are grouped, and what the variables say when an id cannot be looked up. The lookups
 * go to a real gateway over HTTP (emulators, in-memory registry).
 */
import { loadExamples } from '../../src/server/graphiql';
import {
  EXAMPLE_GROUPS,
  groupOf,
  headersFor,
  isStarter,
  placeholdersOf,
  tabsFor,
  UNRESOLVED_ID,
  VRM_TOKEN_PLACEHOLDER,
  withPageCredentials,
  type Example,
  type ExecuteRequest,
} from '../../src/server/graphiql-examples';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

let examples: Example[];
beforeAll(async () => {
  examples = await loadExamples();
});

const byName = (name: string): Example => {
  const found = examples.find((e) => e.name === name);
  if (!found) throw new Error(`no example ${name}`);
  return found;
};

describe('the headers a GraphiQL request goes out with', () => {
  it("adds the page's token as Authorization: Bearer to a tab that sets none", () => {
    expect(withPageCredentials({}, { token: 'eyJ.a.b' })).toEqual({ Authorization: 'Bearer eyJ.a.b' });
    // Pasted with its scheme, or with spaces around it: sent once, as Bearer.
    expect(withPageCredentials({ 'X-Request-Id': 'r1' }, { token: '  Bearer eyJ.a.b ' })).toEqual({ 'X-Request-Id': 'r1', Authorization: 'Bearer eyJ.a.b' });
  });

  it("keeps a tab's own Authorization, whatever its case, over the page's token", () => {
    expect(withPageCredentials({ authorization: 'Bearer tab' }, { token: 'page' })).toEqual({ authorization: 'Bearer tab' });
    expect(withPageCredentials({ Authorization: 'Bearer tab' }, { token: 'page' })).toEqual({ Authorization: 'Bearer tab' });
  });

  it("fills the VRM placeholder with the page's VRM token, and leaves the header out without one", () => {
    expect(withPageCredentials({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER }, { vrmToken: 'abc123' })).toEqual({ 'X-Vrm-Authorization': 'Token abc123' });
    expect(withPageCredentials({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER }, { vrmToken: 'Token abc123' })).toEqual({ 'X-Vrm-Authorization': 'Token abc123' });
    expect(withPageCredentials({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER }, {})).toEqual({});
    // A VRM token typed into the tab itself is the tab's.
    expect(withPageCredentials({ 'X-Vrm-Authorization': 'Token own' }, { vrmToken: 'page' })).toEqual({ 'X-Vrm-Authorization': 'Token own' });
  });

  it('drops header values that are not strings (the headers editor holds JSON of any shape)', () => {
    expect(withPageCredentials({ 'X-Count': 3, 'X-Ok': 'yes' }, {})).toEqual({ 'X-Ok': 'yes' });
  });

  it('keeps the X-Vrm-Authorization header of every VRM example without a development VRM token (VRM_URL set)', () => {
    const vrm = examples.filter((e) => e.vrm);
    expect(vrm.map((e) => e.name)).toEqual(expect.arrayContaining(['01-person', '40-create-access-token', '41-revoke-access-token', '42-add-site', '49-revoke-all-access-tokens']));
    for (const e of vrm) {
      expect(headersFor(e, { admin: 'a', user: 'u' })['X-Vrm-Authorization']).toBe(VRM_TOKEN_PLACEHOLDER);
      expect(headersFor(e, {})).toEqual({ 'X-Vrm-Authorization': VRM_TOKEN_PLACEHOLDER });
      expect(headersFor(e, { user: 'u', vrm: 'v' })).toEqual({ Authorization: 'Bearer u', 'X-Vrm-Authorization': 'Token v' });
    }
    expect(headersFor(byName('02-users'), {})).toEqual({});
  });
});

describe('grouping', () => {
  it('puts every example in a named group of the Examples panel', () => {
    expect(examples.filter((e) => groupOf(e) === 'More').map((e) => e.name)).toEqual([]);
    for (const g of EXAMPLE_GROUPS) expect({ group: g.title, members: examples.filter((e) => groupOf(e) === g.title).length > 0 }).toEqual({ group: g.title, members: true });
  });

  it('opens a handful of starter tabs, all of them reads', () => {
    const starters = examples.filter(isStarter);
    expect(starters.length).toBeGreaterThanOrEqual(3);
    expect(starters.length).toBeLessThanOrEqual(6);
    expect(starters.every((e) => e.kind === 'query')).toBe(true);
    expect(starters.map((e) => e.operationName)).toEqual(expect.arrayContaining(['PersonAcrossAllUpstreams', 'UsersPage']));
  });
});

describe('the tabs the examples open as', () => {
  let t: TestGateway;
  let execute: ExecuteRequest;
  let sent: Record<string, string>[];
  beforeAll(async () => {
    t = await startTestGateway({ people: 30 });
    execute = async ({ query, variables, headers }) => {
      sent.push(headers);
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return res.json();
    };
  }, 60_000);
  beforeEach(() => {
    sent = [];
  });
  afterAll(() => t?.close());

  const withIds = (): Example[] => examples.filter((e) => placeholdersOf(e.variables).length > 0);
  /** The person id a tab's variables hold (`id`, `personId` or `userId`, by example). */
  const idOf = (variables: string | undefined): string => {
    const values: Record<string, unknown> = JSON.parse(variables!);
    return String(values.id ?? values.personId ?? values.userId);
  };

  it('says what to put in place of each id when there is no token to look it up with, and asks nothing', async () => {
    const tabs = await tabsFor(withIds(), {}, {}, execute);
    expect(sent).toEqual([]);
    for (const tab of tabs) {
      expect(idOf(tab.variables)).toMatch(new RegExp(`^${UNRESOLVED_ID} set your token .* or paste the User id of \\S+@example\\.com or of anyone>$`));
      // Still JSON the variables editor accepts.
      expect(() => JSON.parse(tab.variables!)).not.toThrow();
    }
    // Without development tokens, no tab carries an Authorization header: the page's token is added per request.
    for (const tab of await tabsFor(examples, {}, { token: 'eyJ.page' }, async () => ({}))) {
      expect(Object.keys(JSON.parse(tab.headers ?? '{}'))).not.toContain('Authorization');
      expect(tab.headers ?? '').not.toContain('eyJ.page');
    }
  });

  it("looks the ids up with the page's token when there are no development tokens, and explains what it may not see", async () => {
    const person = t.population.people[0]!;
    const token = await t.tokenFor(person);
    const node = byName('04-node');
    const other = withIds().find((e) => !placeholdersOf(e.variables).includes(person.email))!;
    const [own, foreign] = await tabsFor([node, other], {}, { token }, execute);
    expect(placeholdersOf(node.variables)).toEqual([person.email]);
    expect(Buffer.from(idOf(own!.variables), 'base64url').toString('utf8')).toMatch(/^User:[0-9a-f-]{36}$/);
    expect(idOf(foreign!.variables)).toBe(`${UNRESOLVED_ID} ${placeholdersOf(other.variables)[0]} is not a person your token may see; paste a User id (the Users tab lists them)>`);
    // One lookup, with the page's token and nothing else (no VRM header, no placeholder).
    expect(sent).toEqual([{ Authorization: `Bearer ${token}` }]);
  });

  it('looks the ids up with the development tokens each example runs with, when there are some', async () => {
    const tabs = await tabsFor(withIds(), { admin: t.adminToken, user: await t.tokenFor(t.population.people[0]!) }, { token: 'ignored' }, execute);
    for (const tab of tabs) expect(tab.variables).not.toContain(UNRESOLVED_ID);
    expect(sent.every((h) => Object.keys(h).join() === 'Authorization' && h.Authorization !== 'Bearer ignored')).toBe(true);
  });
});
