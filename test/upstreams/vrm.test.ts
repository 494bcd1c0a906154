/**
 * The VRM connector against the VRM emulator over real HTTP, through the real upstream client: every
 * endpoint round-trips into domain types, each call is exactly one request of the expected method and
 * route, write bodies carry only what the caller gave, and documented failures become the right
 * GatewayError codes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation } from '../../src/emulators/population';
import { createVrmEmulator } from '../../src/emulators/vrm';
import {
  ADMIN_EMAIL,
  FUTURE_EXPIRY,
  otherTokenFor,
  personalTokenFor,
  siteIdFor,
  tokenIdFor,
  unclaimedIdentifierFor,
  unclaimedSiteIdFor,
  userIdFor,
} from '../../src/emulators/vrm/seed';
import { ErrorCode, GatewayError, upstreamFailureMessage } from '../../src/errors';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createMemoryCooldowns } from '../../src/upstreams/cooldown';
import type { UpstreamClient } from '../../src/upstreams/types';
import { createVrmConnector, describeVrmError, type VrmConnector } from '../../src/upstreams/vrm/connector';
import { record, toSite, toUser } from '../../src/upstreams/vrm/map';
import type { VrmCredential } from '../../src/upstreams/vrm/types';

const population = buildPopulation({ people: 40 });
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const person = (index: number): VrmCredential => ({ kind: 'token', value: personalTokenFor(population.seed, index) });

/** One request as the emulator's server received it. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let emulator: Emulator;
let client: UpstreamClient;
let vrm: VrmConnector;
let seen: Seen[] = [];

/** Each test runs an hour after the one before on the cooldowns' clock: a 429's cooldown does not reach into the next test. */
let later = 0;
const cooldowns = createMemoryCooldowns(() => Date.now() + later);

beforeAll(async () => {
  emulator = createVrmEmulator({ population, now: () => NOW });
  await emulator.listen(0);
  // Observes what arrives on the wire, beside the emulator's own handler.
  emulator.server.prependListener('request', (req) => {
    const record: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    seen.push(record);
    req.on('data', (chunk: Buffer) => {
      record.body += chunk.toString('utf8');
    });
  });
  client = createUpstreamClient({ upstream: 'vrm', baseUrl: emulator.url(), describeError: describeVrmError, retryBaseDelayMs: 1, cooldowns });
  vrm = createVrmConnector({ client, token: DEV_TOKENS.vrm });
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset(true);
  seen = [];
  later += 3_600_000;
});

/** Exactly these requests reached the emulator, by route key. */
function expectCalls(byRoute: Record<string, number>): void {
  expect(emulator.counts().byRoute).toEqual(byRoute);
}

/** The rejection of a promise, failing the test when it resolves or rejects with something else. */
async function gatewayError(promise: Promise<unknown>): Promise<GatewayError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof GatewayError)) throw new Error(`expected a GatewayError, but got: ${String(outcome)}`);
  return outcome;
}

