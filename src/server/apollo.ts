/**
 * Apollo Server 5 for the gateway: the schema, error formatting per DESIGN.md's table, the
 * `extensions.upstreamCalls` report, and the operation limits.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { GatewayError } from '../errors';
import type { GraphContext } from '../graph/context';
import { maxAliasesRule, maxDepthRule } from './limits';
import type { Logger } from './logger';

export interface ApolloOptions {
  schema: GraphQLSchema;
  logger: Logger;
  introspection: boolean;
  maxDepth: number;
  maxAliases: number;
  /** Operations per batched request; over 1 turns batching on (the count is checked in http.ts). */
  maxBatch?: number;
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

export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const gateway = gatewayErrorOf(error);
    if (gateway) {
      if (gateway.upstream) {
        logger.warn('upstream failure', { code: gateway.code, upstream: gateway.upstream, status: gateway.status, path: formatted.path, message: gateway.message });
      }
      return { message: gateway.message, locations: formatted.locations, path: formatted.path, extensions: gateway.toExtensions() };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      const fieldErrors = code === 'BAD_USER_INPUT' && !extensions.fieldErrors ? variableFieldErrors(formatted.message) : undefined;
      return { ...formatted, extensions: fieldErrors ? { ...extensions, fieldErrors } : extensions };
    }
    // Anything else is a gateway bug: log it, show nothing of it.
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    logger.error('internal error in resolver', { path: formatted.path, error: original instanceof Error ? original.message : String(original) });
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** Adds `extensions.upstreamCalls` when the request asked for it (header `X-Upstream-Calls: true`). */
const upstreamCallsPlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        if (!contextValue.calls.report || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.extensions = { ...(result.extensions ?? {}), upstreamCalls: contextValue.calls.snapshot() };
      },
    };
  },
};

export function createApollo(options: ApolloOptions): ApolloServer<GraphContext> {
  return new ApolloServer<GraphContext>({
    schema: options.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: (options.maxBatch ?? 1) > 1,
    // The process owns shutdown (src/server/start.ts): Apollo's handlers would re-raise the signal and
    // exit before the registry closes.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(options.logger),
    validationRules: [maxDepthRule(options.maxDepth), maxAliasesRule(options.maxAliases)],
    // Apollo's default landing page loads Sandbox from the internet; GraphiQL is served by the gateway itself.
    plugins: [upstreamCallsPlugin, ApolloServerPluginLandingPageDisabled()],
    logger: {
      debug: (m) => options.logger.debug(String(m)),
      info: (m) => options.logger.info(String(m)),
      warn: (m) => options.logger.warn(String(m)),
      error: (m) => options.logger.error(String(m)),
    },
  });
}
