// Renders the whole self-contained HTML page (no script, no network: a CSP forbids both): verdict, the
// path figures side by side (as running / with --fixed), one ladder per connection, each with a text table.
import { escapeHtml } from './html-escape.ts';
import { formatDuration, type LadderView } from './ladder-model.ts';
import { renderLadderSvg } from './ladder-svg.ts';
import type { PathView } from './path-model.ts';
import { renderPathSvg } from './path-svg.ts';

export interface PageModel {
  readonly title: string;
  /** Key facts shown under the title (lab, scenario, capture, source). */
  readonly facts: readonly (readonly [string, string])[];
  readonly verdict: { readonly ok: boolean; readonly title: string; readonly detail: string; readonly fix: string | null } | null;
  readonly paths: readonly PathView[];
  /** Why there is no path figure, or a remark about it. */
  readonly pathNote: string | null;
  readonly ladders: readonly LadderView[];
  readonly ladderNote: string | null;
  /** What was checked, per vantage point (the doctor: from the VM, and from its container when it has one). */
  readonly checks?: readonly CheckGroup[];
}

/** One vantage point's checks: its heading and each check with its result and detail. */
export interface CheckGroup {
  readonly heading: string;
  readonly findings: readonly { readonly check: string; readonly ok: boolean; readonly detail: string }[];
}

