/**
 * graphql-codegen plugin: the schema's introspection without descriptions, as a TypeScript module, for
 * urql Graphcache's `schema` option (clients/urql.ts). Graphcache needs the whole type graph, not only
 * possibleTypes: without it, it writes every inline fragment whatever the object's type and warns about
 * the fields a fragment on another device type asks for.
 */
const { introspectionFromSchema } = require('graphql');

module.exports = {
  plugin(schema) {
    const introspection = introspectionFromSchema(schema, { descriptions: false, specifiedByUrl: false, directiveIsRepeatable: false });
    return `import type { IntrospectionQuery } from 'graphql';\n\nconst introspection: IntrospectionQuery = JSON.parse(${JSON.stringify(JSON.stringify(introspection))});\nexport default introspection;\n`;
  },
};
