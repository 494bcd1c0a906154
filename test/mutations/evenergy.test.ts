/**
 * The ev.energy mutations end to end over real HTTP: gateway → connector → ev.energy emulator. Each test
 * shows the exact upstream requests (the emulator's counters, and the method, path and JSON body its
 * server received, read from its own `request` events: nothing is mocked), then reads the stored state
 * back through the connector. Bad input is refused before any upstream call, with its code and field
 * path, and leaves ev.energy's data as it was.
 */
import { sync } from '../../src/registry/sync';
import type { EvenergyNotificationPreferences, EvenergyPayoutMethod } from '../../src/upstreams/evenergy/types';
import { recordRequests, type Received } from '../helpers/received';
import { dataOf, startTestGateway, type GraphQLResult, type TestGateway } from '../helpers/gateway';

let t: TestGateway;

let received: Received[];

beforeAll(async () => {
  t = await startTestGateway({ people: 24 });
  await sync({ registry: t.registry, upstreams: t.gateway.upstreams });
  received = recordRequests(t.emulators.emulators.evenergy!.server);
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulators.reset(true);
  received.length = 0;
});

/** Starts counting after a test's own setup reads. */
function startCounting(): void {
  t.resetCounts();
  received.length = 0;
}

function evenergyCalls(): Record<string, number> {
  return t.counts().evenergy.byRoute;
}

function noUpstreamCalls(): void {
  expect(t.totals()).toEqual({ identity: 0, evenergy: 0, vrm: 0, podero: 0, timesheet: 0 });
}

async function accountId(index: number): Promise<string> {
  const links = (await t.registry.linksFor([await t.personId(index)])).get(await t.personId(index)) ?? [];
  const link = links.find((l) => l.upstream === 'evenergy');
  if (!link) throw new Error(`person ${index} has no ev.energy account`);
  return link.accountId;
}

async function storedGroups(index: number): Promise<Record<string, boolean>> {
  const prefs: EvenergyNotificationPreferences | null = await t.gateway.upstreams.evenergy.getNotificationPreferences(await accountId(index));
  if (!prefs) throw new Error(`ev.energy has no preferences for person ${index}`);
  return prefs.groups;
}

async function storedPayout(index: number): Promise<EvenergyPayoutMethod | null> {
  return t.gateway.upstreams.evenergy.getPayoutMethod(await accountId(index));
}

async function userToken(index: number): Promise<string> {
  return t.tokenFor(t.population.people[index]!);
}

/** Asserts one error with this code and, when given, this field path. */
function expectError(res: GraphQLResult<unknown>, code: string, path?: string[]): void {
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect(error.extensions?.code).toBe(code);
  if (path) expect(error.extensions?.fieldErrors?.[0]?.path).toEqual(path);
}

const UPDATE_GROUPS = `mutation($userId: ID!, $groups: [NotificationGroupChange!]!) {
  updateNotificationPreferences(userId: $userId, groups: $groups) {
    user { personId notificationGroups { dealsAndOffers powerSupplyNotifications } }
    notificationGroups { chargingFlow dealsAndOffers powerSupplyNotifications groups { name enabled } }
  }
}`;

const SET_PAYOUT = `mutation($userId: ID!, $input: PayoutMethodInput!) {
  setPayoutMethod(userId: $userId, input: $input) {
    user { personId payoutMethod { wallet receiver } }
    payoutMethod { wallet receiver receiverType }
  }
}`;

const REMOVE_PAYOUT = `mutation($userId: ID!) {
  removePayoutMethod(userId: $userId) {
    user { payoutMethod { wallet receiver receiverType } }
    payoutMethod { wallet receiver receiverType }
  }
}`;

