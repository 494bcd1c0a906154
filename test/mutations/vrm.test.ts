/**
 * The VRM mutations and `siteIdByIdentifier` end to end over real HTTP: gateway → connector → VRM
 * emulator, always with the person's own VRM token (`X-Vrm-Authorization`). Each test shows the exact
 * upstream requests (the emulator's counters, and the method, path and body its server received, read
 * from its own `request` events: nothing is mocked) and reads VRM's state back through the connector
 * with that person's token. Bad input and refused callers leave VRM's data as it was.
 *
 * People (src/emulators/vrm/README.md): person i is VRM user 10000 + i when i % 3 === 0; person 0 has
 * tokens 500000 (its personal token, the one it sends) and 500001; person 3 has 500012–500014.
 */
import { sync } from '../../src/registry/sync';
import { personalTokenFor, unclaimedIdentifierFor, unclaimedSiteIdFor, userIdFor } from '../../src/emulators/vrm/seed';
import type { VrmAccessToken, VrmCredential } from '../../src/upstreams/vrm/types';
import { recordRequests, type Received } from '../helpers/received';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

let received: Received[];

beforeAll(async () => {
  t = await startTestGateway({ people: 12 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  received = recordRequests(t.emulators.emulators.vrm!.server);
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulators.reset(true);
  received.length = 0;
});

function startCounting(): void {
  t.resetCounts();
  received.length = 0;
}

function vrmCalls(): Record<string, number> {
  return t.counts().vrm.byRoute;
}

function noUpstreamCalls(): void {
  expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
}

function vrmToken(index: number): string {
  return personalTokenFor(t.population.seed, index);
}

function credential(index: number): VrmCredential {
  return { kind: 'token', value: vrmToken(index) };
}

/** The headers of person `index` calling with their own JWT and, unless `vrmOf` is null, a VRM token. */
async function as(index: number, vrmOf: number | null = index): Promise<{ token: string; headers: Record<string, string> }> {
  const token = await t.tokenFor(t.population.people[index]!);
  return { token, headers: vrmOf === null ? {} : { 'x-vrm-authorization': `Token ${vrmToken(vrmOf)}` } };
}

/** Person `index`'s VRM tokens as VRM lists them to that person. */
async function storedTokens(index: number): Promise<VrmAccessToken[]> {
  return t.gateway.upstreams.vrm.listAccessTokens('me', credential(index));
}

async function storedSiteIds(index: number): Promise<string[]> {
  return (await t.gateway.upstreams.vrm.listInstallations(userIdFor(index))).map((s) => s.id);
}

function expectError(res: GraphQLResult<unknown>, code: string, path?: string[]): void {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code).toBe(code);
  if (path) expect(error.extensions?.fieldErrors?.[0]?.path).toEqual(path);
}

const CREATE = `mutation($name: String!, $expiresAt: DateTime) {
  createAccessToken(name: $name, expiresAt: $expiresAt) { token accessToken { id tokenId name createdAt scope expiresAt } }
}`;
const REVOKE = `mutation($id: ID!) { revokeAccessToken(id: $id) { revokedCount } }`;
const REVOKE_ALL = `mutation { revokeAllAccessTokens { revokedCount } }`;
const ADD_SITE = `mutation($id: String!) { addSite(installationIdentifier: $id) { siteId } }`;
const SITE_ID = `query($id: String!) { siteIdByIdentifier(identifier: $id) }`;

/** What CREATE answers. */
type CreateData = {
  createAccessToken: { token: string; accessToken: { id: string; tokenId: string; name: string; createdAt: string; scope: string; expiresAt: string | null } };
};
/** What REVOKE, REVOKE_ALL, ADD_SITE and SITE_ID answer. */
type RevokeData = { revokeAccessToken: { revokedCount: number } };
type RevokeAllData = { revokeAllAccessTokens: { revokedCount: number } };
type AddSiteData = { addSite: { siteId: string } };
type SiteIdData = { siteIdByIdentifier: string | null };

describe('createAccessToken', () => {
  describe('what is sent', () => {
    it('posts only the name when expiresAt is omitted, reads createdAt and scope from the list, and answers the secret', async () => {
      const caller = await as(0);
      const before = await storedTokens(0);
      startCounting();
      const startedAt = Math.floor(Date.now() / 1000) * 1000;
      const res = await t.query<CreateData>(CREATE, { ...caller, variables: { name: 'CI deploy' } });
      expect(res.errors).toBeUndefined();
      expect(vrmCalls()).toEqual({ 'GET /users/me': 1, 'POST /users/:idUser/accesstokens/create': 1, 'GET /users/:idUser/accesstokens/list': 1 });
      expect(received.filter((r) => r.method === 'POST')).toEqual([{ method: 'POST', path: '/v2/users/10000/accesstokens/create', body: { name: 'CI deploy' } }]);
      const { token, accessToken } = dataOf(res).createAccessToken;
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(accessToken).toMatchObject({ name: 'CI deploy', scope: 'all', expiresAt: null });
      expect(Date.parse(accessToken.createdAt)).toBeGreaterThanOrEqual(startedAt);
      const after = await storedTokens(0);
      expect(after.map((x) => x.id)).toEqual([...before.map((x) => x.id), accessToken.tokenId]);
      // The new secret works as a VRM token of the same person.
      expect((await t.gateway.upstreams.vrm.getMe({ kind: 'token', value: token })).id).toBe(String(userIdFor(0)));
    });

    it('posts the expiry in unix seconds when expiresAt is given', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: 'Expiring', expiresAt: '2035-06-01T12:00:00Z' } });
      expect(res.errors).toBeUndefined();
      const post = received.find((r) => r.method === 'POST');
      expect(post?.body).toEqual({ name: 'Expiring', expiry: Date.UTC(2035, 5, 1, 12) / 1000 });
      expect(dataOf(res).createAccessToken.accessToken.expiresAt).toBe('2035-06-01T12:00:00Z');
      const stored = (await storedTokens(0)).find((x) => x.name === 'Expiring');
      expect(stored?.expiresAt?.toISOString()).toBe('2035-06-01T12:00:00.000Z');
    });

    it('reads expiresAt: null as "never expires" and sends no expiry key (VRM refuses a null expiry)', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: 'Forever', expiresAt: null } });
      expect(res.errors).toBeUndefined();
      expect(received.find((r) => r.method === 'POST')?.body).toEqual({ name: 'Forever' });
      expect((await storedTokens(0)).find((x) => x.name === 'Forever')?.expiresAt).toBeNull();
    });

    it('sends the name trimmed, as VRM stores it', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: '  Padded  ' } });
      expect(res.errors).toBeUndefined();
      expect(received.find((r) => r.method === 'POST')?.body).toEqual({ name: 'Padded' });
      expect(dataOf(res).createAccessToken.accessToken.name).toBe('Padded');
    });

    it('never shows the secret again: not in accessTokens, not in the logs', async () => {
      const caller = await as(0);
      const res = await t.query<CreateData>(CREATE, { ...caller, variables: { name: 'Once' } });
      const secret = dataOf(res).createAccessToken.token;
      const listed = await t.query<{ me: { accessTokens: { name: string }[] } }>(`{ me { accessTokens { tokenId name createdAt scope expiresAt } } }`, caller);
      expect(listed.errors).toBeUndefined();
      expect(dataOf(listed).me.accessTokens.map((x) => x.name)).toContain('Once');
      expect(JSON.stringify(listed)).not.toContain(secret);
      expect(t.logLines.join('\n')).not.toContain(secret);
    });
  });

  describe('bad input', () => {
    it.each([
      ['an empty name', { name: '   ' }, ['name']],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, ['name']],
      ['an expiry in the past', { name: 'Late', expiresAt: '2020-01-01T00:00:00Z' }, ['expiresAt']],
    ])('refuses %s at its field before any upstream call, leaving the tokens as they were', async (_label, variables, path) => {
      const before = await storedTokens(0);
      startCounting();
      expectError(await t.query<CreateData>(CREATE, { ...(await as(0)), variables }), 'BAD_USER_INPUT', path);
      noUpstreamCalls();
      expect(await storedTokens(0)).toEqual(before);
    });

    it('refuses a malformed expiresAt and a missing name before any upstream call', async () => {
      startCounting();
      const malformed = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: 'x', expiresAt: 'tomorrow' } });
      expectError(malformed, 'BAD_USER_INPUT');
      expect(malformed.errors![0]!.message).toMatch(/DateTime/);
      const missing = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: {} });
      expectError(missing, 'BAD_USER_INPUT');
      expect(missing.errors![0]!.message).toMatch(/\$name/);
      noUpstreamCalls();
    });

    it('passes on VRM\'s refusal of a name already taken as BAD_USER_INPUT at name, with no second POST', async () => {
      const before = await storedTokens(0);
      startCounting();
      // `usergraph` is the name of person 0's personal token.
      const res = await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: 'usergraph' } });
      expectError(res, 'BAD_USER_INPUT', ['name']);
      expect(vrmCalls()['POST /users/:idUser/accesstokens/create']).toBe(1);
      expect(await storedTokens(0)).toEqual(before);
    });
  });

  describe('who may', () => {
    it('refuses a caller without X-Vrm-Authorization (FORBIDDEN, saying to send it) before any upstream call', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { ...(await as(0, null)), variables: { name: 'No header' } });
      expectError(res, 'FORBIDDEN');
      expect(res.errors![0]!.message).toContain('X-Vrm-Authorization');
      noUpstreamCalls();
    });

    it('refuses an anonymous caller (UNAUTHENTICATED) before any upstream call', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { token: null, headers: { 'x-vrm-authorization': `Token ${vrmToken(0)}` }, variables: { name: 'Anon' } });
      expectError(res, 'UNAUTHENTICATED');
      noUpstreamCalls();
    });

    it('refuses another person\'s VRM token (FORBIDDEN) without writing', async () => {
      // Person 0's VRM account is linked by their own first call.
      expect((await t.query<CreateData>(CREATE, { ...(await as(0)), variables: { name: 'Own' } })).errors).toBeUndefined();
      t.emulators.reset(true);
      const before = await storedTokens(3);
      startCounting();
      const res = await t.query<CreateData>(CREATE, { ...(await as(0, 3)), variables: { name: 'Stolen' } });
      expectError(res, 'FORBIDDEN');
      expect(res.errors![0]!.message).toContain('another VRM account');
      expect(vrmCalls()).toEqual({ 'GET /users/me': 1 });
      expect(await storedTokens(3)).toEqual(before);
    });

    it('refuses an admin without a person of their own, whatever VRM token they send', async () => {
      startCounting();
      const res = await t.query<CreateData>(CREATE, { token: t.adminToken, headers: { 'x-vrm-authorization': `Token ${vrmToken(0)}` }, variables: { name: 'Admin' } });
      expectError(res, 'FORBIDDEN');
      expect(vrmCalls()['POST /users/:idUser/accesstokens/create']).toBeUndefined();
    });

    it('answers UNAUTHENTICATED naming VRM when the VRM token is not valid, without writing', async () => {
      startCounting();
      const caller = await as(0);
      const res = await t.query<CreateData>(CREATE, { token: caller.token, headers: { 'x-vrm-authorization': `Token ${'f'.repeat(64)}` }, variables: { name: 'Bad token' } });
      expectError(res, 'UNAUTHENTICATED');
      expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'vrm' });
      expect(vrmCalls()['POST /users/:idUser/accesstokens/create']).toBeUndefined();
    });
  });

  describe('failures', () => {
    it('does not retry the POST when it reached VRM and the answer failed', async () => {
      const caller = await as(0);
      const before = await storedTokens(0);
      startCounting();
      t.faults('vrm', { status: 503, afterHandler: true, count: 1, routes: ['POST /users/:idUser/accesstokens/create'] });
      const res = await t.query<CreateData>(CREATE, { ...caller, variables: { name: 'Lost answer' } });
      expectError(res, 'UPSTREAM_UNAVAILABLE');
      expect(vrmCalls()['POST /users/:idUser/accesstokens/create']).toBe(1);
      // The token was created once; its secret is lost with the answer.
      const after = await storedTokens(0);
      expect(after.filter((x) => x.name === 'Lost answer')).toHaveLength(1);
      expect(after).toHaveLength(before.length + 1);
    });

    it('still answers the secret when the list read after the create fails, with the create time as createdAt', async () => {
      const caller = await as(0);
      startCounting();
      t.faults('vrm', { status: 500, count: 1, routes: ['GET /users/:idUser/accesstokens/list'] });
      const startedAt = Math.floor(Date.now() / 1000) * 1000;
      const res = await t.query<CreateData>(CREATE, { ...caller, variables: { name: 'Unlisted', expiresAt: '2040-01-01T00:00:00Z' } });
      expect(res.errors).toBeUndefined();
      expect(vrmCalls()['GET /users/:idUser/accesstokens/list']).toBe(1);
      const { token, accessToken } = dataOf(res).createAccessToken;
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(accessToken).toMatchObject({ name: 'Unlisted', scope: 'all', expiresAt: '2040-01-01T00:00:00Z' });
      expect(Date.parse(accessToken.createdAt)).toBeGreaterThanOrEqual(startedAt);
      expect(Date.parse(accessToken.createdAt)).toBeLessThanOrEqual(Date.now());
    });
  });
});

