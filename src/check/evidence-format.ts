// Small formatters for rule evidence: seconds, time lists and request lines ("GET /metadata/instance → 410 at 1.0 s").
import type { ReportRequest } from './check-report.ts';

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** "0.0, 1.0, 3.0 s" (at most `max` items, then "…"). */
export function times(list: readonly number[], max = 8): string {
  if (list.length === 0) return 'none';
  const shown = list.slice(0, max).map((t) => (t / 1000).toFixed(1));
  return `${shown.join(', ')}${list.length > max ? ', …' : ''} s`;
}

export function requestLine(r: ReportRequest): string {
  return `${r.method} ${r.target} → ${r.status}${r.rule === 'handler' ? '' : ` (${r.rule})`} at ${secs(r.atMs)}`;
}

/** "3 requests: 410, 410, 200" */
export function statusList(requests: readonly ReportRequest[], max = 10): string {
  const shown = requests.slice(0, max).map((r) => String(r.status));
  return `${requests.length} request${requests.length === 1 ? '' : 's'}: ${shown.join(', ')}${requests.length > max ? ', …' : ''}`;
}

export function exitText(exit: number | null, timedOut: boolean, durationMs: number): string {
  if (timedOut) return `still running after ${secs(durationMs)}, killed`;
  return `exit ${exit} after ${secs(durationMs)}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
