/**
 * Apollo Server 5 for the gateway: the schema, error formatting per DESIGN.md's table, the
 * `extensions.upstreamCalls` report, and the operation limits (./limits.ts, ./cost.ts).
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { GatewayError } from '../errors';
import type { GraphContext } from '../graph/context';
import { estimateOperation, type Estimate } from './cost';
import { operationPlugin } from './operation-plugin';
import { DEFAULT_LIMITS, limitErrorOf, limitRules, operationTooComplex, tokenLimitError, type OperationLimits } from './limits';
import type { Logger } from '../lib/logger';
import { redact } from '../lib/redact';

export interface ApolloOptions {
  schema: GraphQLSchema;
  logger: Logger;
  introspection: boolean;
  /** Static limits; each omitted one takes its default (DEFAULT_LIMITS). */
  limits?: Partial<OperationLimits>;
  /** Production: validation errors suggest no names ("Did you mean …"). */
  production?: boolean;
  /** Operations per batched request; over 1 turns batching on (the count is checked in http.ts). */
  maxBatch?: number;
  /**
   * The configured secrets (service tokens, JWT secret): masked in every message a client is sent, as a
   * second guard behind "messages are the gateway's own words".
   */
  secrets?: readonly string[];
}

/** Codes produced by graphql-js and Apollo themselves, which keep their meaning. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
]);

/**
 * Apollo's request errors that it raises without a code (its request pipeline, for APQ), each with the
 * code it means: a client's malformed request, never the gateway's INTERNAL_SERVER_ERROR.
 */
const UNCODED_APOLLO_ERRORS = new Map<string, { code: string; message: string }>([
  ['provided sha does not match query', { code: 'BAD_REQUEST', message: "The persisted query's sha256Hash is not the SHA-256 of its query" }],
  ['Unsupported persisted query version', { code: 'BAD_REQUEST', message: 'Unsupported persisted query version: the gateway takes extensions.persistedQuery.version 1' }],
]);

/**
 * The code of an error Apollo raised for the request itself without one (UNCODED_APOLLO_ERRORS): a plain
 * GraphQLError with no cause, no path and that exact message.
 */
export function apolloRequestErrorOf(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof GraphQLError) || error.originalError || error.path || error.extensions.code !== undefined) return undefined;
  return UNCODED_APOLLO_ERRORS.get(error.message);
}

/** Finds the GatewayError behind a (possibly wrapped) GraphQL error. */
export function gatewayErrorOf(error: unknown): GatewayError | undefined {
  let e: unknown = error;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof GatewayError) return e;
    e = e instanceof GraphQLError ? e.originalError : e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/**
 * graphql-js reports a bad variable as `Variable "$input" got invalid value … at "input.podero.role"; why`.
 * The path becomes `extensions.fieldErrors`, like the gateway's own validation errors, so clients find
 * the field without parsing messages.
 */
export function variableFieldErrors(message: string): { path: string[]; message: string }[] | undefined {
  const match = /^Variable "\$(\w+)" (?:got invalid value .*? at "([^"]+)"|got invalid value .*?|of required type .*?|of non-null type .*?)(?:; |\.\s*)(.*)$/s.exec(message);
  if (!match) return undefined;
  const path = (match[2] ?? match[1]!).split('.');
  const reason = (match[3] || message).trim();
  const missingField = /^Field "(\w+)" of required type .* was not provided\.$/.exec(reason);
  if (missingField) path.push(missingField[1]!);
  return [{ path, message: reason }];
}

/** Longest message of graphql-js's own errors shown to a client: a bad variable is echoed in them. */
export const MAX_MESSAGE_LENGTH = 300;

/** Cuts a message to `max` characters, keeping its end (where graphql-js says why). */
export function shorten(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  const tail = Math.floor(max / 3);
  return `${message.slice(0, max - tail - 1)}…${message.slice(-tail)}`;
}

/** graphql-js's suggestions: `Did you mean "id" or "email"?`, `Did you mean the enum value "ACTIVE"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/** A formatted error's message and field-error messages passed through the redactor with `secrets`. */
function masked(error: GraphQLFormattedError, secrets: readonly string[]): GraphQLFormattedError {
  const mask = (text: string): string => redact(text, secrets, { maxLength: Infinity });
  const fieldErrors = error.extensions?.fieldErrors;
  const extensions = Array.isArray(fieldErrors)
    ? {
        ...error.extensions,
        fieldErrors: fieldErrors.map((f: unknown) =>
          typeof f === 'object' && f !== null && typeof Reflect.get(f, 'message') === 'string' ? { ...f, message: mask(String(Reflect.get(f, 'message'))) } : f,
        ),
      }
    : error.extensions;
  return { ...error, message: mask(error.message), ...(extensions ? { extensions } : {}) };
}

/**
 * Formats every error a client sees (DESIGN.md "Errors"); `errorLogPlugin` logs what it hides. Every
 * message and field-error message leaves through the redactor with the configured `secrets`.
 */
export function formatError(options: { production?: boolean; secrets?: readonly string[] } = {}) {
  const format = unmaskedFormatError(options);
  const secrets = options.secrets ?? [];
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => masked(format(formatted, error), secrets);
}

