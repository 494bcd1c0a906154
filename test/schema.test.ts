/**
 * The SDL is the documentation GraphiQL shows: every type, field, argument and enum value is described.
 */
import { getIntrospectionQuery, graphqlSync, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isUnionType } from 'graphql';
import { buildSchema } from '../src/graph/schema';

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
