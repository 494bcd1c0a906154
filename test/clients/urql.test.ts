/**
 * urql 6 with Graphcache 9 as the README sets it up (clients/urql.ts), over real HTTP: queries go as GET
 * (urql's default) and pass CSRF prevention thanks to the documented header; `me.subscription` (the
 * `IdentitySubscription`) is cached and read back, not nulled; a mutation updates the cached person.
 */
import { gql } from '@urql/core';
import { createUrqlClient } from '../../clients/urql';
import { expectSilentConsole, recordingFetch, startClientEnv, type ClientEnv } from './harness';

const ME = gql`
  query Me {
    me {
      id
      firstName
      subscription { id status accounts { id identifier } }
      address { town country }
      devices { __typename id manufacturer ... on HeatPump { outdoorTemperature } }
    }
  }
`;

describe('urql with Graphcache and the documented settings', () => {
  let ctx: ClientEnv;
  beforeAll(async () => {
    ctx = await startClientEnv();
  }, 60_000);
  afterAll(async () => {
    await ctx?.env.close();
  });
  // Graphcache warns (console.warn) about objects it cannot key and fragments it cannot match.
  expectSilentConsole();

  it('queries with GET, keeps me.subscription, and answers the same query again from the cache', async () => {
    const recorded = recordingFetch();
    const client = createUrqlClient({ url: `${ctx.env.url}/graphql`, token: ctx.credentials.user, fetch: recorded.fetch });
    const first = await client.query(ME, {}).toPromise();
    expect(first.error).toBeUndefined();
    const me = first.data.me;
    expect(me.subscription).toEqual(expect.objectContaining({ id: expect.any(String), status: 'ACTIVE' }));
    expect(me.subscription.accounts.length).toBeGreaterThan(0);
    expect(me.devices.length).toBeGreaterThan(0);
    expect(recorded.sent.map((r) => [r.method, r.status])).toEqual([['GET', 200]]);

    const again = await client.query(ME, {}).toPromise();
    expect(again.data).toEqual(first.data);
    expect(again.operation.context.meta?.cacheOutcome).toBe('hit');
    expect(recorded.sent).toHaveLength(1);
  });

  it('updates the cached person after updateUser (a POST), so the cached query shows the new address', async () => {
    const recorded = recordingFetch();
    const client = createUrqlClient({ url: `${ctx.env.url}/graphql`, token: ctx.credentials.user, fetch: recorded.fetch });
    const before = await client.query(ME, {}).toPromise();
    const id = before.data.me.id;
    const changed = await client
      .mutation(gql`mutation Move($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id address { town country } } outcomes { upstream status } } }`, {
        id,
        input: { address: { town: 'Lisbon', country: 'PT' } },
      })
      .toPromise();
    expect(changed.error).toBeUndefined();
    const after = await client.query(ME, {}, { requestPolicy: 'cache-only' }).toPromise();
    expect(after.data.me.address).toEqual({ town: 'Lisbon', country: 'PT' });
    expect(recorded.sent.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it("is refused by CSRF prevention without the documented header (urql's GET has no Content-Type)", async () => {
    const res = await fetch(`${ctx.env.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, { headers: { authorization: `Bearer ${ctx.credentials.user}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
  });
});
