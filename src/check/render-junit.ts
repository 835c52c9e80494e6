// JUnit XML of a check report (one testcase per rule; failure = the failing cases' evidence and the fix;
// skipped = not applicable), for CI systems that show test reports.
import type { CheckReport } from './check-report.ts';
import { ruleDefinition } from './rule-table.ts';

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot hold at all are dropped; the five specials are escaped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

export function renderJunit(report: CheckReport): string {
  const failures = report.rules.filter((r) => r.status === 'fail').length;
  const skipped = report.rules.filter((r) => r.status === 'not-applicable').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="imds-lab check" tests="${report.rules.length}" failures="${failures}" time="${(report.wallMs / 1000).toFixed(3)}">`);
  out.push(`  <testsuite name="${escapeXml(`imds-lab check: ${report.command.join(' ')}`)}" tests="${report.rules.length}" failures="${failures}" skipped="${skipped}" time="${(report.wallMs / 1000).toFixed(3)}">`);
  for (const rule of report.rules) {
    const verdicts = report.cases.flatMap((c) => c.rules.filter((v) => v.id === rule.id).map((v) => ({ caseId: c.id, ...v })));
    const detail = verdicts.map((v) => `${v.caseId}: ${v.status}: ${v.evidence}`).join('\n');
    const name = `${rule.id}: ${ruleDefinition(rule.id).title}`;
    out.push(`    <testcase classname="imds-lab.check" name="${escapeXml(name)}">`);
    if (rule.status === 'fail') {
      const first = verdicts.find((v) => v.status === 'fail')!;
      out.push(`      <failure message="${escapeXml(`${first.caseId}: ${first.evidence}`)}" type="${rule.id}">${escapeXml(`${detail}\nfix: ${ruleDefinition(rule.id).fix}`)}</failure>`);
    } else if (rule.status === 'not-applicable') {
      out.push(`      <skipped message="${escapeXml(verdicts.length > 0 ? `not applicable: ${verdicts[0]!.evidence}` : 'no case ran for this rule')}"/>`);
    }
    if (detail !== '') out.push(`      <system-out>${escapeXml(detail)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
