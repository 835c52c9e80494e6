// Runs `imds-lab check`: picks the cases (explicit, or those the selected rules need), records each in its own
// lab (at most `jobs` labs at a time), grades the recordings and builds the report.
import { randomBytes } from 'node:crypto';
import { ImdsLabError } from '../util/errors.ts';
import { checkCases, DEFAULT_PARAMETERS, REQUEST_RULES, type CaseParameters, type CheckCase } from './check-cases.ts';
import { RULE_IDS, type CaseReport, type CheckReport, type RuleId } from './check-report.ts';
import { buildReport, gradeCase } from './grade.ts';
import { recordCase, type LabStarter } from './record-case.ts';

export interface CheckOptions {
  /** Case ids (default: the default cases, or those the selected rules need). */
  readonly cases?: readonly string[];
  /** Rules to grade (default: all). */
  readonly rules?: readonly string[];
  /** Rules that must pass for `ok` (default: no graded rule may fail). */
  readonly require?: readonly string[];
  /** Labs at a time (default 2). */
  readonly jobs?: number;
  /** Overrides every case's command time limit (ms). */
  readonly timeoutMs?: number;
  /** VM profile file for every lab. */
  readonly profile?: string;
  /** Story durations and rule bounds (docs/check.md "Parameters"). */
  readonly parameters?: Partial<CaseParameters>;
  /** Base environment of the app (default process.env at the caller); proxy variables are removed. */
  readonly env?: NodeJS.ProcessEnv;
  /** Abort: running labs are removed at once, cases not yet run are skipped (recorded as not run). */
  readonly signal?: AbortSignal;
  /** Called as each case finishes. */
  readonly onCase?: (report: CaseReport) => void;
}

export function checkUsageError(message: string): ImdsLabError {
  return new ImdsLabError('ERR_CHECK_USAGE', message);
}

export function parseRuleIds(list: readonly string[], what: string): RuleId[] {
  for (const id of list) {
    if (!(RULE_IDS as readonly string[]).includes(id)) throw checkUsageError(`${what}: unknown rule ${JSON.stringify(id)} (rules: ${RULE_IDS.join(', ')})`);
  }
  return RULE_IDS.filter((id) => list.includes(id));
}

/** The cases to run: the named ones, else the default cases the selected rules need (healthy for request rules only). */
export function selectCases(all: readonly CheckCase[], caseIds: readonly string[] | undefined, rules: readonly RuleId[]): CheckCase[] {
  if (caseIds !== undefined && caseIds.length > 0) {
    return caseIds.map((id) => {
      const found = all.find((c) => c.id === id);
      if (!found) throw checkUsageError(`--case: unknown case ${JSON.stringify(id)} (cases: ${all.map((c) => c.id).join(', ')})`);
      return found;
    });
  }
  const defaults = all.filter((c) => c.byDefault);
  if (rules.length === RULE_IDS.length) return defaults;
  const needed = defaults.filter((c) => c.rules.some((r) => rules.includes(r)));
  if (needed.length === 0 && rules.some((r) => REQUEST_RULES.includes(r))) return defaults.filter((c) => c.id === 'healthy');
  return needed;
}

/** Labs started by this process (several checks may run at once in one test process). */
let labCounter = 0;

/** A unique lab name of at most 13 characters: ck, the pid, a counter, 2 random bytes. */
function labName(): string {
  return `ck${(process.pid % 46_656).toString(36)}${(labCounter++ % 1296).toString(36)}${randomBytes(2).toString('hex')}`;
}

export async function runCheck(argv: readonly string[], options: CheckOptions, startLab: LabStarter): Promise<CheckReport> {
  if (argv.length === 0) throw checkUsageError('no command to check');
  const parameters: CaseParameters = { ...DEFAULT_PARAMETERS, ...options.parameters };
  const required = options.require !== undefined && options.require.length > 0 ? parseRuleIds(options.require, '--require') : undefined;
  // A required rule is always graded.
  const selected = options.rules !== undefined && options.rules.length > 0 ? parseRuleIds([...options.rules, ...(required ?? [])], '--rule') : [...RULE_IDS];
  const cases = selectCases(checkCases(parameters), options.cases, selected);
  const jobs = Math.max(1, Math.floor(options.jobs ?? 2));
  const started = performance.now();
  const reports: CaseReport[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index]!;
      const recording = await recordCase(c, argv, {
        startLab,
        env: options.env ?? {},
        labName: labName(),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
      reports[index] = gradeCase(c, recording, parameters, selected);
      options.onCase?.(reports[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, cases.length) }, worker));
  return buildReport({ command: argv, cases: reports, selected, ...(required !== undefined ? { required } : {}), wallMs: performance.now() - started });
}
