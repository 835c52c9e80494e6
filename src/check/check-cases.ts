// The cases of `imds-lab check` as data: a lab scenario plus what is done to the responder before the app
// starts (HTTP faults, network faults, a timeline), the rules that apply, and the command's time limit.
import type { FaultInput, TimelineInput } from '../control/control-client.ts';
import type { RuleId } from './check-report.ts';

/** Durations and bounds of the cases and rules; every one can be overridden (checkClient options.parameters). */
export interface CaseParameters {
  /** gone-410: how long every request answers 410 before IMDS recovers. */
  readonly goneMs: number;
  /** throttled-429: how many requests answer 429 first. */
  readonly throttledCount: number;
  /** server-error-500: how many requests answer 500 first. */
  readonly serverErrorCount: number;
  /** slow: delay of the first response byte. */
  readonly slowMs: number;
  /** bounded-timeout: the app must end by itself within this time when IMDS never answers. */
  readonly hangBoundMs: number;
  /** fails-fast-absent: the app must end within this time when IMDS is refused or unroutable. */
  readonly absentBoundMs: number;
  /** fails-fast-absent: at most this many connection attempts. */
  readonly maxAttempts: number;
  /** The command is killed after this long (a case that must recover gets its story on top). */
  readonly timeoutMs: number;
}

export const DEFAULT_PARAMETERS: CaseParameters = {
  goneMs: 20_000,
  throttledCount: 3,
  serverErrorCount: 2,
  slowMs: 2_000,
  hangBoundMs: 60_000,
  absentBoundMs: 15_000,
  maxAttempts: 10,
  timeoutMs: 60_000,
};

/** What the recorder does to the responder before the app starts. */
export type CaseSetup =
  | { readonly kind: 'http-fault'; readonly fault: FaultInput }
  | { readonly kind: 'net-fault'; readonly spec: string }
  | { readonly kind: 'timeline'; readonly timeline: TimelineInput };

export interface CheckCase {
  readonly id: string;
  readonly title: string;
  /** Lab scenario (netns/scenarios) and whether its fix is applied. */
  readonly scenario: string;
  readonly fixed: boolean;
  readonly setup: readonly CaseSetup[];
  /** Also set HTTPS_PROXY/https_proxy to the scenario's HTTP_PROXY (proxy-env: every proxy variable, NO_PROXY unset). */
  readonly proxyEverywhere?: boolean;
  /** The rules this case exists for (the request rules apply to every case with requests). */
  readonly rules: readonly RuleId[];
  /** The command is killed (SIGKILL, its whole process group) after this long. */
  readonly timeoutMs: number;
  /** In the default `check` run. */
  readonly byDefault: boolean;
}

/** Rules judged on the requests of every case. */
export const REQUEST_RULES: readonly RuleId[] = ['metadata-header', 'within-rate-limit', 'supported-api-version'];

/** Every case, built for the given parameters (defaults: DEFAULT_PARAMETERS). */
export function checkCases(p: CaseParameters = DEFAULT_PARAMETERS): CheckCase[] {
  const plain = (id: string, title: string, scenario: string, rules: RuleId[], setup: CaseSetup[] = [], timeoutMs = p.timeoutMs): CheckCase => ({
    id,
    title,
    scenario,
    fixed: false,
    setup,
    rules,
    timeoutMs,
    byDefault: true,
  });
  const hangTimeout = p.hangBoundMs + 5_000;
  return [
    plain('healthy', 'IMDS answers normally', 'healthy', ['succeeds-healthy']),
    { ...plain('proxy-env', 'HTTP_PROXY/HTTPS_PROXY point at a forwarding proxy, NO_PROXY unset', 'proxy-leak', ['bypass-proxy']), proxyEverywhere: true },
    plain('gone-410', `410 Gone for ${seconds(p.goneMs)}, then 200`, 'healthy', ['retries-410'], [{ kind: 'timeline', timeline: { name: 'gone-410', phases: [{ duration: p.goneMs, status: 410, label: 'gone' }, { label: 'ok' }] } }], p.timeoutMs + p.goneMs),
    plain('throttled-429', `429 for the first ${p.throttledCount} requests`, 'healthy', ['backs-off-429'], [{ kind: 'http-fault', fault: { path: '/', status: 429, count: p.throttledCount } }]),
    plain('server-error-500', `500 for the first ${p.serverErrorCount} requests`, 'healthy', ['retries-5xx'], [{ kind: 'http-fault', fault: { path: '/', status: 500, count: p.serverErrorCount } }]),
    plain('slow', `first response byte after ${seconds(p.slowMs)}`, 'healthy', ['tolerates-slow'], [{ kind: 'net-fault', spec: `delay-first-byte=${p.slowMs}` }]),
    plain('black-hole', 'SYNs to IMDS vanish (no RST, no ICMP)', 'healthy', ['bounded-timeout'], [{ kind: 'net-fault', spec: 'black-hole' }], hangTimeout),
    plain('refused', 'IMDS refuses connections (RST)', 'healthy', ['fails-fast-absent'], [{ kind: 'net-fault', spec: 'refuse' }], Math.max(p.timeoutMs, p.absentBoundMs + 5_000)),
    plain('no-route', 'no route to 169.254.169.254 (ENETUNREACH)', 'no-route', ['fails-fast-absent'], [], Math.max(p.timeoutMs, p.absentBoundMs + 5_000)),
    plain('secondary-nic', 'the IMDS route leaves the secondary NIC; IMDS drops it', 'secondary-nic', ['bounded-timeout'], [], hangTimeout),
    plain('failover-cluster', 'an on-link 169.254.0.0/16 (cluster adapter) captures the traffic', 'failover-cluster', ['bounded-timeout'], [], hangTimeout),
    { ...plain('secondary-nic-fixed', 'secondary-nic with its documented fix: must succeed', 'secondary-nic', ['succeeds-healthy']), fixed: true, byDefault: false },
    { ...plain('failover-cluster-fixed', 'failover-cluster with its documented fix: must succeed', 'failover-cluster', ['succeeds-healthy']), fixed: true, byDefault: false },
    { ...plain('proxy-env-fixed', 'proxy-env with NO_PROXY=169.254.169.254: must succeed', 'proxy-leak', ['succeeds-healthy']), fixed: true, proxyEverywhere: true, byDefault: false },
  ];
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Command-line names of the parameters (`check --param NAME=VALUE`). */
export const PARAMETER_NAMES: Readonly<Record<string, { readonly key: keyof CaseParameters; readonly kind: 'duration' | 'count' }>> = {
  gone: { key: 'goneMs', kind: 'duration' },
  'throttled-count': { key: 'throttledCount', kind: 'count' },
  'server-error-count': { key: 'serverErrorCount', kind: 'count' },
  slow: { key: 'slowMs', kind: 'duration' },
  'hang-bound': { key: 'hangBoundMs', kind: 'duration' },
  'absent-bound': { key: 'absentBoundMs', kind: 'duration' },
  'max-attempts': { key: 'maxAttempts', kind: 'count' },
};
