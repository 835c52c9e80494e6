// The pure grading of `imds-lab check`: recordings in, verdicts out. gradeCase applies a case's rules to
// its recording; buildReport aggregates the cases into the report (a rule fails if it failed in any case).
import type { CaseParameters, CheckCase } from './check-cases.ts';
import { REQUEST_RULES } from './check-cases.ts';
import type { CaseRecording } from './case-recording.ts';
import { RULE_IDS, type CaseReport, type CheckReport, type RuleId, type RuleStatus, type RuleSummary, type RuleVerdict } from './check-report.ts';
import { ruleDefinition } from './rule-table.ts';

/** The rules graded in a case: its own rules, then the request rules, restricted to `selected` (in RULE_IDS order). */
export function caseRules(c: CheckCase, selected: readonly RuleId[] = RULE_IDS): RuleId[] {
  const wanted = new Set([...c.rules, ...REQUEST_RULES]);
  return RULE_IDS.filter((id) => wanted.has(id) && selected.includes(id));
}

export function gradeCase(c: CheckCase, recording: CaseRecording, parameters: CaseParameters, selected: readonly RuleId[] = RULE_IDS): CaseReport {
  const rules: RuleVerdict[] = caseRules(c, selected).map((id) => {
    const definition = ruleDefinition(id);
    const result = recording.error !== undefined ? { status: 'fail' as const, evidence: `the case could not run: ${recording.error}` } : definition.grade(recording, parameters);
    return result.status === 'fail' ? { id, ...result, fix: definition.fix } : { id, ...result };
  });
  return {
    id: c.id,
    title: c.title,
    exit: recording.exit,
    timedOut: recording.timedOut,
    durationMs: Math.round(recording.durationMs),
    requests: recording.requests,
    syns: recording.syns,
    stderrTail: recording.stderrTail,
    ...(recording.error !== undefined ? { error: recording.error } : {}),
    rules,
  };
}

function overall(statuses: readonly RuleStatus[]): RuleStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('pass')) return 'pass';
  return 'not-applicable';
}

export interface ReportInput {
  readonly command: readonly string[];
  readonly cases: readonly CaseReport[];
  /** Rules graded (default: all). */
  readonly selected?: readonly RuleId[];
  /** Rules that must pass for ok (default: every applicable selected rule must not fail). */
  readonly required?: readonly RuleId[];
  readonly wallMs: number;
}

/**
 * Aggregates case verdicts. ok: with `required`, each of those rules passed (not-applicable is not a pass);
 * without, no selected rule failed.
 */
export function buildReport(input: ReportInput): CheckReport {
  const selected = input.selected ?? RULE_IDS;
  const required = new Set(input.required ?? selected);
  const rules: RuleSummary[] = RULE_IDS.filter((id) => selected.includes(id)).map((id) => {
    const cases = input.cases.flatMap((c) => c.rules.filter((v) => v.id === id).map((v) => ({ id: c.id, status: v.status })));
    return { id, status: overall(cases.map((c) => c.status)), required: required.has(id), cases };
  });
  const passed = rules.filter((r) => r.status === 'pass').map((r) => r.id);
  const failed = rules.filter((r) => r.status === 'fail').map((r) => r.id);
  const ok = input.required !== undefined ? rules.filter((r) => r.required).every((r) => r.status === 'pass') && input.required.every((id) => passed.includes(id)) : failed.length === 0;
  return { version: 1, command: [...input.command], cases: input.cases, rules, passed, failed, ok, wallMs: Math.round(input.wallMs) };
}
