/**
 * The client kit keeps up with the schema: every object type without an id has a merge rule (Apollo) and
 * a null key (Graphcache), every list of objects on a normalised type is replaced whole, every connection
 * is paged, and the shipped possibleTypes are the schema's.
 */
import { getNamedType, type IntrospectionQuery, isInterfaceType, isListType, isNonNullType, isObjectType, type GraphQLField, type GraphQLOutputType } from 'graphql';
import { typePolicies, possibleTypes } from '../../clients/apollo';
import { CONNECTIONS, ID_LESS_TYPES, LIST_FIELDS } from '../../clients/cache-shape';
import { graphcacheOptions } from '../../clients/urql';
import { buildSchema } from '../../src/graph/schema';

const schema = buildSchema();
const objectTypes = Object.values(schema.getTypeMap()).filter(isObjectType).filter((t) => !t.name.startsWith('__'));
const hasId = (t: { getFields(): Record<string, unknown> }): boolean => 'id' in t.getFields();
const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);
const holdsObjects = (field: GraphQLField<unknown, unknown>): boolean => {
  const named = getNamedType(field.type);
  return isObjectType(named) || isInterfaceType(named);
};

it('lists every object type without an id (the schema enumerated), and no other', () => {
  const idLess = objectTypes.filter((t) => !hasId(t) && t !== schema.getQueryType() && t !== schema.getMutationType()).map((t) => t.name);
  expect([...ID_LESS_TYPES].sort()).toEqual(idLess.sort());
  expect(idLess).toEqual(expect.arrayContaining(['NotificationGroups', 'PayoutMethod', 'Address']));
});

it("gives Apollo a merge rule for each of them, and Graphcache a null key", () => {
  const keys = graphcacheOptions().keys ?? {};
  for (const type of ID_LESS_TYPES) {
    expect({ type, policy: typePolicies[type] }).toEqual({ type, policy: { keyFields: false, merge: true } });
    expect({ type, key: keys[type]?.({ __typename: type }) }).toEqual({ type, key: null });
  }
});

it('replaces every list of objects on a normalised type whole, and pages every connection', () => {
  const lists: Record<string, string[]> = {};
  const connections: Record<string, string[]> = {};
  for (const type of objectTypes) {
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (named.name.endsWith('Connection')) (connections[type.name] ??= []).push(field.name);
      else if ((hasId(type) || type === schema.getQueryType()) && isList(field.type) && holdsObjects(field)) (lists[type.name] ??= []).push(field.name);
    }
  }
  expect(Object.fromEntries(Object.entries(LIST_FIELDS).map(([t, f]) => [t, [...f].sort()]))).toEqual(Object.fromEntries(Object.entries(lists).map(([t, f]) => [t, f.sort()])));
  expect(Object.fromEntries(Object.entries(CONNECTIONS).map(([t, f]) => [t, Object.keys(f).sort()]))).toEqual(Object.fromEntries(Object.entries(connections).map(([t, f]) => [t, f.sort()])));
  for (const [type, fields] of Object.entries(LIST_FIELDS)) {
    for (const field of fields) expect({ type, field, merge: typeof typePolicies[type]?.fields?.[field] }).toEqual({ type, field, merge: 'object' });
  }
  const resolvers = graphcacheOptions().resolvers ?? {};
  for (const [type, fields] of Object.entries(CONNECTIONS)) {
    for (const [field, keyArgs] of Object.entries(fields)) {
      // keyArgs: the connection's arguments other than the page ones.
      const args = schema.getType(type) && isObjectType(schema.getType(type)) ? (schema.getType(type) as ReturnType<typeof schema.getQueryType> & object).getFields()[field]!.args.map((a) => a.name) : [];
      expect({ type, field, keyArgs: [...keyArgs].sort() }).toEqual({ type, field, keyArgs: args.filter((a) => !['first', 'after', 'last', 'before'].includes(a)).sort() });
      expect({ type, field, policy: typeof typePolicies[type]?.fields?.[field], resolver: typeof resolvers[type]?.[field] }).toEqual({ type, field, policy: 'object', resolver: 'function' });
    }
  }
});

it("ships the schema's possible types for every interface", () => {
  const interfaces = Object.values(schema.getTypeMap()).filter(isInterfaceType);
  const expected = Object.fromEntries(interfaces.map((i) => [i.name, schema.getPossibleTypes(i).map((t) => t.name).sort()]));
  expect(Object.fromEntries(Object.entries(possibleTypes).map(([k, v]) => [k, [...v].sort()]))).toEqual(expected);
  // Graphcache gets the whole schema (introspection), with the same interfaces and implementations.
  const introspected = graphcacheOptions().schema as unknown as IntrospectionQuery;
  expect(introspected.__schema.subscriptionType ?? null).toBeNull();
  const fromIntrospection = Object.fromEntries(
    introspected.__schema.types.filter((t) => t.kind === 'INTERFACE').map((t) => [t.name, ('possibleTypes' in t ? t.possibleTypes : []).map((p) => p.name).sort()]),
  );
  expect(fromIntrospection).toEqual(expected);
});
