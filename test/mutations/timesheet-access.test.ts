/**
 * `giveAccessToProjects` and `revokeAccessToProjects` end to end over real HTTP: gateway → connector →
 * timesheet emulator. Each test shows the exact PUT the time tracker received (its server's own
 * `request` events, nothing mocked) and the emulator's call counts, and reads the freelancer's projects
 * back through the connector. Refusals carry the time tracker's reason at `userId` or `projectIds` and
 * change nothing; bad input is refused before any upstream call.
 *
 * People (src/emulators/timesheet/README.md, user id 5000 + index): 1 active member, 4 no timesheet
 * account, 5 active freelancer with projects, 13 disabled member, 23 active freelancer without projects,
 * 53 disabled freelancer.
 */
import { sync } from '../../src/registry/sync';
import { recordRequests, type Received } from '../helpers/received';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';

let t: TestGateway;
let received: Received<string>[];

beforeAll(async () => {
  t = await startTestGateway({ people: 60 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  received = recordRequests(t.emulators.emulators.timesheet!.server, { raw: true });
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulators.reset(true);
  startCounting();
});

function startCounting(): void {
  t.resetCounts();
  received.length = 0;
}

function noUpstreamCalls(): void {
  expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
}

type Mutation = 'giveAccessToProjects' | 'revokeAccessToProjects';
const ROUTES: Record<Mutation, string> = {
  giveAccessToProjects: 'PUT /users/:id/give_access_to_projects',
  revokeAccessToProjects: 'PUT /users/:id/revoke_access_to_projects',
};
const SUFFIX: Record<Mutation, string> = { giveAccessToProjects: 'give_access_to_projects', revokeAccessToProjects: 'revoke_access_to_projects' };

interface Payload {
  projectIds: string[];
  user: { personId: string; role: string; state: string; participatingProjects: { nodes: { id: string; projectId: string }[] } };
}
type AccessData = Partial<Record<Mutation, Payload>>;

function run(mutation: Mutation, userId: unknown, projectIds: unknown, token?: string | null): Promise<GraphQLResult<AccessData>> {
  return t.query<AccessData>(
    `mutation($userId: ID!, $projectIds: [ID!]!) { ${mutation}(userId: $userId, projectIds: $projectIds) {
      projectIds user { personId role state participatingProjects(first: 100) { nodes { id projectId } } } } }`,
    { token, variables: { userId, projectIds } },
  );
}

function expectError(res: GraphQLResult<unknown>, code: string, path?: readonly string[]): NonNullable<GraphQLResult<unknown>['errors']>[number] {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code).toBe(code);
  if (path) expect(error.extensions?.fieldErrors?.[0]?.path).toEqual(path);
  return error;
}

/** The project ids the time tracker says the member takes part in, read through the connector. */
async function storedProjects(index: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const p of t.gateway.upstreams.timesheet.allParticipatingProjects(String(5000 + index), { perPage: 1000 })) ids.push(p.id);
  return ids.sort();
}

/** Project ids (of the 120 seeded, 37000–37119) the member does not take part in. */
async function projectsWithout(index: number, count: number): Promise<string[]> {
  const own = new Set(await storedProjects(index));
  const out: string[] = [];
  for (let id = 37000; out.length < count; id++) if (!own.has(String(id))) out.push(String(id));
  return out;
}

const payloadIds = (p: Payload | undefined): string[] => (p?.user.participatingProjects.nodes.map((n) => n.projectId) ?? []).sort();

