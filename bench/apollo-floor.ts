/**
 * The third target of `npm run bench` (`--floor`): the hand-written fan-out of `fanout-server.ts` behind
 * Apollo Server 5, and nothing else. It answers the gateway's own two questions, the same GraphQL text, with
 * a schema of just the fields they select: `userByEmail(email:)` is one resolver calling the baseline's
 * `person`, `users(first:, after:)` one calling its `page` (the cursor names the page), and every other
 * field is graphql-js's default resolver. No registry, auth, policy, DataLoaders, budgets, retries,
 * breaker, limits, metrics or logging.
 *
 * What it measures: the cost of Apollo Server itself on these questions, made as lean as the gateway makes
 * it (cache-control and inline-trace plugins off, no landing page, a node:http handler calling
 * `executeHTTPGraphQLRequest` as `src/server/http.ts` does). No gateway on Apollo Server can spend less CPU
 * per request than this floor while making the baseline's calls, so its ratio to the baseline says how
 * much of issue 14's CPU target Apollo leaves to everything else.
 *
 * Run as a child of `bench/gateway.ts`: `node --import tsx bench/apollo-floor.ts '<json>'`, the argument of
 * `fanout-server.ts` (its upstream URLs, connections and `pagesFile`). It prints one JSON line
 * `{ "url": <origin> }` when listening and exits when its stdin closes or on SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import { createFanout, isUpstreamFailure, parseChildArgument, type BaselinePage, type Fanout } from './fanout-server';
import { acceptProfilerCommands } from './lib';

const TYPE_DEFS = `#graphql
  scalar EmailAddress
  type NotificationGroups { chargingFlow: Boolean chargingIssues: Boolean }
  type Site { siteId: Int name: String }
  type Address { town: String country: String }
  type Person {
    email: String
    firstName: String
    lastName: String
    status: String
    notificationGroups: NotificationGroups
    sites: [Site!]
    address: Address
    role: String
    state: String
  }
  type PersonPage { nodes: [Person!]! }
  type Query {
    userByEmail(email: EmailAddress!): Person
    users(first: Int, after: String): PersonPage!
  }
`;

function floorServer(fanout: Fanout, pages: readonly BaselinePage[]): ApolloServer {
  const pageOf = new Map(pages.map((p, n) => [p.after, n]));
  const failed = (err: unknown): never => {
    if (isUpstreamFailure(err)) throw new GraphQLError(err.message, { extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    throw err;
  };
  return new ApolloServer({
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: {
        userByEmail: (_: unknown, args: { email: string }) => fanout.person(args.email).then((p) => p ?? null, failed),
        users: async (_: unknown, args: { after?: string | null }) => {
          const n = pageOf.get(args.after ?? null);
          const page = n === undefined ? undefined : await fanout.page(n).catch(failed);
          if (!page) throw new GraphQLError('no such page', { extensions: { code: 'BAD_USER_INPUT' } });
          return page;
        },
      },
    },
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
}

async function runAsChild(): Promise<void> {
  const options = parseChildArgument(process.argv[2]);
  const fanout = createFanout(options);
  const apollo = floorServer(fanout, options.pages ?? []);
  await apollo.start();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"malformed JSON"}]}');
        return;
      }
      apollo
        .executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: '', body }, context: async () => ({}) })
        .then(async (answer) => {
          for (const [name, value] of answer.headers) res.setHeader(name, value);
          res.statusCode = answer.status ?? 200;
          if (answer.body.kind === 'complete') {
            res.end(answer.body.string);
            return;
          }
          for await (const chunk of answer.body.asyncIterator) res.write(chunk);
          res.end();
        })
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: String(err) }] }));
          else res.destroy();
        });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
  const stop = (): void => {
    server.closeAllConnections();
    server.close();
    Promise.all([apollo.stop(), fanout.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  acceptProfilerCommands(process.stdin);
}

runAsChild().catch((err: unknown) => {
  process.stderr.write(`apollo-floor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
