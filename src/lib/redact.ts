/**
 * Masks credentials in text: the one redactor for log lines and for upstream words shown to clients.
 *
 * What is masked, each by `[redacted]`:
 * - the configured secrets given (exact strings of at least 6 characters; longest first);
 * - the value after a credential's header or parameter name: `X-Authorization: …`, `X-FreckleToken: …`,
 *   `Authorization=…`, `access_token=…`, `"password":"…"`, `api-key: …`, `secret=…`;
 * - the credential after an auth scheme word: anything after `Bearer` or `Basic`, and after `Token` a
 *   value that looks like one (8 or more characters with a digit or a symbol: "token is invalid" is prose);
 * - JWT-looking strings (`eyJ….….…`, or three dot-separated base64url runs of 8 or more characters);
 * - long opaque tokens: 24 or more letters, digits, `_` and `-` with a digit or both letter cases in
 *   them (a VRM token's 64 hex, a personal access token). UUIDs stay: request and person ids are UUIDs,
 *   identifiers rather than credentials, and lower-case words (`subscribed_to_other_platforms`) stay.
 * With `urls`, every URL becomes `[url]` (a client is never shown an upstream address).
 *
 * Control characters become spaces, and the result is trimmed and bounded by `maxLength` (then ends in
 * `…`). Every pattern is anchored at the start of a run and never re-scans it, so the time is linear in
 * the length of the text, whatever the text.
 */
export interface RedactOptions {
  /** Mask URLs as `[url]` too. Default false. */
  urls?: boolean;
  /** Longest result; longer text is cut and ends in `…`. Default 4096. */
  maxLength?: number;
}

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not masked: they would mask ordinary words. */
const MIN_SECRET = 6;
const DEFAULT_MAX = 4096;

const CONTROL = /[\u0000-\u001f\u007f]+/g;
const URL = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/\S+/gi;
/** `name: value` / `name=value`, quoted or not, with an optional scheme word before the value. */
const NAMED = /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]+)(["']?[ \t]*[:=][ \t]*["']?)((?:Bearer|Basic|Token)[ \t]+)?([^\s"',;&]+)/gi;
const CREDENTIAL_NAME = /authorization|token|api[_-]?key|password|passwd|secret|credential/i;
const SCHEME = /(?<![A-Za-z0-9_-])(Bearer|Basic|Token)((?:\s+(?:Bearer|Basic|Token)(?![A-Za-z0-9_-]))*)(\s+)([A-Za-z0-9._~+/=-]+)/gi;
const JWT = /(?<![A-Za-z0-9_.-])(?:eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g;
const OPAQUE = /[A-Za-z0-9_-]{24,}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function looksLikeCredential(value: string): boolean {
  return value.length >= 8 && /[^A-Za-z]/.test(value);
}

function isOpaque(run: string): boolean {
  if (UUID.test(run)) return false;
  return /\d/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run));
}

export function redact(text: string, secrets: readonly string[] = [], options: RedactOptions = {}): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length >= MIN_SECRET).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  out = out.replace(CONTROL, ' ');
  if (options.urls) out = out.replace(URL, '[url]');
  out = out
    .replace(NAMED, (match, name: string, separator: string, scheme: string | undefined) =>
      CREDENTIAL_NAME.test(name) ? `${name}${separator}${scheme ?? ''}${REDACTED}` : match,
    )
    .replace(SCHEME, (match, scheme: string, chain: string, space: string, value: string) =>
      /bearer|basic/i.test(scheme + chain) || looksLikeCredential(value) ? `${scheme}${chain}${space}${REDACTED}` : match,
    )
    .replace(JWT, REDACTED)
    .replace(OPAQUE, (run) => (isOpaque(run) ? REDACTED : run))
    .trim();
  const max = options.maxLength ?? DEFAULT_MAX;
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