type Groups = { chargingFlow?: boolean | null; dealsAndOffers: boolean | null; powerSupplyNotifications: boolean | null };
type Payout = { wallet: string | null; receiver: string | null; receiverType?: string | null };
/** What UPDATE_GROUPS answers. */
type UpdateGroupsData = {
  updateNotificationPreferences: { user: { personId: string; notificationGroups: Groups }; notificationGroups: Groups & { groups: { name: string; enabled: boolean }[] } };
};
/** What SET_PAYOUT answers. */
type SetPayoutData = { setPayoutMethod: { user: { personId: string; payoutMethod: Payout | null }; payoutMethod: Payout | null } };
/** What REMOVE_PAYOUT answers. */
type RemovePayoutData = { removePayoutMethod: { user: { payoutMethod: Payout | null }; payoutMethod: Payout | null } };

describe('updateNotificationPreferences', () => {
  describe('what is sent', () => {
    it('sends one PATCH carrying only the groups given, and leaves every omitted group as it was', async () => {
      // Person 1: every group on but power_supply_notifications.
      const before = await storedGroups(1);
      expect(before).toMatchObject({ deals_and_offers: true, power_supply_notifications: false });
      const account = await accountId(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, {
        variables: { userId: await t.personId(1), groups: [{ name: 'deals_and_offers', enabled: false }, { name: 'power_supply_notifications', enabled: true }] },
      });
      expect(res.errors).toBeUndefined();
      // The payload's user reads the answer of the PATCH: no second call.
      expect(evenergyCalls()).toEqual({ 'PATCH /users/:user_id/notification_preferences': 1 });
      expect(received).toEqual([
        {
          method: 'PATCH',
          path: `/v2/users/${account}/notification_preferences`,
          body: { groups: { deals_and_offers: false, power_supply_notifications: true } },
        },
      ]);
      const payload = dataOf(res).updateNotificationPreferences;
      expect(payload.notificationGroups).toMatchObject({ chargingFlow: true, dealsAndOffers: false, powerSupplyNotifications: true });
      expect(payload.user.notificationGroups).toEqual({ dealsAndOffers: false, powerSupplyNotifications: true });
      expect(await storedGroups(1)).toEqual({ ...before, deals_and_offers: false, power_supply_notifications: true });
    });

    it('answers every group ev.energy reports, by its upstream name', async () => {
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(2), groups: [{ name: 'charging_flow', enabled: false }] } });
      expect(res.errors).toBeUndefined();
      const stored = await storedGroups(2);
      const listed = Object.fromEntries(dataOf(res).updateNotificationPreferences.notificationGroups.groups.map((g) => [g.name, g.enabled]));
      expect(listed).toEqual(stored);
      expect(stored.charging_flow).toBe(false);
    });

    it('makes no PATCH for an empty list and answers the current groups with one GET', async () => {
      const before = await storedGroups(5);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(5), groups: [] } });
      expect(res.errors).toBeUndefined();
      expect(evenergyCalls()).toEqual({ 'GET /users/:user_id/notification_preferences': 1 });
      expect(received.map((r) => r.method)).toEqual(['GET']);
      // Person 5 has every group off.
      expect(dataOf(res).updateNotificationPreferences.notificationGroups).toMatchObject({ chargingFlow: false, dealsAndOffers: false });
      expect(await storedGroups(5)).toEqual(before);
    });

    it('lets a person change their own groups with their own token', async () => {
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { token: await userToken(0), variables: { userId: await t.personId(0), groups: [{ name: 'deals_and_offers', enabled: false }] } });
      expect(res.errors).toBeUndefined();
      expect((await storedGroups(0)).deals_and_offers).toBe(false);
    });
  });

  describe('tri-state input', () => {
    it('sets a group to the value sent, on or off', async () => {
      await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(5), groups: [{ name: 'charging_issues', enabled: true }] } });
      expect((await storedGroups(5)).charging_issues).toBe(true);
      await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(5), groups: [{ name: 'charging_issues', enabled: false }] } });
      expect((await storedGroups(5)).charging_issues).toBe(false);
    });

    it('refuses enabled: null before any upstream call, as a group cannot be cleared', async () => {
      const before = await storedGroups(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(1), groups: [{ name: 'deals_and_offers', enabled: null }] } });
      expectError(res, 'BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(/groups\[0\]\.enabled/);
      noUpstreamCalls();
      expect(await storedGroups(1)).toEqual(before);
    });

    it('refuses groups: null before any upstream call', async () => {
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(1), groups: null } });
      expectError(res, 'BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(/\$groups/);
      noUpstreamCalls();
    });
  });

  describe('bad input', () => {
    it('refuses a group ev.energy does not have, naming it at its index, after one read and without a PATCH', async () => {
      const before = await storedGroups(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, {
        variables: { userId: await t.personId(1), groups: [{ name: 'deals_and_offers', enabled: false }, { name: 'charging_flower', enabled: true }] },
      });
      expectError(res, 'BAD_USER_INPUT', ['groups', '1', 'name']);
      expect(res.errors![0]!.message).toContain('charging_flower');
      expect(evenergyCalls()).toEqual({ 'GET /users/:user_id/notification_preferences': 1 });
      expect(await storedGroups(1)).toEqual(before);
    });

    it('refuses a name that cannot be a group before any upstream call', async () => {
      const before = await storedGroups(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(1), groups: [{ name: 'Deals And Offers', enabled: true }] } });
      expectError(res, 'BAD_USER_INPUT', ['groups', '0', 'name']);
      noUpstreamCalls();
      expect(await storedGroups(1)).toEqual(before);
    });

    it('refuses a group sent twice before any upstream call, naming the second', async () => {
      const before = await storedGroups(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, {
        variables: {
          userId: await t.personId(1),
          groups: [
            { name: 'charging_flow', enabled: false },
            { name: 'deals_and_offers', enabled: false },
            { name: 'charging_flow', enabled: true },
          ],
        },
      });
      expectError(res, 'BAD_USER_INPUT', ['groups', '2', 'name']);
      expect(res.errors![0]!.message).toContain('charging_flow');
      noUpstreamCalls();
      expect(await storedGroups(1)).toEqual(before);
    });

    it('refuses a group without enabled before any upstream call', async () => {
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(1), groups: [{ name: 'charging_flow' }] } });
      expectError(res, 'BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(/enabled/);
      noUpstreamCalls();
    });

    it('refuses another person as a plain user (FORBIDDEN) before any upstream call', async () => {
      const before = await storedGroups(1);
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { token: await userToken(0), variables: { userId: await t.personId(1), groups: [{ name: 'charging_flow', enabled: false }] } });
      expectError(res, 'FORBIDDEN');
      noUpstreamCalls();
      expect(await storedGroups(1)).toEqual(before);
    });

    it('answers NOT_FOUND at userId for an admin and FORBIDDEN for a plain user when no person has the id', async () => {
      const missing = '00000000-0000-4000-8000-00000000beef';
      startCounting();
      const admin = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: missing, groups: [{ name: 'charging_flow', enabled: false }] } });
      expectError(admin, 'NOT_FOUND', ['userId']);
      const user = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { token: await userToken(0), variables: { userId: missing, groups: [{ name: 'charging_flow', enabled: false }] } });
      expectError(user, 'FORBIDDEN');
      noUpstreamCalls();
    });

    it('refuses a userId that is no User id at userId', async () => {
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: 'not-an-id!', groups: [] } });
      expectError(res, 'BAD_USER_INPUT', ['userId']);
    });

    it('answers NOT_FOUND naming ev.energy for a person without an ev.energy account', async () => {
      // Person 3 has no ev.energy account (i % 4 === 3).
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(3), groups: [{ name: 'charging_flow', enabled: false }] } });
      expectError(res, 'NOT_FOUND', ['userId']);
      expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'evenergy' });
      noUpstreamCalls();
    });

    it('refuses an anonymous caller (UNAUTHENTICATED) before any upstream call', async () => {
      startCounting();
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { token: null, variables: { userId: await t.personId(1), groups: [] } });
      expectError(res, 'UNAUTHENTICATED');
      noUpstreamCalls();
    });
  });

  describe('failures', () => {
    it('does not retry the PATCH when it reached ev.energy and the answer failed', async () => {
      t.faults('evenergy', { status: 503, afterHandler: true, count: 1, routes: ['PATCH /users/:user_id/notification_preferences'] });
      const res = await t.query<UpdateGroupsData>(UPDATE_GROUPS, { variables: { userId: await t.personId(1), groups: [{ name: 'deals_and_offers', enabled: false }] } });
      expectError(res, 'UPSTREAM_UNAVAILABLE');
      expect(res.errors![0]!.extensions).toMatchObject({ upstream: 'evenergy' });
      expect(evenergyCalls()).toEqual({ 'PATCH /users/:user_id/notification_preferences': 1 });
      // The write happened; only its answer was lost.
      expect((await storedGroups(1)).deals_and_offers).toBe(false);
      expect(JSON.stringify(res.errors)).not.toMatch(/127\.0\.0\.1|http:\/\/|dev-evenergy-token/);
    });
  });
});

