// format=text rendering of an instance node (imds-spec §5.3): a leaf is its raw value; an object lists its
// member names, an array its indexes, one per line.
import type { ResponseNode } from './instance-route.ts';

export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

function entryName(name: string, child: ResponseNode): string {
  return typeof child === 'object' && child !== null ? `${name}/` : name;
}

/**
 * A leaf renders as its raw value. An object lists its member names one per line (alphabetical, `name/` for
 * objects and arrays, bare for leaves); an array lists its indexes the same way (`0/`, `1/` for elements that
 * are objects or arrays; `0`, `1` for leaves). No trailing newline; an empty object or array renders as ''.
 */
export function renderText(node: ResponseNode): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'boolean') return node ? 'true' : 'false';
  if (Array.isArray(node)) return (node as readonly ResponseNode[]).map((child, i) => entryName(String(i), child)).join('\n');
  const tree = node as { readonly [key: string]: ResponseNode };
  return Object.keys(tree)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => entryName(key, tree[key]!))
    .join('\n');
}
