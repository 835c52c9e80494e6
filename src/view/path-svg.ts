// Renders a PathView as SVG (server-side, no script): the VM's interfaces, the next hop of each (gateway or
// nothing), the proxy and the responder; the path the request takes drawn thick and where it stops marked.
import { escapeHtml, safeToken } from './html-escape.ts';
import type { PathHop, PathView } from './path-model.ts';
import { arrowDefs, type Box, boxSvg, lineSvg, midBottom, midLeft, midRight, midTop } from './svg-kit.ts';

const W = 760;
const TOP = 40;
const ROW = 80;
const BOX_H = 62;

/** A text description of the path (the SVG's <desc> and the list under it). */
export function describePath(v: PathView): string {
  const hops = v.hops.map((h) => `${h.label} (${h.detail})`).join(' → ');
  return `${hops}. Stops: ${v.stop.title}. ${v.stop.detail}`;
}

export function renderPathSvg(v: PathView, id: string): string {
  const prefix = safeToken(id);
  const rows = Math.max(v.interfaces.length, v.proxy ? 2 : 1, 1);
  const height = TOP + rows * ROW + 10;
  const appBox: Box = { x: 12, y: TOP + ((rows - 1) * ROW) / 2, w: 126, h: BOX_H };
  const nicBoxes = new Map<string, Box>();
  const hopBoxes = new Map<string, Box>();
  v.interfaces.forEach((nic, i) => {
    nicBoxes.set(nic.device, { x: 158, y: TOP + i * ROW, w: 180, h: BOX_H });
    hopBoxes.set(nic.device, { x: 368, y: TOP + i * ROW, w: 174, h: BOX_H });
  });
  const responderBox: Box = { x: 562, y: TOP, w: 190, h: BOX_H };
  const proxyBox: Box = { x: 562, y: TOP + ROW, w: 190, h: BOX_H };
  const parts: string[] = [];
  parts.push(`<rect class="ns" x="4" y="22" width="344" height="${height - 26}" rx="8"/><text class="nst" x="12" y="16">VM namespace ${escapeHtml(v.vmNamespace)}</text>`);
  parts.push(`<rect class="ns" x="356" y="22" width="400" height="${height - 26}" rx="8"/><text class="nst" x="364" y="16">host namespace (Azure's side)</text>`);

  // Which boxes the request passes through.
  const usedNic = v.hops.find((h) => h.kind === 'nic')?.label ?? null;
  const nextHop: PathHop | undefined = v.hops.find((h) => h.kind === 'gateway' || h.kind === 'arp');
  const usesProxy = v.hops.some((h) => h.kind === 'proxy');
  const reachesResponder = v.hops.some((h) => h.kind === 'responder');

  // Faint edges: every possible path.
  for (const nic of v.interfaces) {
    const nb = nicBoxes.get(nic.device)!;
    const hb = hopBoxes.get(nic.device)!;
    parts.push(lineSvg(midRight(appBox), midLeft(nb), 'edge', null));
    parts.push(lineSvg(midRight(nb), midLeft(hb), 'edge', null));
    if (nic.gateway !== null) parts.push(lineSvg(midRight(hb), midLeft(responderBox), 'edge', null));
  }
  if (v.proxy) parts.push(lineSvg(midTop(proxyBox), midBottom(responderBox), 'edge', null));

  // Boxes.
  parts.push(boxSvg(appBox, ['app', v.proxy ? `proxy: ${v.proxy.url}` : 'direct', `to 169.254.169.254:80`], 'box app', `the application in ${v.vmNamespace}`));
  for (const nic of v.interfaces) {
    const chosen = nic.device === usedNic;
    const role = nic.role === 'primary' ? 'primary NIC' : nic.role === 'secondary' ? 'secondary NIC' : 'cluster adapter';
    const attrs = ` data-device="${escapeHtml(nic.device)}" data-chosen="${chosen}"`;
    parts.push(boxSvg(nicBoxes.get(nic.device)!, [`${nic.device}${chosen ? '  ◀ used' : ''}`, nic.addresses.join(' ') || 'no address', role], `box nic${chosen ? ' chosen' : ''}`, `${nic.device}: ${role}, ${nic.addresses.join(', ')}${chosen ? ' (the request leaves here)' : ''}`, attrs));
    const isNext = chosen && nextHop !== undefined;
    let lines: string[];
    if (isNext && nextHop.kind === 'arp') lines = ['on-link: no gateway', 'ARP who-has 169.254.169.254', 'nothing answers'];
    else if (isNext && nextHop.kind === 'gateway' && nextHop.label !== nic.gateway) lines = [`via ${nextHop.label}`, nextHop.detail, 'nothing forwards'];
    else if (nic.gateway !== null) lines = [`gateway ${nic.gateway}`, 'host side of the link', 'forwards to IMDS'];
    else lines = ['no gateway', 'a link where nothing', 'answers ARP'];
    parts.push(boxSvg(hopBoxes.get(nic.device)!, lines, `box hop${isNext ? ' chosen' : ''}`, lines.join(', ')));
  }
  parts.push(boxSvg(responderBox, ['IMDS 169.254.169.254', v.capture === 'socket' ? 'socket on lo' : 'TUN imds0 + TCP stack', `answers ${v.primary.ip} only`], `box responder${reachesResponder ? ' chosen' : ''}`, `the IMDS responder; answers only the primary IP ${v.primary.ip}`));
  if (v.proxy) {
    const xff = v.proxy.forwardedFor === true ? 'adds X-Forwarded-For' : v.proxy.forwardedFor === false ? 'no X-Forwarded-For' : 'forwards';
    parts.push(boxSvg(proxyBox, ['HTTP proxy', v.proxy.url, xff], `box proxy${usesProxy ? ' chosen' : ''}`, `the HTTP proxy ${v.proxy.url} (${xff})`));
  }

  // The path taken, drawn thick.
  const sequence: Box[] = [appBox];
  if (usedNic && nicBoxes.has(usedNic)) sequence.push(nicBoxes.get(usedNic)!);
  if (usedNic && nextHop && hopBoxes.has(usedNic)) sequence.push(hopBoxes.get(usedNic)!);
  if (usesProxy) sequence.push(proxyBox);
  if (reachesResponder) sequence.push(responderBox);
  for (let i = 1; i < sequence.length; i++) {
    const a = sequence[i - 1]!;
    const b = sequence[i]!;
    const vertical = a === proxyBox && b === responderBox;
    const up = vertical ? lineSvg(midTop(a), midBottom(b), 'path', prefix) : lineSvg(midRight(a), midLeft(b), 'path', prefix);
    parts.push(up);
  }
  const last = sequence.at(-1)!;
  const [mx, my] = v.stop.kind === 'no-route' ? [last.x + last.w + 16, last.y + last.h / 2] : [last.x + last.w - 4, last.y - 8];
  parts.push(
    `<g class="stop ${v.stop.ok ? 'ok' : 'bad'}" data-stop="${escapeHtml(v.stop.kind)}"><title>${escapeHtml(`${v.stop.title}: ${v.stop.detail}`)}</title><circle cx="${mx}" cy="${my}" r="11"/><text x="${mx}" y="${my + 5}" text-anchor="middle">${v.stop.ok ? '✓' : '✕'}</text></g>`,
  );
  const titleId = `${prefix}-title`;
  const descId = `${prefix}-desc`;
  return `<svg class="pathsvg" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${titleId} ${descId}" xmlns="http://www.w3.org/2000/svg"><title id="${titleId}">${escapeHtml(`Path to 169.254.169.254: ${v.caption}`)}</title><desc id="${descId}">${escapeHtml(describePath(v))}</desc>${arrowDefs(prefix)}${parts.join('')}</svg>`;
}
