/**
 * The gateway as an Apollo Federation subgraph (FEDERATION=subgraph), over real HTTP: `_entities` answers
 * each representation as `node` answers its id (the same policy checks, the same errors), refuses malformed
 * representations with BAD_USER_INPUT naming their index, and refuses an operation with too many of them
 * before any lookup; `_service` is as public as introspection. Then a real router (@apollo/gateway,
 * IntrospectAndCompose) composes it with two small subgraphs that extend `User` by `id` and by `personId`,
 * forwards the client's Authorization, and queries across them.
 */
import assert from 'node:assert';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { buildClientSchema, getIntrospectionQuery, parse, type IntrospectionQuery } from 'graphql';
import { toGlobalId } from '../../src/graph/ids';
import { sync } from '../../src/registry/sync';
import { dataOf, startTestGateway, type GraphQLResult, type GraphQLResultError, type TestGateway } from '../helpers/gateway';

/** `_entities(representations: $r)` selecting `fields` on User. */
const ENTITIES = (fields: string): string => `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { ${fields} } } }`;

type Entity = { id?: string; personId?: string; email?: string; firstName?: string | null } | null;
type EntitiesData = { _entities: Entity[] };

const UNKNOWN_PERSON = '7f9a3c1e-5b2d-4e8f-9a6c-0d1e2f3a4b5c';

const sumOf = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

function errorAt(res: { errors?: GraphQLResultError[] }, index: number): GraphQLResultError | undefined {
  return res.errors?.find((e) => e.path?.[0] === '_entities' && e.path[1] === index);
}

let t: TestGateway;
let people: { id: string; personId: string; email: string }[];
let userToken: string;

beforeAll(async () => {
  t = await startTestGateway({ people: 12, federation: 'subgraph' });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  people = await Promise.all(
    [0, 1, 2, 3].map(async (i) => {
      const personId = await t.personId(i);
      return { id: toGlobalId('User', personId), personId, email: t.population.people[i]!.email };
    }),
  );
  userToken = await t.tokenFor(t.population.people[0]!);
});
afterAll(() => t.close());

