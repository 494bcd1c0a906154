/**
 * Every example through Apollo Client 4, over real HTTP to a gateway with the embedded emulators, in tab
 * order, with the cache the project ships (clients/apollo.ts: generated possibleTypes, typePolicies).
 * Nothing may be printed (Apollo's development warnings included), and after each mutation the cache
 * holds the new values on the normalised objects: a query read earlier sees them without a refetch.
 */
import './dev-mode';
import { ApolloClient, HttpLink, InMemoryCache, gql, type DocumentNode, type StoreObject } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { parse, print, type SelectionSetNode } from 'graphql';
import { createHash } from 'node:crypto';
import { createApolloClient, createBatchingApolloClient, createPersistedQueryClient, evictDeletedUser } from '../../clients/apollo';
import { headersFor, type Example } from '../../src/server/graphiql-examples';
import { captureConsole, expectSilentConsole, recordingFetch, startClientEnv, type ClientEnv } from './harness';

loadDevMessages();
loadErrorMessages();

type Obj = StoreObject;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every normalised object (with `__typename` and `id`) in a result, with the selection that read it. */
function normalisedIn(set: SelectionSetNode, value: unknown, out: { typename: string; set: SelectionSetNode; value: Obj }[] = []): typeof out {
  if (Array.isArray(value)) {
    for (const v of value) normalisedIn(set, v, out);
    return out;
  }
  if (!isObj(value)) return out;
  for (const s of set.selections) {
    if (s.kind === 'InlineFragment') normalisedIn(s.selectionSet, value, out);
    if (s.kind !== 'Field' || !s.selectionSet) continue;
    const child = value[s.alias?.value ?? s.name.value];
    for (const item of Array.isArray(child) ? child : [child]) {
      if (isObj(item) && typeof item.__typename === 'string' && typeof item.id === 'string') out.push({ typename: item.__typename, set: s.selectionSet, value: item });
    }
    normalisedIn(s.selectionSet, child, out);
  }
  return out;
}

const operationSet = (doc: DocumentNode): SelectionSetNode => {
  const op = doc.definitions[0];
  if (op?.kind !== 'OperationDefinition') throw new Error('not an operation');
  return op.selectionSet;
};

