/**
 * The example operations in `examples/` (what GraphiQL opens with) never rot: each file is well-formed,
 * valid against the schema, and runs against the embedded defaults (the five emulators with the default
 * demo population, development credentials) without errors, one after another in tab order, exactly as
 * the GraphiQL page would run them: same headers, same placeholder lookups.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, isInterfaceType, isObjectType, parse, TypeInfo, validate, visit, visitWithTypeInfo, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { personalTokenFor } from '../src/emulators/vrm/seed';
import { DEFAULT_EXAMPLES_DIR, loadExamples } from '../src/server/graphiql';
import { headersFor, placeholdersOf, resolvePlaceholders, type Example, type ExampleCredentials } from '../src/server/graphiql-examples';
import { startTestGateway, type TestGateway } from './helpers/gateway';

const SCHEMA_DIR = path.join(__dirname, '..', 'schema');

function loadSchema(): GraphQLSchema {
  const sdl = readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))
    .join('\n');
  return buildSchema(sdl);
}

function operationOf(example: Example): OperationDefinitionNode {
  const op = parse(example.source).definitions[0];
  if (op?.kind !== 'OperationDefinition') throw new Error(`${example.name} does not start with an operation`);
  return op;
}

/** Reads one property of a value of unknown shape (undefined when it is not an object or lacks it). */
function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

/** Read at collection time, so each example gets a test of its own, named after the file. */
const EXAMPLE_NAMES = readdirSync(DEFAULT_EXAMPLES_DIR)
  .filter((f) => f.endsWith('.graphql'))
  .sort()
  .map((f) => f.slice(0, -'.graphql'.length));

/** Every `outcomes` list anywhere in a result, flattened. */
function outcomesIn(value: unknown): { upstream?: unknown; status?: unknown; error?: unknown }[] {
  if (Array.isArray(value)) return value.flatMap(outcomesIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === 'outcomes' && Array.isArray(v) ? [...v.filter((o): o is object => typeof o === 'object' && o !== null), ...outcomesIn(v)] : outcomesIn(v),
  );
}

type Result = { status: number; data: unknown; errors: unknown[] };

const statusesOf = (r: Result): Record<string, unknown> => Object.fromEntries(outcomesIn(r.data).map((o) => [String(o.upstream), o.status]));
const errorCodesOf = (r: Result): unknown[] => r.errors.map((e) => prop(prop(e, 'extensions'), 'code'));

/** The project ids a project access payload's freelancer takes part in. */
function participatingIds(r: Result, mutation: string): unknown {
  const nodes = prop(prop(prop(prop(r.data, mutation), 'user'), 'participatingProjects'), 'nodes');
  return Array.isArray(nodes) ? nodes.map((n: unknown) => prop(n, 'projectId')).sort() : nodes;
}

/** What an example's comment promises about its first run, beyond running without errors. */
const FIRST_RUN: Record<string, { check(r: Result): void }> = {
  '10-create-user': { check: (r) => expect(statusesOf(r)).toEqual({ IDENTITY: 'CREATED', EVENERGY: 'CREATED', PODERO: 'CREATED', TIMESHEET: 'CREATED', VRM: 'SKIPPED' }) },
  '11-provision-user': { check: (r) => expect(statusesOf(r)).toEqual({ IDENTITY: 'UNCHANGED', EVENERGY: 'UNCHANGED', PODERO: 'UNCHANGED', TIMESHEET: 'CREATED', VRM: 'SKIPPED' }) },
  '12-update-user': { check: (r) => expect(prop(prop(prop(prop(r.data, 'updateUser'), 'user'), 'address'), 'streetAddInfo')).toBeNull() },
  '14-unlink-account': { check: (r) => expect(prop(prop(r.data, 'unlinkAccount'), 'status')).toBe('UNLINKED') },
  '33-give-access-to-projects': { check: (r) => expect(participatingIds(r, 'giveAccessToProjects')).toEqual(['37000', '37001']) },
  '34-revoke-access-to-projects': { check: (r) => expect(participatingIds(r, 'revokeAccessToProjects')).toEqual([]) },
};

