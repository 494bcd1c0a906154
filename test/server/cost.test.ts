/**
 * The estimated upstream-call cost (src/server/cost.ts): its table stays in step with the schema, it
 * multiplies by `first` and list sizes, computes each fragment once, and is an upper bound on the calls
 * the examples really make.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, isInterfaceType, isObjectType, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { buildSchema as buildGatewaySchema } from '../../src/graph/schema';
import { estimateOperation, FIELD_COSTS, OPERATION_BASE_COST } from '../../src/server/cost';
import { loadExamples } from '../../src/server/graphiql';
import { headersFor, resolvePlaceholders, type Example, type ExampleCredentials } from '../../src/server/graphiql-examples';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
const schema: GraphQLSchema = buildSchema(
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))
    .join('\n'),
);

/** User fields the registry serves (src/graph/resolvers/User.ts): no upstream call. */
const REGISTRY_USER_FIELDS = ['id', 'personId', 'email', 'accounts'];

/** The schema a subgraph serves (FEDERATION=subgraph): schema/*.graphql plus `_entities` and `_service`. */
const subgraph: GraphQLSchema = buildGatewaySchema({ federation: 'subgraph' });

function estimate(query: string, variables?: Record<string, unknown>): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  return estimateOperation(schema, document, operation, variables).cost;
}

function estimateOnSubgraph(query: string, variables?: Record<string, unknown>): { cost: number; entities: number } {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const { cost, entities } = estimateOperation(subgraph, document, operation, variables);
  return { cost, entities };
}

describe('the cost table', () => {
  it('names only fields the schema has (as a subgraph, with _entities)', () => {
    const missing = Object.keys(FIELD_COSTS).filter((key) => {
      const [typeName, field] = key.split('.') as [string, string];
      const type = (key === 'Query._entities' ? subgraph : schema).getType(typeName);
      return !(type && (isObjectType(type) || isInterfaceType(type)) && type.getFields()[field]);
    });
    expect(missing).toEqual([]);
  });

  it('costs every User field an upstream serves, and every mutation', () => {
    const user = schema.getType('User');
    if (!isObjectType(user)) throw new Error('User is not an object type');
    const unlisted = Object.keys(user.getFields()).filter((f) => !REGISTRY_USER_FIELDS.includes(f) && !FIELD_COSTS[`User.${f}`]);
    expect(unlisted).toEqual([]);
    const mutations = Object.keys(schema.getMutationType()!.getFields()).filter((f) => !FIELD_COSTS[`Mutation.${f}`]?.calls);
    expect(mutations).toEqual([]);
  });

  it('gives every list of people, devices and pages a size or a first', () => {
    // Lists whose items can cost calls: anything returning User, Device or one of their connections' items.
    const costly = new Set(['User', 'UserEdge', 'Device', 'HeatPump', 'ElectricVehicle', 'Inverter']);
    const unsized: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const item = getNamedType(field.type).name;
        const isList = String(field.type).includes('[');
        if (!isList || !costly.has(item)) continue;
        const cost = FIELD_COSTS[`${type.name}.${field.name}`];
        if (cost?.size === undefined && !field.args.some((a) => a.name === 'first')) unsized.push(`${type.name}.${field.name}`);
      }
    }
    expect(unsized).toEqual([]);
  });
});

