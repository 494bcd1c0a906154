/**
 * Structured logging with pino: one JSON object per line, `{ level, time, …bindings, …fields, msg }`,
 * the level as its name and the time as ISO-8601. Log calls take plain fields and never headers, bodies
 * or URLs with query strings; every line is masked anyway (`redact`, with the configured secrets) as a
 * second line of defence, so a token that slips into a message or a field never reaches the output
 * (DESIGN.md: no token or credential in any log line).
 *
 * Request-scoped lines come from a child logger (`logger.child({ requestId })`), so each carries the id
 * of the request it was logged for.
 */
import pino from 'pino';
import { redact } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: LogLevel;
  /** Strings that must never appear (service tokens, the JWT secret): each becomes `[redacted]`. */
  secrets?: readonly string[];
  /** Where lines go (each ends in a newline). Default: standard output. */
  destination?: pino.DestinationStream;
}

/** Every string of a parsed line, keys included, masked. */
function masked(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => masked(v, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), masked(v, secrets)]));
  }
  return value;
}

/**
 * One finished line, masked. The line is parsed and each string masked on its own, so a mask never cuts
 * into JSON's escapes; a line that does not parse (pino writes none) is masked whole.
 */
function maskLine(line: string, secrets: readonly string[]): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return `${redact(line, secrets, { maxLength: Infinity })}\n`;
  }
  return `${JSON.stringify(masked(parsed, secrets))}\n`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  const config: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: (line) => maskLine(line, secrets) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