function unmaskedFormatError(options: { production?: boolean }) {
  const clean = (message: string): string => shorten(options.production ? withoutSuggestions(message) : message);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = limitErrorOf(error) ?? (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? tokenLimitError(formatted.message) : undefined);
    if (limit) {
      const { http: _http, ...extensions } = limit.extensions;
      return { message: limit.message, locations: formatted.locations, extensions };
    }
    const gateway = gatewayErrorOf(error);
    if (gateway) {
      return { message: gateway.message, locations: formatted.locations, path: formatted.path, extensions: gateway.toExtensions() };
    }
    const request = apolloRequestErrorOf(error);
    if (request) return { message: request.message, extensions: { code: request.code } };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      const message = clean(formatted.message);
      const fieldErrors = code === 'BAD_USER_INPUT' && !extensions.fieldErrors ? variableFieldErrors(formatted.message)?.map((f) => ({ ...f, message: clean(f.message) })) : undefined;
      return { ...formatted, message, extensions: fieldErrors ? { ...extensions, fieldErrors } : extensions };
    }
    // Anything else is a gateway bug (logged by `errorLogPlugin`): show nothing of it.
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * Logs, with the request's logger (so with its request id), what `formatError` turns into an upstream
 * failure or hides as a gateway bug.
 */
const errorLogPlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors }) {
        for (const error of errors) {
          const gateway = gatewayErrorOf(error);
          if (gateway) {
            if (gateway.upstream) {
              // `detail` is what the upstream said (redacted; the logger masks the configured secrets too).
              contextValue.logger.warn(
                { code: gateway.code, upstream: gateway.upstream, status: gateway.status, reason: gateway.reason, path: error.path, message: gateway.message, detail: gateway.detail },
                'upstream failure',
              );
            }
            continue;
          }
          const code = error.extensions?.code;
          if (typeof code === 'string' && PASS_THROUGH.has(code)) continue;
          if (limitErrorOf(error) || apolloRequestErrorOf(error)) continue;
          const original = error.originalError ?? error;
          contextValue.logger.error({ path: error.path, error: original.message }, 'internal error in resolver');
        }
      },
    };
  },
};

/**
 * Adds `extensions.upstreamCalls` (calls sent, by upstream), `upstreamCacheHits` and `upstreamCoalesced`
 * (reads answered from the answer cache, and by joining another request's call in flight, which are not
 * calls) when the request asked for it (header `X-Upstream-Calls: true`).
 */
const upstreamCallsPlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    return {
      // A mutation decides on what the upstreams hold now (is this email free? does this account exist?):
      // none of its reads is answered from the answer cache.
      async didResolveOperation({ operation, contextValue }) {
        if (operation?.operation === 'mutation') contextValue.call.freshReads = true;
      },
      async willSendResponse({ contextValue, response }) {
        if (!contextValue.calls.report || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        const shared = contextValue.calls.shared();
        result.extensions = {
          ...(result.extensions ?? {}),
          upstreamCalls: contextValue.calls.snapshot(),
          upstreamCacheHits: shared.cache,
          upstreamCoalesced: shared.coalesced,
        };
      },
    };
  },
};

/**
 * Every answer says `Cache-Control: no-store`: answers are per viewer and read live from the upstreams.
 * Apollo's cache-control plugin said the same (the schema has no cache hints), but it computed a hint on
 * every resolved field to get there, and wrapping every resolver for it cost more CPU than executing them.
 */
const noStorePlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/**
 * Refuses an operation that sends more than `limits.entities` representations to `_entities`, or whose
 * estimated upstream calls exceed `limits.cost`, once its variables are known and before anything runs
 * (a `first: $n` counts as `$n`, `representations: $r` as the length of `$r`).
 */
function costLimitPlugin(limits: Pick<OperationLimits, 'cost' | 'entities'>): ApolloServerPlugin<GraphContext> {
  // Apollo's document cache hands back the same parsed operation for the same query text, so an estimate
  // that read no variable is made once per operation, not once per request.
  const fixed = new WeakMap<OperationDefinitionNode, Estimate>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          let estimate = fixed.get(operation);
          if (estimate === undefined) {
            estimate = estimateOperation(schema, document, operation, request.variables);
            if (!estimate.dependsOnVariables) fixed.set(operation, estimate);
          }
          const { cost, entities } = estimate;
          if (entities > limits.entities) throw operationTooComplex('entities', entities, limits.entities);
          if (cost > limits.cost) throw operationTooComplex('cost', cost, limits.cost);
        },
      };
    },
  };
}

export function createApollo(options: ApolloOptions): ApolloServer<GraphContext> {
  const limits: OperationLimits = { ...DEFAULT_LIMITS, ...options.limits };
  return new ApolloServer<GraphContext>({
    schema: options.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: (options.maxBatch ?? 1) > 1,
    // The process owns shutdown (src/server/start.ts): Apollo's handlers would re-raise the signal and
    // exit before the registry closes.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: formatError({ production: options.production, secrets: options.secrets }),
    parseOptions: { maxTokens: limits.tokens },
    validationRules: limitRules(limits),
    // Apollo's default landing page loads Sandbox from the internet; GraphiQL is served by the gateway itself.
    // No cache hints are used, so the cache-control plugin's per-field work is off (`noStorePlugin`). As a
    // subgraph, Apollo would send per-field timings (ftv1 inline traces) to any caller asking with a
    // header; traces here are OpenTelemetry's (src/server/telemetry.ts), so that stays off.
    plugins: [
      upstreamCallsPlugin,
      errorLogPlugin,
      operationPlugin,
      costLimitPlugin(limits),
      noStorePlugin,
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ],
    logger: {
      debug: (m) => options.logger.debug(String(m)),
      info: (m) => options.logger.info(String(m)),
      warn: (m) => options.logger.warn(String(m)),
      error: (m) => options.logger.error(String(m)),
    },
  });
}
