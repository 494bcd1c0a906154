/**
 * The SDL is the documentation GraphiQL shows: every type, field, argument and enum value is described.
 */
import {
  assertObjectType,
  assertUnionType,
  getIntrospectionQuery,
  graphqlSync,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  lexicographicSortSchema,
  printSchema,
  printType,
} from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { resolvers } from '../src/graph/resolvers';
import { buildSchema, loadTypeDefs } from '../src/graph/schema';

it('describes every type, field, argument, input field and enum value', () => {
  const schema = buildSchema();
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    const roots = ['Query', 'Mutation'];
    if (!type.description && !roots.includes(type.name)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    } else if (!isScalarType(type) && !isUnionType(type)) {
      missing.push(`${String(type)} (unexpected kind)`);
    }
  }
  expect(missing).toEqual([]);
});

it('has no subscription root: introspection reports none, and no type is named Subscription', () => {
  const schema = buildSchema();
  const result = graphqlSync({ schema, source: getIntrospectionQuery() });
  expect(result.errors).toBeUndefined();
  const reported = (result.data as { __schema: { subscriptionType: unknown; queryType: { name: string }; mutationType: { name: string } } }).__schema;
  expect(reported.subscriptionType).toBeNull();
  expect([reported.queryType.name, reported.mutationType.name]).toEqual(['Query', 'Mutation']);
  expect(schema.getType('Subscription')).toBeUndefined();
  expect(schema.getType('IdentitySubscription')).toBeDefined();
});

describe('federation (FEDERATION)', () => {
  // The schema served before federation existed: schema/*.graphql with the resolvers, nothing else.
  const today = lexicographicSortSchema(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers }));

  it('serves exactly schema/*.graphql when off, the default', () => {
    expect(printSchema(lexicographicSortSchema(buildSchema()))).toBe(printSchema(today));
    expect(printSchema(lexicographicSortSchema(buildSchema({ federation: 'off' })))).toBe(printSchema(today));
    expect(Object.keys(today.getTypeMap()).filter((name) => /^_[^_]|^(link|federation)__/.test(name))).toEqual([]);
  });

  it('as a subgraph adds only the federation root fields and types, and changes no type of schema/*.graphql', () => {
    const subgraph = lexicographicSortSchema(buildSchema({ federation: 'subgraph' }));
    const changed = Object.values(today.getTypeMap())
      .filter((type) => type.name !== 'Query' && printType(type) !== printType(subgraph.getType(type.name)!))
      .map((type) => type.name);
    expect(changed).toEqual([]);
    const query = assertObjectType(subgraph.getType('Query'));
    expect(Object.keys(query.getFields()).sort()).toEqual([...Object.keys(assertObjectType(today.getType('Query')).getFields()), '_entities', '_service'].sort());
    const added = Object.keys(subgraph.getTypeMap()).filter((name) => !today.getType(name) && !name.startsWith('__'));
    expect(added.sort()).toEqual(['_Any', '_Entity', '_Service', 'federation__FieldSet', 'link__Import', 'link__Purpose'].sort());
    expect(assertUnionType(subgraph.getType('_Entity')).getTypes().map(String)).toEqual(['User']);
  });
});
