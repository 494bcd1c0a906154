/**
 * The one behaviour suite of the registry, run against both backends: SQLite (`:memory:`) and PostgreSQL
 * (a fresh schema per test, all dropped afterwards). The backends must be indistinguishable here.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, GatewayError } from '../../src/errors';
import { openRegistry } from '../../src/registry';
import { SqliteRegistry } from '../../src/registry/sqlite';
import type { Person, Registry } from '../../src/registry/types';
import { TEST_DATABASE_URL, dropSchemas, freshSchemaName, probePostgres, reportPostgresUnreachable } from './postgresTarget';

interface Backend {
  name: string;
  /** A new, migrated, empty registry; `onQuery` sees every statement it runs. */
  open(onQuery?: (sql: string) => void): Promise<Registry>;
}

const schemas: string[] = [];

const sqliteBackend: Backend = {
  name: 'SQLite',
  async open(onQuery) {
    const registry = new SqliteRegistry({ path: ':memory:', onQuery });
    await registry.migrate();
    return registry;
  },
};

const postgresBackend: Backend = {
  name: 'PostgreSQL',
  async open(onQuery) {
    const schema = freshSchemaName();
    schemas.push(schema);
    return openRegistry({ databaseUrl: TEST_DATABASE_URL, schema, onQuery });
  },
};

const reachability = probePostgres();
const backends: Backend[] = [sqliteBackend];
if (reachability.ok) backends.push(postgresBackend);
else reportPostgresUnreachable('registry behaviour', reachability.reason);

afterAll(async () => {
  await dropSchemas(schemas);
});