describe('setPayoutMethod', () => {
  describe('what is sent', () => {
    it('sets PAYPAL with an email receiver in one PATCH', async () => {
      const account = await accountId(0);
      startCounting();
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(0), input: { wallet: 'PAYPAL', receiver: 'sophie@example.com' } } });
      expect(res.errors).toBeUndefined();
      expect(evenergyCalls()).toEqual({ 'PATCH /users/:user_id/payout_method': 1 });
      expect(received).toEqual([{ method: 'PATCH', path: `/v2/users/${account}/payout_method`, body: { receiver_wallet: 'PAYPAL', receiver: 'sophie@example.com' } }]);
      expect(dataOf(res).setPayoutMethod.payoutMethod).toEqual({ wallet: 'PAYPAL', receiver: 'sophie@example.com', receiverType: 'EMAIL' });
      expect(dataOf(res).setPayoutMethod.user.payoutMethod).toEqual({ wallet: 'PAYPAL', receiver: 'sophie@example.com' });
      expect(await storedPayout(0)).toEqual({ wallet: 'PAYPAL', receiver: 'sophie@example.com', receiverType: 'EMAIL' });
    });

    it('replaces an existing method with VENMO and a phone receiver', async () => {
      expect((await storedPayout(1))?.wallet).toBe('PAYPAL');
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input: { wallet: 'VENMO', receiver: '+15555550123' } } });
      expect(res.errors).toBeUndefined();
      expect(dataOf(res).setPayoutMethod.payoutMethod).toEqual({ wallet: 'VENMO', receiver: '+15555550123', receiverType: 'PHONE' });
      expect(await storedPayout(1)).toEqual({ wallet: 'VENMO', receiver: '+15555550123', receiverType: 'PHONE' });
    });

    it('lets a person set their own method with their own token', async () => {
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { token: await userToken(2), variables: { userId: await t.personId(2), input: { wallet: 'PAYPAL', receiver: 'james@example.com' } } });
      expect(res.errors).toBeUndefined();
      expect((await storedPayout(2))?.receiver).toBe('james@example.com');
    });
  });

  describe('tri-state receiver', () => {
    it('sends no receiver key at all for BILL_CREDITS when receiver is omitted', async () => {
      const account = await accountId(1);
      startCounting();
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input: { wallet: 'BILL_CREDITS' } } });
      expect(res.errors).toBeUndefined();
      expect(received).toEqual([{ method: 'PATCH', path: `/v2/users/${account}/payout_method`, body: { receiver_wallet: 'BILL_CREDITS' } }]);
      expect(dataOf(res).setPayoutMethod.payoutMethod).toMatchObject({ wallet: 'BILL_CREDITS', receiverType: 'ACCOUNT_NUMBER' });
      expect((await storedPayout(1))?.wallet).toBe('BILL_CREDITS');
    });

    it('reads receiver: null for BILL_CREDITS as no receiver, and still sends no receiver key (ev.energy refuses even null)', async () => {
      startCounting();
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(2), input: { wallet: 'BILL_CREDITS', receiver: null } } });
      expect(res.errors).toBeUndefined();
      expect(received.map((r) => r.body)).toEqual([{ receiver_wallet: 'BILL_CREDITS' }]);
      expect((await storedPayout(2))?.wallet).toBe('BILL_CREDITS');
    });

    it.each([
      ['PAYPAL', null, 'null'],
      ['PAYPAL', undefined, 'none'],
      ['VENMO', null, 'null'],
      ['VENMO', undefined, 'none'],
    ])('refuses %s with receiver %s at input.receiver before any upstream call', async (wallet, receiver, word) => {
      const before = await storedPayout(1);
      startCounting();
      const input = receiver === undefined ? { wallet } : { wallet, receiver };
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input } });
      expectError(res, 'BAD_USER_INPUT', ['input', 'receiver']);
      expect(res.errors![0]!.message).toContain(`but got ${word}`);
      noUpstreamCalls();
      expect(await storedPayout(1)).toEqual(before);
    });
  });

  describe('bad input', () => {
    it.each([
      ['PAYPAL', 'a receiver that is no email', 'not-an-email', 'an email address'],
      ['VENMO', 'a phone without country code', '555-0123', 'E.164'],
      ['VENMO', 'an email receiver', 'sophie@example.com', 'E.164'],
      ['BILL_CREDITS', 'any receiver', '1234567890', 'no receiver'],
      ['PAYPAL', 'a receiver of 262 characters', `${'a'.repeat(250)}@example.com`, 'at most 254'],
    ])('refuses %s with %s at input.receiver before any upstream call', async (wallet, _label, receiver, words) => {
      const before = await storedPayout(1);
      startCounting();
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input: { wallet, receiver } } });
      expectError(res, 'BAD_USER_INPUT', ['input', 'receiver']);
      expect(res.errors![0]!.message).toContain(words);
      noUpstreamCalls();
      expect(await storedPayout(1)).toEqual(before);
    });

    it('refuses a wallet the schema does not have, and a missing wallet, before any upstream call', async () => {
      const before = await storedPayout(1);
      startCounting();
      const unknown = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input: { wallet: 'CASH', receiver: 'x@example.com' } } });
      expectError(unknown, 'BAD_USER_INPUT');
      expect(unknown.errors![0]!.message).toMatch(/CASH/);
      const missing = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(1), input: { receiver: 'x@example.com' } } });
      expectError(missing, 'BAD_USER_INPUT');
      expect(missing.errors![0]!.message).toMatch(/wallet/);
      noUpstreamCalls();
      expect(await storedPayout(1)).toEqual(before);
    });

    it('refuses another person as a plain user (FORBIDDEN) before any upstream call', async () => {
      const before = await storedPayout(1);
      startCounting();
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { token: await userToken(0), variables: { userId: await t.personId(1), input: { wallet: 'PAYPAL', receiver: 'thief@example.com' } } });
      expectError(res, 'FORBIDDEN');
      noUpstreamCalls();
      expect(await storedPayout(1)).toEqual(before);
    });

    it('answers NOT_FOUND at userId for an unknown person and NOT_FOUND naming ev.energy for a person without an account', async () => {
      startCounting();
      const unknown = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: '00000000-0000-4000-8000-00000000beef', input: { wallet: 'BILL_CREDITS' } } });
      expectError(unknown, 'NOT_FOUND', ['userId']);
      const noAccount = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(3), input: { wallet: 'BILL_CREDITS' } } });
      expectError(noAccount, 'NOT_FOUND', ['userId']);
      expect(noAccount.errors![0]!.extensions).toMatchObject({ upstream: 'evenergy' });
      noUpstreamCalls();
    });
  });

  describe('failures', () => {
    it('does not retry the PATCH when it reached ev.energy and the answer failed', async () => {
      t.faults('evenergy', { status: 503, afterHandler: true, count: 1, routes: ['PATCH /users/:user_id/payout_method'] });
      const res = await t.query<SetPayoutData>(SET_PAYOUT, { variables: { userId: await t.personId(0), input: { wallet: 'VENMO', receiver: '+15555550199' } } });
      expectError(res, 'UPSTREAM_UNAVAILABLE');
      expect(evenergyCalls()).toEqual({ 'PATCH /users/:user_id/payout_method': 1 });
      expect((await storedPayout(0))?.receiver).toBe('+15555550199');
    });
  });
});

