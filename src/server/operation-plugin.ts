/**
 * What the gateway records of every GraphQL operation once it is answered: the operation metrics
 * (./metrics.ts) and, with tracing on, the operation's name and outcome on its span (the `graphql` span
 * that src/server/http.ts opens around the request).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import type { GraphContext } from '../graph/context';
import { tracingEnabled } from '../lib/trace';
import { recordOperation, type OperationRecord } from './metrics';

export const operationPlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    const started = performance.now();
    return {
      async didResolveOperation({ operationName, operation }) {
        if (!tracingEnabled()) return;
        const span = trace.getActiveSpan();
        span?.updateName(`graphql ${operation?.operation ?? 'operation'} ${operationName ?? 'anonymous'}`);
        span?.setAttribute('graphql.operation.type', operation?.operation ?? 'unknown');
        if (operationName) span?.setAttribute('graphql.operation.name', operationName);
      },
      async willSendResponse({ contextValue, response, operation, operationName, errors }) {
        const codes: string[] = [];
        const formatted = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
        for (const e of formatted) codes.push(typeof e.extensions?.code === 'string' ? e.extensions.code : 'UNKNOWN');
        if (formatted.length === 0 && errors) for (const e of errors) codes.push(typeof e.extensions?.code === 'string' ? e.extensions.code : 'UNKNOWN');
        // The context is missing when the request was refused before it was built (parse errors, limits).
        const upstreamCalls: Record<string, number> = contextValue?.calls ? contextValue.calls.snapshot() : {};
        const record: OperationRecord = {
          name: operationName,
          type: operation?.operation ?? 'unknown',
          seconds: (performance.now() - started) / 1000,
          errorCodes: codes,
          upstreamCalls,
        };
        recordOperation(record);
        if (tracingEnabled() && codes.length > 0) trace.getActiveSpan()?.setAttribute('usergraph.error_codes', codes.join(','));
      },
    };
  },
};
