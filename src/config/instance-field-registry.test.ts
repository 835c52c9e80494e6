// Tests for the field registry and its compiled schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_SCHEMA, compileFieldRegistry, registryPaths } from './instance-field-registry.ts';
import type { FieldNode } from './instance-field-registry.ts';
import { defaultProfileDocument } from './default-profile.ts';

function schemaPaths(node: FieldNode, prefix: string, out: Set<string>): Set<string> {
  if (node.kind === 'array') {
    for (const [key, child] of node.items.fields) {
      out.add(`${prefix}[].${key}`);
      schemaPaths(child, `${prefix}[].${key}`, out);
    }
  } else if (node.kind === 'object') {
    for (const [key, child] of node.fields) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      schemaPaths(child, path, out);
    }
  }
  return out;
}

function dataPaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) dataPaths(item, `${prefix}[]`, out);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      dataPaths(child, path, out);
    }
  }
  return out;
}

test('the default profile populates every registry field (all arrays non-empty except ipv6)', () => {
  const schema = schemaPaths(INSTANCE_SCHEMA, '', new Set());
  const data = dataPaths(defaultProfileDocument().instance, '', new Set());
  const missing = [...schema].filter((p) => !data.has(p));
  assert.deepEqual(missing, ['network.interface[].ipv6.ipAddress[].privateIpAddress']);
  assert.deepEqual([...data].filter((p) => !schema.has(p)), []);
});

test('compiled nodes: object versions are the oldest of their members; arrays keep their own', () => {
  const compute = INSTANCE_SCHEMA.fields.get('compute');
  assert.equal(compute?.kind, 'object');
  if (compute?.kind !== 'object') return;
  assert.equal(compute.since, '2017-04-02');
  const storage = compute.fields.get('storageProfile');
  assert.equal(storage?.since, '2019-06-01');
  const security = compute.fields.get('securityProfile');
  assert.equal(security?.since, '2020-06-01');
  assert.equal(compute.fields.get('tagsList')?.kind, 'array');
  assert.equal(compute.fields.get('tagsList')?.since, '2019-06-04');
  assert.deepEqual([...compute.fields.keys()], [...compute.fields.keys()].sort());
  const flat = registryPaths().map(([path]) => path);
  assert.deepEqual(flat, [...flat].sort(), 'flat view is sorted by path');
});

test('compileFieldRegistry rejects inconsistent tables', () => {
  assert.throws(() => compileFieldRegistry({ 'a.b': '2017-04-02', 'a.b.c': '2017-04-02' }), /uses b as object, elsewhere as leaf/);
  assert.throws(() => compileFieldRegistry({ 'a[].b': '2017-04-02' }), /array a\[\] has members but no version/);
  const ok = compileFieldRegistry({ 'a[]': '2018-01-01', 'a[].b': '2019-01-01', 'c.d': '2017-01-01' });
  assert.equal(ok.fields.get('a')?.kind, 'array');
  assert.equal(ok.since, '2017-01-01');
});
