// Rules judged on the app's HTTP requests (the responder's request log): metadata-header, bypass-proxy,
// backs-off-429, within-rate-limit, supported-api-version (imds-spec §2.2, §2.7, §2.8; scenarios S5, S6, S13).
import type { CaseRecording } from './case-recording.ts';
import type { ReportRequest } from './check-report.ts';
import { exitText, plural, requestLine, secs, statusList } from './evidence-format.ts';
import { fail, notApplicable, pass, type GradeFn } from './rule-types.ts';

const none = (r: CaseRecording) => notApplicable(`no request reached IMDS (${exitText(r.exit, r.timedOut, r.durationMs)})`);

export const metadataHeader: GradeFn = (r) => {
  if (r.requests.length === 0) return none(r);
  // Header values are compared case-insensitively: agents send "True" (clients-notes.md).
  const bad = r.requests.filter((q) => q.metadata?.toLowerCase() !== 'true');
  if (bad.length === 0) return pass(`all ${plural(r.requests.length, 'request')} carried Metadata: true`);
  const q = bad[0]!;
  return fail(`${bad.length} of ${plural(r.requests.length, 'request')} without Metadata: true, e.g. ${requestLine(q)} (header ${q.metadata === undefined ? 'absent' : JSON.stringify(q.metadata)})`);
};

export const bypassProxy: GradeFn = (r) => {
  if (r.requests.length === 0) return none(r);
  const proxied = r.requests.filter((q) => q.viaProxy);
  if (proxied.length === 0) return pass(`all ${plural(r.requests.length, 'request')} came directly from the VM (${r.requests[0]!.remoteAddress})`);
  return fail(`${proxied.length} of ${plural(r.requests.length, 'request')} reached IMDS through the proxy (from ${proxied[0]!.remoteAddress}), e.g. ${requestLine(proxied[0]!)}`);
};

/** Wait between the end of each 429 answer and the next request (ms); null when none followed. */
function waitsAfter429(requests: readonly ReportRequest[]): { waits: number[]; gaveUp: boolean } {
  const waits: number[] = [];
  let gaveUp = false;
  requests.forEach((q, i) => {
    if (q.status !== 429) return;
    const next = requests[i + 1];
    if (next === undefined) gaveUp = true;
    else waits.push(next.atMs - (q.atMs + q.latencyMs));
  });
  return { waits, gaveUp };
}

/** The smallest wait after a 429 that counts as backing off (request-log times have ms resolution). */
const MIN_WAIT_MS = 990;

export const backsOff429: GradeFn = (r) => {
  const throttled = r.requests.filter((q) => q.status === 429);
  if (throttled.length === 0) return r.requests.length === 0 ? none(r) : notApplicable('no request was answered 429');
  const { waits, gaveUp } = waitsAfter429(r.requests);
  const waitText = `waits after 429: ${waits.length > 0 ? waits.map((w) => secs(w)).join(', ') : 'none'}`;
  const short = waits.findIndex((w) => w < MIN_WAIT_MS);
  if (short >= 0) return fail(`retried ${secs(waits[short]!)} after a 429 (at least 1 s): ${waitText}`);
  const shrank = waits.findIndex((w, i) => i > 0 && w < waits[i - 1]! * 0.9);
  if (shrank >= 0) return fail(`waits shrank (${secs(waits[shrank - 1]!)} then ${secs(waits[shrank]!)}): ${waitText}`);
  const last = throttled.at(-1)!;
  const success = r.requests.find((q) => q.atMs > last.atMs && q.status >= 200 && q.status < 300);
  if (gaveUp || !success || r.exit !== 0 || r.timedOut) {
    return fail(`did not recover after ${throttled.length} × 429: ${waitText}; ${statusList(r.requests)}; ${exitText(r.exit, r.timedOut, r.durationMs)}`);
  }
  return pass(`${waitText}; then ${success.status} at ${secs(success.atMs)}; ${exitText(r.exit, r.timedOut, r.durationMs)}`);
};

/** IMDS limits: 5 requests/s per VM; the identity category 20/s (imds-spec §2.7). */
export const RATE_LIMITS = { general: 5, identity: 20 } as const;

/** The most requests inside any window [t, t + 1000 ms) and where that window starts. */
export function busiestSecond(atMs: readonly number[]): { count: number; fromMs: number; toMs: number } {
  const sorted = [...atMs].sort((a, b) => a - b);
  let best = { count: 0, fromMs: 0, toMs: 0 };
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    const count = end - start + 1;
    if (count > best.count) best = { count, fromMs: sorted[start]!, toMs: sorted[end]! };
  }
  return best;
}

export const withinRateLimit: GradeFn = (r) => {
  if (r.requests.length === 0) return none(r);
  const isIdentity = (q: ReportRequest) => q.target.startsWith('/metadata/identity');
  const general = busiestSecond(r.requests.filter((q) => !isIdentity(q)).map((q) => q.atMs));
  const identity = busiestSecond(r.requests.filter(isIdentity).map((q) => q.atMs));
  if (general.count > RATE_LIMITS.general) {
    return fail(`${general.count} requests within 1 s (${secs(general.fromMs)}–${secs(general.toMs)}); IMDS allows ${RATE_LIMITS.general}/s`);
  }
  if (identity.count > RATE_LIMITS.identity) {
    return fail(`${identity.count} identity requests within 1 s (${secs(identity.fromMs)}–${secs(identity.toMs)}); IMDS allows ${RATE_LIMITS.identity}/s`);
  }
  return pass(`at most ${general.count} requests in any 1 s (limit ${RATE_LIMITS.general})${identity.count > 0 ? `, ${identity.count} identity (limit ${RATE_LIMITS.identity})` : ''}`);
};

export const supportedApiVersion: GradeFn = (r) => {
  if (r.requests.length === 0) return none(r);
  const refused = r.requests.filter((q) => q.rule === 'api-version');
  if (refused.length > 0) return fail(`${refused.length} of ${plural(r.requests.length, 'request')} refused for the api-version, e.g. ${requestLine(refused[0]!)}`);
  const versions = [...new Set(r.requests.map((q) => /[?&]api-version=([^&]*)/.exec(q.target)?.[1]).filter((v) => v !== undefined))];
  return pass(`no request was refused for its api-version${versions.length > 0 ? ` (${versions.join(', ')})` : ''}`);
};
