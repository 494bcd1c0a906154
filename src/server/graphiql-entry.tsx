/**
 * The GraphiQL page's browser code. esbuild bundles it with React, GraphiQL, the explorer plugin and their
 * styles (src/server/graphiql-build.ts), so the page loads nothing but the gateway's own files.
 *
 * The server hands the page its settings in a JSON data block (`#graphiql-config`, see
 * `GraphiqlPageConfig`): a data block is not script, so the page's Content-Security-Policy can forbid
 * inline script entirely. What the page adds to GraphiQL:
 * - **Token** (top right): the gateway token, and optionally the person's own VRM token, set once for
 *   every tab. The fetcher adds them to each request (`withPageCredentials`); a tab's own Authorization
 *   header wins. Kept in localStorage (`usergraph-credentials`) unless "Remember" is off.
 * - **Examples** (a plugin in the sidebar): every example of `examples/`, grouped; a click opens it in a
 *   tab, or switches to the tab it is already open in. The first group opens as tabs at the start.
 * - Placeholders: the ids an example's variables ask for are looked up (with the development token it runs
 *   with, or the page's token) when it opens; what cannot be looked up says what to put there.
 */
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './graphiql-page.css';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { Button, Dialog, UnStyledButton, useEditorContext, type GraphiQLPlugin } from '@graphiql/react';
import { createGraphiQLFetcher, createLocalStorage, type Fetcher } from '@graphiql/toolkit';
import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { setNonce } from 'get-nonce';
import {
  CREDENTIALS_KEY,
  EXAMPLE_GROUPS,
  groupOf,
  isStarter,
  readPageConfig,
  STORAGE_NAMESPACE_PREFIX,
  tabsFor,
  UNRESOLVED_ID,
  withPageCredentials,
  type Example,
  type ExampleCredentials,
  type ExampleTab,
  type ExecuteRequest,
  type PageCredentials,
} from './graphiql-examples';

interface SavedCredentials extends PageCredentials {
  /** Kept in localStorage (true) or for this page only. */
  remember: boolean;
}

interface CredentialStore {
  get(): SavedCredentials;
  set(next: SavedCredentials): void;
  subscribe(listener: () => void): () => void;
}

function readSaved(): SavedCredentials {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(CREDENTIALS_KEY) ?? 'null');
    const field = (key: string): string | undefined => {
      const v: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    return { token: field('token'), vrmToken: field('vrmToken'), remember: true };
  } catch {
    return { remember: true };
  }
}

function createCredentialStore(): CredentialStore {
  let current = readSaved();
  const listeners = new Set<() => void>();
  return {
    get: () => current,
    set(next) {
      current = next;
      if (next.remember && (next.token || next.vrmToken)) localStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ token: next.token, vrmToken: next.vrmToken }));
      else localStorage.removeItem(CREDENTIALS_KEY);
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * GraphiQL's storage under this page's namespace. Namespaces of earlier pages (other examples, or
 * development tokens of an earlier run) are removed: their tabs would carry tokens that no longer work.
 */
function namespacedStorage(namespace: string): ReturnType<typeof createLocalStorage> {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(STORAGE_NAMESPACE_PREFIX) && !key.startsWith(`${namespace}:`)) localStorage.removeItem(key);
  }
  return createLocalStorage({ namespace });
}

/** Reads one property of a value of unknown shape. */
function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

type TokenCheck = { state: 'idle' } | { state: 'checking' } | { state: 'ok'; text: string } | { state: 'refused'; text: string };

