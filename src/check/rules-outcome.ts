// Rules about how a case ended: succeeds-healthy, retries-410, retries-5xx, tolerates-slow (imds-spec §2.8
// retry contract; scenarios S3 and S14).
import type { CaseRecording } from './case-recording.ts';
import { exitText, requestLine, secs, statusList, times } from './evidence-format.ts';
import { fail, notApplicable, pass, type GradeFn, type RuleResult } from './rule-types.ts';

const ok = (r: CaseRecording): boolean => r.exit === 0 && !r.timedOut;
const stderrHint = (r: CaseRecording): string => (r.stderrTail.length > 0 ? `; stderr: ${r.stderrTail.at(-1)}` : '');

export const succeedsHealthy: GradeFn = (r) => {
  const reqs = r.requests.length > 0 ? `; ${statusList(r.requests)}` : '; no request reached IMDS';
  if (ok(r)) return pass(`${exitText(r.exit, r.timedOut, r.durationMs)}${reqs}`);
  const firstBad = r.requests.find((q) => q.status >= 400);
  return fail(`${exitText(r.exit, r.timedOut, r.durationMs)}${reqs}${firstBad ? ` (first error: ${requestLine(firstBad)})` : ''}${stderrHint(r)}`);
};

/** Recovery from a run of error answers: a 2xx after the last error and exit 0. */
function recovered(r: CaseRecording, isError: (status: number) => boolean, what: string, story: string): RuleResult {
  const errors = r.requests.filter((q) => isError(q.status));
  if (errors.length === 0) {
    return notApplicable(r.requests.length === 0 ? `no request reached IMDS (${exitText(r.exit, r.timedOut, r.durationMs)})` : `no request was answered ${what}`);
  }
  const last = errors.at(-1)!;
  const success = r.requests.find((q) => q.atMs > last.atMs && q.status >= 200 && q.status < 300);
  const seen = `${errors.length} × ${what} at ${times(errors.map((q) => q.atMs))}`;
  if (success && ok(r)) return pass(`${seen}, then ${success.status} at ${secs(success.atMs)}; ${exitText(r.exit, r.timedOut, r.durationMs)}`);
  if (success) return fail(`${seen}, then ${success.status} at ${secs(success.atMs)}, but ${exitText(r.exit, r.timedOut, r.durationMs)}${stderrHint(r)}`);
  return fail(`gave up after ${seen} (${story}); ${exitText(r.exit, r.timedOut, r.durationMs)}${stderrHint(r)}`);
}

export const retries410: GradeFn = (r, p) => recovered(r, (s) => s === 410, '410', `410 lasted ${secs(p.goneMs)}; IMDS asks for retries up to 70 s`);

export const retries5xx: GradeFn = (r, p) => recovered(r, (s) => s >= 500, '5xx', `IMDS answered 500 only ${p.serverErrorCount} times`);

export const toleratesSlow: GradeFn = (r, p) => {
  if (r.requests.length === 0) return notApplicable(`no request reached IMDS (${exitText(r.exit, r.timedOut, r.durationMs)})`);
  const answered = r.requests.filter((q) => q.status >= 200 && q.status < 300);
  if (ok(r) && answered.length > 0) return pass(`${exitText(r.exit, r.timedOut, r.durationMs)} with the first byte ${secs(p.slowMs)} late; ${statusList(r.requests)}`);
  return fail(`${exitText(r.exit, r.timedOut, r.durationMs)}; IMDS answered (${statusList(r.requests)}) but its first byte came ${secs(p.slowMs)} late${stderrHint(r)}`);
};
