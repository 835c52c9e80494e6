// The doctor's analysis is a pure function: facts in, cause and fix out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDoctorFacts, effectiveProxy, type DoctorFacts, type ProbeFact } from './doctor-analysis.ts';

const ok: ProbeFact = { exitCode: 0, status: 200, timeMs: 9, body: 'vm-id', error: '', proxy: null };
const timeout: ProbeFact = { exitCode: 28, status: null, timeMs: 2001, body: '', error: 'Connection timed out after 2001 milliseconds', proxy: null };

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    lab: { name: 'imds', scenario: 'healthy', fixed: false, dhcp: false },
    primary: { device: 'eth0', ip: '10.1.0.4', gateway: '10.1.0.1' },
    routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.1', prefsrc: '10.1.0.4' } },
    routes: [
      { dst: 'default', dev: 'eth0', gateway: '10.1.0.1' },
      { dst: '10.1.0.0/24', dev: 'eth0', prefsrc: '10.1.0.4', scope: 'link' },
      { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.1' },
    ],
    neighbors: [],
    env: {},
    appProbe: ok,
    directProbe: null,
    ...overrides,
  };
}

describe('analyzeDoctorFacts', () => {
  it('healthy', () => {
    const r = analyzeDoctorFacts(facts());
    assert.equal(r.cause, 'ok');
    assert.equal(r.healthy, true);
    assert.ok(r.findings.every((f) => f.ok));
  });

  it('no route', () => {
    const r = analyzeDoctorFacts(facts({ routeGet: { ok: false, error: 'Network is unreachable' }, appProbe: { ...timeout, exitCode: 7, timeMs: 1 } }));
    assert.equal(r.cause, 'no-route');
    assert.equal(r.fix, 'ip route add 169.254.169.254/32 via 10.1.0.1 dev eth0');
    assert.match(r.summary, /Network is unreachable/);
    const dhcp = analyzeDoctorFacts(facts({ lab: { name: 'imds', scenario: 'x', fixed: false, dhcp: true }, routeGet: { ok: false, error: 'Network is unreachable' } }));
    assert.match(dhcp.summary, /option 121/);
  });

  it('secondary NIC', () => {
    const r = analyzeDoctorFacts(facts({ routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth1', gateway: '10.1.1.1', prefsrc: '10.1.1.4' } }, appProbe: timeout }));
    assert.equal(r.cause, 'wrong-interface');
    assert.equal(r.fix, 'ip route replace 169.254.169.254/32 via 10.1.0.1 dev eth0');
    assert.match(r.summary, /eth1/);
  });

  it('secondary IP as source', () => {
    const r = analyzeDoctorFacts(facts({ routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.1', prefsrc: '10.1.0.5' } }, appProbe: timeout }));
    assert.equal(r.cause, 'wrong-source');
    assert.equal(r.fix, 'ip route replace 169.254.169.254/32 via 10.1.0.1 dev eth0 src 10.1.0.4');
  });

  it('wrong gateway, with the neighbour entry in the explanation', () => {
    const r = analyzeDoctorFacts(
      facts({
        routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.254', prefsrc: '10.1.0.4' } },
        neighbors: [{ dst: '10.1.0.254', dev: 'eth0', lladdr: '02:00:00:de:ad:01', state: ['PERMANENT'] }],
        appProbe: timeout,
      }),
    );
    assert.equal(r.cause, 'wrong-gateway');
    assert.match(r.summary, /10\.1\.0\.254.*02:00:00:de:ad:01/);
  });

  it('an on-link 169.254.0.0/16 on a cluster adapter', () => {
    const r = analyzeDoctorFacts(
      facts({
        routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'cluster0', prefsrc: '169.254.77.10' } },
        routes: [{ dst: 'default', dev: 'eth0', gateway: '10.1.0.1' }, { dst: '169.254.0.0/16', dev: 'cluster0', scope: 'link' }],
        appProbe: timeout,
      }),
    );
    assert.equal(r.cause, 'link-local-capture');
    assert.equal(r.fix, 'ip route add 169.254.169.254/32 via 10.1.0.1 dev eth0 metric 1');
  });

  it('a proxy that forwards and is rejected', () => {
    const env = { HTTP_PROXY: 'http://192.168.254.2:8888', http_proxy: 'http://192.168.254.2:8888' };
    const r = analyzeDoctorFacts(
      facts({ env, appProbe: { ...ok, status: 403, body: '{"error":"Forbidden"}', proxy: 'http://192.168.254.2:8888' }, directProbe: ok }),
    );
    assert.equal(r.cause, 'proxy');
    assert.match(r.fix, /NO_PROXY=169\.254\.169\.254/);
    assert.match(r.summary, /403/);
  });

  it('a quiet proxy on another VM (proxy-vm): 200 through it, but with another vmId', () => {
    const env = { HTTP_PROXY: 'http://10.1.0.5:8888' };
    const r = analyzeDoctorFacts(facts({ env, appProbe: { ...ok, body: 'other-vm-id', proxy: env.HTTP_PROXY }, directProbe: ok }));
    assert.equal(r.cause, 'proxy');
    assert.match(r.summary, /adds no X-Forwarded-For/);
    assert.match(r.summary, /vmId other-vm-id, but this VM is vm-id: the app silently receives another VM's metadata/);
    assert.match(r.fix, /NO_PROXY=169\.254\.169\.254/);
  });

  it('a proxy that is bypassed is fine', () => {
    const env = { http_proxy: 'http://p:8888', NO_PROXY: 'localhost,169.254.169.254' };
    assert.equal(analyzeDoctorFacts(facts({ env })).cause, 'ok');
  });

  it('throttled, transient and other statuses', () => {
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 429 } })).cause, 'throttled');
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 410 } })).cause, 'transient');
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 500 } })).cause, 'transient');
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 400 } })).cause, 'http-error');
  });

  it('no answer although the route is right', () => {
    const r = analyzeDoctorFacts(facts({ appProbe: timeout }));
    assert.equal(r.cause, 'no-answer');
    assert.equal(r.healthy, false);
  });
});

