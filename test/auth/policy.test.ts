/**
 * The policy table: anonymous is refused everything, a user reaches only their own person by every rule,
 * an admin reaches everyone; VRM access tokens also need the person's own VRM token. That the tables cover
 * the schema is policy-coverage.test.ts.
 */
import {
  FEDERATION_QUERY_RULES,
  MUTATION_RULES,
  QUERY_RULES,
  USER_FIELD_RULES,
  assertAllowed,
  canChangeEmail,
  canLinkVrmAccount,
  canMutate,
  canReadPerson,
  canReadUserField,
  canRunQuery,
  provenEmail,
  restrictPeopleFilter,
  type Decision,
  type MutationName,
  type QueryField,
  type Subject,
  type UserField,
  type VrmOwnership,
} from '../../src/auth/policy';
import type { Viewer } from '../../src/auth/viewer';
import { ErrorCode, GatewayError } from '../../src/errors';
import { SqliteRegistry } from '../../src/registry/sqlite';

const person: Subject = { id: '0b7e4f0c-2d1a-4c55-9e0f-3a6b8d2c1e77', email: 'Ada@Example.com' };

const viewers = {
  anonymous: { kind: 'anonymous' },
  ownerBySub: { kind: 'user', sub: person.id.toUpperCase(), roles: [] },
  ownerByEmail: { kind: 'user', sub: 'idp|ada', email: 'ada@example.COM', roles: ['auditor'] },
  stranger: { kind: 'user', sub: '5d1c0a3e-9b8f-4e2d-8c7b-6a5f4e3d2c1b', email: 'grace@example.com', roles: [] },
  admin: { kind: 'admin', sub: 'root', roles: ['admin'] },
} satisfies Record<string, Viewer>;

const owners: Viewer[] = [viewers.ownerBySub, viewers.ownerByEmail];
/** The person's own VRM token: its account is the one linked to the person. */
const ownVrm: VrmOwnership = { token: true, tokenAccountId: '22', personAccountId: '22' };
const asPerson = { person };

const USER_FIELDS = Object.keys(USER_FIELD_RULES) as UserField[];
const QUERY_FIELDS = Object.keys(QUERY_RULES) as QueryField[];

function expectAllowed(decision: Decision): void {
  expect(decision).toEqual({ allowed: true });
}

function expectRefused(decision: Decision, code: ErrorCode.UNAUTHENTICATED | ErrorCode.FORBIDDEN, reason?: RegExp): void {
  expect(decision.allowed).toBe(false);
  if (decision.allowed) return;
  expect(decision.code).toBe(code);
  if (reason) expect(decision.reason).toMatch(reason);
}

