/**
 * The command line: `usergraph start | emulators | sync` (also `npm start`, `npm run emulators`,
 * `npm run sync`). Arguments are parsed strictly: an unknown flag is an error that says what is known.
 */
import { ConfigError } from './config';

const USAGE = `usage: usergraph <command> [options]

commands:
  start       run the gateway (starts the five emulators in-process for every upstream without a URL)
  emulators   run the five upstream emulators on ports 4101-4105
  sync        walk every upstream's user list and link the accounts it finds to people in the registry

sync options:
  --quiet         no progress lines
  --report        link nothing: list persons whose links disagree with the upstreams' emails (exit 1 if any)

emulators options:
  --seed N        seed of the demo population (default 1)
  --people N      size of the demo population (default 200)
  --ephemeral     let the OS choose the ports
  --json          print one line of JSON {upstream: url} and nothing else on stdout
`;

export interface ParsedArgs {
  command: string;
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags[key] = inline;
    else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--')) flags[key] = rest[++i]!;
    else flags[key] = true;
  }
  return { command, flags };
}

function allowOnly(flags: Record<string, string | true>, known: string[]): void {
  for (const key of Object.keys(flags)) {
    if (!known.includes(key)) throw new ConfigError(`unknown option --${key}; expected one of ${known.map((k) => `--${k}`).join(', ') || '(none)'}`);
  }
}

function intFlag(flags: Record<string, string | true>, name: string, fallback: number, min: number, max: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw === true || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, but got: ${JSON.stringify(raw)}`);
  }
  return n;
}

async function runEmulators(flags: Record<string, string | true>): Promise<void> {
  allowOnly(flags, ['seed', 'people', 'ephemeral', 'json']);
  const { startEmulators } = await import('./emulators');
  const { buildPopulation } = await import('./emulators/population');
  const { loadConfig } = await import('./config');
  const config = loadConfig();
  const population = buildPopulation({
    seed: intFlag(flags, 'seed', config.emulatorSeed, 0, 2 ** 31 - 1),
    people: intFlag(flags, 'people', config.emulatorPeople, 1, 100_000),
  });
  const tokens = Object.fromEntries(Object.entries(config.upstreams).map(([n, u]) => [n, u.token]));
  const running = await startEmulators({
    population,
    ports: flags.ephemeral ? 'ephemeral' : 'fixed',
    tokens,
    poderoOrgId: config.poderoOrgId,
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(running.urls) + '\n');
  } else {
    process.stdout.write(`usergraph emulators (seed ${population.seed}, ${population.people.length} people)\n`);
    for (const [name, url] of Object.entries(running.urls)) process.stdout.write(`  ${name.padEnd(10)} ${url}\n`);
    process.stdout.write('test hooks: GET /__emulator/requests, POST /__emulator/reset, POST /__emulator/faults\n');
  }
  const stop = (): void => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export async function main(argv: string[]): Promise<void> {
  const { command, flags } = parseArgs(argv);
  switch (command) {
    case 'start': {
      allowOnly(flags, []);
      const { start } = await import('./server/start');
      await start();
      return;
    }
    case 'emulators':
      await runEmulators(flags);
      return;
    case 'sync': {
      allowOnly(flags, ['quiet', 'report']);
      const { runSyncCommand } = await import('./registry/sync-command');
      const code = await runSyncCommand({ quiet: flags.quiet === true, report: flags.report === true });
      process.exitCode = code;
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new ConfigError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

if (require.main === module || process.argv[1]?.endsWith('usergraph.js')) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`usergraph: ${err.message}\n`);
      process.exit(2);
    }
    // The message only: an operator's terminal, not a debugger (LOG_LEVEL=debug adds the stack).
    const detail = process.env.LOG_LEVEL === 'debug' ? ((err as Error).stack ?? String(err)) : err instanceof Error ? err.message : String(err);
    process.stderr.write(`usergraph: ${detail}\n`);
    process.exit(1);
  });
}
