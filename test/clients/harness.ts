/**
 * What the client suites share: a gateway with the embedded defaults (as test/examples.test.ts starts
 * it), the examples with their placeholders filled, the credentials each example runs with, a console
 * that fails the test on any warning a client library prints, and a fetch that records what was sent.
 */
import { personalTokenFor } from '../../src/emulators/vrm/seed';
import { loadExamples } from '../../src/server/graphiql';
import { resolvePlaceholders, type Example, type ExampleCredentials } from '../../src/server/graphiql-examples';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

export interface ClientEnv {
  env: TestGateway;
  credentials: Required<ExampleCredentials>;
  examples: Example[];
}

export async function startClientEnv(): Promise<ClientEnv> {
  const env = await startTestGateway({ people: 200 });
  const person = env.population.people[0]!;
  const credentials = { admin: env.adminToken, user: await env.tokenFor(person), vrm: personalTokenFor(env.population.seed, person.index) };
  const examples = await resolvePlaceholders(await loadExamples(), credentials, async ({ query, variables, headers }) => {
    const res = await fetch(`${env.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return res.json();
  });
  return { env, credentials, examples };
}

const LEVELS = ['debug', 'info', 'log', 'warn', 'error'] as const;

/** Records everything printed through `console` from now on; `printed()` lists it, `restore()` ends it. */
export function captureConsole(): { printed(): string[]; clear(): void; restore(): void } {
  const lines: string[] = [];
  const spies = LEVELS.map((level) => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
    lines.push(`console.${level}: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
  }));
  return {
    printed: () => [...lines],
    clear: () => void lines.splice(0),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

/**
 * For a describe block whose client must print nothing: the console is captured from its first test on
 * (after the block's own beforeAll hooks declared before this call), every test fails on anything printed,
 * and the console is restored after the block.
 */
export function expectSilentConsole(): void {
  let console_: ReturnType<typeof captureConsole> | undefined;
  beforeAll(() => {
    console_ = captureConsole();
  });
  afterEach(() => {
    expect(console_!.printed()).toEqual([]);
    console_!.clear();
  });
  afterAll(() => console_?.restore());
}

export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
  status: number;
}

/** A fetch that records each request it sends (and the response's status), for a client's `fetch` option. */
export function recordingFetch(): { fetch: typeof fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === 'POST' ? await request.clone().text() : '';
    const response = await fetch(request);
    sent.push({ method: request.method, url: new URL(request.url), headers: request.headers, body: text ? JSON.parse(text) : undefined, status: response.status });
    return response;
  };
  return { fetch: recording, sent };
}