describe('people', () => {
  it.each([
    ['reading a person', () => canReadPerson(viewers.anonymous, asPerson)],
    ['reading a person by person id', () => canReadPerson(viewers.anonymous, { personId: person.id })],
    ['reading a person by email', () => canReadPerson(viewers.anonymous, { email: person.email })],
    ['updateUser', () => canMutate(viewers.anonymous, 'updateUser', { target: asPerson })],
    ['createUser', () => canMutate(viewers.anonymous, 'createUser')],
    ['deleteUser', () => canMutate(viewers.anonymous, 'deleteUser')],
    ['provisionUser', () => canMutate(viewers.anonymous, 'provisionUser')],
    ['the users query', () => canRunQuery(viewers.anonymous, 'users')],
  ])('refuses anonymous viewers %s, as UNAUTHENTICATED', (_case, decide) => {
    expectRefused(decide(), ErrorCode.UNAUTHENTICATED, /Bearer/);
  });

  it('lets a user read and change the person whose id is their sub or whose email is their email, in any case', () => {
    for (const owner of owners) {
      expectAllowed(canReadPerson(owner, asPerson));
      expectAllowed(canMutate(owner, 'updateUser', { target: asPerson }));
    }
  });

  it('refuses a user every other person, as FORBIDDEN', () => {
    expectRefused(canReadPerson(viewers.stranger, asPerson), ErrorCode.FORBIDDEN, /themselves or an admin/);
    expectRefused(canMutate(viewers.stranger, 'updateUser', { target: asPerson }), ErrorCode.FORBIDDEN);
  });

  it('does not match an empty email to a token without one', () => {
    const noEmail: Viewer = { kind: 'user', sub: 'idp|x', roles: [] };
    expectRefused(canReadPerson(noEmail, { person: { id: person.id, email: '' } }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson(noEmail, { personId: person.id }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson({ ...noEmail, email: '' }, { person: { id: '', email: '' } }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson({ ...noEmail, email: '' }, { email: '' }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson({ ...noEmail, email: '' }, { email: '' }, { own: { id: person.id, email: '' } }), ErrorCode.FORBIDDEN);
  });

  it.each(['createUser', 'deleteUser', 'provisionUser'] as const)('keeps %s for admins', (mutation) => {
    expectAllowed(canMutate(viewers.admin, mutation));
    for (const user of [...owners, viewers.stranger]) {
      expectRefused(canMutate(user, mutation), ErrorCode.FORBIDDEN, /only for admins/);
      expectRefused(canMutate(user, mutation, { target: asPerson, own: person }), ErrorCode.FORBIDDEN, /only for admins/);
    }
  });

  it('lets an admin read and change anyone', () => {
    expectAllowed(canReadPerson(viewers.admin, asPerson));
    expectAllowed(canMutate(viewers.admin, 'updateUser', { target: { person: { id: 'ffffffff-ffff-4fff-8fff-ffffffffffff', email: 'x@example.com' } } }));
    expectAllowed(canMutate(viewers.admin, 'updateUser', { target: { personId: 'ffffffff-ffff-4fff-8fff-ffffffffffff' } }));
  });

  it('throws the refusal from assertAllowed as a GatewayError with its code and reason', () => {
    const codeOf = (run: () => void): string | undefined => {
      try {
        run();
      } catch (err) {
        if (err instanceof GatewayError) return err.code;
        throw err;
      }
      return undefined;
    };
    expect(codeOf(() => assertAllowed(canReadPerson(viewers.anonymous, asPerson)))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => assertAllowed(canReadPerson(viewers.stranger, asPerson)))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertAllowed(canReadPerson(viewers.ownerByEmail, asPerson)))).toBeUndefined();
    expect(codeOf(() => assertAllowed(canMutate(viewers.ownerBySub, 'createUser')))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertAllowed(canMutate(viewers.admin, 'deleteUser')))).toBeUndefined();
    expect(() => assertAllowed(canReadPerson(viewers.stranger, asPerson))).toThrow(/themselves or an admin/);
  });
});

describe('listing people', () => {
  const args = { first: 10, emailContains: 'example' };

  it('leaves an admin’s filter as it is', () => {
    expect(restrictPeopleFilter(viewers.admin, null, args)).toBe(args);
  });

  it('narrows a user’s filter to their own email', () => {
    expect(restrictPeopleFilter(viewers.ownerByEmail, person, args)).toEqual({ ...args, emailEquals: person.email });
    expect(restrictPeopleFilter(viewers.ownerBySub, person, { ...args, emailEquals: 'ADA@example.com' })).toEqual({
      ...args,
      emailEquals: person.email,
    });
  });

  it('gives a user nothing to list when they have no person, ask for another email, or pass someone else as their own', () => {
    expect(restrictPeopleFilter(viewers.ownerBySub, null, args)).toBeNull();
    expect(restrictPeopleFilter(viewers.ownerBySub, person, { ...args, emailEquals: 'grace@example.com' })).toBeNull();
    expect(restrictPeopleFilter(viewers.stranger, person, args)).toBeNull();
  });

  it('refuses anonymous listing', () => {
    expect(() => restrictPeopleFilter(viewers.anonymous, null, args)).toThrow(GatewayError);
  });

  it('shows a user only themselves when the narrowed filter runs against a real registry', async () => {
    const registry = new SqliteRegistry({ path: ':memory:' });
    await registry.migrate();
    try {
      const own = await registry.createPerson('ada@example.com', person.id);
      await registry.createPerson('grace@example.com');
      await registry.createPerson('alan@example.com');
      const narrowed = restrictPeopleFilter(viewers.ownerBySub, own, { first: 10 });
      expect(narrowed).not.toBeNull();
      if (narrowed === null) return;
      const page = await registry.listPeople(narrowed);
      expect(page.people).toEqual([own]);
      expect(page.totalCount).toBe(1);
      const adminPage = await registry.listPeople(restrictPeopleFilter(viewers.admin, null, { first: 10 }) ?? { first: 1 });
      expect(adminPage.totalCount).toBe(3);
    } finally {
      await registry.close();
    }
  });
});

describe('User fields', () => {
  it('refuses every field to anonymous viewers, as UNAUTHENTICATED', () => {
    for (const field of USER_FIELDS) expectRefused(canReadUserField(viewers.anonymous, person, field, { vrm: ownVrm, own: person }), ErrorCode.UNAUTHENTICATED);
  });

  it('refuses every field of another person to a user, even one holding that person’s VRM token', () => {
    for (const field of USER_FIELDS) expectRefused(canReadUserField(viewers.stranger, person, field, { vrm: ownVrm }), ErrorCode.FORBIDDEN);
  });

  it('gives the person and admins every field, with the person’s own VRM token for access tokens', () => {
    for (const viewer of [...owners, viewers.admin]) {
      for (const field of USER_FIELDS) expectAllowed(canReadUserField(viewer, person, field, { vrm: ownVrm }));
    }
  });

  it('gives internal and accounts to the person and admins only', () => {
    expect(USER_FIELD_RULES.internal).toBe('SELF_OR_ADMIN');
    expect(USER_FIELD_RULES.accounts).toBe('SELF_OR_ADMIN');
  });

  it('refuses VRM access tokens without the person’s own VRM token, whoever asks', () => {
    for (const viewer of [...owners, viewers.admin]) {
      expectRefused(canReadUserField(viewer, person, 'accessTokens'), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
      expectRefused(canReadUserField(viewer, person, 'accessTokens', { own: person, vrm: { token: false } }), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
      expectRefused(
        canReadUserField(viewer, person, 'accessTokens', { vrm: { token: true, tokenAccountId: '99', personAccountId: '22' } }),
        ErrorCode.FORBIDDEN,
        /another VRM account/,
      );
      expectRefused(canReadUserField(viewer, person, 'accessTokens', { vrm: { token: true, tokenAccountId: '22', personAccountId: null } }), ErrorCode.FORBIDDEN, /linked first/);
    }
  });

  it('needs no VRM token for the other fields', () => {
    for (const field of USER_FIELDS.filter((f) => USER_FIELD_RULES[f] !== 'OWN_VRM_TOKEN')) {
      expectAllowed(canReadUserField(viewers.ownerBySub, person, field));
    }
  });
});

describe('root query fields', () => {
  it('refuses every query field but me to anonymous viewers', () => {
    for (const field of QUERY_FIELDS.filter((f) => f !== 'me')) expectRefused(canRunQuery(viewers.anonymous, field, { vrm: ownVrm }), ErrorCode.UNAUTHENTICATED);
  });

  it('lets anyone ask me: the answer is their own person, null when anonymous', () => {
    for (const viewer of [viewers.anonymous, viewers.stranger, viewers.admin]) expectAllowed(canRunQuery(viewer, 'me'));
  });

  it('lets signed-in viewers ask, with a VRM token where VRM needs one', () => {
    for (const viewer of [viewers.stranger, viewers.admin]) {
      for (const field of QUERY_FIELDS) expectAllowed(canRunQuery(viewer, field, { vrm: ownVrm }));
    }
    expectRefused(canRunQuery(viewers.admin, 'siteIdByIdentifier'), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
  });
});

describe('the federation root fields of a subgraph', () => {
  it('lets _entities reach a person exactly as node does', () => {
    expect(FEDERATION_QUERY_RULES._entities).toBe(QUERY_RULES.node);
    for (const viewer of Object.values(viewers)) {
      for (const facts of [{}, { target: asPerson }, { target: { personId: person.id } }]) {
        // The same decision; only the reason names the field.
        const { reason: _own, ...entities } = { reason: '', ...canRunQuery(viewer, '_entities', facts) };
        const { reason: _node, ...node } = { reason: '', ...canRunQuery(viewer, 'node', facts) };
        expect(entities).toEqual(node);
      }
    }
    expectRefused(canRunQuery(viewers.stranger, '_entities', { target: asPerson }), ErrorCode.FORBIDDEN, /themselves or an admin/);
    expectAllowed(canRunQuery(viewers.ownerByEmail, '_entities', { target: asPerson }));
  });

  it('gives _service to anyone while the schema is public, and only to admins while it is not', () => {
    for (const viewer of Object.values(viewers)) expectAllowed(canRunQuery(viewer, '_service', { schemaPublic: true }));
    expectRefused(canRunQuery(viewers.anonymous, '_service', { schemaPublic: false }), ErrorCode.UNAUTHENTICATED);
    expectRefused(canRunQuery(viewers.ownerBySub, '_service', { schemaPublic: false }), ErrorCode.FORBIDDEN, /INTROSPECTION is off/);
    expectRefused(canRunQuery(viewers.stranger, '_service'), ErrorCode.FORBIDDEN);
    expectAllowed(canRunQuery(viewers.admin, '_service', { schemaPublic: false }));
  });
});

describe('mutations', () => {
  const ALL = Object.keys(MUTATION_RULES) as MutationName[];
  const withPerson = { target: asPerson, vrm: ownVrm };
  const adminOnly: MutationName[] = ['createUser', 'provisionUser', 'deleteUser', 'activateUser', 'deactivateUser', 'resendInvitation', 'giveAccessToProjects', 'revokeAccessToProjects', 'unlinkAccount'];
  const vrmOwn: MutationName[] = ['createAccessToken', 'revokeAccessToken', 'revokeAllAccessTokens', 'addSite'];

  it('gives every mutation of issue 5 a rule', () => {
    expect(ALL.filter((m) => MUTATION_RULES[m] === 'ADMIN').sort()).toEqual([...adminOnly].sort());
    expect(ALL.filter((m) => MUTATION_RULES[m] === 'OWN_VRM_TOKEN').sort()).toEqual([...vrmOwn].sort());
    expect(ALL.filter((m) => MUTATION_RULES[m] === 'SELF_OR_ADMIN').sort()).toEqual(
      ['updateUser', 'updateNotificationPreferences', 'setPayoutMethod', 'removePayoutMethod'].sort(),
    );
  });

  it('refuses every mutation to anonymous viewers, as UNAUTHENTICATED', () => {
    for (const m of ALL) expectRefused(canMutate(viewers.anonymous, m, withPerson), ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a user every mutation on another person, even holding that person’s VRM token', () => {
    for (const m of ALL) expectRefused(canMutate(viewers.stranger, m, withPerson), ErrorCode.FORBIDDEN);
  });

  it('lets an admin run every mutation on anyone, with the person’s own VRM token for VRM tokens and sites', () => {
    for (const m of ALL) expectAllowed(canMutate(viewers.admin, m, withPerson));
  });

  it('lets the person change themselves but not run admin mutations on themselves', () => {
    for (const owner of owners) {
      for (const m of ALL) {
        const decision = canMutate(owner, m, withPerson);
        if (adminOnly.includes(m)) expectRefused(decision, ErrorCode.FORBIDDEN, /only for admins/);
        else expectAllowed(decision);
      }
    }
  });

  it('refuses VRM mutations without the person’s own VRM token', () => {
    for (const m of vrmOwn) {
      expectRefused(canMutate(viewers.ownerBySub, m, { target: asPerson }), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
      expectRefused(canMutate(viewers.admin, m, { target: asPerson, vrm: { token: true, tokenAccountId: '5', personAccountId: '22' } }), ErrorCode.FORBIDDEN);
    }
  });

  it('refuses a per-person mutation that names no person', () => {
    expectRefused(canMutate(viewers.admin, 'updateUser', { target: null }), ErrorCode.FORBIDDEN, /needs a person/);
  });
});

describe('what the resolver knows', () => {
  /** A user whose token names neither the person's id nor their email; the registry found the person as theirs. */
  const claimless: Viewer = { kind: 'user', sub: 'idp|ada-old', email: 'ada.old@example.com', roles: [] };

  it('judges a person named by id or email before the lookup, without revealing whether they exist', () => {
    expectAllowed(canReadPerson(viewers.ownerBySub, { personId: person.id }));
    expectRefused(canReadPerson(viewers.ownerByEmail, { personId: person.id }), ErrorCode.FORBIDDEN, /themselves or an admin/);
    expectAllowed(canReadPerson(viewers.ownerByEmail, { email: 'ADA@example.com' }));
    expectRefused(canReadPerson(viewers.ownerBySub, { email: person.email }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson(viewers.stranger, { personId: person.id }), ErrorCode.FORBIDDEN);
    expectAllowed(canReadPerson(viewers.admin, { personId: 'ffffffff-ffff-4fff-8fff-ffffffffffff' }));
  });

  it('counts the viewer’s own person, as the registry found it, as theirs', () => {
    expectRefused(canReadPerson(claimless, asPerson), ErrorCode.FORBIDDEN);
    expectAllowed(canReadPerson(claimless, asPerson, { own: person }));
    expectAllowed(canReadPerson(claimless, { personId: person.id }, { own: person }));
    expectAllowed(canReadUserField(claimless, person, 'email', { own: person }));
    expectAllowed(canMutate(claimless, 'updateUser', { target: asPerson, own: person }));
    expectRefused(canMutate(claimless, 'updateUser', { target: asPerson, own: { id: 'ffffffff-ffff-4fff-8fff-ffffffffffff', email: person.email } }), ErrorCode.FORBIDDEN);
  });

  it('never refuses with the viewer’s own person what it allows without it', () => {
    const owns = [undefined, null, person, { id: 'ffffffff-ffff-4fff-8fff-ffffffffffff', email: 'x@example.com' }];
    const vrms: (VrmOwnership | undefined)[] = [undefined, { token: true }, ownVrm, { token: true, tokenAccountId: '9', personAccountId: '22' }];
    for (const viewer of [...Object.values(viewers), claimless]) {
      for (const vrm of vrms) {
        for (const own of owns) {
          for (const field of USER_FIELDS) {
            if (canReadUserField(viewer, person, field, { vrm }).allowed) expectAllowed(canReadUserField(viewer, person, field, { vrm, own }));
          }
          for (const m of Object.keys(MUTATION_RULES) as MutationName[]) {
            if (canMutate(viewer, m, { target: asPerson, vrm }).allowed) expectAllowed(canMutate(viewer, m, { target: asPerson, vrm, own }));
          }
        }
      }
    }
  });

  it('before the person is known, refuses only what needs no person to refuse', () => {
    expectAllowed(canMutate(viewers.stranger, 'updateUser'));
    expectAllowed(canMutate(viewers.stranger, 'createAccessToken', { vrm: { token: true } }));
    expectRefused(canMutate(viewers.stranger, 'createAccessToken', { vrm: { token: false } }), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
    expectRefused(canMutate(viewers.stranger, 'activateUser'), ErrorCode.FORBIDDEN, /only for admins/);
    expectAllowed(canRunQuery(viewers.stranger, 'user'));
    expectRefused(canRunQuery(viewers.stranger, 'user', { target: asPerson }), ErrorCode.FORBIDDEN);
    expectRefused(canRunQuery(viewers.stranger, 'userByEmail', { target: { email: person.email } }), ErrorCode.FORBIDDEN);
    expectAllowed(canRunQuery(viewers.ownerByEmail, 'userByEmail', { target: { email: person.email } }));
    expectAllowed(canRunQuery(viewers.stranger, 'siteIdByIdentifier', { vrm: { token: true } }));
  });

  it('lets the person read their access tokens with a VRM token before VRM named its account, but no one else', () => {
    expectAllowed(canReadUserField(viewers.ownerBySub, person, 'accessTokens', { own: person, vrm: { token: true } }));
    expectAllowed(canReadUserField(viewers.admin, person, 'accessTokens', { own: person, vrm: { token: true } }));
    expectRefused(canReadUserField(viewers.admin, person, 'accessTokens', { own: null, vrm: { token: true } }), ErrorCode.FORBIDDEN, /your own person/);
    expectRefused(canReadUserField(viewers.ownerBySub, person, 'accessTokens', { vrm: { token: true } }), ErrorCode.FORBIDDEN);
  });

  it.each(['createAccessToken', 'revokeAccessToken', 'revokeAllAccessTokens', 'addSite'] as const)(
    'lets %s not write before VRM named the token’s account, even for the person themselves',
    (m) => {
      expectRefused(canMutate(viewers.ownerBySub, m, { target: asPerson, own: person, vrm: { token: true, personAccountId: '22' } }), ErrorCode.FORBIDDEN);
      expectRefused(canMutate(viewers.ownerBySub, m, { target: { personId: person.id }, own: person, vrm: ownVrm }), ErrorCode.FORBIDDEN, /looked up/);
      expectAllowed(canMutate(viewers.ownerBySub, m, { target: asPerson, own: person, vrm: ownVrm }));
    },
  );

  it('links the VRM account of a sent token only to the viewer’s own person', () => {
    expectAllowed(canLinkVrmAccount(viewers.ownerBySub, person, { own: person, vrm: { token: true } }));
    expectAllowed(canLinkVrmAccount(viewers.admin, person, { own: person, vrm: { token: true } }));
    expectRefused(canLinkVrmAccount(viewers.admin, person, { own: null, vrm: { token: true } }), ErrorCode.FORBIDDEN);
    expectRefused(canLinkVrmAccount(viewers.ownerBySub, person, { vrm: { token: true } }), ErrorCode.FORBIDDEN);
    expectRefused(canLinkVrmAccount(viewers.ownerBySub, person, { own: person, vrm: { token: false } }), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
    expectRefused(canLinkVrmAccount(viewers.anonymous, person, { own: person, vrm: { token: true } }), ErrorCode.UNAUTHENTICATED);
  });
});

describe('an email belongs to whoever proves it', () => {
  const unverified: Viewer = { kind: 'user', sub: 'idp|mallory', email: 'ada@example.com', emailVerified: false, roles: [] };
  const verified: Viewer = { kind: 'user', sub: 'idp|ada', email: 'ada@example.com', emailVerified: true, roles: [] };

  it('takes the email claim as proof unless email_verified is false', () => {
    expect(provenEmail(viewers.ownerByEmail)).toBe('ada@example.COM');
    expect(provenEmail(verified)).toBe('ada@example.com');
    expect(provenEmail(unverified)).toBeUndefined();
    expect(provenEmail(viewers.anonymous)).toBeUndefined();
  });

  it('lets no one own a person by an email the token does not prove', () => {
    expectAllowed(canReadPerson(verified, asPerson));
    expectRefused(canReadPerson(unverified, asPerson), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson(unverified, { email: 'ada@example.com' }), ErrorCode.FORBIDDEN);
    expectRefused(canMutate(unverified, 'updateUser', { target: asPerson }), ErrorCode.FORBIDDEN);
    expectRefused(canReadUserField(unverified, person, 'payoutMethod'), ErrorCode.FORBIDDEN);
  });

  it('lets a plain user change their email only to the verified email of their token; an admin to any', () => {
    const other: Subject = { id: person.id, email: 'old@example.com' };
    expectAllowed(canChangeEmail(verified, other, 'ADA@example.com'));
    expectAllowed(canChangeEmail(viewers.ownerBySub, other, 'old@example.com'));
    expectRefused(canChangeEmail(viewers.ownerBySub, other, 'ada@example.com'), ErrorCode.FORBIDDEN, /verified email/);
    expectRefused(canChangeEmail(verified, other, 'victim@example.com'), ErrorCode.FORBIDDEN, /verified email/);
    expectRefused(canChangeEmail({ ...unverified, sub: person.id }, other, 'ada@example.com'), ErrorCode.FORBIDDEN);
    expectAllowed(canChangeEmail(viewers.admin, other, 'victim@example.com'));
    expectRefused(canChangeEmail(viewers.anonymous, other, 'ada@example.com'), ErrorCode.UNAUTHENTICATED);
  });

  it("links a VRM token's account only when VRM's email for it is the person's", () => {
    expectAllowed(canLinkVrmAccount(viewers.ownerBySub, person, { own: person, vrm: { token: true, tokenAccountId: '22', tokenEmail: 'ADA@example.com' } }));
    expectRefused(
      canLinkVrmAccount(viewers.ownerBySub, person, { own: person, vrm: { token: true, tokenAccountId: '23', tokenEmail: 'bob@example.com' } }),
      ErrorCode.FORBIDDEN,
      /another email/,
    );
    expectRefused(canLinkVrmAccount(viewers.admin, person, { own: person, vrm: { token: true, tokenAccountId: '23', tokenEmail: 'bob@example.com' } }), ErrorCode.FORBIDDEN);
  });

  it('lists access tokens only of the person’s own linked VRM account once VRM named the token’s account', () => {
    expectAllowed(canReadUserField(viewers.ownerBySub, person, 'accessTokens', { own: person, vrm: ownVrm }));
    expectRefused(canReadUserField(viewers.ownerBySub, person, 'accessTokens', { own: person, vrm: { token: true, tokenAccountId: '23', personAccountId: '22' } }), ErrorCode.FORBIDDEN);
    expectRefused(canReadUserField(viewers.ownerBySub, person, 'accessTokens', { own: person, vrm: { token: true, tokenAccountId: '23', personAccountId: null } }), ErrorCode.FORBIDDEN);
  });

  it('lets only admins unlink an account', () => {
    expectAllowed(canMutate(viewers.admin, 'unlinkAccount'));
    for (const owner of owners) expectRefused(canMutate(owner, 'unlinkAccount', { target: asPerson }), ErrorCode.FORBIDDEN, /only for admins/);
    expectRefused(canMutate(viewers.anonymous, 'unlinkAccount'), ErrorCode.UNAUTHENTICATED);
  });
});
