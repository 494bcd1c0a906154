/**
 * `usergraph sync` / `npm run sync`: links the accounts of every configured upstream into the registry.
 * `usergraph sync --report` links nothing: it lists the persons whose links disagree with the upstreams'
 * emails (checkLinks in sync.ts), exits 1 when there is any (or an upstream could not be read).
 * Upstreams without a URL are expected at their emulator's fixed port (run `npm start` or
 * `npm run emulators` first). Prints progress to stderr (unless quiet) and the report to stdout; exits 1
 * when an upstream could not be read, 0 otherwise (conflicts are reported, not failures).
 */
import { loadConfig, type Config } from '../config';
import { UPSTREAM_NAMES, UnreachableCaseError, type UpstreamName } from '../errors';
import { BASE_PATHS, EMULATOR_PORTS } from '../contracts/dev-defaults';
import { createUpstreams, type Upstreams } from '../upstreams';
import { openRegistry, type Registry } from '.';
import { checkLinks, sync, type LinkCheckReport, type SyncConflict, type SyncProgress, type SyncReport } from './sync';

function describeConflict(c: SyncConflict): string {
  switch (c.kind) {
    case 'DUPLICATE_EMAIL':
      return `${c.upstream}: ${c.email} is on ${c.accountIds.length} accounts (${c.accountIds.join(', ')}); linked none of them`;
    case 'EMAIL_CHANGED':
      return `${c.upstream}: account ${c.accountId} now has ${c.upstreamEmail} but is linked to person ${c.linkedPersonId} (${c.linkedEmail}); link kept`;
    case 'PERSON_HAS_OTHER_ACCOUNT':
      return `${c.upstream}: person ${c.personId} is linked to account ${c.existingAccountId}, not ${c.accountId}; link kept`;
    case 'ACCOUNT_LINKED_TO_OTHER_PERSON':
      return `${c.upstream}: account ${c.accountId} is linked to person ${c.linkedPersonId}, not ${c.personId}; link kept`;
    default:
      throw new UnreachableCaseError(c);
  }
}

/** The report as people read it: counts per upstream, then every conflict, skip and failure on its own line. */
export function formatReport(report: SyncReport): string {
  const per = (r: Partial<Record<UpstreamName, number>>): string =>
    UPSTREAM_NAMES.filter((u) => r[u] !== undefined).map((u) => `${u} ${r[u]}`).join(', ') || 'none';
  const lines = [
    `scanned: ${per(report.scanned)} (vrm has no user list: a VRM account is linked when its owner calls with their own VRM token)`,
    `linked:  ${per(report.linked)} (${report.alreadyLinked} already linked, ${report.peopleCreated} people created)`,
    `conflicts: ${report.conflicts.length}`,
    ...report.conflicts.map((c) => `  ${describeConflict(c)}`),
  ];
  if (report.skipped.length > 0) {
    lines.push(`skipped: ${report.skipped.length}`);
    for (const s of report.skipped) lines.push(`  ${s.upstream}: account ${s.accountId} ${s.reason === 'NO_EMAIL' ? 'has no email' : 'has no valid email address'}`);
  }
  for (const f of report.failures) lines.push(`failed: ${f.upstream}: ${f.code}: ${f.message}`);
  return lines.join('\n');
}

/** The link check as people read it: one line per disagreeing link, then what could not be checked. */
export function formatLinkCheck(report: LinkCheckReport): string {
  const lines = [`checked: ${report.people} people, ${report.links} links`, `disagreements: ${report.disagreements.length}`];
  for (const d of report.disagreements) {
    const now = d.upstreamEmail === null ? 'no longer exists upstream' : `has ${d.upstreamEmail}`;
    lines.push(`  person ${d.personId} (${d.email}): ${d.upstream} account ${d.accountId} ${now}`);
  }
  for (const u of report.unchecked) lines.push(`unchecked: ${u.upstream}: ${u.links} links (${u.reason})`);
  for (const f of report.failures) lines.push(`failed: ${f.upstream}: ${f.code}: ${f.message}`);
  return lines.join('\n');
}

export function formatProgress(p: SyncProgress): string {
  const what = p.phase === 'scan' ? `reading ${p.upstream ?? 'an upstream'} users` : p.phase === 'identity' ? 'looking emails up in identity' : 'linking';
  const count = p.total === undefined ? `${p.done}` : `${p.done}/${p.total}`;
  return `sync: ${what} ${count}${p.total !== undefined && p.done === p.total ? ' done' : ''}`;
}

/**
 * A progress sink for long runs: prints the end of every phase, and in between at most one line per
 * `intervalMs`, so a run over 100,000 people shows it is alive without flooding the terminal.
 */
export function createProgressPrinter(write: (line: string) => void, options: { intervalMs?: number; now?: () => number } = {}): (p: SyncProgress) => void {
  const interval = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  return (p) => {
    const finished = p.total !== undefined && p.done === p.total;
    const t = now();
    if (!finished && t - last < interval) return;
    last = t;
    write(formatProgress(p));
  };
}

export interface RunSyncOptions {
  /** No progress lines. */
  quiet?: boolean;
  /** Only list the persons whose links disagree with the upstreams' emails; change nothing. */
  report?: boolean;
  /** Where the configuration comes from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export async function runSyncCommand(options: RunSyncOptions = {}): Promise<number> {
  const config = loadConfig(options.env);
  const stdout = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => void process.stderr.write(text));
  const urls: Record<UpstreamName, string> = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
  const tokens: Record<UpstreamName, string> = { identity: '', evenergy: '', vrm: '', podero: '', timesheet: '' };
  for (const u of UPSTREAM_NAMES) {
    urls[u] = config.upstreams[u].url ?? `http://127.0.0.1:${EMULATOR_PORTS[u]}${BASE_PATHS[u]}`;
    tokens[u] = config.upstreams[u].token;
  }
  const registry = await openRegistry({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, pool: config.databasePool });
  try {
    if (options.report) {
      const checked = await withClients(config, urls, tokens, (upstreams) => checkLinks({ registry, upstreams, concurrency: config.upstreamConcurrency }));
      stdout(`${formatLinkCheck(checked)}\n`);
      return checked.failures.length > 0 || checked.disagreements.length > 0 ? 1 : 0;
    }
    const report = await syncUpstreams(config, registry, urls, tokens, options.quiet ? undefined : createProgressPrinter((line) => stderr(`${line}\n`)));
    stdout(`${formatReport(report)}\n`);
    return report.failures.length > 0 ? 1 : 0;
  } finally {
    await registry.close();
  }
}

/** One sync of the configured upstreams into `registry`, with clients of its own that it closes again. */
export function syncUpstreams(
  config: Config,
  registry: Registry,
  urls: Record<UpstreamName, string>,
  tokens: Record<UpstreamName, string>,
  onProgress?: (p: SyncProgress) => void,
): Promise<SyncReport> {
  return withClients(config, urls, tokens, (upstreams) => sync({ registry, upstreams, concurrency: config.upstreamConcurrency, onProgress }));
}

/** Runs `fn` with upstream clients of its own, closed again after. */
async function withClients<T>(config: Config, urls: Record<UpstreamName, string>, tokens: Record<UpstreamName, string>, fn: (upstreams: Upstreams) => Promise<T>): Promise<T> {
  const upstreams = createUpstreams({
    urls,
    tokens,
    poderoOrgId: config.poderoOrgId,
    client: { headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs, connections: config.upstreamConnections },
  });
  try {
    return await fn(upstreams);
  } finally {
    await upstreams.close();
  }
}
