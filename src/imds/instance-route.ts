// Route filtering for /metadata/instance (imds-spec §5.2): path -> segments, then a walk of the JSON tree by
// object key (case-sensitive) or zero-based array index.

export const INSTANCE_ROUTE_PREFIX = '/metadata/instance';

/** A node of an instance response: strings everywhere, plus the booleans of `extended` (imds-spec §2.9). */
export type ResponseNode = string | boolean | readonly ResponseNode[] | { readonly [key: string]: ResponseNode };

const INSTANCE_CHILD_PREFIX = `${INSTANCE_ROUTE_PREFIX}/`;

/** True for `/metadata/instance` and any path below it (exact case). */
export function isInstancePath(path: string): boolean {
  return path === INSTANCE_ROUTE_PREFIX || path.startsWith(INSTANCE_CHILD_PREFIX);
}

/**
 * The route segments after `/metadata/instance`, or undefined when the path cannot name an element.
 * Path rules chosen here (imds-spec §16 Q20 leaves them open): one trailing slash is ignored
 * (`/metadata/instance/compute/` = `/compute`); an empty segment (`//`) is not found; segments are
 * percent-decoded (`%76mId` = `vmId`), a malformed escape is not found; an index is decimal without
 * leading zeros or sign (`0`, `12`; not `01`, `+1`, `-1`).
 */
export function parseInstanceRoute(path: string): string[] | undefined {
  if (!isInstancePath(path)) return undefined;
  let rest = path.slice(INSTANCE_ROUTE_PREFIX.length);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest === '') return [];
  const segments: string[] = [];
  for (const raw of rest.slice(1).split('/')) {
    if (raw === '') return undefined;
    if (!raw.includes('%')) {
      segments.push(raw);
      continue;
    }
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
  }
  return segments;
}

const INDEX = /^(0|[1-9][0-9]*)$/;

/** Walks `root` along `segments`; undefined when a key or index does not exist. */
export function resolveRoute(root: ResponseNode, segments: readonly string[]): ResponseNode | undefined {
  let node: ResponseNode = root;
  for (const segment of segments) {
    if (Array.isArray(node)) {
      const list = node as readonly ResponseNode[];
      if (!INDEX.test(segment)) return undefined;
      const index = Number(segment);
      if (index >= list.length) return undefined;
      node = list[index]!;
    } else if (typeof node === 'object' && node !== null) {
      const tree = node as { readonly [key: string]: ResponseNode };
      if (!Object.hasOwn(tree, segment)) return undefined;
      node = tree[segment]!;
    } else {
      return undefined;
    }
  }
  return node;
}

/** A leaf is a primitive value (string or boolean): only format=text can return it (imds-spec §5.3). */
export function isLeaf(node: ResponseNode): node is string | boolean {
  return typeof node === 'string' || typeof node === 'boolean';
}