/** Asks the gateway whom the token belongs to; its own words when it refuses (they never carry upstream text). */
async function checkToken(execute: ExecuteRequest, token: string): Promise<TokenCheck> {
  try {
    const body = await execute({ query: 'query TokenCheck { me { email } }', variables: {}, headers: withPageCredentials({}, { token }) });
    const email = prop(prop(prop(body, 'data'), 'me'), 'email');
    if (typeof email === 'string') return { state: 'ok', text: `Signed in as ${email}.` };
    const errors = prop(body, 'errors');
    const message = Array.isArray(errors) ? prop(errors[0], 'message') : undefined;
    if (typeof message === 'string') return { state: 'refused', text: `The gateway refused this token: ${message}` };
    return { state: 'ok', text: 'Accepted; the token belongs to no person the gateway knows yet.' };
  } catch {
    return { state: 'refused', text: 'The gateway could not be reached to check the token.' };
  }
}

function KeyIcon(): JSX.Element {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" className="usergraph-icon">
      <circle cx="8" cy="15" r="4" fill="none" stroke="currentColor" strokeWidth="1.8" />
      <path d="M11 12l8-8M16 7l2 2M14 9l2 2" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}

function ExamplesIcon(): JSX.Element {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M4 5h3M4 12h3M4 19h3M10 5h10M10 12h10M10 19h10" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    </svg>
  );
}

/** The Token button (in GraphiQL's top bar) and its dialog. */
function TokenControl({ store, execute, devTokens }: { store: CredentialStore; execute: ExecuteRequest; devTokens: boolean }): JSX.Element {
  const saved = useSyncExternalStore(store.subscribe, store.get);
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState('');
  const [vrmToken, setVrmToken] = useState('');
  const [remember, setRemember] = useState(true);
  const [check, setCheck] = useState<TokenCheck>({ state: 'idle' });

  const openDialog = (next: boolean): void => {
    if (next) {
      setToken(saved.token ?? '');
      setVrmToken(saved.vrmToken ?? '');
      setRemember(saved.remember);
      setCheck({ state: 'idle' });
    }
    setOpen(next);
  };
  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const next = { token: token.trim() || undefined, vrmToken: vrmToken.trim() || undefined, remember };
    store.set(next);
    if (!next.token) {
      setCheck({ state: 'ok', text: 'Saved without a gateway token: requests go out anonymous unless a tab sets its own.' });
      return;
    }
    setCheck({ state: 'checking' });
    setCheck(await checkToken(execute, next.token));
  };
  const forget = (): void => {
    store.set({ remember });
    setToken('');
    setVrmToken('');
    setCheck({ state: 'ok', text: 'Forgotten: nothing is kept in this browser.' });
  };

  return (
    <>
      {/* Without development tokens nothing works before a token is set: the button says so until then. */}
      <UnStyledButton
        type="button"
        className={`usergraph-token-button${saved.token || devTokens ? ' is-set' : ''}`}
        onClick={() => openDialog(true)}
        aria-label={saved.token ? 'Token (set)' : devTokens ? 'Token' : 'Set token'}
      >
        <KeyIcon />
        {saved.token ? 'Token set' : devTokens ? 'Token' : 'Set token'}
      </UnStyledButton>
      <Dialog open={open} onOpenChange={openDialog}>
        <div className="graphiql-dialog-header">
          <Dialog.Title className="graphiql-dialog-title">Token</Dialog.Title>
          <Dialog.Close />
        </div>
        <form className="usergraph-token-form" onSubmit={(e) => void save(e)}>
          <div className="graphiql-dialog-section">
            <Dialog.Description className="graphiql-dialog-section-caption">
              Set once, sent by every tab: as <code>Authorization: Bearer …</code> unless a tab&apos;s Headers set their own Authorization
              {devTokens ? ' (the example tabs carry the development tokens)' : ''}.
            </Dialog.Description>
          </div>
          <div className="graphiql-dialog-section usergraph-field">
            <label htmlFor="usergraph-token">Gateway token (JWT)</label>
            <input id="usergraph-token" name="token" type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} placeholder="eyJ…" />
          </div>
          <div className="graphiql-dialog-section usergraph-field">
            <label htmlFor="usergraph-vrm-token">Your own VRM access token (optional)</label>
            <input id="usergraph-vrm-token" name="vrmToken" type="password" autoComplete="off" spellCheck={false} value={vrmToken} onChange={(e) => setVrmToken(e.target.value)} />
            <div className="graphiql-dialog-section-caption">
              Sent as <code>X-Vrm-Authorization: Token …</code> by the tabs whose Headers ask for it (the VRM examples).
            </div>
          </div>
          <div className="graphiql-dialog-section usergraph-field">
            <label className="usergraph-remember">
              <input name="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember in this browser (localStorage)
            </label>
            <div className="usergraph-actions">
              <Button type="submit">Save</Button>
              <Button type="button" onClick={forget}>
                Forget
              </Button>
            </div>
          </div>
          {check.state !== 'idle' && (
            <div className={`graphiql-dialog-section usergraph-check is-${check.state}`} role="status">
              {check.state === 'checking' ? 'Checking the token…' : check.text}
            </div>
          )}
        </form>
      </Dialog>
    </>
  );
}