describe('estimating', () => {
  it('costs registry fields nothing and each upstream loader once per person', () => {
    expect(estimate('{ me { id email accounts { upstream } } }')).toBe(OPERATION_BASE_COST);
    // firstName, lastName and status share one identity read; role and state one timesheet read.
    expect(estimate('{ me { firstName lastName status role state } }')).toBe(OPERATION_BASE_COST + 2);
    expect(estimate('{ me { devices { model } } }')).toBe(OPERATION_BASE_COST + 3);
  });

  it('multiplies by first, by its default when omitted, and never by more than its maximum', () => {
    expect(estimate('{ users(first: 10) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 10);
    expect(estimate('{ users { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 20);
    expect(estimate('query($n: Int) { users(first: $n) { nodes { firstName } } }', { n: 7 })).toBe(OPERATION_BASE_COST + 7);
    expect(estimate('query($n: Int) { users(first: $n) { nodes { firstName } } }', {})).toBe(OPERATION_BASE_COST + 20);
    // A variable that does not coerce is as good as absent: the operation is refused before it runs anyway.
    expect(estimate('query($n: Int) { users(first: $n) { nodes { firstName } } }', { n: 'many' })).toBe(OPERATION_BASE_COST + 20);
    expect(estimate('query($n: Int = 100) { users(first: $n) { nodes { firstName } } }', {})).toBe(OPERATION_BASE_COST + 100);
    expect(estimate('{ users(first: 5000) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 100);
  });

  it('multiplies by last as by first, by the larger when both are given (refused when it runs)', () => {
    expect(estimate('{ users(last: 10) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 10);
    expect(estimate('query($n: Int) { users(last: $n) { nodes { firstName } } }', { n: 7 })).toBe(OPERATION_BASE_COST + 7);
    expect(estimate('{ users(first: 3, last: 9) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 9);
    expect(estimate('{ users(last: 5000) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 100);
  });

  it('costs a timesheet page two calls, three for last without before (page 1, the last page, the one before)', () => {
    expect(estimate('{ me { entries { nodes { id } } } }')).toBe(OPERATION_BASE_COST + 2);
    expect(estimate('{ me { entries(first: 7, after: "x") { nodes { id } } } }')).toBe(OPERATION_BASE_COST + 2);
    expect(estimate('{ me { entries(last: 7, before: "x") { nodes { id } } } }')).toBe(OPERATION_BASE_COST + 2);
    expect(estimate('{ me { entries(last: 7) { nodes { id } } } }')).toBe(OPERATION_BASE_COST + 3);
    expect(estimate('query($b: String) { me { expenses(last: 7, before: $b) { nodes { id } } } }', {})).toBe(OPERATION_BASE_COST + 3);
    expect(estimate('{ users(last: 100) { nodes { participatingProjects(last: 100) { nodes { name } } } } }')).toBe(OPERATION_BASE_COST + 100 * 3);
  });

  it('multiplies nested pages: 100 people × their project pages', () => {
    const q = '{ users(first: 100) { nodes { participatingProjects(first: 100) { nodes { name } } } } }';
    expect(estimate(q)).toBe(OPERATION_BASE_COST + 100 * 2);
    expect(estimate('{ me { devices { actions { code } } } }')).toBe(OPERATION_BASE_COST + 3 + 20 * 1);
  });

  it('counts aliases of the same field with other arguments as other calls', () => {
    expect(estimate('{ me { a: entries(first: 5) { nodes { id } } b: entries(first: 6) { nodes { id } } } }')).toBe(OPERATION_BASE_COST + 4);
    expect(estimate('{ a: users(first: 100) { nodes { firstName } } b: users(first: 100) { nodes { firstName } } }')).toBe(OPERATION_BASE_COST + 200);
  });

  it('multiplies what _entities selects by its representations, and counts them across aliases and fragments', () => {
    const rep = { __typename: 'User', id: 'VXNlcjox' };
    const q = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { firstName role } } }';
    expect(estimateOnSubgraph(q, { r: [rep, rep, rep] })).toEqual({ cost: OPERATION_BASE_COST + 3 * 2, entities: 3 });
    expect(estimateOnSubgraph('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: Array(250).fill(rep) })).toEqual({ cost: OPERATION_BASE_COST, entities: 250 });
    expect(estimateOnSubgraph('{ _entities(representations: [{ __typename: "User", id: "a" }, { __typename: "User", id: "b" }]) { ... on User { firstName } } }')).toEqual({
      cost: OPERATION_BASE_COST + 2,
      entities: 2,
    });
    const spread = 'query($a: [_Any!]!) { x: _entities(representations: $a) { __typename } ...Q ...Q } fragment Q on Query { y: _entities(representations: $a) { ... on User { firstName } } }';
    expect(estimateOnSubgraph(spread, { a: [rep, rep] })).toEqual({ cost: OPERATION_BASE_COST + 2 * 2 * 1, entities: 2 + 2 * 2 });
    // A list that does not coerce counts as empty: the operation is refused before it runs anyway.
    expect(estimateOnSubgraph(q, {})).toEqual({ cost: OPERATION_BASE_COST, entities: 0 });
    expect(estimateOnSubgraph('{ me { firstName } }')).toEqual({ cost: OPERATION_BASE_COST + 1, entities: 0 });
  });

  it('computes each fragment once: 26 fragments each spreading the next twice take milliseconds', () => {
    let q = '{ me { ...F0 } }\n';
    for (let i = 0; i < 26; i++) q += `fragment F${i} on User { firstName ...F${i + 1} ...F${i + 1} }\n`;
    q += 'fragment F26 on User { role }';
    const started = performance.now();
    expect(estimate(q)).toBe(OPERATION_BASE_COST + 2);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('the examples against their estimates', () => {
  let env: TestGateway;
  let credentials: Required<ExampleCredentials>;
  let examples: Example[];

  beforeAll(async () => {
    env = await startTestGateway({ people: 200 });
    const person = env.population.people[0]!;
    credentials = { admin: env.adminToken, user: await env.tokenFor(person), vrm: personalTokenFor(env.population.seed, person.index) };
    examples = await resolvePlaceholders(await loadExamples(), credentials, async ({ query, variables, headers }) => {
      const res = await fetch(`${env.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return res.json();
    });
  }, 60_000);
  afterAll(() => env?.close());

  it('makes no more upstream calls than estimated, first run and second, in tab order', async () => {
    const report: { example: string; calls: number; estimate: number }[] = [];
    for (const run of [1, 2]) {
      for (const example of examples) {
        const variables = example.variables === undefined ? undefined : JSON.parse(example.variables);
        const res = await fetch(`${env.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-upstream-calls': 'true', ...headersFor(example, credentials) },
          body: JSON.stringify({ query: example.source, operationName: example.operationName, variables }),
        });
        const body = (await res.json()) as { extensions?: { upstreamCalls?: Record<string, number> } };
        const calls = Object.values(body.extensions?.upstreamCalls ?? {}).reduce((a, b) => a + b, 0);
        report.push({ example: `${example.name} (run ${run})`, calls, estimate: estimate(example.source, variables) });
      }
    }
    expect(report.filter((r) => r.calls > r.estimate)).toEqual([]);
    // Each example was answered with its call report (a run with no report would pass vacuously).
    expect(report.some((r) => r.calls > 0)).toBe(true);
    if (process.env.SHOW_COSTS) console.log(report);
  });
});
