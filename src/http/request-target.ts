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

export function parseQuery(search: string): ParsedQuery {
  const entries: [string, string][] = [];
  const first = new Map<string, string>();
  const duplicates: string[] = [];
  for (const [name, value] of new URLSearchParams(search)) {
    entries.push([name, value]);
    if (first.has(name)) {
      if (!duplicates.includes(name)) duplicates.push(name);
    } else {
      first.set(name, value);
    }
  }
  return { entries, first, duplicates };
}

/** Parses origin-form (`/metadata/x?a=b`) and absolute-form (`http://host/metadata/x?a=b`) targets. */
export function parseRequestTarget(target: string): RequestTarget {
  let rest = target;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const question = rest.indexOf('?');
  const path = question >= 0 ? rest.slice(0, question) : rest;
  const search = question >= 0 ? rest.slice(question + 1) : '';
  return { path: path === '' ? '/' : path, query: parseQuery(search) };
}
