// Self-test of the Swagger validator helper: it must reject what the schema rejects, and closed mode must
// report keys the schema does not list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPaths, swaggerExample, swaggerVersions, validateAgainstSwagger } from './swagger-validator.ts';

test('the stored Swagger versions are found', () => {
  assert.deepEqual(swaggerVersions(), ['2018-10-01', '2019-06-01', '2020-09-01', '2021-02-01', '2023-07-01']);
});

test('each Swagger example validates against its own schema (open and closed)', () => {
  for (const version of swaggerVersions()) {
    const body = swaggerExample(version, 'GetInstanceMetadata');
    assert.deepEqual(validateAgainstSwagger(version, '/instance', 200, body), [], version);
    assert.deepEqual(validateAgainstSwagger(version, '/metadata/instance', 200, JSON.stringify(body), { closed: true }), [], `${version} closed`);
  }
  assert.deepEqual(validateAgainstSwagger('2023-07-01', '/versions', 200, swaggerExample('2023-07-01', 'GetVersions')), []);
});

test('wrong types, refs into definitions, and unknown keys (closed mode) are reported', () => {
  const bad = { compute: { vmId: 5, plan: { name: [] } }, network: { interface: [{ ipv4: { subnet: [{ prefix: 24 }] } }] } };
  const errors = validateAgainstSwagger('2021-02-01', '/instance', 200, bad);
  assert.ok(errors.includes('/compute/vmId must be string'), errors.join('\n'));
  assert.ok(errors.includes('/compute/plan/name must be string'), errors.join('\n'));
  assert.ok(errors.includes('/network/interface/0/ipv4/subnet/0/prefix must be string'), errors.join('\n'));
  const extra = { compute: { vmId: 'x', noSuchField: '' } };
  assert.deepEqual(validateAgainstSwagger('2021-02-01', '/instance', 200, extra), [], 'Swagger leaves objects open');
  assert.deepEqual(validateAgainstSwagger('2021-02-01', '/instance', 200, extra, { closed: true }), ['/compute must NOT have additional properties (noSuchField)']);
  assert.deepEqual(validateAgainstSwagger('2023-07-01', '/versions', 200, { apiVersions: [1] }), ['/apiVersions/0 must be string']);
});

test('error responses use the status schema or the default one; missing schemas throw', () => {
  assert.deepEqual(validateAgainstSwagger('2018-10-01', '/instance', 404, { error: 'Not found' }), []);
  assert.deepEqual(validateAgainstSwagger('2023-07-01', '/instance', 404, { error: 'Not found' }), [], 'default response');
  assert.deepEqual(validateAgainstSwagger('2023-07-01', '/instance', 400, { error: 3 }), ['/error must be string']);
  assert.throws(() => validateAgainstSwagger('2021-02-01', '/versions', 200, {}), /no GET \/versions/);
  assert.throws(() => validateAgainstSwagger('2021-02-01', '/instance', 200, {}, { method: 'post' }), /no POST/);
});

test('keyPaths merges array elements', () => {
  assert.deepEqual([...keyPaths({ a: [{ b: '1' }, { c: '2' }], d: { e: '' } })], ['a', 'a[].b', 'a[].c', 'd', 'd.e']);
});