export const PAGE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--path:#0a5fb4;--bad:#b3261e;--ok:#1a7f37;--mark:#9a6700;--bg:#fff;--panel:#f6f8fa}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:16px;max-width:1600px}
h1{font-size:1.4em;margin:0 0 .3em}h1,dd,figcaption,p,li,code{overflow-wrap:anywhere}h2{font-size:1.2em;margin:1.4em 0 .5em;border-bottom:1px solid var(--line)}h3{font-size:1.05em;margin:.2em 0}
dl.facts{display:flex;flex-wrap:wrap;gap:.2em 1.4em;margin:.2em 0 1em;color:var(--muted)}dl.facts div{display:flex;gap:.4em}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.verdict{border-left:6px solid var(--bad);background:var(--panel);padding:.6em 1em;margin:.6em 0}.verdict.ok{border-color:var(--ok)}.verdict code{white-space:pre-wrap;word-break:break-all}
.paths{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,620px),1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px;background:var(--bg);break-inside:avoid;page-break-inside:avoid;min-width:0}
figcaption{font-weight:600;margin-bottom:.4em}svg{width:100%;height:auto;display:block}.pathsvg{max-width:880px}.laddersvg{max-width:760px}
.stoptext{margin:.5em 0;padding:.3em .6em;border-radius:4px;background:var(--panel)}.stoptext.bad strong{color:var(--bad)}.stoptext.ok strong{color:var(--ok)}
.tw{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;margin:.4em 0;min-width:100%}th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--panel)}tr.chosen td{background:#ddf4ff;font-weight:600}td.w{word-break:break-all}
details{margin:.3em 0}summary{cursor:pointer;color:var(--muted)}
.ns{fill:#fbfcfd;stroke:#8c959f;stroke-dasharray:5 4}.nst{font-size:12px;fill:var(--muted);font-weight:600}
.box rect{fill:#fff;stroke:#8c959f;stroke-width:1.2}.box.chosen rect{stroke:var(--path);stroke-width:3;fill:#eef6ff}
.bt{font-size:14.5px;font-weight:700;fill:var(--fg)}.st{font-size:12.5px;fill:var(--muted)}
.edge{stroke:#c4cbd3;stroke-width:1.2;stroke-dasharray:3 4}.path{stroke:var(--path);stroke-width:4}.ah{fill:var(--path)}
.stop circle{stroke:#fff;stroke-width:2}.stop.bad circle{fill:var(--bad)}.stop.ok circle{fill:var(--ok)}.stop text{fill:#fff;font-size:14px;font-weight:700}
.head rect{fill:var(--panel);stroke:#8c959f}.life{stroke:#8c959f;stroke-width:1.5;stroke-dasharray:6 4}
.arrow{stroke:var(--fg);stroke-width:1.6}.ev-syn .arrow{stroke:#6639ba}.ev-request .arrow{stroke:var(--path)}.ev-response .arrow{stroke:var(--ok)}
.ev-response.s4xx .arrow,.ev-response.s5xx .arrow,.ev-rst .arrow,.ev-icmp .arrow{stroke:var(--bad)}.ev-icmp .arrow{stroke-dasharray:10 3 2 3}.unanswered .arrow{stroke:var(--bad);stroke-dasharray:6 3}
.al{font-size:12.5px;fill:var(--fg)}.ev-response.s4xx .al,.ev-response.s5xx .al{fill:var(--bad);font-weight:700}.ev-response.s2xx .al{fill:var(--ok);font-weight:700}
.cross{fill:var(--bad);font-size:15px;font-weight:700}.tm{font-size:14px;fill:var(--muted);font-family:ui-monospace,monospace}.laddersvg .al{font-size:15.5px}.nl{font-size:13px;fill:var(--muted)}.laddersvg .bt{font-size:16px}.laddersvg .st{font-size:13.5px}.laddersvg .marktext{font-size:14px}.laddersvg .axisnote{font-size:13px}
.markline{stroke:var(--mark);stroke-width:1.5;stroke-dasharray:2 3}.marktext{fill:var(--mark);font-size:12px;font-weight:700}.axisnote{font-size:11px;fill:var(--muted)}
.ladders{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,620px),1fr));gap:16px}
@media (max-width:600px){body{padding:8px;font-size:14px}.sw{overflow-x:auto}.pathsvg{min-width:600px}.laddersvg{min-width:540px}}
section.case{border-top:2px solid var(--line);margin-top:1.5em}.pass{color:var(--ok);font-weight:700}.fail{color:var(--bad);font-weight:700}
@media print{.sw{overflow:visible}.pathsvg,.laddersvg{min-width:0}section.case{break-before:page}body{padding:0;max-width:none;font-size:11pt}figure{border-color:#999}.paths,.ladders{display:block}figure{margin-bottom:12px}details{display:block}details>*{display:block}summary{display:none}tr.chosen td{background:none;text-decoration:underline}}
`;

function routeTable(v: PathView): string {
  const rows = v.routes
    .map((r) => {
      const cells = [r.dst, r.dev, r.gateway ?? 'on-link', r.prefsrc ?? '', r.metric === undefined ? '' : String(r.metric), r.chosen ? '◀ used by this request' : ''];
      return `<tr${r.chosen ? ' class="chosen"' : ''}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<div class="tw"><table><caption>Routes in the VM (${v.predicted ? 'after the fix, predicted' : 'ip route show'})</caption><thead><tr><th scope="col">destination</th><th scope="col">device</th><th scope="col">gateway</th><th scope="col">source</th><th scope="col">metric</th><th scope="col">used</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function pathFigure(v: PathView, i: number): string {
  const id = `path-${i}`;
  const hops = v.hops.map((h) => `<li><strong>${escapeHtml(h.label)}</strong>: ${escapeHtml(h.detail)}</li>`).join('');
  const ifaces = v.interfaces.map((n) => `<li>${escapeHtml(n.device)} (${n.role}): ${escapeHtml(n.addresses.join(', '))}${n.gateway ? `, gateway ${escapeHtml(n.gateway)}` : ''}</li>`).join('');
  return `<figure class="pathfig" data-stop="${escapeHtml(v.stop.kind)}" aria-labelledby="${id}-cap"><figcaption id="${id}-cap">${escapeHtml(v.caption)}</figcaption><div class="sw">${renderPathSvg(v, id)}</div>
<p class="stoptext ${v.stop.ok ? 'ok' : 'bad'}"><strong>${v.stop.ok ? '✓' : '✕'} ${escapeHtml(v.stop.title)}</strong>: ${escapeHtml(v.stop.detail)}</p>
<details open><summary>The path in words, interfaces and routes</summary><ol class="hops">${hops}</ol><ul>${ifaces}</ul>${routeTable(v)}</details></figure>`;
}

function ladderFigure(v: LadderView): string {
  const id = `conn-${v.index + 1}`;
  const rows = v.events
    .map((e) => `<tr class="ev-${e.kind}"><td>+${escapeHtml(formatDuration(e.tUs))}</td><td>${e.from === 'axis' ? 'mark' : e.from === 'client' ? 'client → IMDS' : e.kind === 'icmp' ? 'ICMP → client' : 'IMDS → client'}</td><td>${escapeHtml(e.label)}</td><td class="w">${escapeHtml(e.detail)}</td></tr>`)
    .join('');
  return `<figure class="ladder" id="${id}" data-syns="${v.synCount}" data-statuses="${v.statuses.join(' ')}" aria-labelledby="${id}-cap"><figcaption id="${id}-cap">${escapeHtml(v.title)} <span class="st">(${escapeHtml(v.client.role)})</span></figcaption>
<p>${escapeHtml(v.summary)}</p><div class="sw">${renderLadderSvg(v, id)}</div>
<details><summary>Events as a table</summary><div class="tw"><table><caption>Events of connection ${v.index + 1}</caption><thead><tr><th scope="col">time</th><th scope="col">direction</th><th scope="col">event</th><th scope="col">detail</th></tr></thead><tbody>${rows}</tbody></table></div></details></figure>`;
}

function checkTable(g: CheckGroup, i: number): string {
  const rows = g.findings.map((f) => `<tr><td class="${f.ok ? 'pass' : 'fail'}">${f.ok ? 'ok' : 'FAIL'}</td><td>${escapeHtml(f.check)}</td><td class="w">${escapeHtml(f.detail)}</td></tr>`).join('');
  return `<div class="tw"><table id="checks-${i}"><caption>${escapeHtml(g.heading)}</caption><thead><tr><th scope="col">result</th><th scope="col">check</th><th scope="col">detail</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The HTML document around a body: charset, viewport, the CSP that forbids scripts and network, the CSS. */
export function pageShell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title><style>${PAGE_CSS}</style></head>
<body>${body}</body></html>
`;
}

export function ladderFigureHtml(v: LadderView): string {
  return ladderFigure(v);
}

export function renderPage(m: PageModel): string {
  const facts = m.facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('');
  const verdict = m.verdict
    ? `<section class="verdict${m.verdict.ok ? ' ok' : ''}" aria-label="verdict"><h3>${m.verdict.ok ? '✓' : '✕'} ${escapeHtml(m.verdict.title)}</h3><p>${escapeHtml(m.verdict.detail)}</p>${m.verdict.fix ? `<p>fix: <code>${escapeHtml(m.verdict.fix)}</code></p>` : ''}</section>`
    : '';
  const paths = m.paths.length ? `<div class="paths">${m.paths.map(pathFigure).join('')}</div>` : '';
  const pathNote = m.pathNote ? `<p class="note">${escapeHtml(m.pathNote)}</p>` : '';
  const ladders = m.ladders.length ? `<div class="ladders">${m.ladders.map(ladderFigure).join('')}</div>` : '';
  const ladderNote = m.ladderNote ? `<p class="note">${escapeHtml(m.ladderNote)}</p>` : '';
  const checks = m.checks?.length ? `\n<section aria-labelledby="h-checks"><h2 id="h-checks">What was checked</h2>${m.checks.map(checkTable).join('')}</section>` : '';
  return pageShell(
    m.title,
    `<header><h1>${escapeHtml(m.title)}</h1><dl class="facts">${facts}</dl></header>
<main>${verdict}${checks}
<section aria-labelledby="h-path"><h2 id="h-path">The path to 169.254.169.254</h2>${pathNote}${paths}</section>
<section aria-labelledby="h-conn"><h2 id="h-conn">Connections (${m.ladders.length})</h2>${ladderNote}${ladders}</section>
</main>`,
  );
}
