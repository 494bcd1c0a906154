/**
 * Three gateway replicas on one PostgreSQL registry and one set of emulators (test/helpers/replicas.ts),
 * reproducing the races of issue 12 with exact upstream account counts: the same createUser on every
 * replica at once (also with emails differing only in case), createUser retried on another replica, an
 * email change racing a lookup of the new email, deleteUser racing updateUser, and one upstream down
 * under traffic (every replica stays ready). Each test uses its own emails, so they share one set.
 */
import { DEV_TOKENS } from '../../src/contracts/dev-defaults';
import assert from 'node:assert';
import { dataOf, outcomeOf } from '../helpers/gateway';
import { startReplicas, type AccountCounts, type ReplicaSet } from '../helpers/replicas';
import { probePostgres, reportPostgresUnreachable } from '../registry/postgresTarget';

jest.setTimeout(60_000);

const CREATE = `mutation($input: CreateUserInput!) {
  createUser(input: $input) { user { id personId email } outcomes { upstream status accountId error { code message reason } } }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { user { id email } outcomes { upstream status error { code message } } }
}`;
const DELETE = `mutation($id: ID!) { deleteUser(id: $id) { deletedPersonId outcomes { upstream status } } }`;
const BY_EMAIL = `query($email: EmailAddress!) { userByEmail(email: $email) { personId email accounts { upstream accountId } } }`;
const PEOPLE_WITH = `query($email: EmailAddress!) { users(filter: { email: $email }) { totalCount nodes { personId email accounts { upstream } } } }`;