/** The Examples plugin: every example, grouped; a click opens it in a tab (or switches to it). */
function examplesPlugin(examples: readonly Example[], prepare: (example: Example) => Promise<ExampleTab>): GraphiQLPlugin {
  function ExamplesPanel(): JSX.Element {
    const editor = useEditorContext({ nonNull: true });
    // What the editors must show once GraphiQL has switched to (or created) the tab.
    const pending = useRef<ExampleTab | null>(null);
    const [busy, setBusy] = useState<string | null>(null);

    useEffect(() => {
      const want = pending.current;
      const active = editor.tabs[editor.activeTabIndex];
      if (!want || !active || active.query !== want.query) return;
      pending.current = null;
      if (editor.queryEditor && editor.queryEditor.getValue() !== want.query) editor.queryEditor.setValue(want.query);
      if (editor.variableEditor && editor.variableEditor.getValue() !== (want.variables ?? '')) editor.variableEditor.setValue(want.variables ?? '');
      if (editor.headerEditor && editor.headerEditor.getValue() !== (want.headers ?? '')) editor.headerEditor.setValue(want.headers ?? '');
    }, [editor.tabs, editor.activeTabIndex, editor.queryEditor, editor.variableEditor, editor.headerEditor]);

    const open = async (example: Example): Promise<void> => {
      setBusy(example.name);
      try {
        const tab = await prepare(example);
        const existing = editor.tabs.findIndex((t) => t.title === example.operationName);
        if (existing >= 0) {
          editor.changeTab(existing);
          // A tab still waiting for an id gets it now, if there is one to give.
          const current = editor.tabs[existing]!;
          if (current.variables?.includes(UNRESOLVED_ID) && tab.variables && !tab.variables.includes(UNRESOLVED_ID)) {
            editor.updateActiveTabValues({ variables: tab.variables });
            pending.current = { query: current.query ?? '', variables: tab.variables, headers: current.headers ?? undefined };
          }
          return;
        }
        editor.addTab();
        editor.updateActiveTabValues({ query: tab.query, variables: tab.variables ?? null, headers: tab.headers ?? null });
        pending.current = tab;
      } finally {
        setBusy(null);
      }
    };

    const groups = EXAMPLE_GROUPS.map((g) => g.title).concat('More');
    return (
      <section className="usergraph-examples" aria-label="Examples">
        <div className="graphiql-doc-explorer-title">Examples</div>
        <p className="usergraph-examples-intro">Each opens in a tab of its own, or switches to the tab it is open in. The comment at its top says what it shows and needs.</p>
        {groups.map((title) => {
          const members = examples.filter((e) => groupOf(e) === title);
          if (members.length === 0) return null;
          return (
            <div key={title} className="usergraph-example-group">
              <h3>{title}</h3>
              <ul>
                {members.map((e) => (
                  <li key={e.name}>
                    <UnStyledButton type="button" className="usergraph-example" data-example={e.name} disabled={busy === e.name} onClick={() => void open(e)}>
                      <span className="usergraph-example-name">{e.operationName}</span>
                      <span className="usergraph-example-tags">
                        {e.kind === 'mutation' ? <span className="usergraph-tag is-mutation">mutation</span> : null}
                        {e.token === 'admin' ? <span className="usergraph-tag">admin</span> : null}
                        {e.vrm ? <span className="usergraph-tag">VRM token</span> : null}
                      </span>
                      <span className="usergraph-example-description">{firstSentence(e.description)}</span>
                    </UnStyledButton>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </section>
    );
  }
  return { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/\.(\s|$)/);
  return end >= 0 ? flat.slice(0, end + 1) : flat;
}

const NEW_TAB_QUERY = '# Write an operation here, or open one from Examples (the list icon on the left).\n';

async function main(): Promise<void> {
  const dataBlock = document.getElementById('graphiql-config');
  const root = document.getElementById('graphiql');
  if (!dataBlock?.textContent || !root) throw new Error('The GraphiQL page must contain #graphiql-config (JSON) and #graphiql; one is missing');
  const config = readPageConfig(dataBlock.textContent);
  // get-nonce is where react-style-singleton (under GraphiQL's dialogs) reads the nonce for its <style>.
  setNonce(config.styleNonce);
  const endpoint = new URL(config.endpoint, document.baseURI).toString();
  const store = createCredentialStore();

  const execute: ExecuteRequest = async ({ query, variables, headers }) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  const credentials: ExampleCredentials = config.credentials;
  const devTokens = Boolean(credentials.admin || credentials.user);
  const prepare = async (example: Example): Promise<ExampleTab> => (await tabsFor([example], credentials, store.get(), execute))[0]!;

  const starters = config.examples.filter(isStarter);
  const tabs = await tabsFor(starters, credentials, store.get(), execute);
  const storage = namespacedStorage(config.storageNamespace);
  // GraphiQL 4 fills the editors it opens with from the `variables`/`headers` props (or what it stored last
  // time), not from the first tab: on a fresh start, hand it the first tab's own.
  const first = storage.length === 0 ? tabs[0] : undefined;
  const inner = createGraphiQLFetcher({ url: endpoint, enableIncrementalDelivery: false });
  // Every request (the schema's introspection too) carries the Token dialog's credentials.
  const fetcher: Fetcher = (params, opts) => inner(params, { ...opts, headers: withPageCredentials(opts?.headers ?? {}, store.get()) });
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      storage={storage}
      // GraphiQL needs at least one tab: without examples it opens its own empty one.
      defaultTabs={tabs.length > 0 ? tabs : undefined}
      defaultQuery={NEW_TAB_QUERY}
      variables={first?.variables}
      headers={first?.headers}
      defaultHeaders={credentials.admin ? JSON.stringify({ Authorization: `Bearer ${credentials.admin}` }, null, 2) : undefined}
      // Tab headers are kept across reloads (GraphiQL's "Persist headers" setting, which the user may turn
      // off): development tabs carry their development tokens, the others only what a tab asks for (the VRM
      // header's placeholder), since tokens go in the Token dialog, not in the tabs.
      shouldPersistHeaders={true}
      defaultEditorToolsVisibility={true}
      // The documentation and history come with GraphiQL; the examples and the explorer are added.
      // (`visiblePlugin` is left out: GraphiQL 4 renders its pane hidden on the first render anyway.)
      plugins={[examplesPlugin(config.examples, prepare), explorerPlugin()]}
    >
      <GraphiQL.Logo>
        <span className="usergraph-logo">
          <TokenControl store={store} execute={execute} devTokens={devTokens} />
          <span className="usergraph-name">usergraph</span>
        </span>
      </GraphiQL.Logo>
    </GraphiQL>,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  const root = document.getElementById('graphiql') ?? document.body;
  const box = document.createElement('pre');
  box.className = 'graphiql-load-error';
  box.textContent = `GraphiQL could not start: ${message}`;
  root.replaceChildren(box);
});
