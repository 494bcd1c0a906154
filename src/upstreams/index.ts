/**
 * Wires the five connectors to their HTTP clients: one client (one undici Pool, one breaker) per
 * upstream, shared by every request of the process.
 */
import { UPSTREAM_NAMES, type UpstreamName } from '../errors';
import type { AnswerStore } from './answers';
import { createUpstreamClient } from './client';
import type { UpstreamClient, UpstreamClientOptions } from './types';
import { createEvenergyConnector, describeEvenergyError } from './evenergy/connector';
import { createVrmConnector, describeVrmError } from './vrm/connector';
import { createIdentityConnector, describeIdentityError } from './identity/connector';
import { createPoderoConnector, describePoderoError } from './podero/connector';
import { createTimesheetConnector, describeTimesheetError } from './timesheet/connector';

export interface UpstreamSettings {
  urls: Record<UpstreamName, string>;
  tokens: Record<UpstreamName, string>;
  poderoOrgId: string;
  /** Applied to every client (timeouts, pool size, retries, breaker). */
  client?: Omit<UpstreamClientOptions, 'upstream' | 'baseUrl' | 'describeError' | 'answers' | 'cacheTtlMs'>;
  /** The answer cache shared by the five clients, and each upstream's TTL in ms (absent or 0: not cached). */
  cache?: { store: AnswerStore; ttlMs: Partial<Record<UpstreamName, number>> };
}

export interface Upstreams {
  clients: Record<UpstreamName, UpstreamClient>;
  identity: ReturnType<typeof createIdentityConnector>;
  evenergy: ReturnType<typeof createEvenergyConnector>;
  vrm: ReturnType<typeof createVrmConnector>;
  podero: ReturnType<typeof createPoderoConnector>;
  timesheet: ReturnType<typeof createTimesheetConnector>;
  close(): Promise<void>;
}

const DESCRIBE: Record<UpstreamName, UpstreamClientOptions['describeError']> = {
  identity: describeIdentityError,
  evenergy: describeEvenergyError,
  vrm: describeVrmError,
  podero: describePoderoError,
  timesheet: describeTimesheetError,
};

export function createUpstreams(settings: UpstreamSettings): Upstreams {
  const clients = {} as Record<UpstreamName, UpstreamClient>;
  for (const upstream of UPSTREAM_NAMES) {
    clients[upstream] = createUpstreamClient({
      ...settings.client,
      upstream,
      baseUrl: settings.urls[upstream],
      describeError: DESCRIBE[upstream],
      answers: settings.cache?.store,
      cacheTtlMs: settings.cache?.ttlMs[upstream] ?? 0,
    });
  }
  return {
    clients,
    identity: createIdentityConnector({ client: clients.identity, token: settings.tokens.identity }),
    evenergy: createEvenergyConnector({ client: clients.evenergy, token: settings.tokens.evenergy }),
    vrm: createVrmConnector({ client: clients.vrm, token: settings.tokens.vrm }),
    podero: createPoderoConnector({ client: clients.podero, token: settings.tokens.podero, orgId: settings.poderoOrgId }),
    timesheet: createTimesheetConnector({ client: clients.timesheet, token: settings.tokens.timesheet }),
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}
