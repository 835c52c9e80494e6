// The report of `imds-lab check` (docs/check.md "JSON"): what each case recorded and each rule's verdict.
// Well-typed and dependency-free so renderers (table, JUnit, HTML) can import it.

/** Stable rule ids (issue 13; docs/check.md "Rules"). */
export const RULE_IDS = [
  'succeeds-healthy',
  'metadata-header',
  'bypass-proxy',
  'retries-410',
  'backs-off-429',
  'retries-5xx',
  'tolerates-slow',
  'bounded-timeout',
  'fails-fast-absent',
  'within-rate-limit',
  'supported-api-version',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type RuleStatus = 'pass' | 'fail' | 'not-applicable';

/** One request as the report shows it (times in ms since the command started). */
export interface ReportRequest {
  readonly atMs: number;
  readonly method: string;
  /** Path and query as sent, e.g. /metadata/instance?api-version=2021-02-01. */
  readonly target: string;
  readonly status: number;
  /** The request rule that decided the answer (metadata-header, api-version, fault, handler, …). */
  readonly rule: string;
  readonly latencyMs: number;
  readonly remoteAddress: string;
  /** The Metadata header as sent (undefined: none). */
  readonly metadata?: string | undefined;
  readonly viaProxy: boolean;
}

/** SYN evidence from the wire (the lab's capture in front of the userspace stack; SYNs a fault drops included). */
export interface ReportSyns {
  /** SYNs sent, retransmissions included. */
  readonly count: number;
  /** Connection attempts (distinct client ports). */
  readonly connections: number;
  /** Time of every SYN in ms since the command started. */
  readonly atMs: readonly number[];
}

export interface RuleVerdict {
  readonly id: RuleId;
  readonly status: RuleStatus;
  /** One line of concrete evidence (times, statuses, SYNs, exit code). */
  readonly evidence: string;
  /** What Azure's guidance recommends (set when the rule failed). */
  readonly fix?: string;
}

export interface CaseReport {
  readonly id: string;
  readonly title: string;
  /** The app's exit code; null when the lab could not be set up. */
  readonly exit: number | null;
  /** Killed by the case timeout (it did not end by itself). */
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly requests: readonly ReportRequest[];
  readonly syns: ReportSyns;
  /** The last lines of the app's stderr. */
  readonly stderrTail: readonly string[];
  /** Set when the case could not be run (lab set-up failed); its rules are then failed with this message. */
  readonly error?: string;
  readonly rules: readonly RuleVerdict[];
}

export interface RuleSummary {
  readonly id: RuleId;
  readonly status: RuleStatus;
  /** Whether the exit code depends on this rule. */
  readonly required: boolean;
  /** Cases where the rule applied, with their status. */
  readonly cases: readonly { readonly id: string; readonly status: RuleStatus }[];
}

export interface CheckReport {
  /** Report format version. */
  readonly version: 1;
  readonly command: readonly string[];
  readonly cases: readonly CaseReport[];
  readonly rules: readonly RuleSummary[];
  /** Rule ids that passed / failed overall. */
  readonly passed: readonly RuleId[];
  readonly failed: readonly RuleId[];
  /** True when every required rule passed (the exit code of `check` is 0). */
  readonly ok: boolean;
  readonly wallMs: number;
}
