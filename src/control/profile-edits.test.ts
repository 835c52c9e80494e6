// Unit tests: runtime profile edits keep tags/tagsList consistent and go through the profile validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { readTags, withIdentityAdded, withIdentityRemoved, withLoadBalancer, withTags, withUserData } from './profile-edits.ts';

test('withTags writes tagsList and the joined tags string; the result is frozen', () => {
  const next = withTags(DEFAULT_PROFILE, readTags({ a: '1', b: 'x:y' }, 'tags'));
  assert.equal(next.instance.compute['tags'], 'a:1;b:x:y');
  assert.deepEqual(next.instance.compute['tagsList'], [{ name: 'a', value: '1' }, { name: 'b', value: 'x:y' }]);
  assert.ok(Object.isFrozen(next.instance.compute));
  assert.equal(DEFAULT_PROFILE.instance.compute['tags'], 'baz:bash;foo:bar', 'the old profile is untouched');
  assert.throws(() => readTags([{ name: 'A', value: '1' }, { name: 'a', value: '2' }], 'tags'), /tags\[1\]\.name: duplicate tag/);
  assert.throws(() => readTags({ a: 1 }, 'tags'), /tags\.a: must be a string/);
});

test('withUserData encodes text, validates base64', () => {
  assert.equal(withUserData(DEFAULT_PROFILE, 'hi', 'text').instance.compute['userData'], 'aGk=');
  assert.throws(() => withUserData(DEFAULT_PROFILE, 'a!b', 'base64'), /instance\.compute\.userData: must be base64/);
});

test('identities: add a second system identity conflicts, remove by selector, validator catches duplicates', () => {
  assert.throws(() => withIdentityAdded(DEFAULT_PROFILE, { type: 'system', clientId: '11111111-2222-4333-8444-555555555555', objectId: '11111111-2222-4333-8444-555555555556' }), /already has a system-assigned identity/);
  const without = withIdentityRemoved(DEFAULT_PROFILE, { type: 'system' });
  assert.equal(without.identity.systemAssigned, null);
  const dup = DEFAULT_PROFILE.identity.userAssigned[0]!;
  assert.throws(() => withIdentityAdded(DEFAULT_PROFILE, { type: 'user', ...dup }), /duplicate clientId/);
  const fewer = withIdentityRemoved(DEFAULT_PROFILE, { resourceId: dup.resourceId.toUpperCase() });
  assert.equal(fewer.identity.userAssigned.length, DEFAULT_PROFILE.identity.userAssigned.length - 1);
  assert.throws(() => withIdentityRemoved(DEFAULT_PROFILE, { clientId: 'a', objectId: 'b' }), /exactly one of clientId, objectId, resourceId/);
});

test('withLoadBalancer: null and a document; bad ports name the path', () => {
  assert.equal(withLoadBalancer(DEFAULT_PROFILE, null).loadBalancer, null);
  assert.throws(
    () => withLoadBalancer(DEFAULT_PROFILE, { inboundRules: [{ frontendIpAddress: '1.2.3.4', privateIpAddress: '10.0.0.4', protocol: 'tcp', frontendPort: 70000, backendPort: 80 }] }),
    /loadBalancer\.inboundRules\[0\]\.frontendPort/,
  );
});