describe('what is sent', () => {
  it('gives a freelancer access with one PUT of the project ids as integers, and answers them among the participating projects', async () => {
    const userId = await t.personId(23);
    expect(await storedProjects(23)).toEqual([]);
    startCounting();
    const res = await run('giveAccessToProjects', userId, ['37000', '37003']);
    expect(res.errors).toBeUndefined();
    expect(received).toEqual([
      { method: 'PUT', path: '/v2/users/5023/give_access_to_projects', body: '{"projects":[37000,37003]}' },
      expect.objectContaining({ method: 'GET', path: expect.stringMatching(/^\/v2\/users\/5023(\?|$)/) }),
      expect.objectContaining({ method: 'GET', path: expect.stringMatching(/^\/v2\/users\/5023\/participating_projects\?/) }),
    ]);
    // The PUT, then one read of the member (state, role) and one page of projects for the payload.
    expect(t.counts().timesheet.byRoute).toEqual({ [ROUTES.giveAccessToProjects]: 1, 'GET /users/:id': 1, 'GET /users/:id/participating_projects': 1 });
    const payload = dataOf(res).giveAccessToProjects;
    expect(payload).toMatchObject({ projectIds: ['37000', '37003'], user: { personId: userId, role: 'FREELANCER', state: 'ACTIVE' } });
    expect(payloadIds(payload)).toEqual(['37000', '37003']);
    expect(await storedProjects(23)).toEqual(['37000', '37003']);
  });

  it('revokes a freelancer’s access with one PUT, and the projects leave the participating projects', async () => {
    const before = await storedProjects(5);
    const revoked = before.slice(0, 2);
    startCounting();
    const res = await run('revokeAccessToProjects', await t.personId(5), revoked);
    expect(res.errors).toBeUndefined();
    expect(received[0]).toEqual({ method: 'PUT', path: '/v2/users/5005/revoke_access_to_projects', body: JSON.stringify({ projects: revoked.map(Number) }) });
    expect(t.counts().timesheet.byRoute[ROUTES.revokeAccessToProjects]).toBe(1);
    expect(payloadIds(dataOf(res).revokeAccessToProjects)).toEqual(before.slice(2));
    expect(await storedProjects(5)).toEqual(before.slice(2));
  });

  it('revokes access the freelancer does not have without complaint, changing nothing', async () => {
    const before = await storedProjects(5);
    const res = await run('revokeAccessToProjects', await t.personId(5), await projectsWithout(5, 1));
    expect(res.errors).toBeUndefined();
    expect(await storedProjects(5)).toEqual(before);
  });

  it('accepts Project ids from the graph as well as the time tracker’s project ids, and the User global id', async () => {
    const listed = await t.query<{ user: { id: string; participatingProjects: { nodes: { id: string; projectId: string }[] } } }>(
      `query($id: ID!) { user(id: $id) { id participatingProjects(first: 2) { nodes { id projectId } } } }`,
      { variables: { id: await t.personId(5) } },
    );
    const { nodes } = dataOf(listed).user.participatingProjects;
    const target = await t.query<{ user: { id: string } }>(`query($id: ID!) { user(id: $id) { id } }`, { variables: { id: await t.personId(23) } });
    startCounting();
    // Person 5's Project ids name the projects; the grant is for person 23.
    const res = await run('giveAccessToProjects', dataOf(target).user.id, [nodes[0]!.id, nodes[1]!.projectId]);
    expect(res.errors).toBeUndefined();
    expect(received[0]?.body).toBe(JSON.stringify({ projects: [Number(nodes[0]!.projectId), Number(nodes[1]!.projectId)] }));
    expect(dataOf(res).giveAccessToProjects?.projectIds).toEqual([nodes[0]!.projectId, nodes[1]!.projectId]);
    expect(await storedProjects(23)).toEqual([nodes[0]!.projectId, nodes[1]!.projectId].sort());
  });
});

