/**
 * Coalescing of in-flight GETs across requests (src/upstreams/flights.ts through the one HTTP client), over
 * real HTTP against the identity and VRM emulators, with a latency fault so that the calls overlap. The
 * emulators' own counters say how many calls arrived.
 */
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import { createIdentityEmulator } from '../../src/emulators/identity';
import type { Emulator } from '../../src/emulators/kit';
import { buildPopulation, type DemoPerson } from '../../src/emulators/population';
import { createVrmEmulator } from '../../src/emulators/vrm';
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { ErrorCode, GatewayError } from '../../src/errors';
import { OperationBudget } from '../../src/upstreams/budget';
import { createUpstreamClient } from '../../src/upstreams/client';
import { createIdentityConnector, describeIdentityError, type IdentityConnector } from '../../src/upstreams/identity/connector';
import type { CallEvent, CallOptions, SharedEvent, UpstreamClient } from '../../src/upstreams/types';
import { createVrmConnector, describeVrmError, type VrmConnector } from '../../src/upstreams/vrm/connector';

const population = buildPopulation({ people: 40 });
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const SLOW_MS = 150;

let identityEmulator: Emulator;
let vrmEmulator: Emulator;
let identityClient: UpstreamClient;
let vrmClient: UpstreamClient;
let identity: IdentityConnector;
let vrm: VrmConnector;

beforeAll(async () => {
  identityEmulator = createIdentityEmulator({ population, now: () => NOW });
  vrmEmulator = createVrmEmulator({ population, now: () => NOW });
  await Promise.all([identityEmulator.listen(0), vrmEmulator.listen(0)]);
  identityClient = createUpstreamClient({ upstream: 'identity', baseUrl: identityEmulator.url(), describeError: describeIdentityError, retryBaseDelayMs: 1, retryMaxDelayMs: 20 });
  vrmClient = createUpstreamClient({ upstream: 'vrm', baseUrl: vrmEmulator.url(), describeError: describeVrmError, retryBaseDelayMs: 1 });
  identity = createIdentityConnector({ client: identityClient, token: DEV_TOKENS.identity });
  vrm = createVrmConnector({ client: vrmClient, token: DEV_TOKENS.vrm });
});
afterAll(async () => {
  await Promise.all([identityClient.close(), vrmClient.close()]);
  await Promise.all([identityEmulator.close(), vrmEmulator.close()]);
});
beforeEach(() => {
  identityEmulator.reset(true);
  vrmEmulator.reset(true);
});

function person(filter: (p: DemoPerson) => boolean, nth = 0): DemoPerson {
  const found = population.people.filter(filter)[nth];
  if (!found) throw new Error(`expected a ${nth + 1}th matching person in a population of ${population.people.length}`);
  return found;
}

/** A caller's options that record what it was told: calls it sent, and reads answered without one. */
function caller(extra: Partial<CallOptions> = {}): CallOptions & { calls: CallEvent[]; shared: SharedEvent[] } {
  const calls: CallEvent[] = [];
  const shared: SharedEvent[] = [];
  return { calls, shared, onCall: (e) => calls.push(e), onShared: (e) => shared.push(e), ...extra };
}

/** How each promise settled, in order. */
async function outcomes<T>(promises: Promise<T>[]): Promise<({ ok: true; value: T } | { ok: false; error: unknown })[]> {
  return Promise.all(promises.map((p) => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))));
}