/** What an example's comment promises when the tab is run a second time. */
const SECOND_RUN: Record<string, { says: string; check(r: Result): void }> = {
  '10-create-user': { says: 'LINKED, nothing created twice', check: (r) => expect(statusesOf(r)).toEqual({ IDENTITY: 'LINKED', EVENERGY: 'LINKED', PODERO: 'LINKED', TIMESHEET: 'LINKED', VRM: 'SKIPPED' }) },
  '13-delete-user': { says: 'the id is unknown', check: (r) => expect(errorCodesOf(r)).toEqual(['NOT_FOUND']) },
  '14-unlink-account': { says: 'NOT_LINKED', check: (r) => expect(prop(prop(r.data, 'unlinkAccount'), 'status')).toBe('NOT_LINKED') },
  '22-remove-payout-method': { says: 'idempotent', check: (r) => expect(r.errors).toEqual([]) },
  '30-activate-user': {
    says: 'refused, reason not_deactivated',
    check: (r) => expect(r.errors.map((e) => [prop(prop(e, 'extensions'), 'code'), prop(prop(e, 'extensions'), 'reason')])).toEqual([['BAD_USER_INPUT', 'not_deactivated']]),
  },
  '33-give-access-to-projects': {
    says: 'refused, reason already_has_access, at projectIds',
    check: (r) =>
      expect(r.errors.map((e) => [prop(prop(e, 'extensions'), 'code'), prop(prop(e, 'extensions'), 'reason'), prop(prop(e, 'extensions'), 'fieldErrors')])).toEqual([
        ['BAD_USER_INPUT', 'already_has_access', [{ path: ['projectIds'], message: expect.any(String) }]],
      ]),
  },
  '34-revoke-access-to-projects': { says: 'changes nothing, without an error', check: (r) => expect([r.errors, participatingIds(r, 'revokeAccessToProjects')]).toEqual([[], []]) },
  '40-create-access-token': { says: 'the name is taken', check: (r) => expect(errorCodesOf(r)).toEqual(['BAD_USER_INPUT']) },
  '41-revoke-access-token': { says: 'NOT_FOUND', check: (r) => expect(errorCodesOf(r)).toEqual(['NOT_FOUND']) },
  '42-add-site': { says: 'refused, the site is taken', check: (r) => expect(errorCodesOf(r)).toEqual(['CONFLICT']) },
};

describe('example operation files', () => {
  let examples: Example[];
  let schema: GraphQLSchema;
  beforeAll(async () => {
    examples = await loadExamples();
    schema = loadSchema();
  });

  it('has examples, each opening with a comment that says what it shows and which token it needs', () => {
    expect(examples.map((e) => e.name)).toEqual(EXAMPLE_NAMES);
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) {
      expect(e.description.length).toBeGreaterThan(40);
      expect(e.source.trimStart().startsWith('#')).toBe(true);
    }
  });

  it('validates every example against the schema', () => {
    for (const e of examples) {
      const errors = validate(schema, parse(e.source)).map((err) => err.message);
      expect({ example: e.name, errors }).toEqual({ example: e.name, errors: [] });
    }
  });

  it('gives every variable a value of its declared type', () => {
    for (const e of examples) {
      const op = operationOf(e);
      const inputs: Record<string, unknown> = e.variables === undefined ? {} : JSON.parse(e.variables);
      const coerced = getVariableValues(schema, op.variableDefinitions ?? [], inputs);
      const errors = 'errors' in coerced && coerced.errors ? coerced.errors.map((err) => err.message) : [];
      expect({ example: e.name, errors }).toEqual({ example: e.name, errors: [] });
    }
  });

  it('selects the id of every object that has one, so a client cache normalises what it reads', () => {
    /** Field names selected directly or through inline fragments (a fragment on each concrete type counts). */
    const selected = (set: SelectionSetNode): string[] =>
      set.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : s.kind === 'InlineFragment' ? selected(s.selectionSet) : []));
    for (const e of examples) {
      const typeInfo = new TypeInfo(schema);
      const missing: string[] = [];
      visit(
        parse(e.source),
        visitWithTypeInfo(typeInfo, {
          Field(node) {
            const type = getNamedType(typeInfo.getType());
            if (!node.selectionSet || !(isObjectType(type) || isInterfaceType(type)) || !('id' in type.getFields())) return;
            if (!selected(node.selectionSet).includes('id')) missing.push(`${node.name.value}: ${type.name}`);
          },
        }),
      );
      expect({ example: e.name, missing }).toEqual({ example: e.name, missing: [] });
    }
  });

  it('returns, from every mutation, the changed objects with their ids (or the id of the one removed)', () => {
    const mutationType = schema.getMutationType()!;
    for (const e of examples.filter((x) => x.kind === 'mutation')) {
      const ids: string[] = [];
      const typeInfo = new TypeInfo(schema);
      visit(
        parse(e.source),
        visitWithTypeInfo(typeInfo, {
          Field(node) {
            if (node.name.value === 'id' || node.name.value === 'deletedUserId') ids.push(String(typeInfo.getParentType()?.name));
          },
        }),
      );
      expect({ example: e.name, selectsIds: ids.length > 0 }).toEqual({ example: e.name, selectsIds: true });
      // A payload that carries the person returns it: a client cache then updates the person it holds.
      const root = operationOf(e).selectionSet.selections[0]!;
      const payload = root.kind === 'Field' ? getNamedType(mutationType.getFields()[root.name.value]!.type) : undefined;
      if (isObjectType(payload) && 'user' in payload.getFields()) expect({ example: e.name, ids }).toEqual({ example: e.name, ids: expect.arrayContaining(['User']) });
    }
  });

  it('covers every mutation of the schema with an example of its own', () => {
    const mutationType = schema.getMutationType();
    expect(mutationType).toBeDefined();
    const mutations = Object.keys(mutationType!.getFields()).sort();
    const covered = examples
      .filter((e) => e.kind === 'mutation')
      .flatMap((e) => operationOf(e).selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])));
    expect([...covered].sort()).toEqual(mutations);
  });

  it('covers a person across all five upstreams, a page of users, userByEmail and node', () => {
    const rootFields = examples
      .filter((e) => e.kind === 'query')
      .flatMap((e) => operationOf(e).selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])));
    expect(rootFields).toEqual(expect.arrayContaining(['me', 'users', 'userByEmail', 'node']));
  });
});

