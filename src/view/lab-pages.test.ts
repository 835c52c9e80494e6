import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLadders } from './ladder-model.ts';
import { renderLadderSvg } from './ladder-svg.ts';
import { describeFaults, faultMarks, resolveFix } from './lab-pages.ts';
import { connection } from '../../test/helpers/view-facts.ts';

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

  it('faultMarks puts faults set through the control plane on the time axis, with their times in words', () => {
    const net = { faults: { synDropProbability: 0, synReject: 'icmp-net', stall: false }, setAt: new Date(1_001).toISOString() };
    const http = [{ id: 3, fault: { path: '/metadata/*', status: 503 }, remaining: null, applied: 0, addedAt: new Date(1_002).toISOString() }, { id: 4, fault: { path: '/x', status: 500 } }];
    assert.deepEqual(faultMarks(net, http), [
      { tUs: 1_001_000, label: 'network faults set: synReject=icmp-net' },
      { tUs: 1_002_000, label: 'HTTP fault #3 added: 503 on /metadata/*' },
    ]);
    assert.deepEqual(faultMarks({ faults: { stall: false }, setAt: new Date(5).toISOString() }, null), [{ tUs: 5_000, label: 'network faults cleared' }]);
    assert.deepEqual([faultMarks(null, null), faultMarks({ faults: {}, setAt: null }, [{ id: 1, fault: {} }])], [[], []]);
    assert.deepEqual(describeFaults(net, http), ['network synReject=icmp-net (set 1970-01-01T00:00:01.001Z)', 'HTTP fault #3 {"path":"/metadata/*","status":503} (added 1970-01-01T00:00:01.002Z)', 'HTTP fault #4 {"path":"/x","status":500}']);
    const [l] = buildLadders([connection({ synUs: [1_000_000, 1_005_000], synCount: 2, synAckUs: 1_005_300, ackUs: 1_005_400 })], null, faultMarks(net, http));
    const svg = renderLadderSvg(l!, 'f');
    assert.equal((svg.match(/data-kind="mark"/g) ?? []).length, 2);
    assert.match(svg, /<title>HTTP fault #3 added: 503 on \/metadata\/\* at \+2\.00 ms<\/title>/);
  });
});
