// Tests of the root-namespace refusal for TUN capture, with injected inode values (nothing is created),
// plus what this process reads about its own (root) namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { assertNotRootNamespace, decideNamespace, readNamespaceInodes, RootNamespaceError } from './namespace-guard.ts';

test('same inode as init: refused, and the reason names the hijack risk', () => {
  const v = decideNamespace({ self: 4026531840, init: 4026531840, kernel: 4026531840, named: true });
  assert.equal(v.ok, false);
  if (!v.ok) assert.match(v.reason, /root network namespace.*hijack the host's real metadata route/s);
});

test('init unreadable (no CAP_SYS_PTRACE): kthreadd identifies the root namespace', () => {
  assert.equal(decideNamespace({ self: 7, init: undefined, kernel: 7, named: true }).ok, false);
  assert.equal(decideNamespace({ self: 8, init: undefined, kernel: 7, named: true }).ok, true);
});

test('a different, named (ip netns) namespace is allowed', () => {
  assert.deepEqual(decideNamespace({ self: 4026532177, init: 4026531840, kernel: 4026531840, named: true }), { ok: true });
});

test('a different namespace that no `ip netns` name points at is refused (e.g. a container\'s own root namespace)', () => {
  const v = decideNamespace({ self: 4026532177, init: 4026531840, kernel: undefined, named: false });
  assert.equal(v.ok, false);
  if (!v.ok) assert.match(v.reason, /not an `ip netns` namespace/);
});

test('fails closed when the namespaces cannot be identified', () => {
  assert.equal(decideNamespace({ self: undefined, init: 1, kernel: 1, named: true }).ok, false);
  const v = decideNamespace({ self: 5, init: undefined, kernel: undefined, named: true });
  assert.equal(v.ok, false);
  if (!v.ok) assert.match(v.reason, /cannot identify the root network namespace/);
});

test('assertNotRootNamespace throws RootNamespaceError with a stable code', () => {
  assert.throws(
    () => assertNotRootNamespace({ self: 1, init: 1, kernel: 1, named: true }),
    (e: unknown) => e instanceof RootNamespaceError && e.code === 'ERR_ROOT_NAMESPACE',
  );
  assert.doesNotThrow(() => assertNotRootNamespace({ self: 2, init: 1, kernel: 1, named: true }));
});

test('this test process (root namespace) is identified and refused', { skip: process.getuid?.() !== 0 ? 'needs root to read the namespaces' : undefined }, () => {
  const inodes = readNamespaceInodes();
  assert.equal(typeof inodes.self, 'number', 'own namespace inode read');
  assert.ok(inodes.init !== undefined || inodes.kernel !== undefined, `root namespace identified: ${JSON.stringify(inodes)}`);
  // Only meaningful where the test really runs in the root namespace: compare with what `ip` sees for PID 1/2.
  const inRoot = spawnSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).stdout.trim() === '';
  if (inRoot) {
    assert.equal(inodes.named, false, 'the root namespace has no ip netns name');
    assert.throws(() => assertNotRootNamespace(inodes), { code: 'ERR_ROOT_NAMESPACE' });
  }
});