describe('Apollo Client 4 with the shipped possibleTypes and typePolicies', () => {
  let ctx: ClientEnv;
  let client: ApolloClient;
  const byName = new Map<string, Example>();
  let meId: string;

  beforeAll(async () => {
    ctx = await startClientEnv();
    for (const e of ctx.examples) byName.set(e.name, e);
    client = createApolloClient({ uri: `${ctx.env.url}/graphql` });
  }, 60_000);
  afterAll(async () => {
    client?.stop();
    await ctx?.env.close();
  });
  // Nothing printed: no "cache data may be lost", no missing field, no fragment-matching warning.
  expectSilentConsole();

  const example = (name: string): Example => {
    const e = byName.get(name);
    if (!e) throw new Error(`no example ${name}`);
    return e;
  };

  async function run(e: Example): Promise<Obj> {
    const doc = gql(e.source);
    const options = { variables: e.variables === undefined ? {} : JSON.parse(e.variables), errorPolicy: 'all' as const, context: { headers: headersFor(e, ctx.credentials) } };
    const result =
      e.kind === 'query'
        ? await client.query({ query: doc, fetchPolicy: 'network-only', ...options })
        : await client.mutate({ mutation: doc, ...options, ...(e.name === '13-delete-user' ? { update: evictDeletedUser } : {}) });
    expect({ example: e.name, error: result.error }).toEqual({ example: e.name, error: undefined });
    expect(isObj(result.data)).toBe(true);
    return result.data as Obj;
  }

  const readMe = (fragment: string): Obj | null => client.readFragment({ id: client.cache.identify({ __typename: 'User', id: meId }), fragment: parse(fragment) });
  const personQuery = (): Obj | null => client.readQuery({ query: gql(example('01-person').source) });

  /** What each mutation's comment promises a cache that read the person before. */
  const AFTER: Record<string, (data: Obj) => void | Promise<void>> = {
    '12-update-user': () => {
      // The person query read at the start sees the new address: the stale-cache complaint of issue 13.
      const me = personQuery()?.me as Obj;
      expect(me.address).toEqual({ __typename: 'Address', streetAndNumber: "12 St James's Square", zipCode: 'SW1Y 4JH', town: 'London', country: 'GB' });
      expect(readMe('fragment A on User { address { streetAddInfo } }')).toEqual({ __typename: 'User', address: { __typename: 'Address', streetAddInfo: null } });
    },
    '20-update-notification-preferences': () => {
      const groups = (personQuery()?.me as Obj).notificationGroups as Obj;
      // Merged, not replaced: chargingFlow (read only by the person query) is still there.
      expect(groups.dealsAndOffers).toBe(false);
      expect(typeof groups.chargingFlow).toBe('boolean');
      expect(groups.groups).toEqual(expect.arrayContaining([{ __typename: 'NotificationGroup', name: 'deals_and_offers', enabled: false }]));
    },
    '21-set-payout-method': () => expect((personQuery()?.me as Obj).payoutMethod).toEqual({ __typename: 'PayoutMethod', wallet: 'PAYPAL', receiver: 'sophie.lovelace0@example.com' }),
    '22-remove-payout-method': () => expect((personQuery()?.me as Obj).payoutMethod).toEqual({ __typename: 'PayoutMethod', wallet: null, receiver: null }),
    '40-create-access-token': () => expect((readMe('fragment T on User { accessTokens { id name } }')?.accessTokens as Obj[]).map((t) => t.name)).toContain('GraphiQL example'),
    '41-revoke-access-token': () => {
      const ids = (readMe('fragment T on User { accessTokens { tokenId } }')?.accessTokens as Obj[]).map((t) => t.tokenId);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).not.toContain('500001');
    },
    '42-add-site': (data) => {
      const added = ((data.addSite as Obj).site as Obj).id;
      expect((readMe('fragment S on User { sites { id } }')?.sites as Obj[]).map((s) => s.id)).toContain(added);
    },
    '49-revoke-all-access-tokens': () => expect(readMe('fragment T on User { accessTokens { id } }')).toEqual({ __typename: 'User', accessTokens: [] }),
  };

  it('runs the person query first, with every object normalised', async () => {
    const data = await run(example('01-person'));
    meId = (data.me as Obj).id as string;
    const cached = client.cache.extract() as Record<string, Obj>;
    expect(cached[`User:${meId}`]).toBeDefined();
    // Devices are normalised per concrete type, each readable through the `Device` and `Node` interfaces.
    const devices = (data.me as Obj).devices as Obj[];
    expect(devices.length).toBeGreaterThan(0);
    for (const d of devices) {
      const id = client.cache.identify(d)!;
      expect(cached[id]).toBeDefined();
      expect(client.readFragment({ id, fragment: parse('fragment D on Device { id manufacturer ... on Node { id } }') })).toEqual({ __typename: d.__typename, id: d.id, manufacturer: d.manufacturer });
    }
  });

  it.each(['02-users', '03-user-by-email', '04-node', '10-create-user', '11-provision-user', '12-update-user', '13-delete-user', '14-unlink-account', '20-update-notification-preferences', '21-set-payout-method', '22-remove-payout-method', '30-activate-user', '31-deactivate-user', '32-resend-invitation', '33-give-access-to-projects', '34-revoke-access-to-projects', '40-create-access-token', '41-revoke-access-token', '42-add-site', '49-revoke-all-access-tokens'])(
    'runs %s, and the cache holds what it answered',
    async (name) => {
      const e = example(name);
      if (name === '13-delete-user') {
        // Read the person first, so that there is something in the cache to evict.
        const id = JSON.parse(e.variables!).id as string;
        await client.query({ query: gql('query N($id: ID!) { node(id: $id) { id } }'), variables: { id }, context: { headers: headersFor(e, ctx.credentials) } });
        expect((client.cache.extract() as Obj)[`User:${id}`]).toBeDefined();
      }
      const data = await run(e);
      const doc = gql(e.source);
      for (const { typename, set, value } of normalisedIn(operationSet(doc), data)) {
        // graphql's parse, not gql: gql warns (rightly) about one fragment name defined many times.
        const fragment = parse(`fragment Check on ${typename} ${print(set)}`);
        expect({ object: client.cache.identify(value), cached: client.readFragment({ id: client.cache.identify(value), fragment }) }).toEqual({ object: client.cache.identify(value), cached: value });
      }
      if (name === '13-delete-user') {
        const deleted = (data.deleteUser as Obj).deletedUserId as string;
        expect(deleted).toEqual(expect.any(String));
        expect((client.cache.extract() as Obj)[`User:${deleted}`]).toBeUndefined();
      }
      await AFTER[name]?.(data);
    },
  );

  it('pages users with relayStylePagination: the next page is appended to the cached one', async () => {
    const query = gql('query P($after: String) { users(first: 3, after: $after) { edges { cursor node { id email } } pageInfo { hasNextPage endCursor } } }');
    const headers = { authorization: `Bearer ${ctx.credentials.admin}` };
    const first = await client.query({ query, variables: { after: null }, context: { headers }, fetchPolicy: 'network-only' });
    const after = ((first.data as Obj).users as { pageInfo: { endCursor: string } }).pageInfo.endCursor;
    await client.query({ query, variables: { after }, context: { headers }, fetchPolicy: 'network-only' });
    const merged = client.readQuery({ query, variables: { after: null } }) as { users: { edges: { node: { id: string } }[] } };
    expect(merged.users.edges).toHaveLength(6);
    expect(new Set(merged.users.edges.map((e) => e.node.id)).size).toBe(6);
  });
});

