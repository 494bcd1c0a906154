/**
 * Where a process's CPU went, from a V8 CPU profile (`.cpuprofile`, what `node --cpu-prof` and the
 * inspector's `Profiler.stop` write): self time summed by area (an npm package, a file of this project, a
 * node built-in module, or V8's own `(garbage collector)` / `(program)`) and by function, with the share of
 * samples in which each area is anywhere on the stack ("on stack", so `graphql` counts the resolvers it
 * calls too). `npm run bench -- --profile` prints it for the gateway's measured windows; for any other
 * profile: `npx tsx bench/cpuprofile.ts <file.cpuprofile> [--top N]`.
 *
 * Idle time (`(idle)`, the event loop waiting) is left out of every share: shares are of busy time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isRecord, ROOT } from './lib';

/** The part of V8's `Profiler.Profile` read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  /** Self time, ms. */
  selfMs: number;
  /** Self time as a share of busy time (0..1). */
  selfShare: number;
  /** Share of busy samples with this row anywhere on the stack (0..1); areas only. */
  stackShare?: number;
}

export interface ProfileSummary {
  /** Busy time in the profile (every sample but `(idle)`), ms. */
  busyMs: number;
  /** Wall time the profile covers, ms. */
  wallMs: number;
  areas: ProfileRow[];
  functions: ProfileRow[];
}

export function parseProfile(text: string, from: string): CpuProfile {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed) || !Array.isArray(parsed.nodes) || !Array.isArray(parsed.samples) || !Array.isArray(parsed.timeDeltas)) {
    throw new Error(`expected a V8 CPU profile ({nodes, samples, timeDeltas}) in ${from}, but got: ${text.slice(0, 120)}`);
  }
  return parsed as unknown as CpuProfile;
}

/**
 * What a frame's url belongs to: `pkg` or `@scope/pkg` under node_modules, `src/dir/file.ts` for this
 * project's files, `node:<module>` for node's own JavaScript (internal/ modules by their first folder),
 * and V8's pseudo frames and builtins (no url) by their name in parentheses.
 */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first = '', second = ''] = file.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (file.startsWith('node:')) {
    const rest = file.slice('node:'.length);
    if (!rest.startsWith('internal/')) return `node:${rest}`;
    const parts = rest.split('/');
    return parts.length > 2 ? `node:internal/${parts[1]}` : `node:${rest}`;
  }
  return path.isAbsolute(file) ? path.relative(ROOT, file) : file;
}

function functionLabel(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  return `${name} ${areaOf(frame.url, frame.functionName)}:${frame.lineNumber + 1}`;
}

export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const area = new Map(profile.nodes.map((n) => [n.id, areaOf(n.callFrame.url, n.callFrame.functionName)]));

  // A sample's time is the gap to the next sample (the last sample gets the mean gap).
  const deltas = profile.timeDeltas;
  const meanUs = deltas.length > 1 ? deltas.slice(1).reduce((a, d) => a + d, 0) / (deltas.length - 1) : 0;
  const selfArea = new Map<string, number>();
  const selfFunction = new Map<string, number>();
  const stackArea = new Map<string, number>();
  const stackAreasOf = new Map<number, Set<string>>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const us = i + 1 < deltas.length ? deltas[i + 1]! : meanUs;
    busyUs += us;
    const a = area.get(id)!;
    selfArea.set(a, (selfArea.get(a) ?? 0) + us);
    const f = functionLabel(node.callFrame);
    selfFunction.set(f, (selfFunction.get(f) ?? 0) + us);
    let areas = stackAreasOf.get(id);
    if (!areas) {
      areas = new Set();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) areas.add(area.get(at)!);
      areas.delete('(root)');
      stackAreasOf.set(id, areas);
    }
    for (const s of areas) stackArea.set(s, (stackArea.get(s) ?? 0) + us);
  }
  const rows = (m: Map<string, number>, withStack: boolean): ProfileRow[] =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: us / 1000,
        selfShare: busyUs > 0 ? us / busyUs : 0,
        ...(withStack ? { stackShare: busyUs > 0 ? (stackArea.get(name) ?? 0) / busyUs : 0 } : {}),
      }));
  return { busyMs: busyUs / 1000, wallMs: (profile.endTime - profile.startTime) / 1000, areas: rows(selfArea, true), functions: rows(selfFunction, false) };
}

/** Adds up several summaries' inputs: profiles of the same process over several windows. */
export function mergeProfiles(profiles: CpuProfile[]): CpuProfile {
  if (profiles.length === 1) return profiles[0]!;
  const nodes: CpuProfile['nodes'] = [];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let offset = 0;
  let wall = 0;
  for (const p of profiles) {
    const maxId = p.nodes.reduce((m, n) => Math.max(m, n.id), 0);
    for (const n of p.nodes) nodes.push({ ...n, id: n.id + offset, children: n.children?.map((c) => c + offset) });
    for (const s of p.samples) samples.push(s + offset);
    // A profile's first delta is the wait from its start to its first sample; after the previous
    // profile's last sample it would count as that sample's time, so it becomes an ordinary gap.
    const gaps = p.timeDeltas.slice(1);
    const mean = gaps.length > 0 ? gaps.reduce((a, d) => a + d, 0) / gaps.length : 0;
    timeDeltas.push(...(timeDeltas.length > 0 && p.timeDeltas.length > 0 ? [mean, ...gaps] : p.timeDeltas));
    wall += p.endTime - p.startTime;
    offset += maxId + 1;
  }
  return { nodes, samples, timeDeltas, startTime: 0, endTime: wall };
}

/** The summary as text; with `requests` (answered in the profiled time), self time per request too. */
export function formatSummary(title: string, s: ProfileSummary, requests?: number): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  const perRequest = requests !== undefined && requests > 0 ? (ms: number): string => `${((ms * 1000) / requests).toFixed(0)}`.padStart(7) : undefined;
  const us = (r: ProfileRow): string => (perRequest ? `${perRequest(r.selfMs)}  ` : '');
  const usHead = perRequest ? ' µs/req ' : '';
  const lines = [
    `${title}: ${s.busyMs.toFixed(0)} ms busy of ${s.wallMs.toFixed(0)} ms profiled${perRequest ? `, ${requests} requests, ${perRequest(s.busyMs).trim()} µs busy per request` : ''}`,
    `  ${usHead}  self  on stack   area`,
    ...s.areas.map((r) => `  ${us(r)}${pct(r.selfShare)}  ${pct(r.stackShare ?? 0)}   ${r.name}`),
    `  ${usHead}  self   function`,
    ...s.functions.map((r) => `  ${us(r)}${pct(r.selfShare)}   ${r.name}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;
  if (args.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: npx tsx bench/cpuprofile.ts <file.cpuprofile>… [--top N]\n');
    process.exit(2);
  }
  const merged = mergeProfiles(args.map((f) => parseProfile(readFileSync(f, 'utf8'), f)));
  process.stdout.write(formatSummary(args.join(', '), summariseProfile(merged, top)) + '\n');
}