describe('_entities, asked directly', () => {
  it('resolves people by either key, with what the policy lets an admin see', async () => {
    const res = await t.query<EntitiesData>(ENTITIES('id personId email firstName'), {
      variables: { r: [{ __typename: 'User', id: people[0]!.id }, { __typename: 'User', personId: people[1]!.personId.toUpperCase() }] },
    });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res)._entities).toEqual([
      { ...people[0], firstName: t.population.people[0]!.firstName },
      { ...people[1], firstName: t.population.people[1]!.firstName },
    ]);
  });

  it('asks the registry only for registry fields, and each upstream once per distinct person', async () => {
    t.resetCounts();
    const r = [people[0]!, people[1]!, people[0]!].map((p, i) => (i === 2 ? { __typename: 'User', personId: p.personId } : { __typename: 'User', id: p.id }));
    const plain = await t.query<EntitiesData>(ENTITIES('id email'), { variables: { r } });
    expect(plain.errors).toBeUndefined();
    expect(sumOf(t.totals())).toBe(0);
    const named = await t.query<EntitiesData>(ENTITIES('firstName lastName'), { variables: { r } });
    expect(named.errors).toBeUndefined();
    // The same person twice (by id, then by personId) is one identity read; identity holds everyone.
    expect(t.totals()).toEqual({ identity: 2, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });

  it('gives a plain user only themselves, and refuses anyone else exactly as node does', async () => {
    t.resetCounts();
    const r = [{ __typename: 'User', id: people[0]!.id }, { __typename: 'User', id: people[1]!.id }, { __typename: 'User', personId: UNKNOWN_PERSON }];
    const res = await t.query<EntitiesData>(ENTITIES('email'), { token: userToken, variables: { r } });
    expect(res.status).toBe(200);
    expect(dataOf(res)._entities).toEqual([{ email: people[0]!.email }, null, null]);
    const asNode = await t.query(`query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }`, {
      token: userToken,
      variables: { a: people[1]!.id, b: toGlobalId('User', UNKNOWN_PERSON) },
    });
    // Someone else and no one at all get the same refusal, so existence is not revealed.
    for (const [index, alias] of [[1, 'a'], [2, 'b']] as const) {
      const nodeError = asNode.errors?.find((e) => e.path?.[0] === alias);
      expect(nodeError?.extensions?.code).toBe('FORBIDDEN');
      expect(errorAt(res, index)).toMatchObject({ message: nodeError!.message, extensions: { code: 'FORBIDDEN' } });
    }
    // No upstream was asked on the way to a refusal.
    expect(sumOf(t.totals())).toBe(0);
  });

  it('answers null without an error for an admin asking for a person who does not exist, as node does', async () => {
    const res = await t.query<EntitiesData>(ENTITIES('email'), { variables: { r: [{ __typename: 'User', personId: UNKNOWN_PERSON }] } });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res)._entities).toEqual([null]);
  });

  it('refuses an anonymous caller once, before the registry or any upstream is asked', async () => {
    t.resetCounts();
    const r = people.map((p) => ({ __typename: 'User', id: p.id }));
    const res = await t.query<EntitiesData>(ENTITIES('email firstName'), { token: null, variables: { r } });
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]).toMatchObject({ path: ['_entities'], extensions: { code: 'UNAUTHENTICATED' } });
    expect(sumOf(t.totals())).toBe(0);
  });

  it('refuses each malformed representation with BAD_USER_INPUT naming it, and answers the rest', async () => {
    const cases: [unknown, string[], RegExp][] = [
      ['VXNlcjox', ['representations', '1'], /^representations\[1\] must be an object/],
      [{ id: people[0]!.id }, ['representations', '2', '__typename'], /must be "User", the one entity this subgraph resolves, but got: undefined/],
      [{ __typename: 'Site', id: people[0]!.id }, ['representations', '3', '__typename'], /but got: "Site"/],
      [{ __typename: 'User', id: 'not base64!' }, ['representations', '4', 'id'], /is not a valid global id/],
      [{ __typename: 'User', id: toGlobalId('Site', people[0]!.personId, '42') }, ['representations', '5', 'id'], /must be a User id, but got a Site id/],
      [{ __typename: 'User', id: toGlobalId('User', 'robert') }, ['representations', '6', 'id'], /is not a User id returned by this API/],
      [{ __typename: 'User', id: 7 }, ['representations', '7', 'id'], /must be a User id \(a string\), but got: 7/],
      [{ __typename: 'User', personId: 'robert' }, ['representations', '8', 'personId'], /must be a person UUID, but got: "robert"/],
      [{ __typename: 'User', id: people[0]!.id, personId: people[1]!.personId }, ['representations', '9'], /names two people/],
      [{ __typename: 'User' }, ['representations', '10'], /needs a key: id \(a User global id\) or personId/],
      [[people[0]!.id], ['representations', '11'], /must be an object .*but got: \[/],
    ];
    t.resetCounts();
    const r = [{ __typename: 'User', id: people[0]!.id }, ...cases.map(([rep]) => rep)];
    const res = await t.query<EntitiesData>(ENTITIES('email'), { variables: { r } });
    expect(res.status).toBe(200);
    const answered = dataOf(res)._entities;
    expect(answered[0]).toEqual({ email: people[0]!.email });
    expect(answered.slice(1)).toEqual(cases.map(() => null));
    cases.forEach(([, path, message], i) => {
      const error = errorAt(res, i + 1);
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(message);
      expect(error?.extensions?.fieldErrors?.[0]?.path).toEqual(path);
    });
    expect(res.errors).toHaveLength(cases.length);
    expect(sumOf(t.totals())).toBe(0);
    // None of it was taken for a gateway bug.
    expect(t.logLines.filter((l) => l.includes('internal error in resolver'))).toEqual([]);
  });

  it('leaves a null representation and a missing list to graphql-js, which refuses them as bad variables', async () => {
    const nullOne = await t.query(ENTITIES('email'), { variables: { r: [{ __typename: 'User', id: people[0]!.id }, null] } });
    expect(nullOne.status).toBe(400);
    expect(nullOne.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['r[1]'] }] });
    const none = await t.query(ENTITIES('email'), { variables: {} });
    expect(none.status).toBe(400);
    expect(none.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses 10 000 representations with OPERATION_TOO_COMPLEX before the registry or any upstream is asked', async () => {
    t.resetCounts();
    const lookups = t.registry.getPeople.bind(t.registry);
    let registryCalls = 0;
    t.registry.getPeople = (ids) => {
      registryCalls++;
      return lookups(ids);
    };
    try {
      const r = Array.from({ length: 10_000 }, (_, i) => ({ __typename: 'User', id: people[i % people.length]!.id }));
      const res = await t.query<EntitiesData>(ENTITIES('email firstName'), { variables: { r } });
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(res.errors).toEqual([
        {
          message: 'The operation sends 10000 entity representations to _entities; the entities limit is 100. Split it into smaller operations.',
          extensions: { code: 'OPERATION_TOO_COMPLEX', limit: 'entities', cost: 10_000, max: 100 },
        },
      ]);
      expect(registryCalls).toBe(0);
      expect(sumOf(t.totals())).toBe(0);
    } finally {
      t.registry.getPeople = lookups;
    }
  });

  it('counts representations across aliases and fragments, inline ones too', async () => {
    const r = (n: number): unknown[] => Array.from({ length: n }, () => ({ __typename: 'User', id: people[0]!.id }));
    const spread = await t.query(`query($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } ...B } fragment B on Query { b: _entities(representations: $b) { __typename } }`, {
      variables: { a: r(60), b: r(41) },
    });
    expect(spread.status).toBe(400);
    expect(spread.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'entities', cost: 101, max: 100 });
    const literal = `{ _entities(representations: [${r(101).map(() => `{ __typename: "User", id: "${people[0]!.id}" }`).join(', ')}]) { __typename } }`;
    expect((await t.query(literal)).errors?.[0]?.extensions).toMatchObject({ limit: 'entities', cost: 101 });
    const exactly = await t.query(`query($a: [_Any!]!) { _entities(representations: $a) { __typename } }`, { variables: { a: r(100) } });
    expect(exactly.errors).toBeUndefined();
  });

  it('costs what is selected once per representation, within MAX_COST', async () => {
    // Ten upstream calls per person (identity, ev.energy ×2, VRM, podero ×3 for devices, timesheet, two pages).
    const every = 'firstName notificationGroups { chargingFlow } payoutMethod { receiver } sites { id } devices { id } role entries(first: 5) { nodes { id } }';
    const r = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ __typename: 'User', id: people[i % people.length]!.id }));
    t.resetCounts();
    const over = await t.query(ENTITIES(every), { variables: { r: r(100) } });
    expect(over.status).toBe(400);
    expect(over.errors?.[0]?.extensions).toEqual({ code: 'OPERATION_TOO_COMPLEX', limit: 'cost', cost: 1005, max: 1000 });
    expect(sumOf(t.totals())).toBe(0);
    const within = await t.query(ENTITIES(every), { variables: { r: r(4) } });
    expect(within.status).toBe(200);
  });
});

