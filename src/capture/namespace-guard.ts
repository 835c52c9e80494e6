// Safety rule for TUN capture: refuse to run in the machine's root network namespace, where
// 169.254.169.254 routes to the real metadata service and a TUN route would hijack it.
import { statSync } from 'node:fs';
import { ImdsLabError } from '../util/errors.ts';

export class RootNamespaceError extends ImdsLabError {}

/** Inode numbers of network namespaces; undefined when the file could not be read. */
export interface NamespaceInodes {
  /** /proc/self/ns/net */
  readonly self: number | undefined;
  /** /proc/1/ns/net (init). */
  readonly init: number | undefined;
  /** /proc/2/ns/net (kthreadd: kernel threads always live in the initial namespace). */
  readonly kernel: number | undefined;
}

export type NamespaceVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const WHY =
  'TUN capture adds a route for 169.254.169.254/32 into a TUN device; in the root network namespace that ' +
  'would hijack the host\'s real metadata route. Run it inside a lab namespace (imds-lab up, or ip netns exec NAME ...)';

/** Decides whether TUN capture may run; fails closed when the root namespace cannot be identified. */
export function decideNamespace(inodes: NamespaceInodes): NamespaceVerdict {
  if (inodes.self === undefined) return { ok: false, reason: `cannot read /proc/self/ns/net. ${WHY}` };
  const root = inodes.init ?? inodes.kernel;
  if (root === undefined) {
    return { ok: false, reason: `cannot identify the root network namespace (/proc/1/ns/net and /proc/2/ns/net unreadable). ${WHY}` };
  }
  if (inodes.self === inodes.init || inodes.self === inodes.kernel) {
    return { ok: false, reason: `refusing to run in the root network namespace (net inode ${inodes.self}). ${WHY}` };
  }
  return { ok: true };
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export function readNamespaceInodes(): NamespaceInodes {
  return { self: inodeOf('/proc/self/ns/net'), init: inodeOf('/proc/1/ns/net'), kernel: inodeOf('/proc/2/ns/net') };
}

/** Throws RootNamespaceError unless this process runs in a non-root network namespace. */
export function assertNotRootNamespace(inodes: NamespaceInodes = readNamespaceInodes()): void {
  const verdict = decideNamespace(inodes);
  if (!verdict.ok) throw new RootNamespaceError('ERR_ROOT_NAMESPACE', verdict.reason);
}
