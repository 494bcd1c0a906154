/**
 * What a normalising client cache must know about this schema beyond `id` and `possibleTypes`: the object
 * types that have no `id` (stored inside their parent, merged field by field), the lists on normalised
 * objects (replaced by each answer, as the gateway always returns the whole list) and the Relay
 * connections (paged forward with `first`/`after` and backward with `last`/`before`, keyed by their filter
 * arguments). Hand-written from schema/; test/clients/cache-shape.test.ts enumerates the schema and fails
 * when this falls behind it.
 */

/** Every object type without an `id` (Query and Mutation aside). */
export const ID_LESS_TYPES = [
  'AddSitePayload',
  'Address',
  'CreateAccessTokenPayload',
  'DeleteUserPayload',
  'DeviceAction',
  'EntryConnection',
  'EntryEdge',
  'ExpenseConnection',
  'ExpenseEdge',
  'NotificationGroup',
  'NotificationGroups',
  'NotificationPreferencesPayload',
  'OutcomeError',
  'PageInfo',
  'PayoutMethod',
  'PayoutMethodPayload',
  'ProjectAccessPayload',
  'ProjectConnection',
  'ProjectEdge',
  'ResolutionLink',
  'RevokeAccessTokensPayload',
  'SiteAttribute',
  'TeamMemberActionPayload',
  'UnlinkAccountPayload',
  'UpstreamAccount',
  'UpstreamOutcome',
  'UserConnection',
  'UserEdge',
  'UserMutationPayload',
] as const;

/** Per normalised type, its fields holding a list of objects: each answer carries the whole list. */
export const LIST_FIELDS: Readonly<Record<string, readonly string[]>> = {
  User: ['accounts', 'accessTokens', 'sites', 'devices'],
  IdentitySubscription: ['accounts'],
  Site: ['extended'],
  HeatPump: ['actions'],
  ElectricVehicle: ['actions'],
  Inverter: ['actions'],
};

/** Per type, its connection fields and the arguments that select a different list (not the page). */
export const CONNECTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Query: { users: ['filter'] },
  User: { entries: ['from', 'to', 'billable'], expenses: ['from', 'to'], participatingProjects: [] },
};
