import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFix, buildPathView } from './path-model.ts';
import { failoverFacts, healthyFacts, proxyLeakFacts, secondaryNicFacts } from '../../test/helpers/view-facts.ts';

const opts = { caption: 'x', predicted: false };

describe('buildPathView', () => {
  it('healthy: eth0 via the subnet gateway reaches the responder, which answers', () => {
    const v = buildPathView(healthyFacts(), { ...opts, observed: { status: 200, text: 'probe 200' } });
    assert.deepEqual(v.hops.map((h) => h.kind), ['app', 'nic', 'gateway', 'responder']);
    assert.deepEqual([v.stop.kind, v.stop.ok], ['answered', true]);
    assert.deepEqual(v.routes.filter((r) => r.chosen).map((r) => r.dst), ['169.254.169.254']);
    assert.deepEqual(v.interfaces.map((i) => [i.device, i.chosen]), [['eth0', true]]);
  });

  it('secondary NIC: leaves eth1 from 10.1.1.4 and is silently dropped; the fix moves it to eth0 and it is answered', () => {
    const v = buildPathView(secondaryNicFacts(), opts);
    assert.equal(v.stop.kind, 'source-dropped');
    assert.match(v.stop.detail, /through eth1, not the primary NIC eth0/);
    assert.deepEqual(v.interfaces.map((i) => [i.device, i.chosen]), [['eth0', false], ['eth1', true]]);
    assert.deepEqual(v.chosen, { dev: 'eth1', gateway: '10.1.1.1', src: '10.1.1.4' });
    const fixed = buildPathView(applyFix(secondaryNicFacts(), { routes: [{ to: '169.254.169.254/32', via: '10.1.0.1', dev: 'eth0' }], env: {} }), { caption: 'f', predicted: true });
    assert.deepEqual([fixed.stop.kind, fixed.chosen?.dev, fixed.chosen?.src], ['answered', 'eth0', '10.1.0.4']);
  });

  it('failover cluster: the on-link /16 sends it to ARP on cluster0, where nothing answers', () => {
    const v = buildPathView(failoverFacts(), opts);
    assert.deepEqual(v.hops.map((h) => h.kind), ['app', 'nic', 'arp']);
    assert.equal(v.stop.kind, 'arp-unanswered');
    assert.match(v.stop.detail, /169\.254\.0\.0\/16 on cluster0/);
    assert.deepEqual(v.routes.filter((r) => r.chosen).map((r) => r.dev), ['cluster0']);
  });

  it('no route: stops at the app with the kernel error', () => {
    const v = buildPathView(healthyFacts({ routes: [], routeGet: { ok: false, error: 'Network is unreachable' } }), opts);
    assert.deepEqual([v.hops.length, v.stop.kind, v.chosen], [1, 'no-route', null]);
    assert.match(v.stop.detail, /Network is unreachable/);
  });

  it('wrong gateway: stops at the gateway that forwards nothing', () => {
    const routes = [...healthyFacts().routes.filter((r) => r.dst !== '169.254.169.254'), { dst: '169.254.169.254', gateway: '10.1.0.99', dev: 'eth0' }];
    const v = buildPathView(healthyFacts({ routes }), opts);
    assert.equal(v.stop.kind, 'wrong-gateway');
    assert.equal(v.hops.at(-1)?.label, '10.1.0.99');
  });

  it('proxy leak: the app goes to the proxy (default route highlighted), which adds X-Forwarded-For: 403; NO_PROXY fixes it', () => {
    const v = buildPathView(proxyLeakFacts(), { ...opts, observed: { status: 403, text: 'probe 403' } });
    assert.deepEqual(v.hops.map((h) => h.kind), ['app', 'nic', 'gateway', 'proxy', 'responder']);
    assert.equal(v.stop.kind, 'proxy-forwarded-for');
    assert.deepEqual(v.routes.filter((r) => r.chosen).map((r) => r.dst), ['default']);
    const fixed = buildPathView(applyFix(proxyLeakFacts(), { routes: [], env: { NO_PROXY: '169.254.169.254' } }), { caption: 'f', predicted: true });
    assert.deepEqual([fixed.proxy, fixed.stop.kind], [null, 'answered']);
  });

  it('an observed 429 on a good route is an HTTP error at the responder', () => {
    const v = buildPathView(healthyFacts(), { ...opts, observed: { status: 429, text: 'throttled' } });
    assert.deepEqual([v.stop.kind, v.stop.ok, v.stop.title], ['http-error', false, 'IMDS 169.254.169.254 answers 429']);
  });
});