describe('revokeAccessToken', () => {
  it('revokes one of the caller\'s tokens with one call and says how many', async () => {
    const caller = await as(0);
    startCounting();
    const res = await t.query<RevokeData>(REVOKE, { ...caller, variables: { id: '500001' } });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).revokeAccessToken).toEqual({ revokedCount: 1 });
    expect(vrmCalls()).toEqual({ 'GET /users/me': 1, 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 1 });
    expect(received.map((r) => `${r.method} ${r.path}`)).toContain('GET /v2/users/10000/accesstokens/500001/revoke');
    expect((await storedTokens(0)).map((x) => x.id)).toEqual(['500000']);
  });

  it.each([
    ['an unknown token id', '599999'],
    ['another person’s token id', '500012'],
  ])('answers NOT_FOUND at id for %s, which is not among the caller\'s, revoking nothing', async (_case, id) => {
    const before0 = await storedTokens(0);
    const before3 = await storedTokens(3);
    const res = await t.query<RevokeData>(REVOKE, { ...(await as(0)), variables: { id } });
    expectError(res, 'NOT_FOUND', ['id']);
    expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'vrm' });
    expect(await storedTokens(0)).toEqual(before0);
    expect(await storedTokens(3)).toEqual(before3);
  });

  it('refuses an id that is no tokenId, and a caller without X-Vrm-Authorization, before any upstream call', async () => {
    startCounting();
    expectError(await t.query<RevokeData>(REVOKE, { ...(await as(0)), variables: { id: 'QWNjZXNzVG9rZW46eDo1' } }), 'BAD_USER_INPUT', ['id']);
    const noHeader = await t.query<RevokeData>(REVOKE, { ...(await as(0, null)), variables: { id: '500001' } });
    expectError(noHeader, 'FORBIDDEN');
    expect(noHeader.errors![0]!.message).toContain('X-Vrm-Authorization');
    noUpstreamCalls();
  });

  it('does not retry the revoke (a GET that writes) when it reached VRM and the answer failed', async () => {
    const caller = await as(0);
    startCounting();
    t.faults('vrm', { status: 503, afterHandler: true, count: 1, routes: ['GET /users/:idUser/accesstokens/:idAccessToken/revoke'] });
    const res = await t.query<RevokeData>(REVOKE, { ...caller, variables: { id: '500001' } });
    expectError(res, 'UPSTREAM_UNAVAILABLE');
    expect(vrmCalls()['GET /users/:idUser/accesstokens/:idAccessToken/revoke']).toBe(1);
    expect((await storedTokens(0)).map((x) => x.id)).toEqual(['500000']);
  });
});