describe('refusals of the time tracker', () => {
  it.each([
    ['giveAccessToProjects', 1, 'not_a_freelancer', ['userId']],
    ['revokeAccessToProjects', 1, 'not_a_freelancer', ['userId']],
    ['giveAccessToProjects', 13, 'deactivated', ['userId']],
    ['giveAccessToProjects', 53, 'deactivated', ['userId']],
    ['revokeAccessToProjects', 53, 'deactivated', ['userId']],
  ] as const)('%s for person %i is BAD_USER_INPUT with reason %s at %j, and changes nothing', async (mutation, index, reason, path) => {
    const before = await storedProjects(index);
    const ids = mutation === 'revokeAccessToProjects' && before.length > 0 ? before.slice(0, 1) : await projectsWithout(index, 1);
    startCounting();
    const res = await run(mutation, await t.personId(index), ids);
    const error = expectError(res, 'BAD_USER_INPUT', path);
    expect(error.extensions).toMatchObject({ upstream: 'timesheet', reason });
    expect(res.data).toBeNull();
    expect(t.counts().timesheet.byRoute).toEqual({ [ROUTES[mutation]]: 1 });
    expect(await storedProjects(index)).toEqual(before);
  });

  it('refuses a grant of a project the freelancer already has at projectIds (already_has_access), granting none of the list', async () => {
    const before = await storedProjects(5);
    const [fresh] = await projectsWithout(5, 1);
    startCounting();
    const res = await run('giveAccessToProjects', await t.personId(5), [fresh!, before[0]!]);
    const error = expectError(res, 'BAD_USER_INPUT', ['projectIds']);
    expect(error.extensions).toMatchObject({ upstream: 'timesheet', reason: 'already_has_access' });
    expect(error.extensions?.fieldErrors?.[0]?.message).toMatch(/already has access/);
    expect(t.counts().timesheet.byRoute).toEqual({ [ROUTES.giveAccessToProjects]: 1 });
    expect(await storedProjects(5)).toEqual(before);
  });

  it.each(['giveAccessToProjects', 'revokeAccessToProjects'] as const)('%s refuses a project that does not exist at projectIds (missing), changing nothing', async (mutation) => {
    const before = await storedProjects(5);
    const known = mutation === 'giveAccessToProjects' ? (await projectsWithout(5, 1))[0]! : before[0]!;
    startCounting();
    const res = await run(mutation, await t.personId(5), [known, '99999']);
    const error = expectError(res, 'BAD_USER_INPUT', ['projectIds']);
    expect(error.extensions).toMatchObject({ upstream: 'timesheet', reason: 'missing' });
    expect(error.extensions?.fieldErrors?.[0]?.message).toMatch(/does not exist/);
    expect(await storedProjects(5)).toEqual(before);
  });

  it('shows none of the time tracker’s own words, only the gateway’s', async () => {
    const res = await run('giveAccessToProjects', await t.personId(1), ['37000']);
    expectError(res, 'BAD_USER_INPUT', ['userId']);
    expect(JSON.stringify(res.errors)).not.toMatch(/Validation Failed|"resource"|"base"|127\.0\.0\.1|https?:\/\/|FreckleToken/);
  });
});

describe('bad input, refused before any upstream call', () => {
  const ONE_HUNDRED_AND_ONE = Array.from({ length: 101 }, (_, i) => String(37000 + i));
  const userGlobalId = (personId: string): string => Buffer.from(`User:${personId}`).toString('base64url');

  it.each([
    ['an empty list', [], ['projectIds']],
    ['101 projects', ONE_HUNDRED_AND_ONE, ['projectIds']],
    ['zero', ['37000', '0'], ['projectIds', '1']],
    ['a negative id', ['-37000'], ['projectIds', '0']],
    ['a decimal fraction', ['37000.5'], ['projectIds', '0']],
    ['a word', ['all'], ['projectIds', '0']],
    ['an id of 16 digits', ['1234567890123456'], ['projectIds', '0']],
    ['a string of 10 000 characters', ['7'.repeat(10_000)], ['projectIds', '0']],
    ['the same project twice', ['37000', '37001', '37000'], ['projectIds', '2']],
  ] as const)('refuses %s, at the path of the bad item', async (_what, projectIds, path) => {
    for (const mutation of ['giveAccessToProjects', 'revokeAccessToProjects'] as const) {
      const error = expectError(await run(mutation, await t.personId(5), projectIds), 'BAD_USER_INPUT', path);
      expect(error.message.length).toBeLessThan(300);
    }
    noUpstreamCalls();
  });

  it('refuses a global id of another type, and the same project named by its id and its Project id', async () => {
    const personId = await t.personId(5);
    expectError(await run('giveAccessToProjects', personId, [userGlobalId(personId)]), 'BAD_USER_INPUT', ['projectIds', '0']);
    const projectGlobalId = Buffer.from(`Project:${personId}:37000`).toString('base64url');
    expectError(await run('giveAccessToProjects', personId, ['37000', projectGlobalId]), 'BAD_USER_INPUT', ['projectIds', '1']);
    noUpstreamCalls();
  });

  it('refuses missing or null arguments as variables errors', async () => {
    const personId = await t.personId(5);
    for (const res of [await run('giveAccessToProjects', personId, null), await run('giveAccessToProjects', personId, ['37000', null]), await run('giveAccessToProjects', null, ['37000'])]) {
      expect(res.status).toBe(400);
      expectError(res, 'BAD_USER_INPUT');
    }
    noUpstreamCalls();
  });

  it('refuses a userId that is not a User id before the projects are looked at', async () => {
    expectError(await run('giveAccessToProjects', 'bm90LWEtdXNlcg', []), 'BAD_USER_INPUT', ['userId']);
    noUpstreamCalls();
  });

  it.each(['giveAccessToProjects', 'revokeAccessToProjects'] as const)('%s answers NOT_FOUND at userId for an unknown person and for a person without a timesheet account', async (mutation) => {
    expectError(await run(mutation, '00000000-0000-4000-8000-00000000beef', ['37000']), 'NOT_FOUND', ['userId']);
    const none = expectError(await run(mutation, await t.personId(4), ['37000']), 'NOT_FOUND', ['userId']);
    expect(none.extensions).toMatchObject({ upstream: 'timesheet' });
    noUpstreamCalls();
  });
});

