/**
 * `usergraph sync` / `npm run sync`: links the accounts of every configured upstream into the registry.
 * Upstreams without a URL are expected at their emulator's fixed port (run `npm start` or
 * `npm run emulators` first). Prints progress to stderr and the report to stdout; exits 1 when an
 * upstream could not be read, 0 otherwise (conflicts are reported, not failures).
 */
import { loadConfig } from '../config';
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { BASE_PATHS, EMULATOR_PORTS } from '../emulators/defaults';
import { createUpstreams } from '../upstreams';
import { openRegistry } from '.';
import { sync, type SyncReport } from './sync';

export function formatReport(report: SyncReport): string {
  const lines: string[] = [];
  const per = (r: Partial<Record<UpstreamName, number>>): string => UPSTREAM_NAMES.filter((u) => r[u] !== undefined).map((u) => `${u} ${r[u]}`).join(', ') || 'none';
  lines.push(`scanned: ${per(report.scanned)}`);
  lines.push(`linked:  ${per(report.linked)} (${report.alreadyLinked} already linked, ${report.peopleCreated} people created)`);
  lines.push(`conflicts: ${report.conflicts.length}`);
  for (const c of report.conflicts) {
    if (c.kind === 'DUPLICATE_EMAIL') lines.push(`  ${c.upstream}: ${c.email} is on ${c.accountIds.length} accounts (${c.accountIds.join(', ')}); none linked`);
    else if (c.kind === 'EMAIL_CHANGED') lines.push(`  ${c.upstream}: account ${c.accountId} now has ${c.upstreamEmail} but is linked to person ${c.linkedPersonId}${c.linkedEmail ? ` (${c.linkedEmail})` : ''}; link kept`);
    else lines.push(`  ${c.upstream}: person ${c.personId} is linked to account ${c.existingAccountId}, not ${c.accountId}; link kept`);
  }
  for (const f of report.failures) lines.push(`failed: ${f.upstream}: ${f.code}: ${f.message}`);
  return lines.join('\n');
}

export async function runSyncCommand(options: { quiet?: boolean } = {}): Promise<number> {
  const config = loadConfig();
  const urls = Object.fromEntries(
    UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].url ?? `http://127.0.0.1:${EMULATOR_PORTS[u]}${BASE_PATHS[u]}`]),
  ) as Record<UpstreamName, string>;
  const tokens = Object.fromEntries(UPSTREAM_NAMES.map((u) => [u, config.upstreams[u].token])) as Record<UpstreamName, string>;
  const registry = await openRegistry({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  const upstreams = createUpstreams({ urls, tokens, poderoOrgId: config.poderoOrgId });
  try {
    const report = await sync({
      registry,
      upstreams,
      concurrency: config.upstreamConcurrency,
      onProgress: options.quiet ? undefined : (phase, done, total) => process.stderr.write(`sync: ${phase} ${done}${total !== undefined ? `/${total}` : ''}\n`),
    });
    process.stdout.write(formatReport(report) + '\n');
    return report.failures.length > 0 ? 1 : 0;
  } finally {
    await upstreams.close();
    await registry.close();
  }
}