describe('revokeAllAccessTokens', () => {
  it('revokes every token of the caller, the one in use included, and says how many', async () => {
    // Person 3 has three tokens.
    expect(await storedTokens(3)).toHaveLength(3);
    const caller = await as(3);
    startCounting();
    const res = await t.query<RevokeAllData>(REVOKE_ALL, caller);
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).revokeAllAccessTokens).toEqual({ revokedCount: 3 });
    expect(vrmCalls()).toEqual({ 'GET /users/me': 1, 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 1 });
    expect(received.map((r) => `${r.method} ${r.path}`)).toContain('GET /v2/users/10003/accesstokens/*/revoke');
    await expect(t.gateway.upstreams.vrm.getMe(credential(3))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // Nobody else lost a token.
    expect(await storedTokens(0)).toHaveLength(2);
  });

  it('refuses a caller without X-Vrm-Authorization, and an anonymous one, before any upstream call', async () => {
    startCounting();
    expectError(await t.query<RevokeAllData>(REVOKE_ALL, await as(3, null)), 'FORBIDDEN');
    expectError(await t.query<RevokeAllData>(REVOKE_ALL, { token: null, headers: { 'x-vrm-authorization': `Token ${vrmToken(3)}` } }), 'UNAUTHENTICATED');
    noUpstreamCalls();
    expect(await storedTokens(3)).toHaveLength(3);
  });
});

