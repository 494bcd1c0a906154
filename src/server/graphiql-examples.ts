/**
 * The example operations under `examples/`: how one file is read, which credentials it runs with, and how
 * the ids its variables ask for are filled in. Shared by the GraphiQL page (bundled for the browser), the
 * server that serves it and the test that runs every example, so all three read the files the same way.
 * Browser-safe: no Node modules here.
 *
 * An example is `examples/<name>.graphql` holding one named operation, optionally with
 * `examples/<name>.variables.json`. The file opens with a comment that says what the example shows and
 * what it needs, in lines the parser checks:
 *
 *   # Token: user      the demo person's development token (or `admin`: the development admin token)
 *   # Header: X-Vrm-Authorization   the person's own VRM access token (only when the example needs it)
 *   # Variables: …     required when the operation declares variables
 *
 * A variables value may be the placeholder `"{{userByEmail <email>}}"`: the User id of that person, looked
 * up with `userByEmail` (with the example's own credentials) before the example is shown or run, because
 * the gateway's person ids are minted when a person is first linked and cannot be written down in advance.
 */
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

/** Which development token an example runs with. */
export type ExampleToken = 'user' | 'admin';

export interface Example {
  /** The file name without `.graphql`, e.g. `01-person`; examples are shown in the order of these names. */
  name: string;
  /** The operation's name: the GraphiQL tab's title. */
  operationName: string;
  kind: 'query' | 'mutation';
  /** The whole file, leading comment included: what the GraphiQL tab shows. */
  source: string;
  /** The leading comment without the `#` marks: what the example shows and needs. */
  description: string;
  /** The variables file's text, or undefined when the operation declares no variables. */
  variables?: string;
  token: ExampleToken;
  /** Whether the example needs the person's own VRM token in `X-Vrm-Authorization`. */
  vrm: boolean;
}

/** The development credentials examples run with; each is optional (production has none). */
export interface ExampleCredentials {
  /** Development admin token (`Authorization: Bearer …`). */
  admin?: string;
  /** Development token of the demo person the `user` examples act as. */
  user?: string;
  /** That person's own VRM access token, sent as `X-Vrm-Authorization: Token …`. */
  vrm?: string;
}

export class ExampleError extends Error {
  constructor(name: string, problem: string) {
    super(`examples/${name}.graphql: ${problem}`);
    this.name = 'ExampleError';
  }
}

