// Human output of `imds-lab check`: one table (rule × case: ok, FAIL, or · when not applicable), then one
// line of evidence and the fix per failed rule, and a line per case (exit, time, requests, SYNs).
import type { CaseReport, CheckReport, RuleStatus } from './check-report.ts';
import { exitText, plural } from './evidence-format.ts';
import { ruleDefinition } from './rule-table.ts';

const CELL: Record<RuleStatus, string> = { pass: 'ok', fail: 'FAIL', 'not-applicable': '·' };

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

export function caseLine(c: CaseReport): string {
  if (c.error !== undefined) return `${c.id}: could not run: ${c.error}`;
  return `${c.id}: ${exitText(c.exit, c.timedOut, c.durationMs)}, ${plural(c.requests.length, 'request')}, ${plural(c.syns.count, 'SYN')}`;
}

export function renderTable(report: CheckReport): string {
  const ruleWidth = Math.max(4, ...report.rules.map((r) => r.id.length)) + 2;
  const widths = report.cases.map((c) => Math.max(c.id.length, 4) + 2);
  const lines: string[] = [];
  lines.push(`imds-lab check: ${report.command.join(' ')}`);
  lines.push('');
  lines.push(pad('rule', ruleWidth) + report.cases.map((c, i) => pad(c.id, widths[i]!)).join('') + 'result');
  for (const rule of report.rules) {
    const cells = report.cases.map((c, i) => pad(CELL[c.rules.find((v) => v.id === rule.id)?.status ?? 'not-applicable'], widths[i]!));
    const result = rule.status === 'pass' ? 'pass' : rule.status === 'fail' ? 'FAIL' : 'n/a';
    lines.push(pad(rule.id, ruleWidth) + cells.join('') + result + (rule.required ? '' : ' (not required)'));
  }
  const failures = report.cases.flatMap((c) => c.rules.filter((v) => v.status === 'fail').map((v) => ({ c, v })));
  if (failures.length > 0) {
    lines.push('');
    for (const { c, v } of failures) {
      lines.push(`FAIL ${v.id} in ${c.id}: ${v.evidence}`);
      lines.push(`     fix: ${v.fix ?? ruleDefinition(v.id).fix}`);
    }
  }
  lines.push('');
  for (const c of report.cases) lines.push(caseLine(c));
  lines.push('');
  lines.push(`${report.ok ? 'passed' : 'FAILED'}: ${report.passed.length} rules passed, ${report.failed.length} failed${report.failed.length > 0 ? ` (${report.failed.join(', ')})` : ''}; ${(report.wallMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
