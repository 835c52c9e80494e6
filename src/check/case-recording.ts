// What a case run recorded (the grading input): the app's exit, time, stderr, its IMDS requests from the
// responder's request log and its SYNs from the wire, all timed in ms since the command started.
import type { ReportRequest, ReportSyns } from './check-report.ts';

export interface CaseRecording {
  readonly caseId: string;
  readonly exit: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stderrTail: readonly string[];
  readonly requests: readonly ReportRequest[];
  readonly syns: ReportSyns;
  /** Whether connection attempts are visible on the wire (false when the VM has no route: nothing leaves it). */
  readonly attemptsVisible: boolean;
  /** Lab set-up error (the command did not run). */
  readonly error?: string;
}

/** The last `lines` non-empty lines of a text. */
export function tailLines(text: string, lines = 5): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').slice(-lines);
}
