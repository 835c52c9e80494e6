// Renders a LadderView as an SVG sequence diagram: client and IMDS lifelines, one arrow per event going
// down in time order (gaps grow with the log of the elapsed time), dropped SYNs ending in a cross, ICMP
// errors as dash-dot arrows back to the client, marks (faults, timeline phases) as lines across the axis.
import { escapeHtml, safeToken } from './html-escape.ts';
import { formatDuration, type LadderEvent, type LadderView } from './ladder-model.ts';
import { arrowDefs, truncate } from './svg-kit.ts';

const W = 700;
const CLIENT_X = 200;
const SERVER_X = 580;
const HEAD = 64;

/** Vertical position of each event: a fixed step plus a gap that grows with the log of the elapsed time. */
export function eventRows(events: readonly LadderEvent[]): number[] {
  const ys: number[] = [];
  let y = HEAD + 26;
  events.forEach((e, i) => {
    if (i > 0) {
      const dtMs = Math.max(0, (e.tUs - events[i - 1]!.tUs) / 1000);
      y += 38 + (events[i - 1]!.note ? 16 : 0) + Math.min(70, 16 * Math.log10(1 + dtMs));
    }
    ys.push(y);
  });
  return ys;
}

function eventSvg(e: LadderEvent, y: number, prefix: string): string {
  const cls = `ev ev-${e.kind}${e.unanswered ? ' unanswered' : ''}${e.status !== undefined ? ` s${Math.floor(e.status / 100)}xx` : ''}`;
  const attrs = `data-kind="${e.kind}" data-t-us="${Math.round(e.tUs)}"${e.status !== undefined ? ` data-status="${e.status}"` : ''}${e.unanswered ? ' data-unanswered="true"' : ''}`;
  const time = `<text class="tm" x="8" y="${y + 4}">+${escapeHtml(formatDuration(e.tUs))}</text>`;
  const title = `<title>${escapeHtml(e.detail)}</title>`;
  if (e.from === 'axis') {
    return `<g class="${cls}" ${attrs}>${title}${time}<line x1="${CLIENT_X - 30}" y1="${y}" x2="${SERVER_X + 30}" y2="${y}" class="markline"/><text class="marktext" x="${(CLIENT_X + SERVER_X) / 2}" y="${y - 5}" text-anchor="middle">⚑ ${escapeHtml(truncate(e.label, 44))}</text></g>`;
  }
  const fromX = e.from === 'client' ? CLIENT_X : SERVER_X;
  const toX = e.unanswered ? (CLIENT_X + SERVER_X) / 2 + 40 : e.from === 'client' ? SERVER_X : CLIENT_X;
  const y2 = y + 10;
  const labelX = (CLIENT_X + SERVER_X) / 2;
  const line = `<line x1="${fromX}" y1="${y}" x2="${toX}" y2="${e.unanswered ? y + 5 : y2}" class="arrow"${e.unanswered ? '' : ` marker-end="url(#${prefix}-arrow)"`}/>`;
  const cross = e.unanswered ? `<text class="cross" x="${toX + 4}" y="${y + 11}">✕ ${e.kind === 'syn' ? 'dropped' : 'no response'}</text>` : '';
  const label = `<text class="al" x="${labelX}" y="${y - 5}" text-anchor="middle">${escapeHtml(truncate(e.label, 44))}</text>`;
  const note = e.note ? `<text class="nl" x="${labelX}" y="${y + 26}" text-anchor="middle">${escapeHtml(truncate(e.note, 58))}</text>` : '';
  return `<g class="${cls}" ${attrs}>${title}${time}${line}${cross}${label}${note}</g>`;
}

export function renderLadderSvg(v: LadderView, id: string): string {
  const prefix = safeToken(id);
  const ys = eventRows(v.events);
  const bottom = (ys.at(-1) ?? HEAD + 26) + (v.events.at(-1)?.note ? 44 : 30);
  const endpoint = v.client.port ? `${v.client.address}:${v.client.port}` : v.client.address;
  const clientLabel = v.client.viaProxy ? `proxy ${endpoint}` : endpoint;
  const heads = [
    `<g class="head"><rect x="${CLIENT_X - 120}" y="6" width="240" height="46" rx="6"/><text x="${CLIENT_X}" y="25" text-anchor="middle" class="bt">${escapeHtml(truncate(clientLabel, 26))}</text><text x="${CLIENT_X}" y="41" text-anchor="middle" class="st">${escapeHtml(truncate(v.client.role, 30))}</text></g>`,
    `<g class="head"><rect x="${SERVER_X - 116}" y="6" width="232" height="46" rx="6"/><text x="${SERVER_X}" y="25" text-anchor="middle" class="bt">${escapeHtml(v.server.address)}:${v.server.port}</text><text x="${SERVER_X}" y="41" text-anchor="middle" class="st">${escapeHtml(truncate(v.interfaces.length ? `IMDS, in on ${v.interfaces.join(' → ')}` : 'IMDS', 30))}</text></g>`,
    `<line x1="${CLIENT_X}" y1="50" x2="${CLIENT_X}" y2="${bottom}" class="life"/><line x1="${SERVER_X}" y1="50" x2="${SERVER_X}" y2="${bottom}" class="life"/>`,
  ];
  const events = v.events.map((e, i) => eventSvg(e, ys[i]!, prefix)).join('');
  const titleId = `${prefix}-title`;
  const descId = `${prefix}-desc`;
  const desc = `${v.summary}. ${v.events.map((e) => `+${formatDuration(e.tUs)} ${e.from === 'axis' ? 'mark' : e.from === 'client' ? 'client to IMDS' : e.kind === 'icmp' ? 'ICMP error to client' : 'IMDS to client'}: ${e.detail}`).join('; ')}`;
  return `<svg class="laddersvg" viewBox="0 0 ${W} ${bottom + 8}" role="img" aria-labelledby="${titleId} ${descId}" data-syns="${v.synCount}" xmlns="http://www.w3.org/2000/svg"><title id="${titleId}">${escapeHtml(`Connection ${v.title}`)}</title><desc id="${descId}">${escapeHtml(desc)}</desc>${arrowDefs(prefix)}${heads.join('')}${events}<text class="axisnote" x="8" y="${bottom + 4}">time runs down (gaps grow with the log of the elapsed time)</text></svg>`;
}
