// The shape of a grading rule: a pure function from one case's recording (and the case parameters) to a verdict.
import type { CaseParameters } from './check-cases.ts';
import type { CaseRecording } from './case-recording.ts';
import type { RuleStatus } from './check-report.ts';

export interface RuleResult {
  readonly status: RuleStatus;
  readonly evidence: string;
}

export type GradeFn = (recording: CaseRecording, parameters: CaseParameters) => RuleResult;

export const pass = (evidence: string): RuleResult => ({ status: 'pass', evidence });
export const fail = (evidence: string): RuleResult => ({ status: 'fail', evidence });
export const notApplicable = (evidence: string): RuleResult => ({ status: 'not-applicable', evidence });
