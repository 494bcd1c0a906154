/**
 * RFC 8288 `Link` header parsing, for the two upstreams that paginate through it (ev.energy's
 * `previous`/`next` cursors and timesheet's `first`/`prev`/`next`/`last` pages).
 */

/** `<https://x/users?page=2>; rel="next", <…>; rel="last"` → `{ next: 'https://x/users?page=2', last: … }`. */
export function parseLinkHeader(header: string | undefined | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*((?:;\s*[^;]+)*)$/.exec(part);
    if (!match) continue;
    const url = match[1]!;
    for (const param of match[2]!.split(';')) {
      const kv = /^\s*rel\s*=\s*"?([^"]+)"?\s*$/i.exec(param);
      if (!kv) continue;
      for (const rel of kv[1]!.trim().split(/\s+/)) links[rel.toLowerCase()] = url;
    }
  }
  return links;
}

/** The query parameters of a link target, for following it with the upstream client (same origin assumed). */
export function linkQuery(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}
