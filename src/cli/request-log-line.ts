// One `serve --log-requests` line per request (what labs keep as responder.log and `trace` parses). Client-
// controlled text is percent-encoded so a decoded query value cannot break or forge a line (issue 11 point 6).
import type { RequestLogEntry } from '../http/request-log.ts';

/** Characters a query name or value keeps as is: RFC 3986 query characters except the separators & = + and %. */
const QUERY_SAFE = /[A-Za-z0-9\-._~!$'()*,;:@/?]/;
/** A raw path keeps every visible ASCII character (its own %XX escapes included). */
const PATH_SAFE = /[\x21-\x7e]/;

/** Percent-encodes (UTF-8) every character not matching `safe`; lone surrogates become U+FFFD. */
export function escapeLogText(text: string, safe: RegExp = PATH_SAFE): string {
  let out = '';
  for (const char of text) {
    if (safe.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The query as one token that URLSearchParams decodes back to the same entries. */
export function formatLogQuery(query: readonly (readonly [string, string])[]): string {
  return query.map(([k, v]) => `${escapeLogText(k, QUERY_SAFE)}=${escapeLogText(v, QUERY_SAFE)}`).join('&');
}

/** One --log-requests line: time, source, status, deciding rule, method, path?query, latency. */
export function formatRequestLine(e: RequestLogEntry): string {
  const query = e.query.length ? `?${formatLogQuery(e.query)}` : '';
  const target = `${escapeLogText(e.path)}${query}`;
  return `${e.time} ${escapeLogText(e.remoteAddress)} ${e.status} ${escapeLogText(e.rule)} ${escapeLogText(e.method)} ${target === '' ? '/' : target} ${e.latencyMs.toFixed(1)}ms`;
}