describe('getMe', () => {
  it('reads the service credential\'s user with one GET and VRM\'s Token header', async () => {
    const me = await vrm.getMe();
    expect(me).toEqual({ id: '1', name: 'VRM Emulator Admin', email: ADMIN_EMAIL, country: 'NL' });
    expectCalls({ 'GET /users/me': 1 });
    expect(seen[0]?.headers['x-authorization']).toBe(`Token ${DEV_TOKENS.vrm}`);
  });

  it('acts for the person whose own token is passed, in either scheme', async () => {
    const p = population.people[3]!;
    expect(await vrm.getMe(person(3))).toEqual({ id: String(userIdFor(3)), name: `${p.firstName} ${p.lastName}`, email: p.email, country: expect.stringMatching(/^[A-Z]{2}$/) });
    const bearer = await vrm.getMe({ kind: 'bearer', value: personalTokenFor(population.seed, 3) });
    expect(bearer.id).toBe(String(userIdFor(3)));
    expect(seen[1]?.headers['x-authorization']).toBe(`Bearer ${personalTokenFor(population.seed, 3)}`);
  });

  it('blames the caller (UNAUTHENTICATED) for a refused own token, and the gateway for a refused service token', async () => {
    const own = await gatewayError(vrm.getMe({ kind: 'token', value: 'f'.repeat(64) }));
    expect(own).toMatchObject({ code: ErrorCode.UNAUTHENTICATED, upstream: 'vrm', status: 401, reason: 'invalid_token' });
    const expired = await gatewayError(vrm.getMe({ kind: 'token', value: otherTokenFor(population.seed, 9, 2) }));
    expect(expired.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(expired.message).toBe('The VRM credential passed by the caller was refused: it is missing, invalid, revoked or expired');
    expect(expired.detail).toContain('Authentication token has expired');
    expect(expired.message).not.toContain(otherTokenFor(population.seed, 9, 2));

    const misconfigured = createVrmConnector({ client, token: 'e'.repeat(64) });
    const service = await gatewayError(misconfigured.getMe());
    expect(service).toMatchObject({ code: ErrorCode.UPSTREAM_AUTH_FAILED, upstream: 'vrm', status: 401 });
    expect(service.message).not.toContain('e'.repeat(64));
  });
});

describe('access tokens', () => {
  it('lists the credential owner\'s tokens with ids as strings and unix times as Dates', async () => {
    const tokens = await vrm.listAccessTokens('me', person(3));
    expect(tokens.map((t) => t.id)).toEqual([0, 1, 2].map((j) => String(tokenIdFor(3, j))));
    expect(tokens[0]).toMatchObject({ name: 'usergraph', scope: 'all', expiresAt: null });
    for (const t of tokens) expect(t.createdAt).toBeInstanceOf(Date);
    expect(tokens[2]?.expiresAt).toEqual(new Date(FUTURE_EXPIRY * 1000));
    expectCalls({ 'GET /users/:idUser/accesstokens/list': 1 });
    expect(seen[0]?.url).toBe(`/v2/users/me/accesstokens/list`);
  });

  it('accepts the user id as a decimal string or an integer', async () => {
    await vrm.listAccessTokens(String(userIdFor(0)), person(0));
    await vrm.listAccessTokens(userIdFor(0), person(0));
    expect(seen.map((s) => s.url)).toEqual([`/v2/users/${userIdFor(0)}/accesstokens/list`, `/v2/users/${userIdFor(0)}/accesstokens/list`]);
  });

  it('creates a token with only the name when no expiry is given, and returns the secret once', async () => {
    const created = await vrm.createAccessToken(userIdFor(0), { name: 'Grafana 2' }, person(0));
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), token: expect.stringMatching(/^[0-9a-f]{64}$/), name: 'Grafana 2', expiresAt: null });
    expectCalls({ 'POST /users/:idUser/accesstokens/create': 1 });
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'Grafana 2' });
    expect(seen[0]?.headers['content-type']).toMatch(/^application\/json/);

    expect((await vrm.getMe({ kind: 'token', value: created.token })).id).toBe(String(userIdFor(0)));
    const listed = (await vrm.listAccessTokens('me', person(0))).find((t) => t.id === created.id);
    expect(listed).toEqual({ id: created.id, name: 'Grafana 2', createdAt: new Date(Math.floor(NOW / 1000) * 1000), scope: 'all', expiresAt: null });
  });

  it('sends an expiry as whole unix seconds', async () => {
    const expiresAt = new Date(NOW + 86_400_000 + 999);
    const created = await vrm.createAccessToken('me', { name: 'tomorrow', expiresAt }, person(0));
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'tomorrow', expiry: Math.floor(expiresAt.getTime() / 1000) });
    expect(created.expiresAt).toEqual(new Date(Math.floor(expiresAt.getTime() / 1000) * 1000));
    const listed = (await vrm.listAccessTokens('me', person(0))).find((t) => t.id === created.id);
    expect(listed?.expiresAt).toEqual(created.expiresAt);
  });

  it('reports VRM\'s field errors as BAD_USER_INPUT with the connector\'s argument names', async () => {
    const duplicate = await gatewayError(vrm.createAccessToken('me', { name: 'usergraph' }, person(0)));
    expect(duplicate).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, upstream: 'vrm', status: 400 });
    expect(duplicate.fieldErrors).toEqual([{ path: ['name'], message: 'is already taken' }]);
    const past = await gatewayError(vrm.createAccessToken('me', { name: 'old', expiresAt: new Date(NOW - 1000) }, person(0)));
    expect(past.fieldErrors?.map((f) => f.path)).toEqual([['expiresAt']]);
    expect(await vrm.listAccessTokens('me', person(0))).toHaveLength(2);
  });

  it('refuses an empty name or an invalid date before calling VRM', async () => {
    expect((await gatewayError(vrm.createAccessToken('me', { name: ' ' }, person(0)))).fieldErrors?.[0]?.path).toEqual(['name']);
    expect((await gatewayError(vrm.createAccessToken('me', { name: 'x', expiresAt: new Date(NaN) }, person(0)))).fieldErrors?.[0]?.path).toEqual(['expiresAt']);
    expect((await gatewayError(vrm.createAccessToken('10x', { name: 'x' }, person(0)))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(emulator.counts().total).toBe(0);
  });

  it('maps VRM\'s 403 for another user\'s id to FORBIDDEN on a person\'s own credential', async () => {
    const err = await gatewayError(vrm.createAccessToken(userIdFor(3), { name: 'x' }, person(0)));
    expect(err).toMatchObject({ code: ErrorCode.FORBIDDEN, upstream: 'vrm', status: 403 });
  });

  it('revokes one token by id and reports 1, with exactly one request and no retry', async () => {
    expect(await vrm.revokeAccessToken('me', String(tokenIdFor(3, 1)), person(3))).toBe(1);
    expectCalls({ 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 1 });
    expect(seen[0]?.url).toBe(`/v2/users/me/accesstokens/${tokenIdFor(3, 1)}/revoke`);
    expect((await vrm.listAccessTokens('me', person(3))).map((t) => t.id)).not.toContain(String(tokenIdFor(3, 1)));
  });

  it('revokes all with `*` and reports how many', async () => {
    expect(await vrm.revokeAccessToken(userIdFor(3), '*', person(3))).toBe(3);
    expect(seen[0]?.url).toBe(`/v2/users/${userIdFor(3)}/accesstokens/*/revoke`);
    expect((await gatewayError(vrm.getMe(person(3)))).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('answers NOT_FOUND for a token id that is not the caller\'s, and refuses a malformed id before calling', async () => {
    expect(await gatewayError(vrm.revokeAccessToken('me', String(tokenIdFor(3, 0)), person(0)))).toMatchObject({ code: ErrorCode.NOT_FOUND, status: 404 });
    emulator.reset();
    expect((await gatewayError(vrm.revokeAccessToken('me', '../installations', person(0)))).fieldErrors?.[0]?.path).toEqual(['idAccessToken']);
    expect(emulator.counts().total).toBe(0);
  });

  it('does not retry a revoke that failed upstream, since the write may have happened', async () => {
    emulator.setFaults({ status: 503, afterHandler: true, count: 1 });
    expect((await gatewayError(vrm.revokeAccessToken('me', '*', person(0)))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expectCalls({ 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 1 });
  });
});

describe('sites', () => {
  it('lists a user\'s installations with only the required values, sending no query', async () => {
    const sites = await vrm.listInstallations(userIdFor(3), {}, person(3));
    expectCalls({ 'GET /users/:idUser/installations': 1 });
    expect(seen[0]?.url).toBe(`/v2/users/${userIdFor(3)}/installations`);
    expect(sites.map((s) => s.id)).toEqual([0, 1, 2].map((s) => String(siteIdFor(3, s))));
    for (const site of sites) {
      expect(site).toMatchObject({ ownerId: String(userIdFor(3)), owner: true, isAdmin: true, accessLevel: 1 });
      expect(site.identifier).toMatch(/^[0-9a-f]{12}$/);
      expect(site.createdAt).toBeInstanceOf(Date);
      expect(['NONE', 'ALARMS', 'ALARMS_AND_WARNINGS']).toContain(site.alarmMonitoring);
      expect(typeof site.hasMains).toBe('boolean');
      expect(typeof site.invalidVrmAuthTokenUsedInLogRequest).toBe('boolean');
      expect(site).toMatchObject({ alarm: null, lastSeenAt: null, currentTime: null, tags: null, images: null, viewPermissions: null, extended: null });
    }
  });

  it('asks for every optional value with extended=1 and maps them', async () => {
    const [site] = await vrm.listInstallations('me', { extended: true, siteId: String(siteIdFor(0, 0)) }, person(0));
    expect(new URL(seen[0]!.url, 'http://x').searchParams.toString()).toBe(`extended=1&idSite=${siteIdFor(0, 0)}`);
    expect(site?.id).toBe(String(siteIdFor(0, 0)));
    expect(site?.lastSeenAt).toBeInstanceOf(Date);
    expect(site?.currentTime).toMatch(/^\d{2}:\d{2}$/);
    expect(typeof site?.timezoneOffset).toBe('number');
    expect(site?.viewPermissions).toMatchObject({ updateSettings: true, exactLocation: true, mqttRpc: true });
    expect(site?.alarmCount).toBe(site?.currentAlarms?.length);
    const extended = site?.extended ?? [];
    const state = extended.find((e) => e.code === 'S');
    expect(state).toMatchObject({ kind: 'DATA_ATTRIBUTE', attributeId: '40', dataType: 'ENUM', instance: '276' });
    if (state?.kind !== 'DATA_ATTRIBUTE') throw new Error('expected the VE.Bus state data attribute');
    expect(state.timestamp).toEqual(site?.lastSeenAt);
    expect(state.enumValues.map((v) => v.name)).toContain(state.textValue);
    const soc = extended.find((e) => e.code === 'bs');
    expect(soc).toMatchObject({ kind: 'SUMMARY', attributeId: '51', textValue: null, dataAttributes: [{ instance: '512', dbusServiceType: 'battery', dbusPath: '/Soc' }] });
  });

  it('takes a site id as a number too, and refuses one that is not an integer before calling', async () => {
    const sites = await vrm.listInstallations('me', { siteId: siteIdFor(0, 1) }, person(0));
    expect(sites.map((s) => s.id)).toEqual([String(siteIdFor(0, 1))]);
    emulator.reset();
    expect((await gatewayError(vrm.listInstallations('me', { siteId: '1 OR 1' }, person(0)))).fieldErrors?.[0]?.path).toEqual(['siteId']);
    expect(emulator.counts().total).toBe(0);
  });

  it('lists any user\'s installations with the service (admin) credential, from the admin\'s point of view', async () => {
    const sites = await vrm.listInstallations(String(userIdFor(6)));
    expect(sites.filter((s) => s.ownerId === String(userIdFor(6)))).toHaveLength(4);
    expect(sites.find((s) => s.id === String(siteIdFor(3, 0)))).toMatchObject({ ownerId: String(userIdFor(3)), owner: false, isAdmin: true });
    expect((await gatewayError(vrm.listInstallations('999999'))).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('shows a person\'s read-only shared site as such', async () => {
    const [shared] = await vrm.listInstallations('me', { siteId: siteIdFor(3, 0), extended: true }, person(6));
    expect(shared).toMatchObject({ owner: false, isAdmin: false, accessLevel: 0, shared: true, ownerId: String(userIdFor(3)) });
    expect(shared?.viewPermissions?.updateSettings).toBe(false);
  });

  it('maps VRM\'s documented 403 for another user\'s installations to FORBIDDEN on a person\'s credential', async () => {
    const err = await gatewayError(vrm.listInstallations(userIdFor(3), {}, person(0)));
    expect(err).toMatchObject({ code: ErrorCode.FORBIDDEN, upstream: 'vrm', status: 403 });
  });

  it('adds an unclaimed site by identifier and answers its id; the body carries only the identifier', async () => {
    const id = await vrm.addSite('me', unclaimedIdentifierFor(0), person(0));
    expect(id).toBe(String(unclaimedSiteIdFor(0)));
    expectCalls({ 'POST /users/:idUser/addsite': 1 });
    expect(JSON.parse(seen[0]!.body)).toEqual({ installation_identifier: unclaimedIdentifierFor(0) });
    expect((await vrm.listInstallations('me', { siteId: id }, person(0)))[0]).toMatchObject({ owner: true, ownerId: String(userIdFor(0)) });
  });

  it('maps addsite refusals: CONFLICT with VRM\'s reason, NOT_FOUND, and empty input before calling', async () => {
    await vrm.addSite('me', unclaimedIdentifierFor(1), person(0));
    const taken = await gatewayError(vrm.addSite('me', unclaimedIdentifierFor(1), person(3)));
    expect(taken).toMatchObject({ code: ErrorCode.CONFLICT, reason: 'site_already_registered', status: 409 });
    const again = await gatewayError(vrm.addSite('me', unclaimedIdentifierFor(1), person(0)));
    expect(again.reason).toBe('site_already_linked');
    expect((await gatewayError(vrm.addSite('me', '000000000000', person(0)))).code).toBe(ErrorCode.NOT_FOUND);
    emulator.reset();
    expect((await gatewayError(vrm.addSite('me', '', person(0)))).fieldErrors?.[0]?.path).toEqual(['installationIdentifier']);
    expect(emulator.counts().total).toBe(0);
  });

  it('looks up a site id by identifier with one POST, and answers null when there is none', async () => {
    const [site] = await vrm.listInstallations('me', { siteId: siteIdFor(3, 2) }, person(3));
    emulator.reset();
    seen = [];
    expect(await vrm.getSiteId('me', site!.identifier, person(3))).toBe(String(siteIdFor(3, 2)));
    expectCalls({ 'POST /users/:idUser/get-site-id': 1 });
    expect(JSON.parse(seen[0]!.body)).toEqual({ installation_identifier: site!.identifier });
    expect(await vrm.getSiteId('me', site!.identifier, person(0))).toBeNull();
    expect(await vrm.getSiteId('1', unclaimedIdentifierFor(3))).toBe(String(unclaimedSiteIdFor(3)));
  });
});

describe('upstream failures', () => {
  it('turns a 5xx into UPSTREAM_UNAVAILABLE with the gateway\'s words, VRM\'s only in the log-only detail', async () => {
    emulator.setFaults({ status: 503 });
    const err = await gatewayError(vrm.getMe());
    expect(err).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, upstream: 'vrm', status: 503 });
    expect(err.message).toBe(upstreamFailureMessage('vrm', ErrorCode.UPSTREAM_UNAVAILABLE, 503));
    expect(err.message).not.toContain('Service temporarily unavailable');
    expect(err.detail).toContain('Service temporarily unavailable');
  });

  it('turns a 429 into RATE_LIMITED with Retry-After seconds', async () => {
    emulator.setFaults({ status: 429, retryAfter: 30 });
    expect(await gatewayError(vrm.listAccessTokens('me'))).toMatchObject({ code: ErrorCode.RATE_LIMITED, retryAfter: 30, reason: 'rate_limited' });
  });

  it('turns an unparseable body into UPSTREAM_UNAVAILABLE', async () => {
    emulator.setFaults({ malformed: true });
    expect((await gatewayError(vrm.listInstallations('me'))).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
  });
});

describe('reading wire bodies', () => {
  it('fails a body of the wrong shape with UPSTREAM_UNAVAILABLE naming the field and type, never the value', () => {
    const secret = 'a'.repeat(64);
    let caught: unknown;
    try {
      toUser('GET /users/me', { success: true, user: { id: secret, name: 'x', email: 'x@example.com', country: 'NL' } });
    } catch (err) {
      caught = err;
    }
    if (!(caught instanceof GatewayError)) throw new Error(`expected a GatewayError, but got: ${String(caught)}`);
    expect(caught).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, upstream: 'vrm' });
    expect(caught.message).toBe('vrm sent a malformed answer to GET /users/me: expected body.user.id to be an integer id, but got a string');
  });

  it('refuses an alarm monitoring level outside 0, 1, 2', () => {
    expect(() => toSite(record('GET x', 'records[0]', { alarmMonitoring: 7 }))).toThrow('expected records[0].alarmMonitoring to be 0, 1 or 2, but got a number');
  });
});

describe('describeVrmError', () => {
  it('reads a string error and VRM\'s error_code', () => {
    expect(describeVrmError(401, { success: false, errors: 'Authentication token is invalid', error_code: 'invalid_token' })).toEqual({
      detail: 'Authentication token is invalid',
      reason: 'invalid_token',
    });
    expect(describeVrmError(401, { success: false, errors: 'x', error_code: 'db_prod_01_select' }).reason).toBeUndefined();
  });

  it('reads a field map into field errors named as the connector\'s arguments', () => {
    const d = describeVrmError(400, { success: false, errors: { expiry: 'must be in the future', installation_identifier: 'is required', other: 'bad' }, error_code: null });
    expect(d.fieldErrors).toEqual([
      { path: ['expiresAt'], message: 'must be in the future' },
      { path: ['installationIdentifier'], message: 'is required' },
      { path: [], message: 'is not valid' },
    ]);
    expect(d.detail).toBe('expiry: must be in the future; installation_identifier: is required; other: bad');
    expect(d.reason).toBeUndefined();
  });

  it('never passes on URLs, tokens or the raw body', () => {
    const token = '0123456789abcdef'.repeat(4);
    const d = describeVrmError(400, {
      success: false,
      errors: `Token ${token} rejected at https://vrmapi.victronenergy.com/v2/users/1?secret=x for ${token}`,
      error_code: 'https://evil.example/x',
      extra: 'raw body text',
    });
    const text = JSON.stringify(d);
    expect(text).not.toContain(token);
    expect(text).not.toContain('vrmapi.victronenergy.com');
    expect(text).not.toContain('evil.example');
    expect(text).not.toContain('raw body text');
    expect(d.detail).toBe('Token [redacted] rejected at [url] for [redacted]');
  });

  it('redacts a JWT in a message', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(describeVrmError(401, { success: false, errors: `Bearer ${jwt} expired`, error_code: null }).detail).toBe('Bearer [redacted] expired');
  });

  it('says nothing for bodies that are not VRM\'s error shape', () => {
    expect(describeVrmError(502, '<html>bad gateway</html>')).toEqual({});
    expect(describeVrmError(500, undefined)).toEqual({});
    expect(describeVrmError(500, [1, 2])).toEqual({});
  });
});