describe('the subgraph schema', () => {
  it('serves _service { sdl } with both keys to anyone while introspection is on', async () => {
    const res = await t.query<{ _service: { sdl: string } }>(`{ _service { sdl } }`, { token: null });
    expect(res.errors).toBeUndefined();
    const sdl = dataOf(res)._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])');
    expect(sdl).toMatch(/extend type User\s+@key\(fields: "id"\)\s+@key\(fields: "personId"\)/);
    // It is the gateway's own schema, descriptions and all.
    expect(sdl).toContain('The gateway\'s own person id (a UUID), stable across upstreams.');
  });

  it('sends no Apollo inline trace (ftv1) to a caller who asks for one', async () => {
    const res = await t.query(ENTITIES('email'), { variables: { r: [{ __typename: 'User', id: people[0]!.id }] }, headers: { 'apollo-federation-include-trace': 'ftv1' } });
    expect(res.errors).toBeUndefined();
    expect(res.extensions?.ftv1).toBeUndefined();
  });

  it('still answers introspection as GraphiQL asks it, and the answer builds a schema with the federation fields', async () => {
    const res = await t.query<IntrospectionQuery>(getIntrospectionQuery(), { token: null });
    expect(res.errors).toBeUndefined();
    const schema = buildClientSchema(dataOf(res));
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['me', 'node', 'users', '_entities', '_service']));
  });

  it('keeps _service for admins when introspection is off', async () => {
    const closed = await startTestGateway({ people: 3, federation: 'subgraph', introspection: false });
    try {
      const anonymous = await closed.query(`{ _service { sdl } }`, { token: null });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const user = await closed.query(`{ _service { sdl } }`, { token: await closed.tokenFor(closed.population.people[0]!) });
      expect(user.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('INTROSPECTION is off') });
      const admin = await closed.query<{ _service: { sdl: string } }>(`{ _service { sdl } }`);
      expect(dataOf(admin)._service.sdl).toContain('@key(fields: "personId")');
      const introspection = await closed.query(`{ __schema { queryType { name } } }`);
      expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await closed.close();
    }
  });

  it('is not served at all with federation off', async () => {
    const off = await startTestGateway({ people: 3 });
    try {
      for (const query of [`{ _service { sdl } }`, ENTITIES('email')]) {
        const res = await off.query(query, { variables: { r: [] } });
        expect(res.status).toBe(400);
        expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
    } finally {
      await off.close();
    }
  });
});

type SubgraphResolvers = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers'];

