/**
 * The registry's public contract (DESIGN.md "One person, many accounts"): the gateway-owned store of
 * people and of the one account each person holds in each upstream. Both backends (`sqlite.ts`,
 * `postgres.ts`) implement `Registry` with the same behaviour; `test/registry/registry.test.ts` runs one
 * suite against both.
 */
import type { UpstreamName } from '../errors';

/** A person: the gateway's own id (a lower-case UUID) and the email they are known by. */
export interface Person {
  id: string;
  /** Stored as given; compared case-insensitively everywhere. */
  email: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One person's account in one upstream. */
export interface AccountLink {
  personId: string;
  upstream: UpstreamName;
  /** The upstream's own account id, as a string (VRM and timesheet integer ids in decimal). */
  accountId: string;
  linkedAt: Date;
}

/** One slot of `findOrCreatePeopleByEmail`: the person for that email and whether this call created it. */
export interface FoundOrCreated {
  person: Person;
  created: boolean;
}

/**
 * A page of people in creation order (then id). Exactly one of `first` (the first people after `after`)
 * and `last` (the last people before `before`) is given; `after` and `before` bound the list either way.
 */
export interface ListPeopleArgs {
  /** Page forward: this many people (1..100) from the start of the bounded list. */
  first?: number;
  /** Page backward: this many people (1..100) from its end. */
  last?: number;
  /** Only people after this cursor (an earlier page's `endCursor` or an edge's cursor). */
  after?: string;
  /** Only people before this cursor (a later page's `startCursor` or an edge's cursor). */
  before?: string;
  /** Case-insensitive exact email match. */
  emailEquals?: string;
  /** Case-insensitive substring of the email. */
  emailContains?: string;
  /** Only people linked to at least one of these upstreams. */
  hasAccountIn?: UpstreamName[];
}

export interface PeoplePage {
  people: Person[];
  /** Forward: more people follow within `before`. Backward: `before` was given (there is a person at it). */
  hasNextPage: boolean;
  /** Backward: more people precede within `after`. Forward: `after` was given (people precede it). */
  hasPreviousPage: boolean;
  /** Cursor of the first person on this page; `null` for an empty page. */
  startCursor: string | null;
  /** Cursor of the last person on this page; `null` for an empty page. */
  endCursor: string | null;
  /** How many people match the filters, regardless of the page. */
  totalCount: number;
}

export type ConflictKind = 'PERSON_HAS_OTHER_ACCOUNT' | 'ACCOUNT_LINKED_TO_OTHER_PERSON';

/**
 * What `link` did. A link is never overwritten: a conflicting link already in place is reported with the
 * link that stands in the way, and the caller decides (unlink first, or report to the client).
 */
export type LinkResult =
  | { status: 'LINKED'; link: AccountLink }
  | { status: 'ALREADY_LINKED'; link: AccountLink }
  | { status: 'CONFLICT'; kind: ConflictKind; existing: AccountLink };

/**
 * The registry. Every method validates its inputs (UUID ids, email shape, upstream names, page size and
 * cursor) and throws a `BAD_USER_INPUT` GatewayError naming what was wrong; a missing person where one is
 * required is `NOT_FOUND`; an email already held by another person is `CONFLICT`.
 *
 * Batched reads (`getPeople`, `getPeopleByEmail`, `linksFor`, `findOrCreatePeopleByEmail`) cost one
 * query each however many keys they get, so a DataLoader per request can sit directly on them.
 */
export interface Registry {
  /** Which backend this is, for logs and health output. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending schema migrations; safe to call again (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Creates a person; `id` defaults to a new random UUID. CONFLICT when the email or id is taken. */
  createPerson(email: string, id?: string): Promise<Person>;
  /**
   * One slot per input email, in input order. Emails that differ only in case are the same person (and
   * repeat the same slot value). Safe under concurrency: two callers creating the same email at once get
   * the same person, because the unique index on the lower-cased email decides, not a prior read.
   * An email reserved by a person changing to it (`reserveEmail`) answers that person, never created.
   */
  findOrCreatePeopleByEmail(emails: readonly string[]): Promise<FoundOrCreated[]>;
  /** One slot per id, in input order; `null` where no such person exists. */
  getPeople(ids: readonly string[]): Promise<(Person | null)[]>;
  /** One slot per email (case-insensitive), in input order; `null` where no such person exists. */
  getPeopleByEmail(emails: readonly string[]): Promise<(Person | null)[]>;
  /** Ordered by creation time, then id; the cursor is opaque. */
  listPeople(args: ListPeopleArgs): Promise<PeoplePage>;
  /** Every given person's links (an empty array for none), ordered by upstream name. One query. */
  linksFor(personIds: readonly string[]): Promise<Map<string, AccountLink[]>>;
  /** Links an account; NOT_FOUND when the person does not exist. Never overwrites an existing link. */
  link(personId: string, upstream: UpstreamName, accountId: string): Promise<LinkResult>;
  /** Removes the person's link to that upstream; returns the removed link, or `null` when there was none. */
  unlink(personId: string, upstream: UpstreamName): Promise<AccountLink | null>;
  /** The person linked to that upstream account, or `null`. */
  personByAccount(upstream: UpstreamName, accountId: string): Promise<Person | null>;
  /**
   * NOT_FOUND when the person does not exist; CONFLICT when another person has that email or holds a
   * live reservation of it. Commits the person's reservation of that email, if any (it is removed).
   */
  updateEmail(personId: string, email: string): Promise<Person>;
  /**
   * Reserves `email` for the person while an email change writes to the upstreams: until it is released,
   * committed by `updateEmail` or lapses after `ttlMs`, `findOrCreatePeopleByEmail` answers this person
   * for it (creating nobody) and `createPerson` refuses it. CONFLICT when another person has the email or
   * a live reservation of it; NOT_FOUND when the person does not exist. Reserving again (the same person)
   * renews it; reserving the person's own current email does nothing. Decided against concurrent
   * discovery on every backend: a person created for the email either exists first (CONFLICT here) or
   * sees the reservation.
   */
  reserveEmail(personId: string, email: string, ttlMs: number): Promise<void>;
  /** Drops the person's reservation of `email`; nothing when there is none. */
  releaseEmail(personId: string, email: string): Promise<void>;
  /** Deletes the person and all their links; returns whether the person existed. */
  deletePerson(id: string): Promise<boolean>;

  /** A real query, answered within `timeoutMs` or REGISTRY_UNAVAILABLE (readiness). */
  ping(timeoutMs: number): Promise<void>;
  /**
   * Runs `fn` while holding a lock on every key (person ids, lower-cased emails), so a read-decide-write
   * sequence on one person or one email runs once at a time: across every replica on PostgreSQL (advisory
   * locks), within the process on SQLite. Keys are taken in sorted order; REGISTRY_UNAVAILABLE when a lock
   * is not granted in time.
   */
  withLock<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T>;
}