describe('effectiveProxy', () => {
  it('follows curl and requests semantics', () => {
    assert.equal(effectiveProxy({}), null);
    assert.equal(effectiveProxy({ HTTP_PROXY: 'http://p:1' }), 'http://p:1');
    assert.equal(effectiveProxy({ http_proxy: 'http://a:1', HTTP_PROXY: 'http://b:1' }), 'http://a:1');
    assert.equal(effectiveProxy({ http_proxy: 'http://a:1', no_proxy: '*' }), null);
    assert.equal(effectiveProxy({ http_proxy: 'http://a:1', no_proxy: '169.254.0.0/16' }), null);
    assert.equal(effectiveProxy({ http_proxy: 'http://a:1', no_proxy: '10.0.0.0/8,example.com' }), 'http://a:1');
    assert.equal(effectiveProxy({ all_proxy: 'http://c:1' }), 'http://c:1');
  });

  it('foreign responders: Docker Desktop 403, HTML, an empty 200, no HTTP at all; the DNAT is named', () => {
    const nat = ['ip daddr 169.254.169.254 tcp dport 80 dnat to 127.0.0.1:8080'];
    const docker = 'connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.';
    const d = analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 403, body: docker }, imdsNat: nat }));
    assert.equal(d.cause, 'docker-desktop');
    assert.match(d.summary, /dnat to 127\.0\.0\.1:8080/);
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, body: '<!DOCTYPE html><html></html>' } })).cause, 'foreign-responder');
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, body: '' } })).cause, 'foreign-responder');
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...timeout, exitCode: 52, timeMs: 3, error: 'Empty reply from server' } })).cause, 'foreign-responder');
    // IMDS's own 403 (JSON) is not foreign.
    assert.equal(analyzeDoctorFacts(facts({ appProbe: { ...ok, status: 403, body: '{"error":"Forbidden"}' } })).cause, 'http-error');
  });

  it('no-dns: IMDS answers but a lookup gets no answer within 2 s; a quick NXDOMAIN is fine', () => {
    const stalled = analyzeDoctorFacts(facts({ dns: { nameservers: ['168.63.129.16'], lookupExitCode: 124, lookupMs: 2004 } }));
    assert.equal(stalled.cause, 'no-dns');
    assert.match(stalled.summary, /168\.63\.129\.16/);
    assert.equal(analyzeDoctorFacts(facts({ dns: { nameservers: ['168.63.129.16'], lookupExitCode: 2, lookupMs: 4 } })).cause, 'ok');
  });

  it('ipv6-only: no IPv4 route at all (not even a connected subnet)', () => {
    const r = analyzeDoctorFacts(facts({ routeGet: { ok: false, error: 'Network is unreachable' }, routes: [], appProbe: { ...timeout, exitCode: 7, timeMs: 1 } }));
    assert.equal(r.cause, 'ipv6-only');
    assert.match(r.fix, /10\.1\.0\.4/);
  });
});
