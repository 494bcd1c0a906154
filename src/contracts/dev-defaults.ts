/**
 * The documented development defaults shared by the emulators and the gateway's configuration: when an
 * upstream URL or credential is not set, the gateway and the emulators agree on these.
 */
import type { UpstreamName } from '../errors';

/** Port of each emulator under `npm run emulators` (DESIGN.md "Running"). */
export const EMULATOR_PORTS: Record<UpstreamName, number> = {
  evenergy: 4101,
  vrm: 4102,
  identity: 4103,
  podero: 4104,
  timesheet: 4105,
};

/** The real API's base path, served unchanged by each emulator. */
export const BASE_PATHS: Record<UpstreamName, string> = {
  evenergy: '/v2',
  vrm: '/v2',
  identity: '/api/v1',
  podero: '/api/partners/v2.0',
  timesheet: '/v2',
};

/** Environment variable holding each upstream's service credential. */
export const TOKEN_ENV: Record<UpstreamName, string> = {
  evenergy: 'EVENERGY_TOKEN',
  vrm: 'VRM_TOKEN',
  identity: 'IDENTITY_TOKEN',
  podero: 'PODERO_TOKEN',
  timesheet: 'TIMESHEET_TOKEN',
};

/** Development service credentials, used by emulators and gateway alike when the variable is unset. */
export const DEV_TOKENS: Record<UpstreamName, string> = {
  evenergy: 'dev-evenergy-token',
  // VRM access tokens are 64 lower-case hex characters; this one belongs to the emulator's admin user.
  vrm: '0000000000000000000000000000000000000000000000000000000000000001',
  identity: '6f1c2a9e-0000-4000-8000-000000000001',
  podero: 'dev-podero-token',
  timesheet: 'devtimesheettoken-0000000000000000000000000000000000000001',
};

/** The podero organization the emulator serves when `PODERO_ORG_ID` is unset. */
export const DEV_PODERO_ORG_ID = '016b78a7-0c7c-4241-a277-015c3ad3cb90';

/** Reads a service credential from the environment, falling back to the development default. */
export function serviceToken(upstream: UpstreamName, env: NodeJS.ProcessEnv = process.env): string {
  return env[TOKEN_ENV[upstream]] || DEV_TOKENS[upstream];
}
