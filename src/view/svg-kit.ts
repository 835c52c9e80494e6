// Small helpers for the server-side SVG of the HTML view: boxes with up to three text lines, arrows,
// and label truncation; every text goes through escapeHtml.
import { escapeHtml } from './html-escape.ts';

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export const midLeft = (b: Box): [number, number] => [b.x, b.y + b.h / 2];
export const midRight = (b: Box): [number, number] => [b.x + b.w, b.y + b.h / 2];
export const midTop = (b: Box): [number, number] => [b.x + b.w / 2, b.y];
export const midBottom = (b: Box): [number, number] => [b.x + b.w / 2, b.y + b.h];

/** A rounded box with a bold first line; `attrs` is trusted markup built by the caller from escaped values. */
export function boxSvg(b: Box, lines: readonly string[], cls: string, tooltip: string, attrs = ''): string {
  const maxChars = Math.floor((b.w - 12) / 7.4);
  const text = lines
    .slice(0, 3)
    .map((line, i) => `<text x="${b.x + 7}" y="${b.y + 18 + i * 17}" class="${i === 0 ? 'bt' : 'st'}">${escapeHtml(truncate(line, maxChars))}</text>`)
    .join('');
  return `<g class="${cls}"${attrs}><title>${escapeHtml(tooltip)}</title><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6"/>${text}</g>`;
}

/** A line, with an arrowhead when `markerPrefix` names the SVG's arrowDefs. */
export function lineSvg(from: readonly [number, number], to: readonly [number, number], cls: string, markerPrefix: string | null): string {
  return `<line x1="${from[0]}" y1="${from[1]}" x2="${to[0]}" y2="${to[1]}" class="${cls}"${markerPrefix ? ` marker-end="url(#${markerPrefix}-arrow)"` : ''}/>`;
}

/** Arrowhead marker definitions (ids are per-SVG prefixed to stay unique in one page). */
export function arrowDefs(prefix: string): string {
  return `<defs><marker id="${prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="ah"/></marker></defs>`;
}
