// Rules about an IMDS that never answers or is absent, judged on the wire: bounded-timeout (scenarios S1,
// S10, S12) and fails-fast-absent (S2), with SYN counts and times from the lab's capture.
import type { CaseRecording } from './case-recording.ts';
import { exitText, plural, secs, times } from './evidence-format.ts';
import { fail, pass, type GradeFn } from './rule-types.ts';

function synText(r: CaseRecording): string {
  if (!r.attemptsVisible) return 'connection attempts are not visible on the wire (no route: nothing leaves the VM)';
  if (r.syns.count === 0) return 'no SYN reached the IMDS path';
  return `${plural(r.syns.count, 'SYN')} on ${plural(r.syns.connections, 'connection')} at ${times(r.syns.atMs)}`;
}

export const boundedTimeout: GradeFn = (r, p) => {
  const what = `${exitText(r.exit, r.timedOut, r.durationMs)}; ${synText(r)}`;
  if (r.timedOut) return fail(`did not end by itself: ${what}`);
  if (r.durationMs > p.hangBoundMs) return fail(`ended after more than ${secs(p.hangBoundMs)}: ${what}`);
  return pass(`ended by itself within ${secs(p.hangBoundMs)}: ${what}`);
};

export const failsFastAbsent: GradeFn = (r, p) => {
  const what = `${exitText(r.exit, r.timedOut, r.durationMs)}; ${synText(r)}`;
  if (r.timedOut || r.durationMs > p.absentBoundMs) return fail(`took longer than ${secs(p.absentBoundMs)}: ${what}`);
  if (r.attemptsVisible && r.syns.connections > p.maxAttempts) return fail(`retry storm: more than ${p.maxAttempts} connection attempts: ${what}`);
  return pass(`ended within ${secs(p.absentBoundMs)}${r.attemptsVisible ? ` with at most ${p.maxAttempts} connection attempts` : ''}: ${what}`);
};
