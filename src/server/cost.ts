/**
 * The estimated upstream-call cost of an operation (DESIGN.md "Limits, budgets and failing upstreams"):
 * an upper bound, computed from the document and its variables before anything runs.
 *
 * - A field served by an upstream costs the calls its resolver makes (the table below). Calls go through
 *   per-request loaders, so fields of one object that share a loader (every identity field reads one
 *   identity user) cost it once; fields with arguments cost once per distinct argument set.
 * - A connection multiplies what it contains by its page size, `first` or `last` (its default when
 *   neither is given, never more than its maximum); a list without one multiplies by its maximum size.
 * - A list sized by one of its arguments (`_entities(representations:)`, a subgraph's) multiplies what it
 *   contains by that argument's length; those items are also counted (`entities`) for the MAX_ENTITIES limit.
 * - Each fragment is costed once and reused at every spread, so the estimate is linear in the document.
 *   A fragment spread twice in one selection counts twice (the executor merges the two, the estimate
 *   does not): an estimate may be high, never low.
 *
 * Keep the table next to the resolvers it describes: a resolver that starts calling an upstream gets a
 * row here, and test/server/cost.test.ts checks every schema field is either in the table or known to be
 * free, and that the examples' real calls stay within their estimates.
 */
import {
  getNamedType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  print,
  type DocumentNode,
  type ValueNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { MAX_PAGE_SIZE, TIMESHEET_DEFAULT_PAGE, USERS_DEFAULT_PAGE } from '../graph/paging';

export interface FieldCost {
  /**
   * Upstream calls per resolution, by the loader (resource) they go through; a function of the field's
   * arguments where they change how many (a backward page from the end of a list costs more).
   */
  calls?: Record<string, number> | ((args: Record<string, unknown>) => Record<string, number>);
  /** For a list without a page size: the most items it holds. */
  size?: number;
  /** For a connection (`first`/`last`): the page size its resolver takes when neither is given, and the largest. */
  page?: { default: number; max: number };
  /** For a list with one item per item of this list argument (`_entities`' `representations`). */
  sizeArgument?: string;
}

/**
 * The calls every operation may make once, whatever it selects: finding the viewer's person by their
 * token's email when the registry does not know it yet (identity, ev.energy and timesheet by email,
 * podero's user list: src/registry/linker.ts `discover`), and VRM's `/users/me` for a request carrying
 * the person's own VRM token (src/graph/resolvers/vrm.ts `vrmAccountOf`).
 */
export const OPERATION_BASE_COST = 5;

/** A person looked up by email the registry does not know: one call to each of four upstreams. */
const DISCOVERY = 4;
/** Timesheet has no single-item read: `node` walks at most this many pages (src/graph/resolvers/node.ts). */
const NODE_PAGE_WALK = 50;

const USERS_PAGE = { default: USERS_DEFAULT_PAGE, max: MAX_PAGE_SIZE };
const TIMESHEET_PAGE = { default: TIMESHEET_DEFAULT_PAGE, max: MAX_PAGE_SIZE };

/**
 * A timesheet page (src/graph/resolvers/timesheet.ts): two calls when the window does not start on a
 * page boundary, three for `last` without `before` (page 1, the last page, the one before it).
 */
const timesheetPageCalls = (args: Record<string, unknown>): Record<string, number> => ({
  timesheetPage: typeof args.last === 'number' && (args.before === undefined || args.before === null) ? 3 : 2,
});

/**
 * `Type.field` → what it costs. Fields not listed cost nothing (registry reads and values already
 * loaded by their parent). Interface fields are listed under the interface and apply to its types.
 */
export const FIELD_COSTS: Record<string, FieldCost> = {
  // Query (src/graph/resolvers/Query.ts, node.ts): the registry is free; emails it does not know are
  // discovered in the upstreams; node may walk timesheet pages.
  'Query.userByEmail': { calls: { discovery: DISCOVERY } },
  'Query.users': { page: USERS_PAGE },
  'Query.node': { calls: { nodeLookup: NODE_PAGE_WALK } },
  'Query.siteIdByIdentifier': { calls: { vrmSiteId: 1 } },
  'UserConnection.edges': { size: 1 },
  'UserConnection.nodes': { size: 1 },
  // A subgraph's (FEDERATION=subgraph, src/graph/resolvers/federation.ts): one person per representation,
  // from the registry (free); what is selected on them is costed per representation.
  'Query._entities': { calls: {}, sizeArgument: 'representations' },

  // identity (identity.ts): one identity user per person serves every field.
  'User.firstName': { calls: { identityUser: 1 } },
  'User.lastName': { calls: { identityUser: 1 } },
  'User.status': { calls: { identityUser: 1 } },
  'User.internal': { calls: { identityUser: 1 } },
  'User.createdAt': { calls: { identityUser: 1 } },
  'User.updatedAt': { calls: { identityUser: 1 } },
  'User.subscription': { calls: { identityUser: 1 } },

  // ev.energy (evenergy.ts): preferences and payout method are one call each.
  'User.notificationGroups': { calls: { notificationPreferences: 1 } },
  'User.payoutMethod': { calls: { payoutMethod: 1 } },

  // VRM (vrm.ts): installations with the service credential; access tokens with the person's own.
  'User.sites': { calls: { sites: 1 } },
  'User.accessTokens': { calls: { accessTokens: 1 } },

  // podero (podero.ts, loaders.ts): the org user; devices are three lists (heat pumps, vehicles,
  // inverters); a device's actions need its detail answer.
  'User.address': { calls: { poderoUser: 1 } },
  'User.devices': { calls: { devices: 3 }, size: 20 },
  'Device.actionNeeded': { calls: { deviceDetail: 1 } },
  'Device.actions': { calls: { deviceDetail: 1 } },

  // timesheet (timesheet.ts): the team member; a page of a connection is one to three calls.
  'User.role': { calls: { timesheetUser: 1 } },
  'User.state': { calls: { timesheetUser: 1 } },
  'User.entries': { calls: timesheetPageCalls, page: TIMESHEET_PAGE },
  'User.expenses': { calls: timesheetPageCalls, page: TIMESHEET_PAGE },
  'User.participatingProjects': { calls: timesheetPageCalls, page: TIMESHEET_PAGE },
  'EntryConnection.edges': { size: 1 },
  'EntryConnection.nodes': { size: 1 },
  'ExpenseConnection.edges': { size: 1 },
  'ExpenseConnection.nodes': { size: 1 },
  'ProjectConnection.edges': { size: 1 },
  'ProjectConnection.nodes': { size: 1 },

  // Mutations (src/graph/resolvers/mutations/, src/graph/people/): the most calls each can make,
  // reads included; what their payload selects is costed on top.
  'Mutation.createUser': { calls: { write: 16 } },
  'Mutation.provisionUser': { calls: { write: 16 } },
  'Mutation.updateUser': { calls: { write: 16 } },
  // timesheet's member read (retried) and DELETE (not retried), identity's DELETE (retried).
  'Mutation.deleteUser': { calls: { write: 8 } },
  // Registry only: no upstream call (an empty `calls` says it was costed, not forgotten).
  'Mutation.unlinkAccount': { calls: {} },
  'Mutation.updateNotificationPreferences': { calls: { write: 3 } },
  'Mutation.setPayoutMethod': { calls: { write: 3 } },
  'Mutation.removePayoutMethod': { calls: { write: 3 } },
  'Mutation.activateUser': { calls: { write: 3 } },
  'Mutation.deactivateUser': { calls: { write: 3 } },
  'Mutation.resendInvitation': { calls: { write: 3 } },
  'Mutation.giveAccessToProjects': { calls: { write: 3 } },
  'Mutation.revokeAccessToProjects': { calls: { write: 3 } },
  'Mutation.createAccessToken': { calls: { write: 3 } },
  'Mutation.revokeAccessToken': { calls: { write: 3 } },
  'Mutation.revokeAllAccessTokens': { calls: { write: 3 } },
  'Mutation.addSite': { calls: { write: 3 } },
};

/** Lists that are not in the table are assumed this long when something inside them costs calls. */
export const DEFAULT_LIST_SIZE = 100;

/** What one selection set costs: calls of the object it selects on (by resource), plus its children's. */
interface Part {
  resources: Map<string, number>;
  nested: number;
  /** Items of lists sized by their argument (`sizeArgument`), nested ones multiplied. */
  entities: number;
}

const emptyPart = (): Part => ({ resources: new Map(), nested: 0, entities: 0 });

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function total(part: Part): number {
  let sum = part.nested;
  for (const n of part.resources.values()) sum += n;
  return sum;
}

function merge(into: Part, from: Part): void {
  for (const [key, n] of from.resources) into.resources.set(key, Math.max(into.resources.get(key) ?? 0, n));
  into.nested += from.nested;
  into.entities += from.entities;
}

export interface CostOptions {
  table?: Record<string, FieldCost>;
  base?: number;
}

export interface Estimate {
  /** Estimated upstream calls (the MAX_COST limit). */
  cost: number;
  /** Entity representations the operation sends to `_entities`, all its `_entities` fields together (MAX_ENTITIES). */
  entities: number;
  /** Whether the estimate read a variable; one that did not holds for every request of the operation. */
  dependsOnVariables: boolean;
}

/**
 * The estimate for one operation of `document`, given the request's raw variables. Variables that do
 * not coerce count as not given (their arguments take their defaults; a list argument counts as empty);
 * such an operation is refused before it runs anyway. `dependsOnVariables` says whether it read a
 * variable (a `first: $n`, `representations: $r`): one that did not is the same for every request of the
 * operation, whatever its variables, and can be kept with the parsed document.
 */
export function estimateOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
  options: CostOptions = {},
): Estimate {
  const table = options.table ?? FIELD_COSTS;
  let dependsOnVariables = false;
  let variables: Record<string, unknown> | undefined;
  // Coerced only when an argument names a variable: most operations' list sizes are literals or defaults.
  const variablesFor = (node: FieldNode): Record<string, unknown> => {
    if (!node.arguments?.some((a) => hasVariable(a.value))) return {};
    dependsOnVariables = true;
    variables ??= getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}).coerced ?? {};
    return variables;
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const memo = new Map<string, Part | 'visiting'>();

  const costOf = (type: GraphQLNamedType, field: string): FieldCost | undefined => {
    const own = table[`${type.name}.${field}`];
    if (own || !isObjectType(type)) return own;
    for (const iface of type.getInterfaces()) {
      const inherited = table[`${iface.name}.${field}`];
      if (inherited) return inherited;
    }
    return undefined;
  };

  const argumentsOf = (def: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> => {
    try {
      return getArgumentValues(def, node, variablesFor(node));
    } catch {
      return {};
    }
  };

  const multiplier = (def: GraphQLField<unknown, unknown>, node: FieldNode, cost: FieldCost | undefined): number => {
    if (cost?.sizeArgument) {
      const list = argumentsOf(def, node)[cost.sizeArgument];
      return Array.isArray(list) ? list.length : 0;
    }
    if (def.args.some((a) => a.name === 'first' || a.name === 'last')) {
      const max = cost?.page?.max ?? DEFAULT_LIST_SIZE;
      const args = argumentsOf(def, node);
      // Both sizes at once are refused when it runs; until then the larger one bounds the estimate.
      const sizes = [args.first, args.last].filter((n): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1);
      if (sizes.length > 0) return Math.min(Math.max(...sizes), max);
      return cost?.page?.default ?? max;
    }
    return isList(def.type) ? (cost?.size ?? DEFAULT_LIST_SIZE) : 1;
  };

  const fragmentPart = (name: string): Part => {
    const known = memo.get(name);
    if (known === 'visiting') return emptyPart(); // a cycle: validation refuses it
    if (known) return known;
    const fragment = fragments.get(name);
    const type = fragment && schema.getType(fragment.typeCondition.name.value);
    if (!fragment || !type) return emptyPart();
    memo.set(name, 'visiting');
    const part = partOf(fragment.selectionSet, type);
    memo.set(name, part);
    return part;
  };

  const partOf = (set: SelectionSetNode, type: GraphQLNamedType): Part => {
    const part = emptyPart();
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        merge(part, fragmentPart(sel.name.value));
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (on) merge(part, partOf(sel.selectionSet, on));
      } else {
        const name = sel.name.value;
        if (name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
        const def = type.getFields()[name];
        if (!def) continue;
        const cost = costOf(type, name);
        if (cost?.calls) {
          // The same loader with other arguments is another call.
          const args = sel.arguments?.length ? `(${sel.arguments.map((a) => print(a)).join(',')})` : '';
          const calls = typeof cost.calls === 'function' ? cost.calls(argumentsOf(def, sel)) : cost.calls;
          for (const [resource, n] of Object.entries(calls)) {
            const key = `${resource}${args}`;
            part.resources.set(key, Math.max(part.resources.get(key) ?? 0, n));
          }
        }
        const sized = cost?.sizeArgument !== undefined;
        if (sel.selectionSet || sized) {
          const times = multiplier(def, sel, cost);
          const inner = sel.selectionSet ? partOf(sel.selectionSet, getNamedType(def.type)) : emptyPart();
          const innerCost = total(inner);
          if (innerCost > 0) part.nested += times * innerCost;
          part.entities += times * inner.entities + (sized ? times : 0);
        }
      }
    }
    return part;
  };

  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return { cost: 0, entities: 0, dependsOnVariables: false };
  const part = partOf(operation.selectionSet, root);
  return { cost: (options.base ?? OPERATION_BASE_COST) + total(part), entities: part.entities, dependsOnVariables };
}

/** Whether a value (an object or list literal, at any depth) holds a variable. */
function hasVariable(value: ValueNode): boolean {
  switch (value.kind) {
    case Kind.VARIABLE:
      return true;
    case Kind.LIST:
      return value.values.some(hasVariable);
    case Kind.OBJECT:
      return value.fields.some((f) => hasVariable(f.value));
    default:
      return false;
  }
}
