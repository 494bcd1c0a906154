/**
 * What the benchmarks share: strict numeric flags, child processes that announce themselves with one
 * line of JSON (and can be told to profile themselves), and percentiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { UPSTREAM_NAMES, type UpstreamName } from '../src/errors';

export const ROOT = path.resolve(__dirname, '..');
const CHILD_START_TIMEOUT_MS = 120_000;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The five upstream URLs in a child's line of JSON (`{ identity: url, … }`), or an error naming `from`. */
export function upstreamUrls(line: unknown, from: string): Record<UpstreamName, string> {
  const urls = {} as Record<UpstreamName, string>;
  for (const name of UPSTREAM_NAMES) {
    const value = isRecord(line) ? line[name] : undefined;
    if (typeof value !== 'string') throw new Error(`expected a ${name} URL from ${from}, but got: ${JSON.stringify(line).slice(0, 300)}`);
    urls[name] = value;
  }
  return urls;
}

export interface FlagLimit<K extends string> {
  key: K;
  min: number;
  max: number;
  integer: boolean;
}

/**
 * Parses `--name N` / `--name=N` flags into `defaults`, refusing unknown flags and out-of-range values
 * with a message that says what was expected; `--help` prints `usage` and exits.
 */
export function parseNumberFlags<O extends { [K in keyof O]: number }>(argv: string[], defaults: O, limits: Record<string, FlagLimit<Extract<keyof O, string>>>, usage: string): O {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage);
      process.exit(0);
    }
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const limit = match ? limits[match[1]!] : undefined;
    if (!match || !limit) throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${usage}`);
    const raw = match[2] ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < limit.min || value > limit.max || (limit.integer && !Number.isInteger(value))) {
      throw new Error(`--${match[1]} must be ${limit.integer ? 'an integer' : 'a number'} from ${limit.min} to ${limit.max}, but got: ${JSON.stringify(raw)}`);
    }
    (options as Record<string, number>)[limit.key] = value;
  }
  return options;
}

/**
 * Runs `node --import tsx <args>` from the project root (one process, no tsx wrapper, so its pid is the
 * server's own; stderr is the child's) and resolves with the
 * JSON of its first stdout line. With `stdin: 'pipe'` the child is expected to exit when its stdin closes,
 * so it cannot outlive this process.
 */
export async function startChild(name: string, args: string[], options: { stdin: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv }): Promise<{ child: ChildProcess; line: unknown }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: [options.stdin, 'pipe', 'inherit'], env: options.env ?? process.env });
  const stdout = child.stdout;
  if (!stdout) throw new Error(`expected a stdout pipe from the ${name} process, but got none`);
  let firstLine: string;
  try {
    firstLine = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: stdout });
      const timer = setTimeout(() => reject(new Error(`expected the ${name} process to print one JSON line within ${CHILD_START_TIMEOUT_MS / 1000} s, but it printed nothing`)), CHILD_START_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        lines.close();
        // Keep draining so the child never blocks on a full pipe.
        stdout.resume();
        resolve(line);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`expected the ${name} process to keep running, but it exited (${signal ?? `code ${code}`}) before printing its JSON line`));
      });
    });
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  try {
    return { child, line: JSON.parse(firstLine) };
  } catch {
    await stopChild(child);
    throw new Error(`expected one line of JSON from the ${name} process, but got: ${firstLine.slice(0, 200)}`);
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(forced);
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Lets the harness profile this child over chosen windows only (not its start-up): a stdin line
 * `profile-start` starts V8's sampling profiler in this process, `profile-stop <path>` stops it and writes
 * the profile to `<path>` (whole, by rename), with the positions of TypeScript files mapped back to their
 * source lines (tsx compiles each module to one line). `profileWindow` is the harness's side.
 */
export function acceptProfilerCommands(stdin: NodeJS.ReadableStream): void {
  let session: Session | undefined;
  const post = <T>(on: Session, method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) => on.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
  const lines = readline.createInterface({ input: stdin });
  lines.on('line', (line) => {
    const [command, file] = line.trim().split(/\s+/, 2);
    if (command === 'profile-start') {
      const started = (session ??= new Session());
      started.connect();
      post(started, 'Profiler.enable')
        .then(() => post(started, 'Profiler.start'))
        .catch((err: unknown) => process.stderr.write(`profiler: could not start: ${String(err)}\n`));
    } else if (command === 'profile-stop' && file && session) {
      const done = session;
      post<{ profile: unknown }>(done, 'Profiler.stop')
        .then(({ profile }) => {
          writeFileSync(`${file}.partial`, JSON.stringify(withSourcePositions(profile)));
          renameSync(`${file}.partial`, file);
        })
        .catch((err: unknown) => process.stderr.write(`profiler: could not write ${file}: ${String(err)}\n`))
        .finally(() => done.disconnect());
      session = undefined;
    }
  });
}

/** The harness's side of `acceptProfilerCommands`: start now; `stop` resolves once the file is written. */
export function profileWindow(child: ChildProcess, file: string): { stop(): Promise<string> } {
  child.stdin?.write('profile-start\n');
  return {
    async stop() {
      child.stdin?.write(`profile-stop ${file}\n`);
      const until = Date.now() + 60_000;
      while (!existsSync(file)) {
        if (Date.now() > until) throw new Error(`expected a CPU profile at ${file} within 60 s, but none was written`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return file;
    },
  };
}

interface ProfileFrame {
  callFrame: { url: string; lineNumber: number; columnNumber: number };
}

/** The profile with each frame's line and column those of the source its module was compiled from. */
function withSourcePositions(profile: unknown): unknown {
  const nodes: unknown = typeof profile === 'object' && profile !== null ? Reflect.get(profile, 'nodes') : undefined;
  if (!Array.isArray(nodes)) return profile;
  for (const node of nodes as ProfileFrame[]) {
    const frame = node.callFrame;
    if (!frame.url.startsWith('file://') || frame.url.includes('/node_modules/')) continue;
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && 'originalLine' in entry) {
      frame.lineNumber = entry.originalLine;
      frame.columnNumber = entry.originalColumn;
    }
  }
  return profile;
}
