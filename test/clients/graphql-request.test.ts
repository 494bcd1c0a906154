/**
 * graphql-request 7 as the README sets it up (clients/graphql-request.ts), over real HTTP: a query by
 * POST and by GET (which CSRF prevention accepts only with the documented header), a mutation, and a
 * batch (`batchRequests`, one POST holding a JSON array) within MAX_BATCH and over it.
 */
import { batchRequests, ClientError, GraphQLClient } from 'graphql-request';
import { createGraphQLRequestClient } from '../../clients/graphql-request';
import { expectSilentConsole, startClientEnv, type ClientEnv } from './harness';

describe('graphql-request with the documented settings', () => {
  let ctx: ClientEnv;
  let url: string;
  beforeAll(async () => {
    ctx = await startClientEnv();
    url = `${ctx.env.url}/graphql`;
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });
  expectSilentConsole();

  it.each(['POST', 'GET'] as const)('queries by %s', async (method) => {
    const client = createGraphQLRequestClient({ url, token: ctx.credentials.user, method });
    const data = await client.request<{ me: { id: string; email: string } }>('query Me { me { id email } }');
    expect(data.me.email).toBe('sophie.lovelace0@example.com');
  });

  it('is refused by CSRF prevention on GET without the documented header', async () => {
    const bare = new GraphQLClient(url, { method: 'GET', headers: { authorization: `Bearer ${ctx.credentials.user}` } });
    const failure = await bare.request('query Me { me { id } }').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ClientError);
    expect((failure as ClientError).response.status).toBe(400);
  });

  it('runs a mutation and returns the changed person with its id', async () => {
    const client = createGraphQLRequestClient({ url, token: ctx.credentials.user });
    const { me } = await client.request<{ me: { id: string } }>('query { me { id } }');
    const data = await client.request<{ setPayoutMethod: { user: { id: string; payoutMethod: { wallet: string } } } }>(
      'mutation Pay($userId: ID!, $input: PayoutMethodInput!) { setPayoutMethod(userId: $userId, input: $input) { user { id payoutMethod { wallet } } } }',
      { userId: me.id, input: { wallet: 'BILL_CREDITS' } },
    );
    expect(data.setPayoutMethod.user).toEqual({ id: me.id, payoutMethod: { wallet: 'BILL_CREDITS' } });
  });

  describe('batches (the server accepts them up to MAX_BATCH, default 10)', () => {
    const headers = (): Record<string, string> => ({ authorization: `Bearer ${ctx.credentials.admin}`, 'apollo-require-preflight': 'true' });
    const lookups = (n: number) =>
      ctx.env.population.people.slice(0, n).map((p) => ({ document: 'query U($email: EmailAddress!) { userByEmail(email: $email) { email } }', variables: { email: p.email } }));

    it('answers a batch of 10 in one request, in order', async () => {
      const results = await batchRequests(url, lookups(10), headers());
      expect(results.map((r) => (r.data as { userByEmail: { email: string } }).userByEmail.email)).toEqual(ctx.env.population.people.slice(0, 10).map((p) => p.email));
    });

    it('refuses a batch of 11 with BAD_REQUEST naming MAX_BATCH', async () => {
      const failure = await batchRequests(url, lookups(11), headers()).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ClientError);
      const response = (failure as ClientError).response;
      expect(response.status).toBe(400);
      expect(JSON.stringify(response)).toMatch(/MAX_BATCH/);
    });
  });
});
