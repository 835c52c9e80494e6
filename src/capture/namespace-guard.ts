// Safety rule for TUN capture: refuse to run in the machine's root network namespace, where
// 169.254.169.254 routes to the real metadata service and a TUN route would hijack it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImdsLabError } from '../util/errors.ts';

export class RootNamespaceError extends ImdsLabError {}

/** Inode numbers of network namespaces; undefined when the file could not be read. */
export interface NamespaceInodes {
  /** /proc/self/ns/net */
  readonly self: number | undefined;
  /** /proc/1/ns/net (init). */
  readonly init: number | undefined;
  /**
   * /proc/2/ns/net, only when PID 2 really is kthreadd (PPid 0): kernel threads always live in the initial
   * namespace. Inside a PID namespace PID 2 is an ordinary process of any namespace and is not trusted.
   */
  readonly kernel: number | undefined;
  /** This namespace is one that `ip netns add` created (bind-mounted under /run/netns): the lab's and the tests'. */
  readonly named: boolean;
}

export type NamespaceVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const WHY =
  'TUN capture adds a route for 169.254.169.254/32 into a TUN device; in the root network namespace that ' +
  'would hijack the host\'s real metadata route. Run it inside a lab namespace (imds-lab up, or ip netns exec NAME ...)';

/**
 * Decides whether TUN capture may run. Fails closed: the namespace must be identified, must not be the
 * initial one (init's or kthreadd's), and must be a named `ip netns` namespace (positive proof; this also
 * covers a container whose own namespace holds the real route but is not the kernel's initial one).
 */
export function decideNamespace(inodes: NamespaceInodes): NamespaceVerdict {
  if (inodes.self === undefined) return { ok: false, reason: `cannot read /proc/self/ns/net. ${WHY}` };
  if (inodes.init === undefined && inodes.kernel === undefined) {
    return { ok: false, reason: `cannot identify the root network namespace (/proc/1/ns/net unreadable and PID 2 is not kthreadd). ${WHY}` };
  }
  if (inodes.self === inodes.init || inodes.self === inodes.kernel) {
    return { ok: false, reason: `refusing to run in the root network namespace (net inode ${inodes.self}). ${WHY}` };
  }
  if (!inodes.named) {
    return { ok: false, reason: `refusing to run in a network namespace that is not an \`ip netns\` namespace (net inode ${inodes.self}, none of /run/netns/* is it). ${WHY}` };
  }
  return { ok: true };
}

/** dev:inode of a namespace file, undefined when unreadable. */
function idOf(path: string): { dev: number; ino: number } | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}

function isKthreadd(): boolean {
  try {
    const status = readFileSync('/proc/2/status', 'utf8');
    return /^Name:\s*kthreadd$/m.test(status) && /^PPid:\s*0$/m.test(status);
  } catch {
    return false;
  }
}

/** Whether namespace `self` is bind-mounted under /run/netns (or /var/run/netns), i.e. named by `ip netns`. */
function isNamed(self: { dev: number; ino: number }): boolean {
  for (const dir of ['/run/netns', '/var/run/netns']) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const id = idOf(join(dir, name));
      if (id !== undefined && id.dev === self.dev && id.ino === self.ino) return true;
    }
  }
  return false;
}

export function readNamespaceInodes(): NamespaceInodes {
  const self = idOf('/proc/self/ns/net');
  return {
    self: self?.ino,
    init: idOf('/proc/1/ns/net')?.ino,
    kernel: isKthreadd() ? idOf('/proc/2/ns/net')?.ino : undefined,
    named: self !== undefined && isNamed(self),
  };
}

/** Throws RootNamespaceError unless this process runs in a non-root, `ip netns` network namespace. */
export function assertNotRootNamespace(inodes: NamespaceInodes = readNamespaceInodes()): void {
  const verdict = decideNamespace(inodes);
  if (!verdict.ok) throw new RootNamespaceError('ERR_ROOT_NAMESPACE', verdict.reason);
}