/** Headers an example may declare it needs, beyond Authorization. */
const KNOWN_HEADERS = ['X-Vrm-Authorization'] as const;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function leadingComment(source: string): string[] {
  const lines: string[] = [];
  for (const line of source.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('#')) break;
    lines.push(trimmed.replace(/^#\s?/, ''));
  }
  return lines;
}

function onlyOperation(name: string, source: string): OperationDefinitionNode {
  let document;
  try {
    document = parse(source);
  } catch (err) {
    throw new ExampleError(name, `is not a GraphQL document: ${messageOf(err)}`);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || document.definitions.length !== operations.length) {
    throw new ExampleError(name, `must hold exactly one operation and nothing else, but holds ${document.definitions.length} definitions (${operations.length} operations)`);
  }
  const operation = operations[0]!;
  if (!operation.name) throw new ExampleError(name, 'the operation must be named: its name is the GraphiQL tab title');
  if (operation.operation === 'subscription') throw new ExampleError(name, 'subscriptions are not served by the gateway; expected a query or a mutation');
  return operation;
}

function parseVariables(name: string, operation: OperationDefinitionNode, variables: string | undefined): void {
  const declared = operation.variableDefinitions ?? [];
  if (declared.length === 0) {
    if (variables !== undefined) throw new ExampleError(name, `has a variables file, but ${operation.name!.value} declares no variables`);
    return;
  }
  if (variables === undefined) {
    throw new ExampleError(name, `${operation.name!.value} declares variables; expected examples/${name}.variables.json with their default values`);
  }
  let values: unknown;
  try {
    values = JSON.parse(variables);
  } catch (err) {
    throw new ExampleError(name, `examples/${name}.variables.json is not JSON: ${messageOf(err)}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ExampleError(name, `examples/${name}.variables.json must hold a JSON object, but holds ${Array.isArray(values) ? 'an array' : typeof values}`);
  }
  const names = declared.map((d) => d.variable.name.value);
  const unknown = Object.keys(values).filter((k) => !names.includes(k));
  if (unknown.length > 0) throw new ExampleError(name, `examples/${name}.variables.json sets ${unknown.join(', ')}, which the operation does not declare (it declares ${names.join(', ')})`);
  const missing = declared
    .filter((d) => d.type.kind === Kind.NON_NULL_TYPE && !d.defaultValue && !(d.variable.name.value in values))
    .map((d) => d.variable.name.value);
  if (missing.length > 0) throw new ExampleError(name, `examples/${name}.variables.json must give the required variables ${missing.join(', ')}`);
}

/** Reads one example; throws an ExampleError that names the file and the rule it breaks. */
export function parseExample(name: string, source: string, variables?: string): Example {
  const operation = onlyOperation(name, source);
  const comment = leadingComment(source);
  const field = (label: string): string[] =>
    comment.filter((l) => l.toLowerCase().startsWith(`${label.toLowerCase()}:`)).map((l) => l.slice(label.length + 1).trim());

  const tokens = field('Token');
  const tokenWord = tokens.length === 1 ? /^(user|admin)\b/.exec(tokens[0]!)?.[1] : undefined;
  if (tokenWord !== 'user' && tokenWord !== 'admin') {
    throw new ExampleError(name, `the leading comment must have one "# Token: user" or "# Token: admin" line, but has ${tokens.length === 0 ? 'none' : tokens.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  const headers = field('Header').map((h) => /^[A-Za-z0-9-]+/.exec(h)?.[0] ?? h);
  for (const h of headers) {
    if (!KNOWN_HEADERS.some((k) => k.toLowerCase() === h.toLowerCase())) {
      throw new ExampleError(name, `"# Header: ${h}" is not a header the examples know how to fill; expected one of ${KNOWN_HEADERS.join(', ')}`);
    }
  }
  const declaresVariables = (operation.variableDefinitions ?? []).length > 0;
  if (declaresVariables && field('Variables').length === 0) {
    throw new ExampleError(name, 'the operation declares variables, so the leading comment must say what they are in a "# Variables:" line');
  }
  const description = comment.filter((l) => !/^(token|header|variables):/i.test(l)).join('\n').trim();
  if (description === '') throw new ExampleError(name, 'must open with a comment that says what the example shows');
  parseVariables(name, operation, variables);

  return {
    name,
    operationName: operation.name!.value,
    kind: operation.operation === 'mutation' ? 'mutation' : 'query',
    source,
    description,
    variables,
    token: tokenWord,
    vrm: headers.length > 0,
  };
}

/**
 * What a VRM example's `X-Vrm-Authorization` holds when there is no development VRM token (VRM_URL set, or
 * no development tokens at all): the header stays, saying what goes there. The GraphiQL page sends the VRM
 * token of its Token dialog in its place, or leaves the header out when none is set (`withPageCredentials`).
 */
export const VRM_TOKEN_PLACEHOLDER = 'Token <your own VRM access token: paste it here, or set it once under Token>';

/** The Authorization an example runs with, given the development credentials there are. */
function bearerFor(example: Example, credentials: ExampleCredentials): Record<string, string> {
  // Without the token the example asks for, the other one still lets it run (or fail with a clear error).
  const bearer = example.token === 'user' ? credentials.user ?? credentials.admin : credentials.admin ?? credentials.user;
  return bearer ? { Authorization: `Bearer ${bearer}` } : {};
}

/**
 * The request headers an example runs with, given the development credentials there are. A VRM example
 * always has its `X-Vrm-Authorization`: the development VRM token, or `VRM_TOKEN_PLACEHOLDER`.
 */
export function headersFor(example: Example, credentials: ExampleCredentials): Record<string, string> {
  const headers = bearerFor(example, credentials);
  if (example.vrm) headers['X-Vrm-Authorization'] = credentials.vrm ? `Token ${credentials.vrm}` : VRM_TOKEN_PLACEHOLDER;
  return headers;
}

/** The credentials a person sets once in the GraphiQL page, for every tab (kept in the browser). */
export interface PageCredentials {
  /** The gateway JWT, with or without its `Bearer ` prefix. */
  token?: string;
  /** Their own VRM access token, with or without its `Token ` prefix. */
  vrmToken?: string;
}

/**
 * The headers a GraphiQL request goes out with: the tab's own, plus `Authorization: Bearer <token>` when the
 * tab sets none (a tab's own Authorization wins), and `VRM_TOKEN_PLACEHOLDER` replaced by the page's VRM
 * token, or left out when there is none (the VRM fields then say that they need one; the rest answers).
 */
export function withPageCredentials(headers: Readonly<Record<string, unknown>>, page: PageCredentials): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    if (value.trim() === VRM_TOKEN_PLACEHOLDER) {
      const vrm = page.vrmToken?.trim().replace(/^token\s+/i, '');
      if (vrm) out[name] = `Token ${vrm}`;
      continue;
    }
    out[name] = value;
  }
  const token = page.token?.trim().replace(/^bearer\s+/i, '');
  if (token && !Object.keys(out).some((name) => name.toLowerCase() === 'authorization')) out.Authorization = `Bearer ${token}`;
  return out;
}

/**
 * How the examples are grouped in the page's Examples panel: by the first digit of the file name. The
 * first group opens as tabs; the rest wait in the panel.
 */
export const EXAMPLE_GROUPS: readonly { prefix: string; title: string }[] = [
  { prefix: '0', title: 'Reading people' },
  { prefix: '1', title: 'People: create, provision, change, delete' },
  { prefix: '2', title: 'ev.energy preferences and payouts' },
  { prefix: '3', title: 'Time-tracking team members' },
  { prefix: '4', title: 'VRM tokens and sites (your own VRM token)' },
];

/** The title of the group an example belongs to (`More` for a file name no group claims). */
export function groupOf(example: Pick<Example, 'name'>): string {
  return EXAMPLE_GROUPS.find((g) => example.name.startsWith(g.prefix))?.title ?? 'More';
}

/** The examples the page opens as tabs: the first group (reads, safe to run in any deployment). */
export function isStarter(example: Pick<Example, 'name'>): boolean {
  return example.name.startsWith(EXAMPLE_GROUPS[0]!.prefix);
}

const PLACEHOLDER = /"\{\{userByEmail ([^"\s{}]+)\}\}"/g;

