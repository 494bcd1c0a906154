/**
 * Starts the five upstream emulators together, over one shared demo population: used by
 * `npm run emulators`, by `npm start` when no upstream URL is configured, by tests and by benchmarks.
 */
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import { DEV_PODERO_ORG_ID, DEV_TOKENS, EMULATOR_PORTS } from '../contracts/dev-defaults';
import type { Emulator } from './kit';
import { buildPopulation, type Population } from './population';
import { createEvenergyEmulator } from './evenergy';
import { createVrmEmulator } from './vrm';
import { createIdentityEmulator } from './identity';
import { createPoderoEmulator } from './podero';
import { createTimesheetEmulator } from './timesheet';

export interface StartEmulatorsOptions {
  population?: Population;
  /** `'fixed'` uses ports 4101–4105; `'ephemeral'` lets the OS choose (tests, benchmarks). Default fixed. */
  ports?: 'fixed' | 'ephemeral' | Partial<Record<UpstreamName, number>>;
  host?: string;
  /** Service credentials the emulators accept. Default: the development tokens. */
  tokens?: Partial<Record<UpstreamName, string>>;
  poderoOrgId?: string;
  /** Which emulators to start. Default: all five. */
  only?: readonly UpstreamName[];
}

export interface RunningEmulators {
  population: Population;
  emulators: Partial<Record<UpstreamName, Emulator>>;
  /** Origin plus base path of each started emulator. */
  urls: Partial<Record<UpstreamName, string>>;
  /** Clears counters and faults everywhere; with `data`, restores the seeded population too. */
  reset(data?: boolean): void;
  close(): Promise<void>;
}

export function createEmulators(options: Omit<StartEmulatorsOptions, 'ports' | 'host'> = {}): Partial<Record<UpstreamName, Emulator>> {
  const population = options.population ?? buildPopulation();
  const token = (name: UpstreamName): string => options.tokens?.[name] ?? DEV_TOKENS[name];
  const factories: Record<UpstreamName, () => Emulator> = {
    evenergy: () => createEvenergyEmulator({ population, token: token('evenergy') }),
    vrm: () => createVrmEmulator({ population, token: token('vrm') }),
    identity: () => createIdentityEmulator({ population, token: token('identity') }),
    podero: () => createPoderoEmulator({ population, token: token('podero'), orgId: options.poderoOrgId ?? DEV_PODERO_ORG_ID }),
    timesheet: () => createTimesheetEmulator({ population, token: token('timesheet') }),
  };
  const out: Partial<Record<UpstreamName, Emulator>> = {};
  for (const name of options.only ?? UPSTREAM_NAMES) out[name] = factories[name]();
  return out;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const population = options.population ?? buildPopulation();
  const emulators = createEmulators({ ...options, population });
  const host = options.host ?? '127.0.0.1';
  const urls: Partial<Record<UpstreamName, string>> = {};
  const started: Emulator[] = [];
  try {
    for (const [name, emulator] of Object.entries(emulators) as [UpstreamName, Emulator][]) {
      const ports = options.ports ?? 'fixed';
      const port = ports === 'ephemeral' ? 0 : ports === 'fixed' ? EMULATOR_PORTS[name] : (ports[name] ?? 0);
      try {
        urls[name] = await emulator.listen(port, host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `cannot start the ${name} emulator: port ${port} on ${host} is in use (is another usergraph running?)`
            : `cannot start the ${name} emulator on ${host}:${port}: ${(err as Error).message}`,
        );
      }
      started.push(emulator);
    }
  } catch (err) {
    await Promise.all(started.map((e) => e.close()));
    throw err;
  }
  return {
    population,
    emulators,
    urls,
    reset(data = false) {
      for (const e of Object.values(emulators)) e?.reset(data);
    },
    async close() {
      await Promise.all(Object.values(emulators).map((e) => e?.close()));
    },
  };
}
