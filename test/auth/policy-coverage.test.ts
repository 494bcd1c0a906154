/**
 * The policy has a rule for every field of User, every root query field and every mutation of the schema
 * (schema/*.graphql, as the gateway loads it), and none for a field that does not exist, and for the root
 * fields a subgraph adds (FEDERATION=subgraph); and every User field of the executable schema, served
 * alone or as a subgraph, asks the policy before it reads anything.
 */
import { assertObjectType, buildASTSchema, parse, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { FEDERATION_QUERY_RULES, MUTATION_RULES, QUERY_RULES, USER_FIELD_RULES } from '../../src/auth/policy';
import type { Viewer } from '../../src/auth/viewer';
import { ErrorCode, GatewayError } from '../../src/errors';
import type { GraphContext } from '../../src/graph/context';
import { buildSchema, loadTypeDefs } from '../../src/graph/schema';
import type { Person } from '../../src/registry/types';

const sdl: GraphQLSchema = buildASTSchema(parse(loadTypeDefs().join('\n')));
const fieldsOf = (schema: GraphQLSchema, type: string): string[] => Object.keys(assertObjectType(schema.getType(type)).getFields()).sort();

describe('the policy tables cover the schema', () => {
  it.each([
    ['User', USER_FIELD_RULES],
    ['Query', QUERY_RULES],
    ['Mutation', MUTATION_RULES],
  ] as const)('has a rule for exactly the fields of %s', (type, rules) => {
    const fields = fieldsOf(sdl, type);
    expect(fields.length).toBeGreaterThan(0);
    expect(Object.keys(rules).sort()).toEqual(fields);
  });

  it('has a rule for exactly the root query fields of the subgraph schema, the federation ones among them', () => {
    const subgraph = buildSchema({ federation: 'subgraph' });
    expect(Object.keys({ ...QUERY_RULES, ...FEDERATION_QUERY_RULES }).sort()).toEqual(fieldsOf(subgraph, 'Query'));
    expect(Object.keys(FEDERATION_QUERY_RULES).sort()).toEqual(fieldsOf(subgraph, 'Query').filter((f) => !fieldsOf(sdl, 'Query').includes(f)));
    expect(fieldsOf(subgraph, 'User')).toEqual(fieldsOf(sdl, 'User'));
    expect(fieldsOf(subgraph, 'Mutation')).toEqual(fieldsOf(sdl, 'Mutation'));
  });
});

describe.each(['off', 'subgraph'] as const)('every User field of the executable schema (federation %s) asks the policy before it resolves', (federation) => {
  const user = assertObjectType(buildSchema({ federation }).getType('User'));
  const person: Person = { id: '0b7e4f0c-2d1a-4c55-9e0f-3a6b8d2c1e77', email: 'ada@example.com', createdAt: new Date(0), updatedAt: new Date(0) };
  const stranger: Viewer = { kind: 'user', sub: '5d1c0a3e-9b8f-4e2d-8c7b-6a5f4e3d2c1b', email: 'grace@example.com', roles: [] };
  const admin: Viewer = { kind: 'admin', sub: 'root', roles: ['admin'] };

  /** Anything past the policy reads the request's dependencies or loaders: here they fail loudly, by name. */
  const untouchable = (name: string): object =>
    new Proxy(
      {},
      {
        get: (_target, key) => {
          throw new Error(`touched ${name}.${String(key)}`);
        },
      },
    );

  /**
   * A request context with only what the policy's facts come from (viewer, VRM token, own person); the
   * rest throws when touched. Built by hand, as a real one needs a registry and upstreams.
   */
  function contextFor(viewer: Viewer, own: Person | null): GraphContext {
    const ctx = { viewer, vrmCredential: undefined, viewerPerson: async () => own, deps: untouchable('deps'), loaders: untouchable('loaders') };
    return ctx as unknown as GraphContext;
  }

  async function outcome(field: string, ctx: GraphContext): Promise<unknown> {
    const resolve = user.getFields()[field]!.resolve!;
    try {
      return await resolve(person, {}, ctx, {} as GraphQLResolveInfo);
    } catch (err) {
      return err;
    }
  }

  it.each(fieldsOf(sdl, 'User'))('User.%s refuses a stranger before it reads anything', async (field) => {
    const result = await outcome(field, contextFor(stranger, null));
    expect(result).toBeInstanceOf(GatewayError);
    expect(result).toMatchObject({ code: ErrorCode.FORBIDDEN, message: expect.stringContaining(`User.${field}`) });
  });

  it.each(fieldsOf(sdl, 'User').filter((f) => f !== 'accessTokens'))('User.%s resolves for an admin once the policy allows', async (field) => {
    const result = await outcome(field, contextFor(admin, null));
    if (result instanceof GatewayError) throw result;
    // Fields served by the registry answer at once; the others go on to the loaders.
    if (result instanceof Error) expect(result.message).toMatch(/^touched (loaders|deps)\./);
  });

  it('User.accessTokens refuses an admin who sent no VRM token, and one who reads someone else’s', async () => {
    expect(await outcome('accessTokens', contextFor(admin, person))).toMatchObject({ code: ErrorCode.FORBIDDEN, message: expect.stringContaining('X-Vrm-Authorization') });
    const withToken = { ...contextFor(admin, null), vrmCredential: { kind: 'token', value: 'f'.repeat(64) } } as GraphContext;
    expect(await outcome('accessTokens', withToken)).toMatchObject({ code: ErrorCode.FORBIDDEN, message: expect.stringContaining('your own person') });
  });
});