/** The emails whose User ids the variables ask for, in order of first appearance. */
export function placeholdersOf(variables: string | undefined): string[] {
  if (variables === undefined) return [];
  return [...new Set([...variables.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** How every explained placeholder's value starts (`explainPlaceholders`). */
export const UNRESOLVED_ID = '<a User id:';

/**
 * Replaces each placeholder left unresolved by a value that says what to put there: the page had no
 * token to look the person up with (`no-token`), or the lookup found no one this token may see (`not-found`).
 */
export function explainPlaceholders(variables: string, why: 'no-token' | 'not-found'): string {
  return variables.replace(PLACEHOLDER, (_whole, email: string) =>
    JSON.stringify(
      why === 'no-token'
        ? `${UNRESOLVED_ID} set your token (Token, top right) and open this example again from Examples, or paste the User id of ${email} or of anyone>`
        : `${UNRESOLVED_ID} ${email} is not a person your token may see; paste a User id (the Users tab lists them)>`,
    ),
  );
}

/** Replaces each placeholder whose email has an id; placeholders without one stay as they are. */
export function fillPlaceholders(variables: string, ids: ReadonlyMap<string, string>): string {
  return variables.replace(PLACEHOLDER, (whole, email: string) => {
    const id = ids.get(email);
    return id === undefined ? whole : JSON.stringify(id);
  });
}

/** Executes one GraphQL request at the gateway and returns the parsed response body. */
export type ExecuteRequest = (request: { query: string; variables: Record<string, unknown>; headers: Record<string, string> }) => Promise<unknown>;

/** Reads one property of a value of unknown shape (undefined when it is not an object or lacks it). */
function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function idsFrom(body: unknown, count: number): (string | undefined)[] {
  const data = prop(body, 'data');
  return Array.from({ length: count }, (_, i) => {
    const id = prop(prop(data, `p${i}`), 'id');
    return typeof id === 'string' ? id : undefined;
  });
}

/**
 * Fills the placeholders of every example: one `userByEmail` request per distinct set of credentials,
 * asked with those credentials, so an example only sees the ids its own token may see. A lookup that
 * fails leaves its placeholders in place (the example's comment says what to put there).
 */
export async function resolvePlaceholders(
  examples: readonly Example[],
  credentials: ExampleCredentials,
  execute: ExecuteRequest,
): Promise<Example[]> {
  const groups = new Map<string, { headers: Record<string, string>; emails: Set<string> }>();
  for (const example of examples) {
    const emails = placeholdersOf(example.variables);
    if (emails.length === 0) continue;
    // userByEmail needs only the gateway token; a VRM header (or its placeholder) stays out of it.
    const headers = bearerFor(example, credentials);
    const key = JSON.stringify(headers);
    const group = groups.get(key) ?? { headers, emails: new Set<string>() };
    for (const e of emails) group.emails.add(e);
    groups.set(key, group);
  }
  const idsByGroup = new Map<string, Map<string, string>>();
  await Promise.all(
    [...groups].map(async ([key, group]) => {
      const emails = [...group.emails];
      const ids = new Map<string, string>();
      idsByGroup.set(key, ids);
      const variables = Object.fromEntries(emails.map((e, i) => [`e${i}`, e]));
      const query =
        `query ExamplePlaceholders(${emails.map((_, i) => `$e${i}: EmailAddress!`).join(', ')}) {\n` +
        emails.map((_, i) => `  p${i}: userByEmail(email: $e${i}) { id }`).join('\n') +
        '\n}';
      let body: unknown;
      try {
        body = await execute({ query, variables, headers: group.headers });
      } catch {
        return;
      }
      idsFrom(body, emails.length).forEach((id, i) => {
        if (id !== undefined) ids.set(emails[i]!, id);
      });
    }),
  );
  return examples.map((example) => {
    if (example.variables === undefined || placeholdersOf(example.variables).length === 0) return example;
    const ids = idsByGroup.get(JSON.stringify(bearerFor(example, credentials))) ?? new Map<string, string>();
    return { ...example, variables: fillPlaceholders(example.variables, ids) };
  });
}

/** What a GraphiQL tab opened from an example holds (GraphiQL's `TabDefinition`). */
export interface ExampleTab {
  query: string;
  variables?: string;
  headers?: string;
}

function headersText(headers: Record<string, string>): string | undefined {
  return Object.keys(headers).length === 0 ? undefined : JSON.stringify(headers, null, 2);
}

/**
 * The tabs the examples open as: the source; the variables with their ids looked up (with the development
 * tokens when there are any, otherwise with the page's own token) or, where that cannot be done, a value
 * that says what to put there; the headers (development tokens and the VRM header: the page's own token is
 * added to each request by the fetcher, never written into a tab).
 */
export async function tabsFor(examples: readonly Example[], credentials: ExampleCredentials, page: PageCredentials, execute: ExecuteRequest): Promise<ExampleTab[]> {
  const token = page.token?.trim().replace(/^bearer\s+/i, '');
  const lookup: ExampleCredentials | undefined = credentials.admin || credentials.user ? credentials : token ? { admin: token, user: token } : undefined;
  const resolved = lookup && examples.some((e) => placeholdersOf(e.variables).length > 0) ? await resolvePlaceholders(examples, lookup, execute) : examples;
  return resolved.map((e) => ({
    query: e.source,
    variables: e.variables === undefined ? undefined : explainPlaceholders(e.variables, lookup ? 'not-found' : 'no-token'),
    headers: headersText(headersFor(e, credentials)),
  }));
}

/** Where the page's Token dialog keeps what it was given: outside GraphiQL's namespaces, which the page prunes. */
export const CREDENTIALS_KEY = 'usergraph-credentials';

/** Every GraphiQL storage namespace starts so; the page removes namespaces other than its own. */
export const STORAGE_NAMESPACE_PREFIX = 'usergraph-graphiql-';

/** What the server hands the page in its JSON data block. */
export interface GraphiqlPageConfig {
  /** The GraphQL endpoint, relative to the page. */
  endpoint: string;
  examples: Example[];
  credentials: ExampleCredentials;
  /** localStorage namespace: changes with the examples and credentials, so stale tabs are not restored. */
  storageNamespace: string;
  /**
   * This response's CSP nonce for style elements. Dialogs lock page scrolling with a `<style>` element
   * they create at run time (react-remove-scroll); the nonce lets exactly those in and no other inline style.
   */
  styleNonce: string;
}

function isExample(value: unknown): value is Example {
  const variables = prop(value, 'variables');
  const kind = prop(value, 'kind');
  const token = prop(value, 'token');
  return (
    typeof prop(value, 'name') === 'string' &&
    typeof prop(value, 'operationName') === 'string' &&
    (kind === 'query' || kind === 'mutation') &&
    typeof prop(value, 'source') === 'string' &&
    typeof prop(value, 'description') === 'string' &&
    (variables === undefined || typeof variables === 'string') &&
    (token === 'user' || token === 'admin') &&
    typeof prop(value, 'vrm') === 'boolean'
  );
}

/** Narrows the page's data block; throws saying what was expected when it is not a page config. */
export function readPageConfig(json: string): GraphiqlPageConfig {
  const value: unknown = JSON.parse(json);
  const endpoint = prop(value, 'endpoint');
  const storageNamespace = prop(value, 'storageNamespace');
  const styleNonce = prop(value, 'styleNonce');
  const examples = prop(value, 'examples');
  const credentials = prop(value, 'credentials');
  const credential = (key: keyof ExampleCredentials): string | undefined | null => {
    const c = prop(credentials, key);
    return c === undefined || typeof c === 'string' ? c : null;
  };
  const admin = credential('admin');
  const user = credential('user');
  const vrm = credential('vrm');
  if (
    typeof endpoint !== 'string' ||
    typeof storageNamespace !== 'string' ||
    typeof styleNonce !== 'string' ||
    !Array.isArray(examples) ||
    !examples.every(isExample) ||
    typeof credentials !== 'object' ||
    admin === null ||
    user === null ||
    vrm === null
  ) {
    throw new Error(`GraphiQL page config must be an object with endpoint, storageNamespace, styleNonce, examples[] and credentials {admin?, user?, vrm?} (strings), but got: ${json.slice(0, 120)}`);
  }
  return { endpoint, storageNamespace, styleNonce, examples, credentials: { admin, user, vrm } };
}