function gatewayErrorOf(outcome: { ok: boolean; error?: unknown }): GatewayError {
  if (!(outcome.error instanceof GatewayError)) throw new Error(`expected a GatewayError, but got: ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe('coalescing', () => {
  it('answers 16 concurrent requests for one person against a slow upstream with one call', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: SLOW_MS });
    const callers = Array.from({ length: 16 }, (_, i) => caller({ requestId: `req-${i}` }));
    const users = await Promise.all(callers.map((c) => identity.getUser(someone.email, c)));
    expect(identityEmulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 1 });
    for (const u of users) expect(u).toEqual(users[0]);
    expect(users[0]?.email).toBe(someone.email);
    // The first caller sent the call; the fifteen others joined it and sent nothing.
    expect(callers[0]!.calls).toHaveLength(1);
    expect(callers[0]!.shared).toEqual([]);
    for (const c of callers.slice(1)) {
      expect(c.calls).toEqual([]);
      expect(c.shared).toEqual([{ upstream: 'identity', method: 'GET', route: '/users/:identifier', source: 'coalesced' }]);
    }
  });

  it('coalesces only while a call is in flight: the next read after it sends a call of its own', async () => {
    const someone = person(() => true);
    await identity.getUser(someone.email);
    await identity.getUser(someone.email);
    expect(identityEmulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 2 });
  });

  it('never lets two VRM credentials share an answer', async () => {
    const [a, b] = [person((p) => p.in.vrm, 0), person((p) => p.in.vrm, 1)];
    const tokens = [a, b].map((p) => ({ kind: 'token' as const, value: personalTokenFor(population.seed, p.index) }));
    vrmEmulator.setFaults({ latencyMs: SLOW_MS });
    const reads = Array.from({ length: 8 }, (_, i) => vrm.getMe(tokens[i % 2]));
    const users = await Promise.all(reads);
    expect(vrmEmulator.counts().byRoute).toEqual({ 'GET /users/me': 2 });
    users.forEach((u, i) => expect(u.email).toBe([a, b][i % 2]!.email));
  });

  it('gives the answer shared by several callers frozen, so that none can change another\'s', async () => {
    identityEmulator.setFaults({ latencyMs: SLOW_MS });
    const path = `/users/${encodeURIComponent(person(() => true).email)}`;
    const reads = [0, 1].map(() => identityClient.request({ method: 'GET', path, route: '/users/:identifier', headers: { authorization: `Bearer ${DEV_TOKENS.identity}` } }));
    const [first, second] = await Promise.all(reads);
    expect(first).toBe(second);
    expect(Object.isFrozen(first!.body)).toBe(true);
    expect(Object.isFrozen(first!.headers)).toBe(true);
  });

  it('fails every joiner with the same GatewayError when the shared call fails, and keeps nothing of it', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: SLOW_MS, status: 500 });
    const results = await outcomes(Array.from({ length: 6 }, () => identity.getUser(someone.email)));
    const errors = results.map(gatewayErrorOf);
    expect(errors[0]!.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    for (const e of errors) expect(e).toBe(errors[0]);
    // One call, and its retries (500 is not retried): the six callers did not send six.
    expect(identityEmulator.counts().total).toBe(1);
    identityEmulator.setFaults({});
    expect((await identity.getUser(someone.email))?.email).toBe(someone.email);
    expect(identityEmulator.counts().total).toBe(2);
  });

  it('does not coalesce writes, nor a GET that writes', async () => {
    const someone = person(() => true);
    const found = await identity.getUser(someone.email);
    identityEmulator.reset(false);
    identityEmulator.setFaults({ latencyMs: 50 });
    await Promise.all([0, 1, 2, 3].map((i) => identity.updateUser(found!.id, { firstName: `Name${i}` })));
    expect(identityEmulator.counts().byRoute).toEqual({ 'PATCH /users/:identifier': 4 });

    const owner = person((p) => p.in.vrm);
    const token = { kind: 'token' as const, value: personalTokenFor(population.seed, owner.index) };
    const me = await vrm.getMe(token);
    vrmEmulator.reset(false);
    vrmEmulator.setFaults({ latencyMs: 50 });
    // The revoke is a GET marked not idempotent: each one is its own call.
    await outcomes([0, 1].map(() => vrm.revokeAccessToken(me.id, '999999', token)));
    expect(vrmEmulator.counts().byRoute).toEqual({ 'GET /users/:idUser/accesstokens/:idAccessToken/revoke': 2 });
  });

  it('does not join a read sent before a write to the same upstream once that write has ended', async () => {
    const someone = person(() => true);
    const found = await identity.getUser(someone.email);
    identityEmulator.reset(false);
    identityEmulator.setFaults({ latencyMs: 300, routes: ['GET /users/:identifier'] });
    const before = identity.getUser(found!.id);
    await new Promise((r) => setTimeout(r, 20));
    await identity.updateUser(found!.id, { firstName: 'Renamed' });
    const after = await identity.getUser(found!.id);
    await before;
    expect(after?.firstName).toBe('Renamed');
    expect(identityEmulator.counts().byRoute).toEqual({ 'GET /users/:identifier': 2, 'PATCH /users/:identifier': 1 });
  });
});

describe('cancellation and deadlines of coalesced callers', () => {
  it('ends only a joiner\'s own wait when it cancels: the others get the answer from the one call', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: SLOW_MS });
    const quitter = new AbortController();
    const reads = [identity.getUser(someone.email), identity.getUser(someone.email, { signal: quitter.signal }), identity.getUser(someone.email)];
    setTimeout(() => quitter.abort(), 30);
    const [a, b, c] = await outcomes(reads);
    expect(a!.ok && c!.ok).toBe(true);
    expect(gatewayErrorOf(b!).code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(gatewayErrorOf(b!).message).toBe('The identity call was cancelled before it completed');
    expect(identityEmulator.counts().total).toBe(1);
  });

  it('keeps the shared call going for the others when the caller that started it cancels', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: SLOW_MS });
    const starter = caller({ signal: AbortSignal.timeout(30) });
    const joiners = [caller(), caller()];
    const [a, b, c] = await outcomes([identity.getUser(someone.email, starter), ...joiners.map((j) => identity.getUser(someone.email, j))]);
    expect(gatewayErrorOf(a!).message).toBe('The identity call was cancelled before it completed');
    expect(b!.ok && c!.ok).toBe(true);
    // The starter's one call answered the joiners, who sent none (a call cut off would not be counted).
    expect(starter.calls).toHaveLength(1);
    for (const j of joiners) expect(j.calls).toEqual([]);
    expect(identityEmulator.counts().total).toBe(1);
  });

  it('cancels the call when every caller has left, and the next caller starts a new one', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: SLOW_MS });
    const controllers = [new AbortController(), new AbortController()];
    const reads = controllers.map((c) => identity.getUser(someone.email, { signal: c.signal }));
    setTimeout(() => controllers.forEach((c) => c.abort()), 30);
    for (const r of await outcomes(reads)) expect(gatewayErrorOf(r).message).toBe('The identity call was cancelled before it completed');
    identityEmulator.setFaults({});
    expect((await identity.getUser(someone.email))?.email).toBe(someone.email);
    // The abandoned call was cut off (the emulator never finished answering it, so never counted it,
    // even after its latency had passed); the new caller sent one of its own.
    await new Promise((r) => setTimeout(r, SLOW_MS + 100));
    expect(identityEmulator.counts().total).toBe(1);
  });

  it('ends a joiner\'s wait at its own deadline with BUDGET_EXCEEDED, without cutting the others\' call short', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: 300 });
    const patient = caller({ budget: new OperationBudget({ maxCalls: 10, timeoutMs: 5000, maxBytes: 1 << 20 }) });
    const hurried = caller({ budget: new OperationBudget({ maxCalls: 10, timeoutMs: 60, maxBytes: 1 << 20 }) });
    const started = Date.now();
    const [a, b] = await outcomes([identity.getUser(someone.email, patient), identity.getUser(someone.email, hurried)]);
    expect(gatewayErrorOf(b!).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(a!.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(identityEmulator.counts().total).toBe(1);
    // The joiner's budget paid nothing; the starter's paid the one call.
    expect(hurried.budget!.calls()).toBe(0);
    expect(patient.budget!.calls()).toBe(1);
  });

  it('starts again for a joiner when the call it joined ran out of the starter\'s budget', async () => {
    const someone = person(() => true);
    identityEmulator.setFaults({ latencyMs: 200 });
    const hurried = caller({ budget: new OperationBudget({ maxCalls: 10, timeoutMs: 80, maxBytes: 1 << 20 }) });
    const first = identity.getUser(someone.email, hurried);
    await new Promise((r) => setTimeout(r, 10));
    const patient = caller({ budget: new OperationBudget({ maxCalls: 10, timeoutMs: 5000, maxBytes: 1 << 20 }) });
    const [a, b] = await outcomes([first, identity.getUser(someone.email, patient)]);
    expect(gatewayErrorOf(a!).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(b!.ok && b.value?.email).toBe(someone.email);
    // Two calls: the starter's, cut at its deadline (so the emulator never finished it), and the joiner's own.
    expect(hurried.budget!.calls()).toBe(1);
    expect(patient.budget!.calls()).toBe(1);
    expect(identityEmulator.counts().total).toBe(1);
  });
});
