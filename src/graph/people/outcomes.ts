/**
 * Per-upstream outcomes of a mutation that writes to several upstreams (the schema's `UpstreamOutcome`):
 * what happened in each upstream, listed in one fixed order, with a failure turned into a safe
 * `OutcomeError`. Public: every multi-upstream mutation builds its payload with these.
 *
 * Contract: an outcome's error carries only what a `GatewayError` already makes safe to show (its code,
 * message, reason and field path); anything else is a gateway bug, logged and shown as
 * INTERNAL_SERVER_ERROR without its text.
 */
import { GatewayError, UPSTREAM_NAMES, type UpstreamName } from '../../errors';
import type { OutcomeError, OutcomeStatus, UpstreamOutcome } from '../../generated/graphql';
import type { Logger } from '../../lib/logger';
import { ENUM_FROM_UPSTREAM } from '../resolvers/Query';

export type Outcome = Omit<UpstreamOutcome, '__typename' | 'error'> & { error: Omit<OutcomeError, '__typename'> | null };

/**
 * Turns a connector's field path (`['firstName']`, `['address', 'town']`) into the GraphQL input path of
 * the mutation (`['input', 'firstName']`); `null` when the field is not one the client sent.
 */
export type FieldPathMap = (connectorPath: readonly string[]) => string[] | null;

export const NO_FIELD_PATHS: FieldPathMap = () => null;

/** What happened in one upstream when it did not fail. */
export function outcome(upstream: UpstreamName, status: Exclude<OutcomeStatus, 'FAILED'>, accountId: string | null = null): Outcome {
  return { upstream: ENUM_FROM_UPSTREAM[upstream], status, accountId, error: null };
}

/** The safe description of why an upstream's part failed. */
export function outcomeErrorOf(error: unknown, fieldPath: FieldPathMap = NO_FIELD_PATHS): Omit<OutcomeError, '__typename'> {
  if (!(error instanceof GatewayError)) {
    return { code: 'INTERNAL_SERVER_ERROR', message: 'The gateway failed unexpectedly while doing this part; nothing more is known', reason: null, fieldPath: null };
  }
  const first = error.fieldErrors?.[0];
  return {
    code: error.code,
    message: error.message,
    reason: error.reason ?? null,
    fieldPath: first ? fieldPath(first.path) : null,
  };
}

export interface FailedOutcomeOptions {
  /** The person's account in that upstream, where one exists despite the failure. */
  accountId?: string | null;
  fieldPath?: FieldPathMap;
  /**
   * Where failures are reported for operators: the code, upstream, status, reason and log-only detail
   * (what the upstream said, redacted; the logger masks the configured secrets) of a gateway error, the
   * text of an unexpected one.
   */
  logger?: Logger;
}

/** An upstream's part failed: FAILED with the error. */
export function failedOutcome(upstream: UpstreamName, error: unknown, options: FailedOutcomeOptions = {}): Outcome {
  if (error instanceof GatewayError) {
    options.logger?.warn({ upstream, code: error.code, status: error.status, reason: error.reason, detail: error.detail }, 'mutation step failed');
  } else {
    options.logger?.error({ upstream, error: error instanceof Error ? error.message : String(error) }, 'unexpected error in a mutation step');
  }
  return { upstream: ENUM_FROM_UPSTREAM[upstream], status: 'FAILED', accountId: options.accountId ?? null, error: outcomeErrorOf(error, options.fieldPath) };
}

/**
 * Runs one upstream's part of a mutation: its outcome, or FAILED with the error it threw. The parts of
 * one mutation run side by side, and one failing never stops the others.
 */
export async function runPart(upstream: UpstreamName, part: () => Promise<Outcome>, options: FailedOutcomeOptions = {}): Promise<Outcome> {
  try {
    return await part();
  } catch (err) {
    return failedOutcome(upstream, err, options);
  }
}

/** One outcome per upstream, in the order of `UPSTREAM_NAMES`; `fill` answers the upstreams not given. */
export function everyUpstream(given: readonly Outcome[], fill: (upstream: UpstreamName) => Outcome): Outcome[] {
  return UPSTREAM_NAMES.map((u) => given.find((o) => o.upstream === ENUM_FROM_UPSTREAM[u]) ?? fill(u));
}

/** Whether any upstream did something for the person (created, linked, updated or deleted an account). */
export function anySuccess(outcomes: readonly Outcome[]): boolean {
  return outcomes.some((o) => o.status === 'CREATED' || o.status === 'LINKED' || o.status === 'UPDATED' || o.status === 'DELETED');
}