describe('addSite', () => {
  it('adds an unclaimed installation with one POST of its identifier and answers its site id', async () => {
    const caller = await as(0);
    startCounting();
    const res = await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: ` ${unclaimedIdentifierFor(1)} ` } });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).addSite).toEqual({ siteId: String(unclaimedSiteIdFor(1)) });
    expect(vrmCalls()).toEqual({ 'GET /users/me': 1, 'POST /users/:idUser/addsite': 1 });
    expect(received.filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', path: '/v2/users/10000/addsite', body: { installation_identifier: unclaimedIdentifierFor(1) } },
    ]);
    expect(await storedSiteIds(0)).toContain(String(unclaimedSiteIdFor(1)));
  });

  it('answers CONFLICT with VRM\'s reason for a site already the caller\'s or another\'s, and NOT_FOUND for an unknown one', async () => {
    const caller = await as(0);
    expect((await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: unclaimedIdentifierFor(2) } })).errors).toBeUndefined();
    const others = await t.gateway.upstreams.vrm.listInstallations(userIdFor(3));
    const before = await storedSiteIds(0);

    const again = await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: unclaimedIdentifierFor(2) } });
    expectError(again, 'CONFLICT', ['installationIdentifier']);
    expect(again.errors![0]!.extensions).toMatchObject({ upstream: 'vrm', reason: 'site_already_linked' });

    const taken = await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: others[0]!.identifier } });
    expectError(taken, 'CONFLICT', ['installationIdentifier']);
    expect(taken.errors![0]!.extensions).toMatchObject({ reason: 'site_already_registered' });

    expectError(await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: '0123456789ab' } }), 'NOT_FOUND', ['installationIdentifier']);
    expect(await storedSiteIds(0)).toEqual(before);
    expect((await t.gateway.upstreams.vrm.listInstallations(userIdFor(3))).map((s) => s.id)).toEqual(others.map((s) => s.id));
  });

  it.each([
    ['an empty identifier', '  '],
    ['an identifier of 65 characters', 'a'.repeat(65)],
  ])('refuses %s at installationIdentifier before any upstream call', async (_label, id) => {
    const before = await storedSiteIds(0);
    startCounting();
    expectError(await t.query<AddSiteData>(ADD_SITE, { ...(await as(0)), variables: { id } }), 'BAD_USER_INPUT', ['installationIdentifier']);
    noUpstreamCalls();
    expect(await storedSiteIds(0)).toEqual(before);
  });

  it('refuses a caller without X-Vrm-Authorization before any upstream call', async () => {
    startCounting();
    expectError(await t.query<AddSiteData>(ADD_SITE, { ...(await as(0, null)), variables: { id: unclaimedIdentifierFor(1) } }), 'FORBIDDEN');
    noUpstreamCalls();
  });

  it('does not retry the POST when it reached VRM and the answer failed', async () => {
    const caller = await as(0);
    startCounting();
    t.faults('vrm', { status: 503, afterHandler: true, count: 1, routes: ['POST /users/:idUser/addsite'] });
    const res = await t.query<AddSiteData>(ADD_SITE, { ...caller, variables: { id: unclaimedIdentifierFor(3) } });
    expectError(res, 'UPSTREAM_UNAVAILABLE');
    expect(vrmCalls()['POST /users/:idUser/addsite']).toBe(1);
    expect(await storedSiteIds(0)).toContain(String(unclaimedSiteIdFor(3)));
  });
});

