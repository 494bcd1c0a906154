/**
 * Static operation limits (DESIGN.md "Limits, budgets and failing upstreams"), all checked before any
 * upstream call and all in time linear in the document:
 *
 * - depth, aliases and directives: graphql-armor's validation rules. Each computes a fragment once and
 *   reuses the result at every spread (verified in test/server/limits.test.ts on a document whose
 *   fragments each spread the next twice), and aliases and directives are counted with spreads expanded:
 *   a fragment of 10 aliases spread 20 times counts 200.
 * - tokens: graphql-js's own parser option `maxTokens`, which stops parsing at the first token over it
 *   (graphql-armor's Apollo plugin for tokens parses every document a second time and throws from a hook
 *   Apollo reports as an internal error, so the parser's option is used instead).
 * - the estimated upstream-call cost: `./cost.ts`, checked once the variables are known.
 * - entities: the representations an operation sends to `_entities` (a subgraph only, FEDERATION=subgraph),
 *   counted by `./cost.ts` with the cost, once the variables are known: each is a person to look up, so a
 *   caller sending 10 000 is refused before the registry or any upstream is asked.
 *
 * Over a limit the answer is `OPERATION_TOO_COMPLEX` with `extensions.limit` (which one), `cost` (what
 * the operation has) and `max`, HTTP 400.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { ErrorCode } from '../errors';

export type LimitName = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost' | 'entities';

export interface OperationLimits {
  /** Deepest field nesting (fragments flattened; `{ me { id } }` is 2). */
  depth: number;
  /** Aliased fields, with fragment spreads expanded. */
  aliases: number;
  /** Lexical tokens of the document (punctuation, names, values; comments are not tokens). */
  tokens: number;
  /** Directives, with fragment spreads expanded. */
  directives: number;
  /** Estimated upstream calls (`./cost.ts`). */
  cost: number;
  /** Representations sent to `_entities`, all of the operation's `_entities` fields together. */
  entities: number;
}

/**
 * The defaults, from graphql-armor's (depth 6, aliases 15, tokens 1000, directives 50, cost 5000 in its
 * own units) and Apollo Router's (30 aliases) and from what `examples/` needs (depth 5, no aliases, 115
 * tokens, an estimate of 57 calls at most; test/examples.test.ts runs them under these defaults).
 * `cost` counts upstream calls, not fields: 1000 lets an admin read a page of 100 people with a few
 * upstreams each, and stops one request from costing the upstreams thousands of calls. `entities` 100 is
 * the largest page of people `users` serves: a router asks for the people of one page of another subgraph
 * in one `_entities` call.
 */
export const DEFAULT_LIMITS: OperationLimits = { depth: 10, aliases: 15, tokens: 1000, directives: 50, cost: 1000, entities: 100 };

const WHAT: Record<LimitName, string> = {
  depth: 'is nested %c levels deep',
  aliases: 'uses %c aliases (fragment spreads expanded)',
  tokens: 'has more than %m tokens',
  directives: 'uses %c directives (fragment spreads expanded)',
  cost: 'would cost an estimated %c upstream calls',
  entities: 'sends %c entity representations to _entities',
};

/** The error every limit answers with. `cost` is what the operation has (for tokens: where parsing stopped). */
export function operationTooComplex(limit: LimitName, cost: number, max: number): GraphQLError {
  const what = WHAT[limit].replace('%c', String(cost)).replace('%m', String(max));
  return new GraphQLError(`The operation ${what}; the ${limit} limit is ${max}. Split it into smaller operations.`, {
    extensions: { code: ErrorCode.OPERATION_TOO_COMPLEX, limit, cost, max, http: { status: 400 } },
  });
}

/** Finds the limit error behind Apollo's wrapping (its ValidationError keeps ours as `originalError`). */
export function limitErrorOf(error: unknown): GraphQLError | undefined {
  let e: unknown = error;
  for (let i = 0; i < 3 && e instanceof GraphQLError; i++) {
    if (e.extensions?.code === ErrorCode.OPERATION_TOO_COMPLEX && typeof e.extensions.limit === 'string') return e;
    e = e.originalError;
  }
  return undefined;
}

/** graphql-js's parser message when `maxTokens` stops it. */
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:at|an) (\d+) tokens\. Parsing aborted\.$/;

/** The tokens-limit error for a parse error that is one, else undefined. */
export function tokenLimitError(message: string): GraphQLError | undefined {
  const match = TOKEN_LIMIT.exec(message);
  if (!match) return undefined;
  const max = Number(match[1]);
  return operationTooComplex('tokens', max + 1, max);
}

/** graphql-armor reports what it found only inside its message ("…limit of 10 exceeded, found 12."). */
const FOUND = /found (\d+)\.?$/;

type ArmorRule = (options: {
  n: number;
  propagateOnRejection: boolean;
  exposeLimits: boolean;
  onReject: ((ctx: ValidationContext | null, error: GraphQLError) => void)[];
  flattenFragments?: boolean;
  ignoreIntrospection?: boolean;
}) => (context: ValidationContext) => object;

/** One armor rule whose rejection is reported as ours, with the count armor found. */
function armored(limit: LimitName, max: number, rule: ArmorRule, extra: { flattenFragments?: boolean; ignoreIntrospection?: boolean } = {}): ValidationRule {
  return (context) => {
    const visitor = rule({
      n: max,
      exposeLimits: true,
      propagateOnRejection: false,
      ...extra,
      onReject: [
        (_ctx, error) => {
          const found = FOUND.exec(error.message);
          context.reportError(operationTooComplex(limit, found ? Number(found[1]) : max + 1, max));
        },
      ],
    })(context);
    return visitor as ReturnType<ValidationRule>;
  };
}

/** The validation rules for depth, aliases and directives. */
export function limitRules(limits: Pick<OperationLimits, 'depth' | 'aliases' | 'directives'>): ValidationRule[] {
  return [
    // Fragments flattened: a spread is no level of its own, only the fields in it are.
    armored('depth', limits.depth, maxDepthRule as ArmorRule, { flattenFragments: true, ignoreIntrospection: true }),
    armored('aliases', limits.aliases, maxAliasesRule as ArmorRule),
    armored('directives', limits.directives, maxDirectivesRule as ArmorRule),
  ];
}
