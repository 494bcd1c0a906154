/**
 * The policy table: anonymous is refused everything, a user reaches only their own person by every rule,
 * an admin reaches everyone; VRM access tokens also need the person's own VRM token. The tables are checked
 * against the schema so no field or mutation goes without a rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import {
  MUTATION_NAMES,
  QUERY_RULES,
  USER_FIELD_RULES,
  assertCanCreatePeople,
  assertCanMutate,
  assertCanReadPerson,
  canCreatePeople,
  canDeletePeople,
  canListPeople,
  canMutate,
  canProvision,
  canReadPerson,
  canReadUserField,
  canRunQuery,
  canUpdatePerson,
  mutationRule,
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
const ownVrm: VrmOwnership = { tokenAccountId: '22', personAccountId: '22' };

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

describe('the policy tables cover the schema', () => {
  const documents = fs
    .readdirSync(path.resolve(__dirname, '../../schema'))
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => parse(fs.readFileSync(path.resolve(__dirname, '../../schema', f), 'utf8')));

  function fieldsOf(typeName: string): string[] {
    const names: string[] = [];
    for (const doc of documents) {
      for (const def of doc.definitions) {
        if ((def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) && def.name.value === typeName) {
          names.push(...(def.fields ?? []).map((f) => f.name.value));
        }
      }
    }
    return names.sort();
  }

  it('has a rule for exactly the fields of User', () => {
    expect(fieldsOf('User')).toEqual([...USER_FIELDS].sort());
  });

  it('has a rule for exactly the root Query fields', () => {
    expect(fieldsOf('Query')).toEqual([...QUERY_FIELDS].sort());
  });

  it('has a rule for exactly the mutations', () => {
    expect(fieldsOf('Mutation')).toEqual([...MUTATION_NAMES].sort());
  });
});

describe('people', () => {
  it('refuses anonymous viewers everything, as UNAUTHENTICATED', () => {
    for (const decision of [
      canReadPerson(viewers.anonymous, person),
      canUpdatePerson(viewers.anonymous, person),
      canCreatePeople(viewers.anonymous),
      canDeletePeople(viewers.anonymous),
      canProvision(viewers.anonymous),
      canListPeople(viewers.anonymous),
    ]) {
      expectRefused(decision, ErrorCode.UNAUTHENTICATED, /Bearer/);
    }
  });

  it('lets a user read and change the person whose id is their sub or whose email is their email, in any case', () => {
    for (const owner of owners) {
      expectAllowed(canReadPerson(owner, person));
      expectAllowed(canUpdatePerson(owner, person));
    }
  });

  it('refuses a user every other person, as FORBIDDEN', () => {
    expectRefused(canReadPerson(viewers.stranger, person), ErrorCode.FORBIDDEN, /themselves or an admin/);
    expectRefused(canUpdatePerson(viewers.stranger, person), ErrorCode.FORBIDDEN);
  });

  it('does not match an empty email to a token without one', () => {
    const noEmail: Viewer = { kind: 'user', sub: 'idp|x', roles: [] };
    expectRefused(canReadPerson(noEmail, { id: person.id, email: '' }), ErrorCode.FORBIDDEN);
    expectRefused(canReadPerson({ ...noEmail, email: '' }, { id: '', email: '' }), ErrorCode.FORBIDDEN);
  });

  it('keeps creating, deleting and provisioning for admins', () => {
    for (const can of [canCreatePeople, canDeletePeople, canProvision]) {
      expectAllowed(can(viewers.admin));
      for (const user of [...owners, viewers.stranger]) expectRefused(can(user), ErrorCode.FORBIDDEN, /only for admins/);
    }
  });

  it('lets an admin read and change anyone', () => {
    expectAllowed(canReadPerson(viewers.admin, person));
    expectAllowed(canUpdatePerson(viewers.admin, { id: 'ffffffff-ffff-4fff-8fff-ffffffffffff', email: 'x@example.com' }));
  });

  it('throws the refusal from the assert versions as a GatewayError with its code', () => {
    const codeOf = (run: () => void): string | undefined => {
      try {
        run();
      } catch (err) {
        if (err instanceof GatewayError) return err.code;
        throw err;
      }
      return undefined;
    };
    expect(codeOf(() => assertCanReadPerson(viewers.anonymous, person))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => assertCanReadPerson(viewers.stranger, person))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertCanReadPerson(viewers.ownerByEmail, person))).toBeUndefined();
    expect(codeOf(() => assertCanCreatePeople(viewers.ownerBySub))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertCanMutate(viewers.admin, 'deleteUser'))).toBeUndefined();
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
    for (const field of USER_FIELDS) expectRefused(canReadUserField(viewers.anonymous, person, field, ownVrm), ErrorCode.UNAUTHENTICATED);
  });

  it('refuses every field of another person to a user, even one holding that person’s VRM token', () => {
    for (const field of USER_FIELDS) expectRefused(canReadUserField(viewers.stranger, person, field, ownVrm), ErrorCode.FORBIDDEN);
  });

  it('gives the person and admins every field, with the person’s own VRM token for access tokens', () => {
    for (const viewer of [...owners, viewers.admin]) {
      for (const field of USER_FIELDS) expectAllowed(canReadUserField(viewer, person, field, ownVrm));
    }
  });

  it('gives internal and accounts to the person and admins only', () => {
    expect(USER_FIELD_RULES.internal).toBe('SELF_OR_ADMIN');
    expect(USER_FIELD_RULES.accounts).toBe('SELF_OR_ADMIN');
  });

  it('refuses VRM access tokens without the person’s own VRM token, whoever asks', () => {
    for (const viewer of [...owners, viewers.admin]) {
      expectRefused(canReadUserField(viewer, person, 'accessTokens'), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
      expectRefused(
        canReadUserField(viewer, person, 'accessTokens', { tokenAccountId: '99', personAccountId: '22' }),
        ErrorCode.FORBIDDEN,
        /another VRM account/,
      );
      expectRefused(canReadUserField(viewer, person, 'accessTokens', { tokenAccountId: '22', personAccountId: null }), ErrorCode.FORBIDDEN, /linked first/);
    }
  });

  it('needs no VRM token for the other fields', () => {
    for (const field of USER_FIELDS.filter((f) => USER_FIELD_RULES[f] !== 'OWN_VRM_TOKEN')) {
      expectAllowed(canReadUserField(viewers.ownerBySub, person, field));
    }
  });
});

describe('root query fields', () => {
  it('refuses every query field to anonymous viewers', () => {
    for (const field of QUERY_FIELDS) expectRefused(canRunQuery(viewers.anonymous, field, ownVrm), ErrorCode.UNAUTHENTICATED);
  });

  it('lets signed-in viewers ask, with a VRM token where VRM needs one', () => {
    for (const viewer of [viewers.stranger, viewers.admin]) {
      for (const field of QUERY_FIELDS) expectAllowed(canRunQuery(viewer, field, ownVrm));
    }
    expectRefused(canRunQuery(viewers.admin, 'siteIdByIdentifier'), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
  });
});

describe('mutations', () => {
  const ALL = [...MUTATION_NAMES];
  const adminOnly: MutationName[] = ['createUser', 'provisionUser', 'deleteUser', 'activateUser', 'deactivateUser', 'resendInvitation'];
  const vrmOwn: MutationName[] = ['createAccessToken', 'revokeAccessToken', 'revokeAllAccessTokens', 'addSite'];

  it('gives every mutation of issue 5 a rule', () => {
    expect(ALL.filter((m) => mutationRule(m) === 'ADMIN').sort()).toEqual([...adminOnly].sort());
    expect(ALL.filter((m) => mutationRule(m) === 'OWN_VRM_TOKEN').sort()).toEqual([...vrmOwn].sort());
    expect(ALL.filter((m) => mutationRule(m) === 'SELF_OR_ADMIN').sort()).toEqual(
      ['updateUser', 'updateNotificationPreferences', 'setPayoutMethod', 'removePayoutMethod'].sort(),
    );
  });

  it('refuses every mutation to anonymous viewers, as UNAUTHENTICATED', () => {
    for (const m of ALL) expectRefused(canMutate(viewers.anonymous, m, { person, vrm: ownVrm }), ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a user every mutation on another person, even holding that person’s VRM token', () => {
    for (const m of ALL) expectRefused(canMutate(viewers.stranger, m, { person, vrm: ownVrm }), ErrorCode.FORBIDDEN);
  });

  it('lets an admin run every mutation on anyone, with the person’s own VRM token for VRM tokens and sites', () => {
    for (const m of ALL) expectAllowed(canMutate(viewers.admin, m, { person, vrm: ownVrm }));
  });

  it('lets the person change themselves but not run admin mutations on themselves', () => {
    for (const owner of owners) {
      for (const m of ALL) {
        const decision = canMutate(owner, m, { person, vrm: ownVrm });
        if (adminOnly.includes(m)) expectRefused(decision, ErrorCode.FORBIDDEN, /only for admins/);
        else expectAllowed(decision);
      }
    }
  });

  it('refuses VRM mutations without the person’s own VRM token', () => {
    for (const m of vrmOwn) {
      expectRefused(canMutate(viewers.ownerBySub, m, { person }), ErrorCode.FORBIDDEN, /X-Vrm-Authorization/);
      expectRefused(canMutate(viewers.admin, m, { person, vrm: { tokenAccountId: '5', personAccountId: '22' } }), ErrorCode.FORBIDDEN);
    }
  });

  it('refuses a per-person mutation that names no person', () => {
    expectRefused(canMutate(viewers.admin, 'updateUser', { person: null }), ErrorCode.FORBIDDEN, /needs a person/);
  });
});