describe('siteIdByIdentifier', () => {
  it('finds the site id of one of the caller\'s installations, and null for one they cannot see', async () => {
    const [own] = await t.gateway.upstreams.vrm.listInstallations(userIdFor(0));
    const caller = await as(0);
    startCounting();
    const res = await t.query<SiteIdData>(SITE_ID, { ...caller, variables: { id: own!.identifier } });
    expect(res.errors).toBeUndefined();
    expect(dataOf(res).siteIdByIdentifier).toBe(own!.id);
    expect(vrmCalls()).toEqual({ 'GET /users/me': 1, 'POST /users/:idUser/get-site-id': 1 });
    expect(received.filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', path: '/v2/users/10000/get-site-id', body: { installation_identifier: own!.identifier } },
    ]);
    const unseen = await t.query<SiteIdData>(SITE_ID, { ...caller, variables: { id: unclaimedIdentifierFor(4) } });
    expect(unseen.errors).toBeUndefined();
    expect(dataOf(unseen).siteIdByIdentifier).toBeNull();
  });

  it('refuses a caller without X-Vrm-Authorization, an anonymous one, and an empty identifier before any upstream call', async () => {
    startCounting();
    const noHeader = await t.query<SiteIdData>(SITE_ID, { ...(await as(0, null)), variables: { id: unclaimedIdentifierFor(1) } });
    expectError(noHeader, 'FORBIDDEN');
    expect(noHeader.errors![0]!.message).toContain('X-Vrm-Authorization');
    expectError(await t.query<SiteIdData>(SITE_ID, { token: null, headers: { 'x-vrm-authorization': `Token ${vrmToken(0)}` }, variables: { id: 'abc' } }), 'UNAUTHENTICATED');
    expectError(await t.query<SiteIdData>(SITE_ID, { ...(await as(0)), variables: { id: '' } }), 'BAD_USER_INPUT', ['identifier']);
    noUpstreamCalls();
  });
});
