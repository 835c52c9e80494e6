// Tests for instance route parsing and tree walking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInstancePath, parseInstanceRoute, resolveRoute } from './instance-route.ts';

test('parseInstanceRoute', () => {
  assert.deepEqual(parseInstanceRoute('/metadata/instance'), []);
  assert.deepEqual(parseInstanceRoute('/metadata/instance/'), []);
  assert.deepEqual(parseInstanceRoute('/metadata/instance/compute/vmId'), ['compute', 'vmId']);
  assert.deepEqual(parseInstanceRoute('/metadata/instance/compute/vmId/'), ['compute', 'vmId']);
  assert.deepEqual(parseInstanceRoute('/metadata/instance/a%20b'), ['a b']);
  assert.equal(parseInstanceRoute('/metadata/instance//'), undefined);
  assert.equal(parseInstanceRoute('/metadata/instance/a//b'), undefined);
  assert.equal(parseInstanceRoute('/metadata/instance/%E0%A4%A'), undefined);
  assert.equal(parseInstanceRoute('/metadata/instances'), undefined);
  assert.equal(parseInstanceRoute('/Metadata/Instance'), undefined);
  assert.equal(isInstancePath('/metadata/instance/x'), true);
  assert.equal(isInstancePath('/metadata/instancex'), false);
});

test('resolveRoute walks keys and indexes, refuses prototype keys and bad indexes', () => {
  const tree = { a: [{ b: 'x' }, { b: 'y' }], c: 'leaf' };
  assert.equal(resolveRoute(tree, ['a', '1', 'b']), 'y');
  assert.deepEqual(resolveRoute(tree, ['a', '0']), { b: 'x' });
  assert.equal(resolveRoute(tree, []), tree);
  for (const route of [['a', '2'], ['a', '01'], ['a', '-0'], ['a', '1e0'], ['a', 'length'], ['c', '0'], ['toString'], ['__proto__'], ['A']]) {
    assert.equal(resolveRoute(tree, route), undefined, route.join('/'));
  }
});
