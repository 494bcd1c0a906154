/**
 * The GraphiQL page's browser code. esbuild bundles it with React, GraphiQL, the explorer plugin and their
 * styles (src/server/graphiql-build.ts), so the page loads nothing but the gateway's own files.
 *
 * The server hands the page its settings in a JSON data block (`#graphiql-config`, see
 * `GraphiqlPageConfig`): a data block is not script, so the page's Content-Security-Policy can forbid
 * inline script entirely. Each example operation becomes a tab with the headers it needs; the ids its
 * variables ask for are looked up before the tabs are shown.
 */
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './graphiql-page.css';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher, createLocalStorage } from '@graphiql/toolkit';
import { createRoot } from 'react-dom/client';
import { setNonce } from 'get-nonce';
import { headersFor, readPageConfig, resolvePlaceholders, STORAGE_NAMESPACE_PREFIX, type ExecuteRequest } from './graphiql-examples';

const explorer = explorerPlugin();

function headersText(headers: Record<string, string>): string | undefined {
  return Object.keys(headers).length === 0 ? undefined : JSON.stringify(headers, null, 2);
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

async function main(): Promise<void> {
  const dataBlock = document.getElementById('graphiql-config');
  const root = document.getElementById('graphiql');
  if (!dataBlock?.textContent || !root) throw new Error('The GraphiQL page must contain #graphiql-config (JSON) and #graphiql; one is missing');
  const config = readPageConfig(dataBlock.textContent);
  // get-nonce is where react-style-singleton (under GraphiQL's dialogs) reads the nonce for its <style>.
  setNonce(config.styleNonce);
  const endpoint = new URL(config.endpoint, document.baseURI).toString();

  const execute: ExecuteRequest = async ({ query, variables, headers }) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  const { credentials } = config;
  const hasCredentials = Boolean(credentials.admin || credentials.user);
  // Without development tokens the lookups could only fail; the placeholders stay and the comments explain.
  const examples = hasCredentials ? await resolvePlaceholders(config.examples, credentials, execute) : config.examples;

  const tabs = examples.map((e) => ({ query: e.source, variables: e.variables, headers: headersText(headersFor(e, credentials)) }));
  const storage = namespacedStorage(config.storageNamespace);
  // GraphiQL 4 fills the editors it opens with from the `variables`/`headers` props (or what it stored last
  // time), not from the first tab: on a fresh start, hand it the first tab's own.
  const first = storage.length === 0 ? tabs[0] : undefined;
  const fetcher = createGraphiQLFetcher({ url: endpoint, enableIncrementalDelivery: false });
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      storage={storage}
      // GraphiQL needs at least one tab: without examples it opens its own empty one.
      defaultTabs={tabs.length > 0 ? tabs : undefined}
      variables={first?.variables}
      headers={first?.headers}
      defaultHeaders={credentials.admin ? headersText({ Authorization: `Bearer ${credentials.admin}` }) : undefined}
      // Each example tab carries its own development token; keep them across reloads (development only:
      // without development credentials the page has none, and GraphiQL's default, not persisting, applies).
      shouldPersistHeaders={hasCredentials}
      defaultEditorToolsVisibility={true}
      // The documentation and history come with GraphiQL; the explorer is added. (`visiblePlugin` is left
      // out: GraphiQL 4 renders its pane hidden on the first render anyway, so its button would need two clicks.)
      plugins={[explorer]}
    />,
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