describe('example operations against the embedded defaults', () => {
  let env: TestGateway;
  let credentials: Required<ExampleCredentials>;
  let resolved: Map<string, Example>;
  const personEmail = 'sophie.lovelace0@example.com';

  beforeAll(async () => {
    // The embedded defaults: the default demo population (seed 1, 200 people), development service tokens.
    env = await startTestGateway({ people: 200 });
    const person = env.population.people[0]!;
    expect(person.email).toBe(personEmail);
    credentials = { admin: env.adminToken, user: await env.tokenFor(person), vrm: personalTokenFor(env.population.seed, person.index) };
    // What the GraphiQL page does when it opens: look up the ids the variables ask for.
    const examples = await resolvePlaceholders(await loadExamples(), credentials, async ({ query, variables, headers }) => {
      const res = await fetch(`${env.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return res.json();
    });
    resolved = new Map(examples.map((e) => [e.name, e]));
  }, 60_000);

  afterAll(async () => {
    await env?.close();
  });

  /** Each example's response, in tab order, for the checks that look closer. */
  const results = new Map<string, Result>();

  async function run(example: Example): Promise<Result> {
    const res = await fetch(`${env.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headersFor(example, credentials) },
      body: JSON.stringify({ query: example.source, operationName: example.operationName, variables: example.variables === undefined ? undefined : JSON.parse(example.variables) }),
    });
    const body: unknown = await res.json();
    const errors = prop(body, 'errors');
    return { status: res.status, data: prop(body, 'data'), errors: Array.isArray(errors) ? errors : [] };
  }

  it('fills every id placeholder when the page opens', () => {
    for (const e of resolved.values()) expect({ example: e.name, left: placeholdersOf(e.variables) }).toEqual({ example: e.name, left: [] });
  });

  for (const name of EXAMPLE_NAMES) {
    it(`runs ${name} without errors, in tab order`, async () => {
      const result = await run(resolved.get(name)!);
      results.set(name, result);
      expect({ example: name, status: result.status, errors: result.errors }).toEqual({ example: name, status: 200, errors: [] });
      const data = result.data;
      expect(typeof data === 'object' && data !== null).toBe(true);
      for (const [field, value] of Object.entries(Object(data))) expect({ example: name, field, isNull: value === null }).toEqual({ example: name, field, isNull: false });
      const failed = outcomesIn(data).filter((o) => o.status === 'FAILED');
      expect({ example: name, failed }).toEqual({ example: name, failed: [] });
      FIRST_RUN[name]?.check(result);
    });
    const again = SECOND_RUN[name];
    if (again) {
      it(`answers a second run of ${name} as its comment says: ${again.says}`, async () => {
        expect(results.has(name)).toBe(true);
        again.check(await run(resolved.get(name)!));
      });
    }
  }

  it('shows the demo person with accounts and fields from all five upstreams in the person example', () => {
    const name = EXAMPLE_NAMES.find((n) => n.endsWith('-person'));
    expect(name).toBeDefined();
    const me = prop(results.get(name!)?.data, 'me');
    expect(prop(me, 'email')).toBe(personEmail);
    // Linked by email; VRM is linked by this very request (its own token), after `accounts` was read.
    const accounts = prop(me, 'accounts');
    expect(Array.isArray(accounts) ? accounts.map((a: unknown) => prop(a, 'upstream')) : accounts).toEqual(expect.arrayContaining(['EVENERGY', 'IDENTITY', 'PODERO', 'TIMESHEET']));
    // One field served by each upstream: identity, ev.energy, VRM, podero, timesheet.
    for (const key of ['firstName', 'notificationGroups', 'sites', 'address', 'role']) {
      expect({ key, isNull: (prop(me, key) ?? null) === null }).toEqual({ key, isNull: false });
    }
  });

  it('fails the VRM tabs with UNAUTHENTICATED once the last tab has revoked every token, as its comment warns', async () => {
    expect(results.has(EXAMPLE_NAMES[EXAMPLE_NAMES.length - 1]!)).toBe(true);
    const vrmTab = [...resolved.values()].find((e) => e.operationName === 'CreateVrmAccessToken');
    expect(vrmTab).toBeDefined();
    const result = await run({ ...vrmTab!, variables: JSON.stringify({ name: 'after revoking all' }) });
    expect(result.errors.map((e) => prop(prop(e, 'extensions'), 'code'))).toEqual(['UNAUTHENTICATED']);
  });
});
