/**
 * The root fields Apollo Federation adds when the gateway serves as a subgraph (FEDERATION=subgraph,
 * schema/federation/subgraph.graphql): `_entities`, which a supergraph router calls with the keys of the
 * people it needs (`{ __typename: "User", id }` or `{ __typename: "User", personId }`), and `_service`,
 * the SDL the router composes.
 *
 * `_entities` answers each representation as `node` answers its id: the policy is asked about the person
 * before and after the registry is (src/auth/policy.ts via `readablePerson`), so a plain user gets only
 * themselves and a refusal says nothing about whether the person exists; a malformed representation is
 * BAD_USER_INPUT naming its index. Each representation fails alone (its slot is null with its error); an
 * anonymous request is refused once, for the whole field. How many representations one operation may
 * send is a static limit (MAX_ENTITIES, src/server/cost.ts), checked before anything runs.
 */
import type { GraphQLFieldResolver } from 'graphql';
import { assertAllowed, canRunQuery } from '../../auth/policy';
import { ErrorCode, GatewayError } from '../../errors';
import { isUuid } from '../../lib/ids';
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';
import { fromGlobalId } from '../ids';
import { readablePerson } from './askPolicy';

/** The one entity type of this subgraph. */
const ENTITY_TYPE = 'User';

/** A short, JSON rendering of what the client sent, for messages that say what came. */
const shown = (value: unknown): string => (JSON.stringify(value) ?? String(value)).slice(0, 80);

function badRepresentation(index: number, key: string | undefined, message: string, reason: string): GatewayError {
  const path = ['representations', String(index), ...(key ? [key] : [])];
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `representations[${index}]${key ? `.${key}` : ''} ${message}`, { fieldErrors: [{ path, message: reason }] });
}

/**
 * The person UUID a representation names, by either key; throws BAD_USER_INPUT that names the
 * representation's index and key for anything else.
 */
function personIdOfRepresentation(representation: unknown, index: number): string {
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
    throw badRepresentation(index, undefined, `must be an object like { "__typename": "User", "id": "…" }, but got: ${shown(representation)}`, 'not an entity representation');
  }
  const typename: unknown = Reflect.get(representation, '__typename');
  if (typename !== ENTITY_TYPE) {
    throw badRepresentation(index, '__typename', `must be "${ENTITY_TYPE}", the one entity this subgraph resolves, but got: ${shown(typename)}`, `expected "${ENTITY_TYPE}"`);
  }
  const id: unknown = Reflect.get(representation, 'id');
  const personId: unknown = Reflect.get(representation, 'personId');
  let fromId: string | undefined;
  if (id !== undefined) {
    if (typeof id !== 'string') throw badRepresentation(index, 'id', `must be a User id (a string), but got: ${shown(id)}`, 'expected a User id');
    let decoded;
    try {
      decoded = fromGlobalId(id, `representations[${index}].id`);
    } catch {
      throw badRepresentation(index, 'id', `is not a valid global id; expected a User id returned by this API, but got: ${shown(id)}`, 'not a valid global id');
    }
    if (decoded.type !== 'User') {
      throw badRepresentation(index, 'id', `must be a User id, but got a ${decoded.type} id`, `expected a User id, got a ${decoded.type} id`);
    }
    if (decoded.parts.length !== 1 || !isUuid(decoded.parts[0]!)) {
      throw badRepresentation(index, 'id', `is not a User id returned by this API, but got: ${shown(id)}`, 'not a valid User id');
    }
    fromId = decoded.parts[0]!.toLowerCase();
  }
  if (personId !== undefined) {
    if (typeof personId !== 'string' || !isUuid(personId)) {
      throw badRepresentation(index, 'personId', `must be a person UUID, but got: ${shown(personId)}`, 'expected a person UUID');
    }
    if (fromId !== undefined && fromId !== personId.toLowerCase()) {
      throw badRepresentation(index, undefined, 'names two people: its id and its personId differ', 'id and personId name different people');
    }
    return personId.toLowerCase();
  }
  if (fromId === undefined) {
    throw badRepresentation(index, undefined, 'needs a key: id (a User global id) or personId (a person UUID)', 'missing key: id or personId');
  }
  return fromId;
}

async function resolveRepresentation(ctx: GraphContext, representation: unknown, index: number): Promise<(Person & { __typename: string }) | null> {
  const person = await readablePerson(ctx, '_entities', personIdOfRepresentation(representation, index));
  return person && { ...person, __typename: ENTITY_TYPE };
}

type EntitiesArgs = { representations: readonly unknown[] };

/** `Query._entities`: one slot per representation, each null with its own error when it cannot be answered. */
export const entities: GraphQLFieldResolver<unknown, GraphContext, EntitiesArgs> = (_root, { representations }, ctx) => {
  assertAllowed(canRunQuery(ctx.viewer, '_entities'));
  return representations.map((representation, index) => resolveRepresentation(ctx, representation, index));
};

/**
 * `Query._service` guarded by the policy: `sdl` is what @apollo/subgraph answers, given to whoever may read
 * the schema (anyone while introspection is on; admins otherwise).
 */
export function guardedService(sdl: GraphQLFieldResolver<unknown, GraphContext>, schemaPublic: boolean): GraphQLFieldResolver<unknown, GraphContext> {
  return (root, args, ctx, info) => {
    assertAllowed(canRunQuery(ctx.viewer, '_service', { schemaPublic }));
    return sdl(root, args, ctx, info);
  };
}
