// Tests of the source policy decision: only primary IPs are answered; others get the configured reaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { createSourcePolicy, decideSource, SourcePolicyError } from './source-policy.ts';

const vm1 = parseIpv4Address('10.1.0.4');
const vm2 = parseIpv4Address('10.2.0.4');
const secondary = parseIpv4Address('10.1.0.5');

test('the primary IP is accepted, another source gets the reaction', () => {
  for (const reaction of ['drop', 'rst', 'icmp'] as const) {
    const policy = createSourcePolicy([vm1], reaction);
    assert.equal(decideSource(policy, vm1), 'accept');
    assert.equal(decideSource(policy, secondary), reaction);
  }
});

test('drop is the default reaction (Azure: the client times out)', () => {
  assert.equal(decideSource(createSourcePolicy([vm1]), secondary), 'drop');
});

test('several VMs: every primary IP in the set is accepted', () => {
  const policy = createSourcePolicy([vm1, vm2], 'rst');
  assert.equal(decideSource(policy, vm1), 'accept');
  assert.equal(decideSource(policy, vm2), 'accept');
  assert.equal(decideSource(policy, secondary), 'rst');
});

test('an empty set answers nobody', () => {
  assert.equal(decideSource(createSourcePolicy([]), vm1), 'drop');
});

test('bad reactions and addresses are rejected with a clear error', () => {
  assert.throws(() => createSourcePolicy([vm1], 'reject' as never), (e: unknown) => e instanceof SourcePolicyError && /sourcePolicy/.test(e.message));
  assert.throws(() => createSourcePolicy([-1]), SourcePolicyError);
  assert.throws(() => createSourcePolicy([2 ** 32]), SourcePolicyError);
});
