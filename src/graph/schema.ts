/**
 * The executable schema: the SDL in schema/*.graphql (the source of truth) with the resolvers of
 * src/graph/resolvers, merged per type. As an Apollo Federation subgraph (FEDERATION=subgraph) the same
 * SDL gains schema/federation/subgraph.graphql (`User @key(fields: "id") @key(fields: "personId")`) and
 * the federation root fields `_entities` and `_service` (./resolvers/federation.ts); with federation off
 * it is exactly schema/*.graphql.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { addResolversToSchema, makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { GraphContext } from './context';
import { resolvers } from './resolvers';
import { entities, guardedService } from './resolvers/federation';

export const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
/** What a subgraph adds to schema/*.graphql. */
const FEDERATION_SDL = path.join(SCHEMA_DIR, 'federation', 'subgraph.graphql');

/** FEDERATION: `off` serves schema/*.graphql alone; `subgraph` serves it as an Apollo Federation 2 subgraph. */
export type FederationMode = 'off' | 'subgraph';

export interface SchemaOptions {
  /** Default `off`. */
  federation?: FederationMode;
  /** Whether the schema is public (INTROSPECTION on): then anyone may read `_service`, else only admins. */
  schemaPublic?: boolean;
}

const VALIDATION = { requireResolversToMatchSchema: 'error', requireResolversForResolveType: 'error' } as const;

export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

export function buildSchema(options: SchemaOptions = {}): GraphQLSchema {
  const mode = options.federation ?? 'off';
  switch (mode) {
    case 'off':
      return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers, resolverValidationOptions: VALIDATION });
    case 'subgraph':
      return buildSubgraph(options.schemaPublic ?? false);
  }
}

/**
 * @apollo/subgraph builds the schema with the federation types and its own `_service` (whose `sdl` it
 * prints); the gateway's resolvers go on top, with `_entities` replaced by the gateway's own (the
 * policy's checks, its own errors) and `_service` behind the policy.
 */
function buildSubgraph(schemaPublic: boolean): GraphQLSchema {
  const typeDefs = parse([...loadTypeDefs(), fs.readFileSync(FEDERATION_SDL, 'utf8')].join('\n'));
  const subgraph = buildSubgraphSchema({ typeDefs });
  const sdl = subgraph.getQueryType()?.getFields()._service?.resolve as GraphQLFieldResolver<unknown, GraphContext> | undefined;
  if (!sdl) throw new Error('@apollo/subgraph built no Query._service resolver');
  return addResolversToSchema({
    schema: subgraph,
    resolvers: { ...resolvers, Query: { ...resolvers.Query, _entities: entities, _service: guardedService(sdl, schemaPublic) } },
    resolverValidationOptions: VALIDATION,
  });
}
