// The `imds-lab check` report as HTML (pure): one section per case (a printed page each) with the rules'
// verdicts and evidence, and the case's traffic as one ladder: every SYN, each request and its answer.
import type { CaseReport, CheckReport } from '../check/check-report.ts';
import { escapeHtml } from './html-escape.ts';
import type { LadderEvent, LadderView } from './ladder-model.ts';
import { formatDuration, ruleText } from './ladder-model.ts';
import { ladderFigureHtml, pageShell } from './page-html.ts';

/** A case's traffic on one time axis (ms since the command started); the report does not group it by connection. */
export function caseLadder(c: CaseReport, index: number): LadderView {
  const events: LadderEvent[] = [];
  const answered = c.requests.length > 0;
  c.syns.atMs.forEach((ms, i) => {
    const gap = i === 0 ? '' : ` (${formatDuration((ms - c.syns.atMs[i - 1]!) * 1000)} after the previous SYN)`;
    events.push({ tUs: ms * 1000, from: 'client', kind: 'syn', label: 'SYN', detail: `SYN ${i + 1} of ${c.syns.count} at +${formatDuration(ms * 1000)}${gap}${answered ? '' : ': no request followed (nothing answered)'}`, unanswered: !answered });
  });
  for (const r of c.requests) {
    const path = r.target.split('?')[0] ?? r.target;
    const version = /[?&]api-version=([^&]*)/.exec(r.target)?.[1] ?? 'none';
    events.push({
      tUs: r.atMs * 1000,
      from: 'client',
      kind: 'request',
      label: `${r.method} ${path}`,
      detail: `${r.method} ${r.target} (api-version ${version}, ${r.metadata === undefined ? 'no Metadata header' : `Metadata: ${r.metadata}`}, ${r.viaProxy ? 'via a proxy' : 'direct'})`,
      unanswered: false,
      note: `api-version ${version} · ${r.metadata === undefined ? 'no Metadata' : `Metadata: ${r.metadata}`} · ${r.viaProxy ? 'via a proxy' : 'direct'}`,
    });
    events.push({ tUs: (r.atMs + r.latencyMs) * 1000, from: 'server', kind: 'response', label: String(r.status), detail: `${r.status} after ${formatDuration(r.latencyMs * 1000)}; rule ${ruleText(r.rule)}`, unanswered: false, status: r.status, note: `rule ${r.rule}` });
  }
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.tUs - b.e.tUs || a.i - b.i).map((x) => x.e);
  const statuses = c.requests.map((r) => r.status);
  return {
    index,
    title: `case ${c.id}: the app's traffic`,
    // The app is the client even when a proxy forwarded its requests (the detail of each request says so).
    client: { address: c.requests.some((r) => r.viaProxy) ? 'the app, via a proxy' : 'the app', port: 0, role: `${c.syns.connections} connection(s)`, viaProxy: false },
    server: { address: '169.254.169.254', port: 80 },
    interfaces: [],
    events: ordered,
    synCount: c.syns.count,
    statuses,
    summary: `${c.syns.count} SYN(s) on ${c.syns.connections} connection(s), ${c.requests.length} request(s)${statuses.length ? `: ${statuses.join(', ')}` : ''}`,
  };
}

function caseSection(c: CaseReport, index: number): string {
  const rows = c.rules
    .map((r) => `<tr><td>${escapeHtml(r.id)}</td><td class="${r.status === 'fail' ? 'fail' : r.status === 'pass' ? 'pass' : ''}">${r.status === 'fail' ? '✕ ' : r.status === 'pass' ? '✓ ' : ''}${escapeHtml(r.status)}</td><td class="w">${escapeHtml(r.evidence)}</td><td class="w">${escapeHtml(r.fix ?? '')}</td></tr>`)
    .join('');
  const exit = c.error ? `not run: ${c.error}` : `exit ${c.exit ?? '—'}${c.timedOut ? ' (killed by the case timeout)' : ''} after ${formatDuration(c.durationMs * 1000)}`;
  const stderr = c.stderrTail.length ? `<details><summary>stderr (last lines)</summary><pre>${escapeHtml(c.stderrTail.join('\n'))}</pre></details>` : '';
  return `<section class="case" id="case-${index + 1}" aria-labelledby="case-${index + 1}-h"><h2 id="case-${index + 1}-h">${escapeHtml(c.id)}: ${escapeHtml(c.title)}</h2><p>${escapeHtml(exit)}</p>
<div class="tw"><table><caption>Rules in this case</caption><thead><tr><th scope="col">rule</th><th scope="col">verdict</th><th scope="col">evidence</th><th scope="col">fix</th></tr></thead><tbody>${rows}</tbody></table></div>
<div class="ladders">${ladderFigureHtml(caseLadder(c, index))}</div>${stderr}</section>`;
}

export function renderCheckPage(report: CheckReport, generated: string): string {
  const title = `imds-lab check: ${report.command.join(' ')}`;
  const summary = `<section class="verdict${report.ok ? ' ok' : ''}" aria-label="verdict"><h3>${report.ok ? '✓ every required rule passed' : '✕ required rules failed'}</h3><p>passed: ${escapeHtml(report.passed.join(', ') || 'none')}</p><p>failed: ${escapeHtml(report.failed.join(', ') || 'none')}</p></section>`;
  const index = `<nav aria-label="cases"><ol>${report.cases.map((c, i) => `<li><a href="#case-${i + 1}">${escapeHtml(c.id)}</a>: ${escapeHtml(c.title)}</li>`).join('')}</ol></nav>`;
  return pageShell(title, `<header><h1>${escapeHtml(title)}</h1><dl class="facts"><div><dt>cases</dt><dd>${report.cases.length}</dd></div><div><dt>generated</dt><dd>${escapeHtml(generated)}</dd></div></dl></header><main>${summary}${index}${report.cases.map(caseSection).join('')}</main>`);
}
