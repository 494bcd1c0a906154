/**
 * Shape checks shared by the connectors' readers (`<upstream>/map.ts`, `describe.ts`): an answer that is
 * not what the contract says becomes UPSTREAM_UNAVAILABLE with a message naming what was expected and what
 * kind of value came — never the value itself.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What kind of value came, for messages: never the value itself. */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The error for an answer that breaks the contract. */
export function malformedAnswer(upstream: UpstreamName, answer: string, expected: string, got: string, status?: number): GatewayError {
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `${upstream} sent a malformed ${answer}: expected ${expected}, but got ${got}`, { upstream, status });
}