/** The GatewayError a call is refused with; fails the test if it succeeds or throws something else. */
async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('Expected the call to be refused with a GatewayError, but it succeeded');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)('the $name registry', (backend) => {
  let registry: Registry;
  /** Statements run since the test started, to prove batched reads cost one query. */
  let statements: string[] = [];

  beforeEach(async () => {
    registry = await backend.open((sql) => statements.push(sql));
    statements = [];
  });

  afterEach(async () => {
    await registry.close();
  });

  describe('people', () => {
    it('creates a person with a random UUID and timestamps, and reads them back by id', async () => {
      const person = await registry.createPerson('ada@example.com');
      expect(person.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(person.createdAt).toBeInstanceOf(Date);
      expect(person.updatedAt.getTime()).toBe(person.createdAt.getTime());
      expect(await registry.getPeople([person.id])).toEqual([person]);
    });

    it('accepts a given id and stores it in lower case', async () => {
      const id = randomUUID().toUpperCase();
      const person = await registry.createPerson('grace@example.com', id);
      expect(person.id).toBe(id.toLowerCase());
      expect((await registry.getPeople([id]))[0]?.email).toBe('grace@example.com');
    });

    it('refuses a second person with an id that is taken', async () => {
      const first = await registry.createPerson('one@example.com');
      const err = await refusal(registry.createPerson('two@example.com', first.id));
      expect(err.code).toBe(ErrorCode.CONFLICT);
      expect(err.message).toContain(first.id);
    });

    it('deletes a person together with their links, freeing the account for someone else', async () => {
      const [gone, other] = await Promise.all([registry.createPerson('gone@example.com'), registry.createPerson('other@example.com')]);
      await registry.link(gone.id, 'vrm', '22');
      expect(await registry.deletePerson(gone.id)).toBe(true);
      expect(await registry.getPeople([gone.id])).toEqual([null]);
      expect(await registry.personByAccount('vrm', '22')).toBeNull();
      expect((await registry.link(other.id, 'vrm', '22')).status).toBe('LINKED');
      expect(await registry.deletePerson(gone.id)).toBe(false);
    });
  });

  describe('emails compared case-insensitively', () => {
    it('stores the email as given but finds it in any case', async () => {
      const person = await registry.createPerson('Ada.Lovelace@Example.COM');
      expect(person.email).toBe('Ada.Lovelace@Example.COM');
      expect(await registry.getPeopleByEmail(['ada.lovelace@example.com', 'ADA.LOVELACE@EXAMPLE.COM'])).toEqual([person, person]);
    });

    it('refuses a second person whose email differs only in case', async () => {
      await registry.createPerson('Ada@example.com');
      const err = await refusal(registry.createPerson('ADA@EXAMPLE.COM'));
      expect(err.code).toBe(ErrorCode.CONFLICT);
      expect(err.message).toContain('ADA@EXAMPLE.COM');
    });

    it('changes an email, including to another case of the same address', async () => {
      const person = await registry.createPerson('ada@example.com');
      await sleep(2);
      const updated = await registry.updateEmail(person.id, 'Ada@Example.com');
      expect(updated.email).toBe('Ada@Example.com');
      expect(updated.updatedAt.getTime()).toBeGreaterThan(person.updatedAt.getTime());
      const moved = await registry.updateEmail(person.id, 'countess@example.com');
      expect(await registry.getPeopleByEmail(['ada@example.com', 'COUNTESS@example.com'])).toEqual([null, moved]);
    });

    it('refuses to change an email to one another person has, in any case', async () => {
      const [ada, grace] = await Promise.all([registry.createPerson('ada@example.com'), registry.createPerson('grace@example.com')]);
      const err = await refusal(registry.updateEmail(grace.id, 'ADA@example.com'));
      expect(err.code).toBe(ErrorCode.CONFLICT);
      expect(await registry.getPeople([ada.id, grace.id])).toEqual([ada, grace]);
    });

    it('reports NOT_FOUND when changing the email of a person who does not exist', async () => {
      const err = await refusal(registry.updateEmail(randomUUID(), 'nobody@example.com'));
      expect(err.code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('batched reads', () => {
    it('answers ids in input order, with null for misses and repeats answered again', async () => {
      const a = await registry.createPerson('a@example.com');
      const b = await registry.createPerson('b@example.com');
      const missing = randomUUID();
      expect(await registry.getPeople([b.id, missing, a.id, b.id])).toEqual([b, null, a, b]);
      expect(await registry.getPeople([])).toEqual([]);
    });

    it('answers many ids, emails and their links with one query each', async () => {
      const slots = await registry.findOrCreatePeopleByEmail(Array.from({ length: 50 }, (_, i) => `many${i}@example.com`));
      const ids = slots.map((s) => s.person.id);
      for (const id of ids.slice(0, 5)) await registry.link(id, 'podero', `acc-${id}`);
      statements.length = 0;
      expect((await registry.getPeople(ids)).every((p) => p !== null)).toBe(true);
      expect(statements).toHaveLength(1);
      statements.length = 0;
      expect((await registry.getPeopleByEmail(slots.map((s) => s.person.email.toUpperCase()))).map((p) => p?.id)).toEqual(ids);
      expect(statements).toHaveLength(1);
      statements.length = 0;
      const links = await registry.linksFor(ids);
      expect([...links.values()].filter((l) => l.length > 0)).toHaveLength(5);
      expect(statements).toHaveLength(1);
    });

    it('answers emails in input order, with null for misses', async () => {
      const a = await registry.createPerson('a@example.com');
      const b = await registry.createPerson('b@example.com');
      expect(await registry.getPeopleByEmail(['B@example.com', 'nobody@example.com', 'a@EXAMPLE.com'])).toEqual([b, null, a]);
    });

    it('gives every asked-for person an entry in linksFor, empty when they have no links', async () => {
      const a = await registry.createPerson('a@example.com');
      const b = await registry.createPerson('b@example.com');
      await registry.link(a.id, 'timesheet', '345');
      await registry.link(a.id, 'evenergy', 'user01HZX');
      const links = await registry.linksFor([b.id, a.id]);
      expect([...links.keys()]).toEqual([b.id, a.id]);
      expect(links.get(b.id)).toEqual([]);
      expect(links.get(a.id)?.map((l) => [l.upstream, l.accountId])).toEqual([
        ['evenergy', 'user01HZX'],
        ['timesheet', '345'],
      ]);
      expect(links.get(a.id)?.[0].linkedAt).toBeInstanceOf(Date);
    });
  });

  describe('find or create by email', () => {
    it('finds existing people and creates the rest, in input order, saying which were created', async () => {
      const existing = await registry.createPerson('Known@example.com');
      const slots = await registry.findOrCreatePeopleByEmail(['new1@example.com', 'known@example.com', 'New2@example.com']);
      expect(slots.map((s) => [s.person.email, s.created])).toEqual([
        ['new1@example.com', true],
        ['Known@example.com', false],
        ['New2@example.com', true],
      ]);
      expect(slots[1].person).toEqual(existing);
      expect(await registry.getPeopleByEmail(['NEW1@example.com'])).toEqual([slots[0].person]);
    });

    it('treats emails in one batch that differ only in case as one person', async () => {
      const slots = await registry.findOrCreatePeopleByEmail(['Dup@example.com', 'dup@EXAMPLE.com']);
      expect(slots[0].person.id).toBe(slots[1].person.id);
      expect(slots[0].person.email).toBe('Dup@example.com');
      expect((await registry.listPeople({ first: 10 })).totalCount).toBe(1);
    });

    it('yields one person when many callers find-or-create the same email at once', async () => {
      const calls = Array.from({ length: 12 }, (_, i) =>
        registry.findOrCreatePeopleByEmail([i % 2 ? 'race@example.com' : 'RACE@example.com']),
      );
      const results = (await Promise.all(calls)).map((slots) => slots[0]);
      expect(new Set(results.map((r) => r.person.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect((await registry.listPeople({ first: 100 })).totalCount).toBe(1);
    });

    it('lets overlapping batches in opposite orders run at once without losing or doubling anyone', async () => {
      const emails = Array.from({ length: 8 }, (_, i) => `overlap${i}@example.com`);
      const reversed = [...emails].reverse();
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => registry.findOrCreatePeopleByEmail(i % 2 ? reversed : emails)));
      const ids = new Set(results.flatMap((slots) => slots.map((s) => s.person.id)));
      expect(ids.size).toBe(8);
      expect(results.flatMap((slots) => slots.filter((s) => s.created))).toHaveLength(8);
    });
  });

  describe('email reservations (an email change in flight)', () => {
    it('answers the reserving person for the reserved email and creates nobody for it, until committed', async () => {
      const mover = await registry.createPerson('mover@example.com');
      await registry.reserveEmail(mover.id, 'Moved@example.com', 60_000);
      const [slot] = await registry.findOrCreatePeopleByEmail(['moved@EXAMPLE.com']);
      expect(slot).toEqual({ person: mover, created: false });
      expect((await refusal(registry.createPerson('moved@example.com'))).code).toBe(ErrorCode.CONFLICT);
      // The old email is still the person's while the change runs.
      expect(await registry.getPeopleByEmail(['mover@example.com'])).toEqual([mover]);
      const moved = await registry.updateEmail(mover.id, 'Moved@example.com');
      expect(moved.email).toBe('Moved@example.com');
      expect((await registry.listPeople({ first: 10 })).totalCount).toBe(1);
      // Committed: the reservation is gone, and the old email is free for someone else.
      const [other] = await registry.findOrCreatePeopleByEmail(['mover@example.com']);
      expect(other!.created).toBe(true);
      expect(other!.person.id).not.toBe(mover.id);
    });

    it('refuses a reservation of an email another person has or has reserved, and renews its own', async () => {
      const a = await registry.createPerson('a@example.com');
      const b = await registry.createPerson('b@example.com');
      const taken = await refusal(registry.reserveEmail(a.id, 'B@example.com', 60_000));
      expect([taken.code, taken.reason]).toEqual([ErrorCode.CONFLICT, 'EMAIL_TAKEN']);
      await registry.reserveEmail(a.id, 'new@example.com', 60_000);
      await registry.reserveEmail(a.id, 'NEW@example.com', 60_000);
      const reserved = await refusal(registry.reserveEmail(b.id, 'new@example.com', 60_000));
      expect([reserved.code, reserved.reason]).toEqual([ErrorCode.CONFLICT, 'EMAIL_RESERVED']);
      expect((await refusal(registry.updateEmail(b.id, 'new@example.com'))).reason).toBe('EMAIL_RESERVED');
      // Its own current email needs no reservation; an unknown person cannot reserve.
      await registry.reserveEmail(a.id, 'A@example.com', 60_000);
      expect((await refusal(registry.reserveEmail(randomUUID(), 'x@example.com', 60_000))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await refusal(registry.reserveEmail(a.id, 'x@example.com', 0))).code).toBe(ErrorCode.BAD_USER_INPUT);
    });

    it('frees the email when released, when it lapses, and when the person is deleted', async () => {
      const a = await registry.createPerson('a@example.com');
      const b = await registry.createPerson('b@example.com');
      await registry.reserveEmail(a.id, 'released@example.com', 60_000);
      await registry.releaseEmail(a.id, 'released@example.com');
      expect((await registry.findOrCreatePeopleByEmail(['released@example.com']))[0]!.created).toBe(true);

      await registry.reserveEmail(a.id, 'lapsing@example.com', 50);
      await sleep(120);
      await registry.reserveEmail(b.id, 'lapsing@example.com', 60_000);
      expect((await registry.findOrCreatePeopleByEmail(['lapsing@example.com']))[0]!.person.id).toBe(b.id);

      await registry.reserveEmail(a.id, 'orphan@example.com', 60_000);
      await registry.deletePerson(a.id);
      expect((await registry.findOrCreatePeopleByEmail(['orphan@example.com']))[0]!.created).toBe(true);
    });

    it('never lets a reservation and a discovery of the same email both win', async () => {
      const people = await Promise.all(Array.from({ length: 6 }, (_, i) => registry.createPerson(`racer${i}@example.com`)));
      for (let round = 0; round < 5; round++) {
        const email = `contested${round}@example.com`;
        const outcomes = await Promise.all([
          ...people.map((p) => registry.reserveEmail(p.id, email, 60_000).then(() => p.id, () => null)),
          ...Array.from({ length: 4 }, () => registry.findOrCreatePeopleByEmail([email]).then(([s]) => s!.person.id)),
        ]);
        const reservedBy = outcomes.slice(0, people.length).filter((id): id is string => id !== null);
        const found = new Set(outcomes.slice(people.length));
        // One owner of the email: either a reserving person everyone finds, or a discovered person nobody could reserve over.
        expect(found.size).toBe(1);
        expect(reservedBy.length).toBeLessThanOrEqual(1);
        if (reservedBy.length === 1) expect([...found]).toEqual(reservedBy);
        const [owner] = await registry.getPeopleByEmail([email]);
        expect(owner === null ? reservedBy.length : 1 - reservedBy.length).toBe(1);
      }
    });
  });

  describe('links: one account per person per upstream, one person per account', () => {
    let ada: Person;
    let grace: Person;

    beforeEach(async () => {
      ada = await registry.createPerson('ada@example.com');
      grace = await registry.createPerson('grace@example.com');
    });

    it('links an account and finds the person by it', async () => {
      const result = await registry.link(ada.id, 'evenergy', 'user01A');
      expect(result.status).toBe('LINKED');
      expect(await registry.personByAccount('evenergy', 'user01A')).toEqual(ada);
      expect(await registry.personByAccount('evenergy', 'user01B')).toBeNull();
    });

    it('reports linking the same account again as ALREADY_LINKED', async () => {
      await registry.link(ada.id, 'podero', 'p-1');
      const again = await registry.link(ada.id, 'podero', 'p-1');
      expect(again).toMatchObject({ status: 'ALREADY_LINKED', link: { personId: ada.id, upstream: 'podero', accountId: 'p-1' } });
    });

    it('reports a second account in the same upstream as a conflict and keeps the first', async () => {
      await registry.link(ada.id, 'timesheet', '100');
      const result = await registry.link(ada.id, 'timesheet', '200');
      expect(result).toMatchObject({
        status: 'CONFLICT',
        kind: 'PERSON_HAS_OTHER_ACCOUNT',
        existing: { personId: ada.id, upstream: 'timesheet', accountId: '100' },
      });
      expect((await registry.linksFor([ada.id])).get(ada.id)?.map((l) => l.accountId)).toEqual(['100']);
      expect(await registry.personByAccount('timesheet', '200')).toBeNull();
    });

    it('reports an account already linked to another person as a conflict and keeps that link', async () => {
      await registry.link(ada.id, 'identity', 'id-1');
      const result = await registry.link(grace.id, 'identity', 'id-1');
      expect(result).toMatchObject({
        status: 'CONFLICT',
        kind: 'ACCOUNT_LINKED_TO_OTHER_PERSON',
        existing: { personId: ada.id, upstream: 'identity', accountId: 'id-1' },
      });
      expect(await registry.personByAccount('identity', 'id-1')).toEqual(ada);
      expect((await registry.linksFor([grace.id])).get(grace.id)).toEqual([]);
    });

    it('lets the same account id exist in different upstreams for different people', async () => {
      expect((await registry.link(ada.id, 'vrm', '7')).status).toBe('LINKED');
      expect((await registry.link(grace.id, 'timesheet', '7')).status).toBe('LINKED');
    });

    it('links one account to exactly one of two people racing for it', async () => {
      const results = await Promise.all([registry.link(ada.id, 'vrm', '42'), registry.link(grace.id, 'vrm', '42')]);
      expect(results.map((r) => r.status).sort()).toEqual(['CONFLICT', 'LINKED']);
      const winner = results.find((r) => r.status === 'LINKED');
      const owner = await registry.personByAccount('vrm', '42');
      expect(winner?.status === 'LINKED' && winner.link.personId).toBe(owner?.id);
    });

    it('unlinks, returning the removed link, after which another account can be linked', async () => {
      await registry.link(ada.id, 'evenergy', 'user01A');
      const removed = await registry.unlink(ada.id, 'evenergy');
      expect(removed).toMatchObject({ personId: ada.id, upstream: 'evenergy', accountId: 'user01A' });
      expect(await registry.unlink(ada.id, 'evenergy')).toBeNull();
      expect((await registry.link(ada.id, 'evenergy', 'user01B')).status).toBe('LINKED');
    });

    it('reports NOT_FOUND when linking a person who does not exist', async () => {
      const err = await refusal(registry.link(randomUUID(), 'vrm', '1'));
      expect(err.code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('listing', () => {
    it('pages through everyone in creation order with an opaque cursor', async () => {
      const created: Person[] = [];
      for (let i = 0; i < 7; i++) {
        created.push(await registry.createPerson(`p${i}@example.com`));
        await sleep(2);
      }
      const seen: Person[] = [];
      const pages: boolean[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await registry.listPeople({ first: 3, after });
        expect(page.totalCount).toBe(7);
        seen.push(...page.people);
        pages.push(page.hasNextPage);
        if (!page.hasNextPage) break;
        expect(page.endCursor).not.toContain('@');
        after = page.endCursor ?? undefined;
      }
      expect(pages).toEqual([true, true, false]);
      expect(seen).toEqual(created);
    });

    it('orders people created in the same batch by id, so pages neither repeat nor skip anyone', async () => {
      const slots = await registry.findOrCreatePeopleByEmail(Array.from({ length: 5 }, (_, i) => `batch${i}@example.com`));
      const expected = slots.map((s) => s.person).sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1));
      const first = await registry.listPeople({ first: 2 });
      const rest = await registry.listPeople({ first: 10, after: first.endCursor ?? undefined });
      expect([...first.people, ...rest.people]).toEqual(expected);
    });

    it('gives an empty last page with no cursor when nothing matches', async () => {
      const page = await registry.listPeople({ first: 5, emailEquals: 'nobody@example.com' });
      expect(page).toEqual({ people: [], hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null, totalCount: 0 });
      expect(await registry.listPeople({ last: 5, emailEquals: 'nobody@example.com' })).toEqual(page);
    });

    it('pages backward with last and before: the last people first, then the ones before them, in creation order', async () => {
      const created: Person[] = [];
      for (let i = 0; i < 7; i++) {
        created.push(await registry.createPerson(`b${i}@example.com`));
        await sleep(2);
      }
      const seen: Person[][] = [];
      const flags: [boolean, boolean][] = [];
      let before: string | undefined;
      for (;;) {
        const page = await registry.listPeople({ last: 3, before });
        expect(page.totalCount).toBe(7);
        seen.unshift(page.people);
        flags.push([page.hasPreviousPage, page.hasNextPage]);
        if (!page.hasPreviousPage) break;
        before = page.startCursor ?? undefined;
      }
      expect(seen.map((p) => p.map((x) => x.email))).toEqual([['b0@example.com'], ['b1@example.com', 'b2@example.com', 'b3@example.com'], ['b4@example.com', 'b5@example.com', 'b6@example.com']]);
      // Backward, hasNextPage says whether people follow `before`: not for the first (last) page.
      expect(flags).toEqual([[true, false], [true, true], [false, true]]);
      expect(seen.flat()).toEqual(created);
    });

    it('walks a list of people created in one instant forward and backward, page for page the same, cursor for cursor', async () => {
      // A sync creates its people in one batch with one creation time: only the id orders them.
      await registry.findOrCreatePeopleByEmail(Array.from({ length: 23 }, (_, i) => `same${i}@example.com`));
      type Step = { emails: string[]; start: string | null; end: string | null };
      const step = (p: { people: Person[]; startCursor: string | null; endCursor: string | null }): Step => ({ emails: p.people.map((x) => x.email), start: p.startCursor, end: p.endCursor });
      const forward: Step[] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const p = await registry.listPeople({ first: 5, after });
        forward.push(step(p));
        if (!p.hasNextPage) break;
        after = p.endCursor!;
      }
      // Backward from the end, in pages ending where the forward pages end: the last page is 23 % 5 = 3.
      const backward: Step[] = [];
      let before: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const p = await registry.listPeople({ last: backward.length === 0 ? 3 : 5, before });
        backward.unshift(step(p));
        if (!p.hasPreviousPage) break;
        before = p.startCursor!;
      }
      expect(forward.flatMap((f) => f.emails)).toHaveLength(23);
      expect(backward).toEqual(forward);
    });

    it('meets the forward pages exactly: the page before an endCursor is the page that ended there', async () => {
      for (let i = 0; i < 6; i++) {
        await registry.createPerson(`m${i}@example.com`);
        await sleep(2);
      }
      const first = await registry.listPeople({ first: 2 });
      const second = await registry.listPeople({ first: 2, after: first.endCursor! });
      const back = await registry.listPeople({ last: 2, before: second.startCursor! });
      expect(back.people).toEqual(first.people);
      expect([back.startCursor, back.endCursor, back.hasPreviousPage, back.hasNextPage]).toEqual([first.startCursor, first.endCursor, false, true]);
      // Both cursors bound the list either way: between the first and the last person of six, four.
      const all = await registry.listPeople({ first: 6 });
      const [head, tail] = [all.startCursor!, all.endCursor!];
      const between = await registry.listPeople({ first: 10, after: head, before: tail });
      expect(between.people).toEqual(all.people.slice(1, 5));
      expect([between.hasPreviousPage, between.hasNextPage]).toEqual([true, false]);
      const lastTwo = await registry.listPeople({ last: 2, after: head, before: tail });
      expect(lastTwo.people).toEqual(all.people.slice(3, 5));
      expect([lastTwo.hasPreviousPage, lastTwo.hasNextPage]).toEqual([true, true]);
    });

    it('refuses first and last together, and neither', async () => {
      const both = await refusal(registry.listPeople({ first: 1, last: 1 }));
      expect([both.code, both.fieldErrors?.[0].path]).toEqual([ErrorCode.BAD_USER_INPUT, ['last']]);
      const neither = await refusal(registry.listPeople({}));
      expect([neither.code, neither.fieldErrors?.[0].path]).toEqual([ErrorCode.BAD_USER_INPUT, ['first']]);
    });

    it('filters by exact email and by substring, both case-insensitive', async () => {
      const ada = await registry.createPerson('Ada@Example.com');
      await sleep(2);
      const adam = await registry.createPerson('adam@example.org');
      await registry.createPerson('grace@example.com');
      expect((await registry.listPeople({ first: 10, emailEquals: 'ADA@example.COM' })).people).toEqual([ada]);
      const contains = await registry.listPeople({ first: 10, emailContains: 'ADA' });
      expect(contains.people).toEqual([ada, adam]);
      expect(contains.totalCount).toBe(2);
    });

    it('treats % and _ in a substring filter as plain characters', async () => {
      const underscore = await registry.createPerson('a_b@example.com');
      await registry.createPerson('axb@example.com');
      const percent = await registry.createPerson('100%@example.com');
      expect((await registry.listPeople({ first: 10, emailContains: 'a_b' })).people).toEqual([underscore]);
      expect((await registry.listPeople({ first: 10, emailContains: '%' })).people).toEqual([percent]);
    });

    it('filters by having an account in any of the given upstreams', async () => {
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => registry.createPerson(`${n}@example.com`)));
      await registry.link(a.id, 'vrm', '1');
      await registry.link(b.id, 'podero', 'x');
      await registry.link(b.id, 'vrm', '2');
      const byVrm = await registry.listPeople({ first: 10, hasAccountIn: ['vrm'] });
      expect(byVrm.people.map((p) => p.id).sort()).toEqual([a.id, b.id].sort());
      const byEither = await registry.listPeople({ first: 1, hasAccountIn: ['podero', 'timesheet'] });
      expect(byEither).toMatchObject({ people: [b], totalCount: 1, hasNextPage: false });
      expect((await registry.listPeople({ first: 10, hasAccountIn: [] })).totalCount).toBe(0);
      expect((await registry.listPeople({ first: 10 })).people.map((p) => p.id)).toContain(c.id);
    });

    it.each([0, 101, 2.5, -1])('refuses the page size %p, outside 1..100, as first and as last', async (size) => {
      const err = await refusal(registry.listPeople({ first: size }));
      expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(err.fieldErrors?.[0].path).toEqual(['first']);
      const backward = await refusal(registry.listPeople({ last: size }));
      expect([backward.code, backward.fieldErrors?.[0].path]).toEqual([ErrorCode.BAD_USER_INPUT, ['last']]);
    });

    it.each([
      ['text that is no cursor', 'not a cursor'],
      ['a well-encoded cursor it did not issue', Buffer.from('123:nope').toString('base64url')],
    ])('refuses %s as the cursor', async (_case, after) => {
      const err = await refusal(registry.listPeople({ first: 1, after }));
      expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(err.fieldErrors?.[0].path).toEqual(['after']);
      const backward = await refusal(registry.listPeople({ last: 1, before: after }));
      expect([backward.code, backward.fieldErrors?.[0].path]).toEqual([ErrorCode.BAD_USER_INPUT, ['before']]);
    });
  });

  describe('input validation', () => {
    it('refuses ids that are not UUIDs, naming the position', async () => {
      const ok = randomUUID();
      const err = await refusal(registry.getPeople([ok, 'user-1']));
      expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(err.fieldErrors?.[0].path).toEqual(['ids', '1']);
      expect(err.message).toContain('"user-1"');
      expect((await refusal(registry.deletePerson('42'))).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((await refusal(registry.linksFor(['x']))).code).toBe(ErrorCode.BAD_USER_INPUT);
    });

    it.each(['', 'no-at-sign', 'two@@example.com', 'space in@example.com', 'nodot@example'])('refuses to create a person with %j, which is not an address', async (bad) => {
      const err = await refusal(registry.createPerson(bad));
      expect(err.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(err.fieldErrors?.[0].path).toEqual(['email']);
    });

    it('refuses emails that are not addresses among many, naming the position', async () => {
      const err = await refusal(registry.findOrCreatePeopleByEmail(['ok@example.com', 'bad']));
      expect(err.fieldErrors?.[0].path).toEqual(['emails', '1']);
      expect((await registry.listPeople({ first: 1 })).totalCount).toBe(0);
    });

    it('refuses unknown upstreams and empty account ids', async () => {
      const person = await registry.createPerson('a@example.com');
      const unknown: string = 'myspace';
      const badUpstream = await refusal(registry.link(person.id, unknown as 'vrm', '1'));
      expect(badUpstream.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(badUpstream.message).toContain('myspace');
      expect((await refusal(registry.link(person.id, 'vrm', ''))).code).toBe(ErrorCode.BAD_USER_INPUT);
    });
  });

  describe('migrations', () => {
    it('can be applied again without changing anything', async () => {
      const person = await registry.createPerson('kept@example.com');
      await registry.link(person.id, 'vrm', '5');
      await registry.migrate();
      await registry.migrate();
      expect(await registry.getPeople([person.id])).toEqual([person]);
      expect((await registry.linksFor([person.id])).get(person.id)).toHaveLength(1);
    });
  });
});

describe('openRegistry', () => {
  it('opens an in-memory SQLite registry when no database URL is given', async () => {
    const registry = await openRegistry({ sqlitePath: ':memory:' });
    try {
      expect(registry.dialect).toBe('sqlite');
      expect((await registry.createPerson('x@example.com')).email).toBe('x@example.com');
    } finally {
      await registry.close();
    }
  });

  if (reachability.ok) {
    it('opens PostgreSQL when a database URL is given', async () => {
      const schema = freshSchemaName();
      schemas.push(schema);
      const registry = await openRegistry({ databaseUrl: TEST_DATABASE_URL, schema });
      try {
        expect(registry.dialect).toBe('postgres');
        expect((await registry.listPeople({ first: 1 })).totalCount).toBe(0);
      } finally {
        await registry.close();
      }
    });
  }
});
