/**
 * The per-request context: who is asking (Viewer), the request id, the operation's budget (calls,
 * deadline, bytes, started when the request arrives), the loaders (one DataLoader per resource for this
 * request only), the call accounting behind `extensions.upstreamCalls`, and the process-wide dependencies. Built once per HTTP request by `createContextFactory`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import type { JwtVerifier } from '../auth/jwt';
import { provenEmail } from '../auth/policy';
import type { Viewer } from '../auth/viewer';
import { viewerFromAuthorization } from '../auth/viewer';
import { GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../errors';
import type { Linker } from '../registry/linker';
import type { Person, Registry } from '../registry/types';
import type { Logger } from '../lib/logger';
import type { Upstreams } from '../upstreams';
import { OperationBudget, type BudgetLimits } from '../upstreams/budget';
import type { CallEvent, CallOptions, SharedEvent } from '../upstreams/types';
import type { VrmCredential } from '../upstreams/vrm/connector';
import { createLoaders, type Loaders } from './loaders';
import { isUuid } from '../lib/ids';

export interface GatewayDeps {
  registry: Registry;
  upstreams: Upstreams;
  linker: Linker;
  logger: Logger;
  verifier: JwtVerifier;
  /** Concurrent upstream calls per loader batch, for upstreams without a batch endpoint. */
  concurrency: number;
  /** Each operation's upstream calls, deadline and response bytes. */
  budget: BudgetLimits;
}

/**
 * Counts the upstream calls one operation caused, by upstream, and apart from them the reads it had
 * answered without a call of its own: from the answer cache, or by joining another request's call.
 */
export interface CallStats {
  /** Whether the client asked for `extensions.upstreamCalls`. */
  report: boolean;
  record(event: CallEvent): void;
  recordShared(event: SharedEvent): void;
  /** Calls sent (attempts), by upstream: `extensions.upstreamCalls`. */
  snapshot(): Record<UpstreamName, number>;
  /** Reads answered from the cache (`extensions.upstreamCacheHits`) and by joining a call in flight (`extensions.upstreamCoalesced`). */
  shared(): { cache: Record<UpstreamName, number>; coalesced: Record<UpstreamName, number> };
}

const zeroes = (): Record<UpstreamName, number> => Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, 0])) as Record<UpstreamName, number>;

export function createCallStats(report: boolean): CallStats {
  const counts = zeroes();
  const cache = zeroes();
  const coalesced = zeroes();
  return {
    report,
    record(event) {
      counts[event.upstream]++;
    },
    recordShared(event) {
      (event.source === 'cache' ? cache : coalesced)[event.upstream]++;
    },
    snapshot: () => ({ ...counts }),
    shared: () => ({ cache: { ...cache }, coalesced: { ...coalesced } }),
  };
}

export interface GraphContext {
  deps: GatewayDeps;
  viewer: Viewer;
  requestId: string;
  /** The process logger bound to this request: every line it writes carries `requestId`. */
  logger: Logger;
  /** Passed to every connector call this request makes; carries the operation's budget to the HTTP client. */
  call: CallOptions;
  calls: CallStats;
  loaders: Loaders;
  /** The person's own VRM credential from `X-Vrm-Authorization`, if the client sent one. */
  vrmCredential?: VrmCredential;
  /** The viewer's own person (found or linked by their token's `sub`, or its proven `email`: policy.ts `provenEmail`), memoised. */
  viewerPerson(): Promise<Person | null>;
  /**
   * Upstreams that already have their error in this operation (src/graph/access.ts): the first field
   * that meets an upstream's failure reports it, later fields failing on the same upstream resolve to
   * null silently.
   */
  failedUpstreams: Set<UpstreamName>;
  /** Errors already reported (one loader failure shared by several fields is reported once). */
  seenErrors: WeakSet<object>;
}


/** Parses `X-Vrm-Authorization: Token <hex>` (or `Bearer <jwt>`). */
export function parseVrmCredential(header: string | string[] | undefined): VrmCredential | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const match = /^(Token|Bearer)\s+(\S+)$/i.exec(header.trim());
  if (!match) {
    // The gateway's own bearer token is not what is wrong, so the challenge does not say invalid_token.
    throw new GraphQLError('X-Vrm-Authorization must be "Token <access token>" or "Bearer <token>"', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="usergraph"']]) } },
    });
  }
  return { kind: match[1]!.toLowerCase() === 'token' ? 'token' : 'bearer', value: match[2]! };
}

/**
 * Where the context's request logger is made, on first use: on the prototype, because Apollo copies the
 * context's own properties into a fresh object for every operation (`Object.assign`), which would call
 * a getter of the context itself, and most requests write no line of their own.
 */
const lazyLogger = {
  get logger(): Logger {
    const ctx = this as unknown as GraphContext & { requestLogger?: Logger };
    return (ctx.requestLogger ??= ctx.deps.logger.child({ requestId: ctx.requestId }));
  },
};

export function createContextFactory(deps: GatewayDeps) {
  return async ({ headers, requestId }: { headers: IncomingHttpHeaders; requestId: string }): Promise<GraphContext> => {
    let viewer: Viewer;
    try {
      viewer = await viewerFromAuthorization(typeof headers.authorization === 'string' ? headers.authorization : undefined, deps.verifier);
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : 'Invalid credentials';
      throw new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    const reportHeader = headers['x-upstream-calls'];
    const calls = createCallStats(typeof reportHeader === 'string' && /^(1|true)$/i.test(reportHeader));
    const call: CallOptions = { requestId, onCall: (e) => calls.record(e), onShared: (e) => calls.recordShared(e), budget: new OperationBudget(deps.budget) };
    const vrmCredential = parseVrmCredential(headers['x-vrm-authorization']);
    const loaders = createLoaders(deps, call);
    let viewerPersonPromise: Promise<Person | null> | undefined;
    const fields: Omit<GraphContext, 'logger'> = {
      deps,
      viewer,
      requestId,
      call,
      calls,
      loaders,
      vrmCredential,
      failedUpstreams: new Set(),
      seenErrors: new WeakSet(),
      viewerPerson() {
        if (viewer.kind === 'anonymous') return Promise.resolve(null);
        viewerPersonPromise ??= (async () => {
          if (isUuid(viewer.sub)) {
            const bySub = await loaders.person.load(viewer.sub.toLowerCase());
            if (bySub) return bySub;
          }
          // Only an email the token proves finds (or links) a person: `email_verified: false` finds nobody.
          const email = provenEmail(viewer);
          if (!email) return null;
          return loaders.personByEmail.load(email);
        })();
        return viewerPersonPromise;
      },
    };
    return Object.assign(Object.create(lazyLogger) as GraphContext, fields);
  };
}
