// Splits an HTTP request-target into the raw path and the decoded query, keeping every occurrence of a name
// so the duplicate-parameter rule can see repeats (imds-spec §2.4).

export interface ParsedQuery {
  /** Every parameter in order of appearance, decoded (`+` is a space, as in forms). */
  readonly entries: readonly (readonly [string, string])[];
  /** First value of each name. */
  readonly first: ReadonlyMap<string, string>;
  /** Names that appear more than once, in order of their second appearance. */
  readonly duplicates: readonly string[];
}

export interface RequestTarget {
  /** Path as received (no query, no fragment; absolute-form targets are reduced to their path). */
  readonly path: string;
  readonly query: ParsedQuery;
}

/** Recently decoded escaped components (a token's `resource` repeats per request); dropped when full. */
const decoded = new Map<string, string>();
const MAX_DECODED = 256;

/** One name or value as URLSearchParams decodes it (`+` is a space, percent-decoding, lenient on bad escapes). */
function decodeComponent(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  const known = decoded.get(text);
  if (known !== undefined) return known;
  let value: string;
  try {
    value = decodeURIComponent(spaced);
  } catch {
    // A malformed escape or invalid UTF-8: URLSearchParams keeps bad escapes and substitutes U+FFFD.
    value = new URLSearchParams(`a=${text}`).get('a') ?? '';
  }
  if (text.length <= 1024) {
    if (decoded.size >= MAX_DECODED) decoded.clear();
    decoded.set(text, value);
  }
  return value;
}

/** Parses `application/x-www-form-urlencoded` as URLSearchParams does, without its allocation per request. */
export function parseQuery(search: string): ParsedQuery {
  const entries: [string, string][] = [];
  const first = new Map<string, string>();
  const duplicates: string[] = [];
  let start = search.charCodeAt(0) === 0x3f /* ? */ ? 1 : 0;
  while (start <= search.length) {
    let end = search.indexOf('&', start);
    if (end < 0) end = search.length;
    if (end > start) {
      const eq = search.indexOf('=', start);
      const split = eq >= 0 && eq < end;
      const name = decodeComponent(search.slice(start, split ? eq : end));
      const value = split ? decodeComponent(search.slice(eq + 1, end)) : '';
      entries.push([name, value]);
      if (first.has(name)) {
        if (!duplicates.includes(name)) duplicates.push(name);
      } else {
        first.set(name, value);
      }
    }
    start = end + 1;
  }
  return { entries, first, duplicates };
}

/** Parses origin-form (`/metadata/x?a=b`) and absolute-form (`http://host/metadata/x?a=b`) targets. */
export function parseRequestTarget(target: string): RequestTarget {
  let rest = target;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  // Origin-form (the usual case) starts with '/': no scheme to strip.
  const scheme = rest.charCodeAt(0) === 0x2f ? null : /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const question = rest.indexOf('?');
  const path = question >= 0 ? rest.slice(0, question) : rest;
  const search = question >= 0 ? rest.slice(question + 1) : '';
  return { path: path === '' ? '/' : path, query: parseQuery(search) };
}
