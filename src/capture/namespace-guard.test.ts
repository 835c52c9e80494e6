// Tests of the root-namespace refusal for TUN capture, with injected inode values (nothing is created).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNotRootNamespace, decideNamespace, readNamespaceInodes, RootNamespaceError } from './namespace-guard.ts';

test('same inode as init: refused, and the reason names the hijack risk', () => {
  const v = decideNamespace({ self: 4026531840, init: 4026531840, kernel: 4026531840 });
  assert.equal(v.ok, false);
  if (!v.ok) assert.match(v.reason, /root network namespace.*hijack the host's real metadata route/s);
});

test('init unreadable (no CAP_SYS_PTRACE): kthreadd identifies the root namespace', () => {
  assert.equal(decideNamespace({ self: 7, init: undefined, kernel: 7 }).ok, false);
  assert.equal(decideNamespace({ self: 8, init: undefined, kernel: 7 }).ok, true);
});

test('a different namespace is allowed', () => {
  assert.deepEqual(decideNamespace({ self: 4026532177, init: 4026531840, kernel: 4026531840 }), { ok: true });
});

test('fails closed when the namespaces cannot be identified', () => {
  assert.equal(decideNamespace({ self: undefined, init: 1, kernel: 1 }).ok, false);
  assert.equal(decideNamespace({ self: 5, init: undefined, kernel: undefined }).ok, false);
});

test('assertNotRootNamespace throws RootNamespaceError with a stable code', () => {
  assert.throws(
    () => assertNotRootNamespace({ self: 1, init: 1, kernel: 1 }),
    (e: unknown) => e instanceof RootNamespaceError && e.code === 'ERR_ROOT_NAMESPACE',
  );
  assert.doesNotThrow(() => assertNotRootNamespace({ self: 2, init: 1, kernel: 1 }));
});

test('this test process reads its own namespace inode', () => {
  const inodes = readNamespaceInodes();
  assert.equal(typeof inodes.self, 'number');
});