/** Two small subgraphs of another team: `loyalty` extends User by its global `id`, `billing` by its `personId`. */
async function startSubgraph(name: string, typeDefs: string, resolvers: SubgraphResolvers) {
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { name, url, stop: () => server.stop() };
}

describe('composed into a supergraph by @apollo/gateway', () => {
  const points = (id: string): number => [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 1000;
  let subgraphs: Awaited<ReturnType<typeof startSubgraph>>[];
  let router: ApolloServer<{ authorization?: string }>;
  let routerUrl: string;
  let gatewaySeen: (string | undefined)[];

  async function viaRouter<TData>(query: string, token: string | null): Promise<GraphQLResult<TData>> {
    const res = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const body: Omit<GraphQLResult<TData>, 'status'> = await res.json();
    return { status: res.status, ...body };
  }

  beforeAll(async () => {
    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
    const leaders = people.map((p) => p.id);
    const overdue = [people[2]!.personId, people[0]!.personId];
    subgraphs = [
      await startSubgraph(
        'loyalty',
        `${link}
        type User @key(fields: "id") { id: ID! loyaltyPoints: Int! }
        type Query { loyaltyLeaders: [User]! }`,
        {
          Query: { loyaltyLeaders: () => leaders.map((id) => ({ id })) },
          User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }), loyaltyPoints: (u: { id: string }) => points(u.id) },
        },
      ),
      await startSubgraph(
        'billing',
        `${link}
        type User @key(fields: "personId") { personId: ID! overdueInvoices: Int! }
        type Query { overdueAccounts: [User]! }`,
        {
          Query: { overdueAccounts: () => overdue.map((personId) => ({ personId })) },
          User: { __resolveReference: (ref: { personId: string }) => ({ personId: ref.personId }), overdueInvoices: () => 2 },
        },
      ),
    ];
    gatewaySeen = [];
    const gatewayUrl = `${t.url}/graphql`;
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({ subgraphs: [{ name: 'usergraph', url: gatewayUrl }, ...subgraphs.map((s) => ({ name: s.name, url: s.url }))] }),
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (url === gatewayUrl) gatewaySeen.push(context.authorization);
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          },
        }),
    });
    router = new ApolloServer<{ authorization?: string }>({ gateway });
    ({ url: routerUrl } = await startStandaloneServer(router, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    }));
  });
  afterAll(async () => {
    await router?.stop();
    for (const s of subgraphs ?? []) await s.stop();
  });

  it('composes, and answers an admin across all three subgraphs through _entities by id and by personId', async () => {
    t.resetCounts();
    const res = await viaRouter<{ overdueAccounts: { personId: string; overdueInvoices: number; email: string; firstName: string; loyaltyPoints: number }[] }>(
      `{ overdueAccounts { personId overdueInvoices email firstName loyaltyPoints } }`,
      t.adminToken,
    );
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).overdueAccounts).toEqual(
      [people[2]!, people[0]!].map((p, i) => ({
        personId: p.personId,
        overdueInvoices: 2,
        email: p.email,
        firstName: t.population.people[i === 0 ? 2 : 0]!.firstName,
        loyaltyPoints: points(p.id),
      })),
    );
    // One `_entities` call for both people: one identity read each, nothing else.
    expect(t.totals()).toEqual({ identity: 2, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
  });

  it('forwards the client token, so a plain user sees only themselves and the rest is refused', async () => {
    const res = await viaRouter<{ loyaltyLeaders: ({ id: string; loyaltyPoints: number; email: string } | null)[] }>(`{ loyaltyLeaders { id loyaltyPoints email } }`, userToken);
    expect(dataOf(res).loyaltyLeaders).toEqual([{ id: people[0]!.id, loyaltyPoints: points(people[0]!.id), email: people[0]!.email }, null, null, null]);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(gatewaySeen.at(-1)).toBe(`Bearer ${userToken}`);
  });

  it('answers me from the gateway and extends it from another subgraph', async () => {
    const res = await viaRouter<{ me: { email: string; loyaltyPoints: number } }>(`{ me { email loyaltyPoints } }`, userToken);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).me).toEqual({ email: people[0]!.email, loyaltyPoints: points(people[0]!.id) });
  });

  it('passes the gateway’s refusal of an anonymous client on, with nothing of it answered', async () => {
    t.resetCounts();
    const res = await viaRouter<{ loyaltyLeaders: ({ loyaltyPoints: number; email: string } | null)[] }>(`{ loyaltyLeaders { loyaltyPoints email } }`, null);
    assert(res.errors, 'the refusal reaches the client');
    expect(res.errors.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(dataOf(res).loyaltyLeaders).toEqual([null, null, null, null]);
    expect(sumOf(t.totals())).toBe(0);
  });
});