describe('paging backward with fetchMore through the shipped relayStylePagination', () => {
  let ctx: ClientEnv;
  beforeAll(async () => {
    ctx = await startClientEnv();
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });
  expectSilentConsole();

  type Connection = { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null } };
  const PAGE = 'edges { cursor node { id } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor }';

  /**
   * Watches `query` (its last page, `last: 3`), fetches the page before it with fetchMore, and returns the
   * first page and what the watcher sees once the cache has merged the two.
   */
  async function lastTwoPages(client: ApolloClient, query: DocumentNode, connectionOf: (data: Obj) => Connection): Promise<{ first: Connection; merged: Connection }> {
    const observable = client.watchQuery({ query });
    const seen: Connection[] = [];
    let notify: () => void = () => undefined;
    const subscription = observable.subscribe((r) => {
      if (r.data && r.dataState === 'complete') seen.push(connectionOf(r.data as Obj));
      notify();
    });
    const until = (what: string, ok: (c: Connection) => boolean): Promise<Connection> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the watcher never saw ${what}; it saw ${JSON.stringify(seen.map((c) => c.edges.length))} edges`)), 10_000);
        notify = () => {
          const found = seen.find(ok);
          if (!found) return;
          clearTimeout(timer);
          resolve(found);
        };
        notify();
      });
    try {
      const first = await until('a first page', () => true);
      await observable.fetchMore({ variables: { before: first.pageInfo.startCursor } });
      // The watcher is told the merged list, not only the page fetchMore brought.
      return { first, merged: await until('both pages', (c) => c.edges.length > first.edges.length) };
    } finally {
      subscription.unsubscribe();
    }
  }

  it('prepends the page before to the cached users, and pageInfo spans both pages', async () => {
    const client = createApolloClient({ uri: `${ctx.env.url}/graphql`, token: ctx.credentials.admin });
    const everyone = await client.query({ query: gql('query Everyone { users(first: 100) { edges { node { id } } pageInfo { hasNextPage } } }'), fetchPolicy: 'no-cache' });
    const all = ((everyone.data as Obj).users as Connection).edges.map((e) => e.node.id);
    expect(all.length).toBeGreaterThan(6);
    const query = gql(`query LastUsers($before: String) { users(last: 3, before: $before) { ${PAGE} } }`);
    const { first, merged } = await lastTwoPages(client, query, (d) => d.users as Connection);
    expect(first.edges.map((e) => e.node.id)).toEqual(all.slice(-3));
    expect(merged.edges.map((e) => e.node.id)).toEqual(all.slice(-6));
    expect(merged.pageInfo).toEqual({ __typename: 'PageInfo', hasPreviousPage: true, hasNextPage: false, startCursor: merged.edges[0]!.cursor, endCursor: first.pageInfo.endCursor });
    // Every person of both pages is normalised once in the cache.
    const cached = client.cache.extract() as Record<string, unknown>;
    for (const id of all.slice(-6)) expect(cached[`User:${id}`]).toBeDefined();
    client.stop();
  });

  it("prepends the page before to the person's cached entries, a connection nested in a normalised User", async () => {
    const client = createApolloClient({ uri: `${ctx.env.url}/graphql`, token: ctx.credentials.user });
    const whole = await client.query({ query: gql('query AllEntries { me { id entries(first: 100) { edges { node { id } } } } }'), fetchPolicy: 'no-cache' });
    const all = (((whole.data as Obj).me as Obj).entries as Connection).edges.map((e) => e.node.id);
    expect(all.length).toBeGreaterThan(6);
    const query = gql(`query LastEntries($before: String) { me { id entries(last: 3, before: $before) { ${PAGE} } } }`);
    const { merged } = await lastTwoPages(client, query, (d) => (d.me as Obj).entries as Connection);
    expect(merged.edges.map((e) => e.node.id)).toEqual(all.slice(-6));
    expect([merged.pageInfo.hasPreviousPage, merged.pageInfo.hasNextPage]).toEqual([true, false]);
    client.stop();
  });
});

describe("Apollo Client's warnings reach the capture", () => {
  let ctx: ClientEnv;
  beforeAll(async () => {
    ctx = await startClientEnv();
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });

  it('without the shipped typePolicies, the id-less notificationGroups print "cache data may be lost"', async () => {
    const console_ = captureConsole();
    try {
      const plain = new ApolloClient({ link: new HttpLink({ uri: `${ctx.env.url}/graphql` }), cache: new InMemoryCache() });
      const byName = new Map(ctx.examples.map((e) => [e.name, e]));
      const person = byName.get('01-person')!;
      const change = byName.get('20-update-notification-preferences')!;
      await plain.query({ query: gql(person.source), context: { headers: headersFor(person, ctx.credentials) } });
      await plain.mutate({ mutation: gql(change.source), variables: JSON.parse(change.variables!), context: { headers: headersFor(change, ctx.credentials) } });
      expect(console_.printed().join('\n')).toMatch(/notificationGroups/);
      plain.stop();
    } finally {
      console_.restore();
    }
  });
});

describe('automatic persisted queries over GET through the persisted-query link', () => {
  let ctx: ClientEnv;
  beforeAll(async () => {
    ctx = await startClientEnv();
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });

  const sha256 = (query: string): string => createHash('sha256').update(query).digest('hex');
  const query = gql('query Me { me { id email firstName } }');

  it('misses once (the hash alone is unknown, then the query is sent), and hits with the hash alone afterwards', async () => {
    const console_ = captureConsole();
    try {
      const token = ctx.credentials.user;
      const first = recordingFetch();
      const a = createPersistedQueryClient({ uri: `${ctx.env.url}/graphql`, token, fetch: first.fetch, sha256 });
      const missed = await a.query({ query });
      expect((missed.data as Obj).me).toEqual(expect.objectContaining({ email: 'sophie.lovelace0@example.com' }));
      // Miss: a GET with only the hash, answered PERSISTED_QUERY_NOT_FOUND; then the query with its hash.
      expect(first.sent.length).toBe(2);
      expect(first.sent[0]!.method).toBe('GET');
      expect(first.sent[0]!.url.searchParams.get('query')).toBeNull();
      const hash = JSON.parse(first.sent[0]!.url.searchParams.get('extensions')!).persistedQuery.sha256Hash;
      const retried = first.sent[1]!;
      const sentQuery = retried.method === 'GET' ? retried.url.searchParams.get('query') : (retried.body as { query?: string }).query;
      // The hash is node:crypto's sha256 of the query text sent on the miss (with the __typename Apollo adds).
      expect(hash).toBe(sha256(String(sentQuery)));
      expect(sentQuery).toContain('me');
      expect(retried.status).toBe(200);

      // Hit: a new client (empty cache) sends one GET with the hash alone, and the gateway answers it.
      const second = recordingFetch();
      const b = createPersistedQueryClient({ uri: `${ctx.env.url}/graphql`, token, fetch: second.fetch, sha256 });
      const hit = await b.query({ query });
      expect(hit.data).toEqual(missed.data);
      expect(second.sent.map((r) => [r.method, r.status, r.url.searchParams.get('query')])).toEqual([['GET', 200, null]]);
      expect(console_.printed()).toEqual([]);
      a.stop();
      b.stop();
    } finally {
      console_.restore();
    }
  });
});

describe('batching through BatchHttpLink (needs the server to accept batches: MAX_BATCH)', () => {
  let ctx: ClientEnv;
  beforeAll(async () => {
    ctx = await startClientEnv();
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });

  it('sends the operations of one tick as one JSON array, and each gets its own answer', async () => {
    const recorded = recordingFetch();
    const client = createBatchingApolloClient({ uri: `${ctx.env.url}/graphql`, token: ctx.credentials.admin, fetch: recorded.fetch });
    const emails = ctx.env.population.people.slice(0, 3).map((p) => p.email);
    const results = await Promise.all(emails.map((email) => client.query({ query: gql('query U($email: EmailAddress!) { userByEmail(email: $email) { id email } }'), variables: { email } })));
    expect(results.map((r) => ((r.data as Obj).userByEmail as Obj).email)).toEqual(emails);
    expect(recorded.sent).toHaveLength(1);
    expect(Array.isArray(recorded.sent[0]!.body)).toBe(true);
    expect((recorded.sent[0]!.body as unknown[]).length).toBe(3);
    client.stop();
  });
});