describe('who may change project access', () => {
  it.each(['giveAccessToProjects', 'revokeAccessToProjects'] as const)('%s is refused to plain users, even for their own person, and to anonymous callers, before any call', async (mutation) => {
    const before = await storedProjects(5);
    startCounting();
    const self = t.population.people[5]!;
    expectError(await run(mutation, await t.personId(5), ['37000'], await t.tokenFor(self)), 'FORBIDDEN');
    expectError(await run(mutation, await t.personId(5), ['37000'], await t.tokenFor(t.population.people[0]!)), 'FORBIDDEN');
    expectError(await run(mutation, await t.personId(5), ['37000'], null), 'UNAUTHENTICATED');
    // Refused before the input is judged, so a plain user learns nothing from a bad list either.
    expectError(await run(mutation, await t.personId(5), [], await t.tokenFor(self)), 'FORBIDDEN');
    noUpstreamCalls();
    expect(await storedProjects(5)).toEqual(before);
  });
});

describe('failures', () => {
  it('does not retry the PUT when it reached the time tracker and the answer failed, and says nothing of the upstream', async () => {
    t.faults('timesheet', { status: 503, afterHandler: true, count: 1, routes: [ROUTES.giveAccessToProjects] });
    const res = await run('giveAccessToProjects', await t.personId(23), ['37000']);
    const error = expectError(res, 'UPSTREAM_UNAVAILABLE');
    expect(error.extensions).toMatchObject({ upstream: 'timesheet' });
    expect(t.counts().timesheet.byRoute).toEqual({ [ROUTES.giveAccessToProjects]: 1 });
    expect(JSON.stringify(res)).not.toMatch(/Freckle|hashtags|127\.0\.0\.1|https?:\/\//);
    // The grant happened; only its answer was lost. A retry would be refused (already_has_access).
    expect(await storedProjects(23)).toEqual(['37000']);
    startCounting();
    const retry = await run('giveAccessToProjects', await t.personId(23), ['37000']);
    expect(expectError(retry, 'BAD_USER_INPUT', ['projectIds']).extensions).toMatchObject({ reason: 'already_has_access' });
    expect(t.counts().timesheet.byRoute).toEqual({ [ROUTES.giveAccessToProjects]: 1 });
  });

  it.each(['giveAccessToProjects', 'revokeAccessToProjects'] as const)('%s answers UPSTREAM_UNAVAILABLE when the time tracker is down', async (mutation) => {
    t.faults('timesheet', { status: 500, routes: [ROUTES[mutation]] });
    const res = await run(mutation, await t.personId(5), ['37000']);
    expect(expectError(res, 'UPSTREAM_UNAVAILABLE').extensions).toMatchObject({ upstream: 'timesheet' });
    expect(received.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([`/v2/users/5005/${SUFFIX[mutation]}`]);
  });
});