describe('removePayoutMethod', () => {
  it('removes the method with one DELETE and answers every field null', async () => {
    expect((await storedPayout(1))?.wallet).toBe('PAYPAL');
    const account = await accountId(1);
    startCounting();
    const res = await t.query<RemovePayoutData>(REMOVE_PAYOUT, { variables: { userId: await t.personId(1) } });
    expect(res.errors).toBeUndefined();
    expect(evenergyCalls()).toEqual({ 'DELETE /users/:user_id/payout_method': 1 });
    expect(received).toEqual([{ method: 'DELETE', path: `/v2/users/${account}/payout_method`, body: undefined }]);
    const none = { wallet: null, receiver: null, receiverType: null };
    expect(dataOf(res).removePayoutMethod).toEqual({ user: { payoutMethod: none }, payoutMethod: none });
    expect(await storedPayout(1)).toEqual(none);
  });

  it('succeeds when no method is set, and again when run twice', async () => {
    // Person 0 has no payout method.
    for (let i = 0; i < 2; i++) {
      const res = await t.query<RemovePayoutData>(REMOVE_PAYOUT, { variables: { userId: await t.personId(0) } });
      expect(res.errors).toBeUndefined();
      expect(dataOf(res).removePayoutMethod.payoutMethod).toEqual({ wallet: null, receiver: null, receiverType: null });
    }
    expect(evenergyCalls()).toEqual({ 'DELETE /users/:user_id/payout_method': 2 });
  });

  it('retries the DELETE after a failed answer, as removing twice leaves the same state', async () => {
    t.faults('evenergy', { status: 503, afterHandler: true, count: 1, routes: ['DELETE /users/:user_id/payout_method'] });
    const res = await t.query<RemovePayoutData>(REMOVE_PAYOUT, { token: await userToken(2), variables: { userId: await t.personId(2) } });
    expect(res.errors).toBeUndefined();
    expect(evenergyCalls()).toEqual({ 'DELETE /users/:user_id/payout_method': 2 });
    expect((await storedPayout(2))?.wallet).toBeNull();
  });

  it('refuses another person as a plain user, and an unknown person or one without an account, leaving data as it was', async () => {
    const before = await storedPayout(1);
    startCounting();
    expectError(await t.query<RemovePayoutData>(REMOVE_PAYOUT, { token: await userToken(0), variables: { userId: await t.personId(1) } }), 'FORBIDDEN');
    expectError(await t.query<RemovePayoutData>(REMOVE_PAYOUT, { variables: { userId: '00000000-0000-4000-8000-00000000beef' } }), 'NOT_FOUND', ['userId']);
    expectError(await t.query<RemovePayoutData>(REMOVE_PAYOUT, { variables: { userId: await t.personId(3) } }), 'NOT_FOUND', ['userId']);
    expectError(await t.query<RemovePayoutData>(REMOVE_PAYOUT, { token: null, variables: { userId: await t.personId(1) } }), 'UNAUTHENTICATED');
    noUpstreamCalls();
    expect(await storedPayout(1)).toEqual(before);
  });
});
