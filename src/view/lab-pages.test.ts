import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFaults, resolveFix } from './lab-pages.ts';

describe('lab pages', () => {
  it('describeFaults names only what is injected: a black hole, a delay, an HTTP fault', () => {
    const net = { faults: { synDropProbability: 1, synReject: 'none', synAckDelay: { ms: 0, jitterMs: 0 }, firstByteDelay: { ms: 300, jitterMs: 0 }, stall: false, inboundLoss: 0, seed: 1 } };
    assert.deepEqual(describeFaults(net, [{ id: 2, fault: { path: '/metadata/*', status: 429 } }]), [
      'network synDropProbability=1',
      'network firstByteDelay={"ms":300,"jitterMs":0}',
      'HTTP fault #2 {"path":"/metadata/*","status":429}',
    ]);
    assert.deepEqual(describeFaults(null, null), []);
    assert.deepEqual(describeFaults({ faults: { synDropProbability: 0, stall: false } }, []), []);
  });

  it('resolveFix renders the fix for the VM and is null when the fix changes nothing', () => {
    const vars = { imds: '169.254.169.254', 'nic0.gateway': '10.1.0.1' };
    assert.deepEqual(resolveFix({ routes: [{ ns: 'vm', to: '{imds}/32', via: '{nic0.gateway}', dev: 'eth0', metric: 1 }, { ns: 'host', to: 'x', dev: 'y' }], env: {} }, vars), {
      routes: [{ to: '169.254.169.254/32', via: '10.1.0.1', dev: 'eth0', metric: 1 }],
      env: {},
    });
    assert.deepEqual(resolveFix({ routes: [], env: { NO_PROXY: '{imds}' } }, vars), { routes: [], env: { NO_PROXY: '169.254.169.254' } });
    assert.equal(resolveFix({ routes: [], env: {} }, vars), null);
  });
});
