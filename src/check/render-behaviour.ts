// `imds-lab run --report`: the behaviour summary of one run without grading (exit, time, each request with
// its time, status, rule and Metadata header, the busiest second, SYNs from the wire, the stderr tail).
import type { CaseReport } from './check-report.ts';
import { exitText, plural, secs, times } from './evidence-format.ts';
import { busiestSecond } from './rules-requests.ts';

type Behaviour = Pick<CaseReport, 'exit' | 'timedOut' | 'durationMs' | 'requests' | 'syns' | 'stderrTail'>;

export function renderBehaviour(b: Behaviour): string {
  const lines: string[] = [`run report: ${exitText(b.exit, b.timedOut, b.durationMs)}`];
  lines.push(`  ${plural(b.requests.length, 'request')} reached IMDS`);
  for (const q of b.requests.slice(0, 50)) {
    const header = q.metadata === undefined ? 'no Metadata header' : `Metadata: ${q.metadata}`;
    lines.push(`    ${secs(q.atMs).padStart(7)}  ${q.method} ${q.target} → ${q.status} (${q.rule}) from ${q.remoteAddress}${q.viaProxy ? ' via a proxy' : ''}, ${header}, ${q.latencyMs} ms`);
  }
  if (b.requests.length > 50) lines.push(`    … ${b.requests.length - 50} more`);
  if (b.requests.length > 0) lines.push(`  busiest second: ${plural(busiestSecond(b.requests.map((q) => q.atMs)).count, 'request')}`);
  lines.push(`  ${plural(b.syns.count, 'SYN')} on ${plural(b.syns.connections, 'connection')}${b.syns.count > 0 ? ` at ${times(b.syns.atMs)}` : ''}`);
  if (b.stderrTail.length > 0) lines.push('  stderr (last lines):', ...b.stderrTail.map((l) => `    ${l}`));
  return `${lines.join('\n')}\n`;
}