type Outcome = { upstream: string; status: string; accountId: string | null; error: { code: string; message: string } | null };
/** What CREATE, UPDATE, DELETE, BY_EMAIL and PEOPLE_WITH answer. */
type CreateData = { createUser: { user: { id: string; personId: string; email: string }; outcomes: Outcome[] } };
type UpdateData = { updateUser: { user: { id: string; email: string }; outcomes: Omit<Outcome, 'accountId'>[] } };
type DeleteData = { deleteUser: { deletedPersonId: string | null; outcomes: { upstream: string; status: string }[] } };
type ByEmailData = { userByEmail: { personId: string; email: string; accounts: { upstream: string; accountId: string }[] } | null };
type PeopleWithData = { users: { totalCount: number; nodes: { personId: string; email: string; accounts: { upstream: string }[] }[] } };
const NO_IDENTITY = ['EVENERGY', 'PODERO', 'TIMESHEET'];
const one: AccountCounts = { identity: 1, evenergy: 1, podero: 1, timesheet: 1 };
const oneWithoutIdentity: AccountCounts = { identity: 0, evenergy: 1, podero: 1, timesheet: 1 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const reachability = probePostgres();
if (!reachability.ok) reportPostgresUnreachable('replica', reachability.reason);
const describeReplicas = reachability.ok ? describe : describe.skip;

describeReplicas('three replicas on one PostgreSQL registry', () => {
  let set: ReplicaSet;
  beforeAll(async () => {
    set = await startReplicas({ count: 3 });
  }, 90_000);
  afterAll(async () => {
    await set?.close();
  });
  afterEach(() => {
    for (const upstream of ['identity', 'evenergy', 'vrm', 'podero', 'timesheet'] as const) set.faults(upstream, {});
  });

  const create = (replica: number, input: Record<string, unknown>) => set.query<CreateData>(replica, CREATE, { variables: { input } });
  const byEmail = (replica: number, email: string) => set.query<ByEmailData>(replica, BY_EMAIL, { variables: { email } });
  const failures = (outcomes: Outcome[]) => outcomes.filter((o) => o.status === 'FAILED');
  /** Upstream writes take a while, so concurrent requests overlap inside them. */
  const slowWrites = (ms: number) => {
    set.faults('identity', { latencyMs: ms, routes: ['POST /users', 'PATCH /users/:identifier'] });
    set.faults('evenergy', { latencyMs: ms, routes: ['POST /users', 'PATCH /users/:user_id'] });
    set.faults('podero', { latencyMs: ms, routes: ['POST /org/:org_id/users', 'PUT /org/:org_id/users/:user_id'] });
    set.faults('timesheet', { latencyMs: ms, routes: ['POST /users', 'PATCH /users/:id'] });
  };

  it('creates one account per upstream when the same createUser reaches every replica at once, and answers the same person', async () => {
    slowWrites(60);
    for (let trial = 0; trial < 3; trial++) {
      const email = `same.create.${trial}@example.com`;
      set.resetCounts();
      const answers = await Promise.all([0, 1, 2].map((r) => create(r, { email, firstName: 'Same', lastName: `Create${trial}` })));
      for (const a of answers) {
        expect(a.errors).toBeUndefined();
        expect(failures(dataOf(a).createUser.outcomes)).toEqual([]);
      }
      expect(new Set(answers.map((a) => dataOf(a).createUser.user.personId)).size).toBe(1);
      // Exactly one answer created the accounts; the others found them linked.
      const statuses = answers.map((a) => outcomeOf(dataOf(a).createUser.outcomes, 'EVENERGY').status).sort();
      expect(statuses).toEqual(['CREATED', 'LINKED', 'LINKED']);
      expect(set.userPosts()).toEqual(one);
      expect(await set.accounts(email)).toEqual(one);
    }
  });

  it('treats emails that differ only in case as one person with one account per upstream', async () => {
    slowWrites(60);
    for (let trial = 0; trial < 3; trial++) {
      const emails = [`case.${trial}@example.com`, `Case.${trial}@example.com`, `CASE.${trial}@EXAMPLE.COM`];
      set.resetCounts();
      const answers = await Promise.all(emails.map((email, r) => create(r, { email, firstName: 'Case', lastName: 'Variant', upstreams: NO_IDENTITY })));
      for (const a of answers) {
        expect(a.errors).toBeUndefined();
        expect(failures(dataOf(a).createUser.outcomes)).toEqual([]);
      }
      expect(new Set(answers.map((a) => dataOf(a).createUser.user.personId)).size).toBe(1);
      expect(set.userPosts()).toEqual(oneWithoutIdentity);
      expect(await set.accounts(emails[0]!)).toEqual(oneWithoutIdentity);
      const people = await set.query<PeopleWithData>(0, PEOPLE_WITH, { variables: { email: emails[2] } });
      expect(dataOf(people).users.totalCount).toBe(1);
    }
  });

  it('recognises ev.energy’s "already exists" as taken, and links that account instead of failing', async () => {
    // Another writer's POST is on its way when the gateway looks the email up: the lookup finds nothing,
    // and the gateway's POST is answered "user with this email already exists".
    const email = 'raced.ev@example.com';
    set.faults('evenergy', { latencyMs: 400, routes: ['POST /users'] });
    const elsewhere = fetch(`${set.emulators.urls.evenergy}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_TOKENS.evenergy}`, accept: 'application/json' },
      body: JSON.stringify({ email }),
    });
    await sleep(100);
    const answer = await create(1, { email, firstName: 'Raced', lastName: 'Elsewhere', upstreams: ['EVENERGY'] });
    expect((await elsewhere).status).toBe(201);
    const outcome = outcomeOf(dataOf(answer).createUser.outcomes, 'EVENERGY');
    expect(outcome.error).toBeNull();
    expect(outcome.status).toBe('LINKED');
    expect((await set.accounts(email)).evenergy).toBe(1);
  });

  it('answers a createUser retried on another replica with the finished person and no second POST', async () => {
    slowWrites(400);
    set.resetCounts();
    const email = 'retried.create@example.com';
    const input = { email, firstName: 'Retried', lastName: 'Create' };
    const first = create(0, input);
    // The client gave up waiting on replica 0 and retries on replica 1 while the first is still writing.
    await sleep(150);
    const retry = create(1, input);
    const [a, b] = await Promise.all([first, retry]);
    expect(failures(dataOf(a).createUser.outcomes)).toEqual([]);
    expect(dataOf(b).createUser.user.personId).toBe(dataOf(a).createUser.user.personId);
    expect(dataOf(b).createUser.outcomes.filter((o) => o.upstream !== 'VRM').map((o) => o.status)).toEqual(['LINKED', 'LINKED', 'LINKED', 'LINKED']);
    // And once more, after both finished, on the third replica.
    const late = await create(2, input);
    expect(dataOf(late).createUser.user.personId).toBe(dataOf(a).createUser.user.personId);
    expect(set.userPosts()).toEqual(one);
    expect(await set.accounts(email)).toEqual(one);
  });

  it('keeps one person when an email change races lookups of the new email on the other replicas', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const oldEmail = `moving.${trial}@example.com`;
      const newEmail = `moved.${trial}@example.com`;
      const made = await create(0, { email: oldEmail, firstName: 'Moving', lastName: `Person${trial}`, upstreams: NO_IDENTITY });
      const person = dataOf(made).createUser.user;
      // ev.energy and podero take the new email at once; timesheet holds the change open for a while.
      set.faults('timesheet', { latencyMs: 700, routes: ['PATCH /users/:id'] });
      const change = set.query<UpdateData>(0, UPDATE, { variables: { id: person.id, input: { email: newEmail } } });
      let done = false;
      void change.finally(() => (done = true));
      const lookups: ReturnType<typeof byEmail>[] = [];
      while (!done) {
        lookups.push(byEmail(1 + (lookups.length % 2), newEmail));
        await sleep(60);
      }
      const changed = await change;
      expect(changed.errors).toBeUndefined();
      expect(dataOf(changed).updateUser.user.email).toBe(newEmail);
      for (const lookup of await Promise.all(lookups)) {
        expect(lookup.errors).toBeUndefined();
        // Nobody, before any upstream held the new email; the changing person, after.
        const found = dataOf(lookup).userByEmail;
        if (found) expect(found.personId).toBe(person.personId);
      }
      const holders = await set.query<PeopleWithData>(2, PEOPLE_WITH, { variables: { email: newEmail } });
      expect(dataOf(holders).users.totalCount).toBe(1);
      const [holder] = dataOf(holders).users.nodes;
      assert(holder, `someone holds ${newEmail}`);
      expect(holder.personId).toBe(person.personId);
      expect(holder.accounts.map((a) => a.upstream)).toEqual(['EVENERGY', 'PODERO', 'TIMESHEET']);
      expect(dataOf(await set.query<PeopleWithData>(1, PEOPLE_WITH, { variables: { email: oldEmail } })).users.totalCount).toBe(0);
      expect(await set.accounts(newEmail)).toEqual(oneWithoutIdentity);
      // A retry of the change is no conflict: the email is already this person's.
      const again = await set.query<UpdateData>(1, UPDATE, { variables: { id: person.id, input: { email: newEmail } } });
      expect(again.errors).toBeUndefined();
      set.faults('timesheet', {});
    }
  });

  it('never writes an update to the upstreams after a concurrent deleteUser removed the person', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const email = `doomed.${trial}@example.com`;
      const made = await create(0, { email, firstName: 'Doomed', lastName: `Person${trial}`, upstreams: NO_IDENTITY });
      const id = dataOf(made).createUser.user.id;
      slowWrites(150);
      set.resetCounts();
      // Alternate which one starts first.
      const [update, removal] =
        trial % 2 === 0
          ? await Promise.all([set.query<UpdateData>(1, UPDATE, { variables: { id, input: { email: `doomed.moved.${trial}@example.com` } } }), sleep(30).then(() => set.query<DeleteData>(2, DELETE, { variables: { id } }))])
          : await Promise.all([sleep(30).then(() => set.query<UpdateData>(1, UPDATE, { variables: { id, input: { email: `doomed.moved.${trial}@example.com` } } })), set.query<DeleteData>(2, DELETE, { variables: { id } })]);
      expect(removal.errors).toBeUndefined();
      expect(dataOf(removal).deleteUser.deletedPersonId).toBe(dataOf(made).createUser.user.personId);
      const writes = Object.values(set.emulators.emulators)
        .flatMap((e) => Object.entries(e!.counts().byRoute))
        .filter(([route]) => /^(PATCH|PUT) /.test(route))
        .reduce((sum, [, n]) => sum + n, 0);
      if (update.errors) {
        // The delete came first: the update found nobody and wrote nowhere.
        expect(update.errors[0]!.extensions!.code).toBe('NOT_FOUND');
        expect(writes).toBe(0);
      } else {
        // The update came first and finished before the delete began.
        expect(dataOf(update).updateUser.outcomes.filter((o) => o.status === 'UPDATED').map((o) => o.upstream)).toEqual(NO_IDENTITY);
        expect(writes).toBe(3);
      }
      expect(dataOf(await set.query<{ user: { id: string } | null }>(0, `query($id: ID!) { user(id: $id) { id } }`, { variables: { id } })).user).toBeNull();
      set.faults('identity', {});
      set.faults('evenergy', {});
      set.faults('podero', {});
      set.faults('timesheet', {});
    }
  });

  it('keeps every replica ready while one upstream is down under traffic', async () => {
    const made = await create(0, { email: 'traffic.reader@example.com', firstName: 'Traffic', lastName: 'Reader', upstreams: ['PODERO', 'TIMESHEET'] });
    const id = dataOf(made).createUser.user.id;
    set.faults('podero', { down: true });
    const read = `query($id: ID!) { user(id: $id) { email address { town } role } }`;
    // 30 reads per replica: more than the 20 calls a breaker needs in its window before it judges the ratio.
    // One after another on each replica (the replicas at once): concurrent reads of one person would join
    // one in-flight call (coalescing) and give the breaker too few calls to judge.
    type Read = { user: { email: string; address: { town: string | null } | null; role: string | null } };
    const perReplica = await Promise.all(
      [0, 1, 2].map(async (r) => {
        const got: Awaited<ReturnType<typeof set.query<Read>>>[] = [];
        for (let i = 0; i < 30; i++) got.push(await set.query<Read>(r, read, { variables: { id } }));
        return got;
      }),
    );
    const answers = perReplica.flat();
    for (const a of answers) {
      // Partial answers: the timesheet field is there, podero's is null with an error naming it.
      expect(dataOf(a).user.email).toBe('traffic.reader@example.com');
      expect(dataOf(a).user.role).not.toBeNull();
      expect(dataOf(a).user.address).toBeNull();
      expect(a.errors!.some((e) => e.extensions?.upstream === 'podero')).toBe(true);
    }
    for (const r of [0, 1, 2]) {
      const ready = await set.readyz(r);
      expect(ready.status).toBe(200);
      assert(typeof ready.body !== 'string', `replica ${r} answered /readyz in plain text: ${ready.body}`);
      expect(ready.body.status).toBe('ready');
    }
    // At least one replica has opened its podero breaker, and says so in the body only.
    const states = await Promise.all([0, 1, 2].map((r) => set.readyz(r).then((x) => (typeof x.body === 'string' ? x.body : x.body.upstreams.podero))));
    expect(states).toContain('open');
  });
});
