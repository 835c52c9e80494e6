// The doctor's container analysis is a pure function: the container scenarios' real nftables rulesets and
// hand-made routes and probes in, cause and fix out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nftFixture } from '../../test/helpers/nft-fixtures.ts';
import { analyzeDoctorFacts, type DoctorFacts, type DoctorReport, type ProbeFact } from './doctor-analysis.ts';
import { analyzeContainerFacts, combineDoctorReports, type ContainerFacts } from './doctor-container-analysis.ts';
import { parseListeners } from './doctor-container-facts.ts';

const primary = { device: 'eth0', ip: '10.1.0.4', gateway: '10.1.0.1' };
const ok: ProbeFact = { exitCode: 0, status: 200, timeMs: 9, body: 'vm-id', error: '', proxy: null };
const timeout: ProbeFact = { exitCode: 28, status: null, timeMs: 2004, body: '', error: 'Connection timed out after 2001 milliseconds', proxy: null };
const refused: ProbeFact = { exitCode: 7, status: null, timeMs: 3, body: '', error: "Failed to connect to 169.254.169.254 port 80 after 0 ms: Couldn't connect to server", proxy: null };
const NMI = 'getting assigned identities for pod default/app in ASSIGNED state failed after 20 attempts, retry duration [5]s. Error: <nil>\n';

/** What gatherContainerFacts finds in a lab of `scenario` (routes as `ip -j route` gives them there). */
function facts(scenario: string, overrides: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    namespace: 'imds-ctr',
    address: '172.17.0.2',
    routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '172.17.0.1', prefsrc: '172.17.0.2' } },
    routes: [
      { dst: 'default', dev: 'eth0', gateway: '172.17.0.1' },
      { dst: '172.17.0.0/16', dev: 'eth0', prefsrc: '172.17.0.2', scope: 'link' },
    ],
    bridge: { ok: true, route: { dst: '172.17.0.2', dev: 'docker0', prefsrc: '172.17.0.1' } },
    forwardRoute: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.1' } },
    ruleset: nftFixture(scenario),
    listeners: [],
    probe: ok,
    tokenProbe: { ...ok, body: '' },
    ...overrides,
  };
}

function failed(report: DoctorReport): string[] {
  return report.findings.filter((f) => !f.ok).map((f) => f.check);
}

describe('analyzeContainerFacts', () => {
  it('container-nat: healthy, and says MASQUERADE makes IMDS see the primary IP', () => {
    const r = analyzeContainerFacts(facts('container-nat'), primary);
    assert.equal(r.cause, 'ok');
    assert.equal(r.healthy, true);
    assert.deepEqual(failed(r), []);
    assert.match(r.summary, /masquerade rule .* rewrites the source 172\.17\.0\.2 to the primary IP 10\.1\.0\.4/);
  });

  it('container-routed: no SNAT, the source stays the pod address, IMDS drops it; the fix adds a masquerade for the pod subnet', () => {
    const r = analyzeContainerFacts(facts('container-routed', { probe: timeout }), primary);
    assert.equal(r.cause, 'container-routed');
    assert.deepEqual(failed(r), ['source IMDS sees is the primary IP', 'probe from the container']);
    assert.match(r.summary, /source 172\.17\.0\.2 unchanged/);
    assert.match(r.summary, /silently drops every other source, so the request times out/);
    assert.match(r.fix, /nft add chain ip nat postrouting '\{ type nat hook postrouting priority 100 ; \}'; nft add rule ip nat postrouting oifname eth0 ip saddr 172\.17\.0\.0\/16 masquerade/);
  });

  it('container-routed with an existing nat chain: the fix adds the rule there', () => {
    const nat = nftFixture('container-nat');
    const withoutMasquerade = { chains: nat.chains, rules: [] };
    const r = analyzeContainerFacts(facts('container-routed', { ruleset: withoutMasquerade, probe: timeout }), primary);
    assert.equal(r.cause, 'container-routed');
    assert.match(r.fix, /^SNAT .*: nft add rule ip imds_lab_container postrouting oifname eth0 ip saddr 172\.17\.0\.0\/16 masquerade /);
  });

  it('netpol-drop: names the dropping rule and the allow rule to insert before it', () => {
    const r = analyzeContainerFacts(facts('netpol-drop', { probe: timeout, tokenProbe: timeout }), primary);
    assert.equal(r.cause, 'netpol-drop');
    assert.deepEqual(failed(r), ['egress policy lets it through', 'probe from the container']);
    assert.match(r.summary, /drops .* \(ip imds_lab_container forward: iifname "docker0" drop\): the SYN never leaves the VM/);
    assert.match(r.fix, /nft insert rule ip imds_lab_container forward iifname docker0 ip daddr 169\.254\.169\.254 tcp dport 80 accept/);
  });

  it('netpol-reject: a refusal at once, from the VM not IMDS', () => {
    const r = analyzeContainerFacts(facts('netpol-reject', { probe: refused, tokenProbe: refused }), primary);
    assert.equal(r.cause, 'netpol-reject');
    assert.match(r.summary, /reject with tcp reset/);
    assert.match(r.summary, /"Connection refused" instead of waiting/);
    assert.match(r.summary, /The refusal comes from the VM, not from IMDS/);
    assert.match(r.fix, /^Allow 169\.254\.169\.254\/32 TCP 80 before the reject: nft insert rule ip imds_lab_container forward/);
  });

  it('netpol-*-fixed: the accept before the deny lets IMDS through', () => {
    for (const name of ['netpol-drop-fixed', 'netpol-reject-fixed']) {
      const r = analyzeContainerFacts(facts(name), primary);
      assert.equal(r.cause, 'ok', name);
      assert.match(r.findings.find((f) => f.check === 'egress policy lets it through')?.detail ?? '', /accepted by .*tcp dport 80 accept/, name);
    }
  });

  it('pod-agent-dnat: the DNAT, who listens at its target and what a token request gets, although metadata answers 200', () => {
    const agent = { address: '172.17.0.1', port: 2579, process: 'node', pid: 4242, cmdline: '/usr/bin/node /usr/lib/imds-lab/main.js persona pod-identity-agent --listen 172.17.0.1:2579' };
    const r = analyzeContainerFacts(
      facts('pod-agent-dnat', { listeners: [{ address: '127.0.0.1', port: 2579, process: 'other', pid: 1, cmdline: 'other' }, agent], tokenProbe: { ...ok, status: 404, body: NMI } }),
      primary,
    );
    assert.equal(r.cause, 'pod-agent-dnat');
    assert.equal(r.healthy, false);
    assert.equal(r.findings.find((f) => f.check === 'who answers at 172.17.0.1:2579')?.detail, `node (pid 4242): ${agent.cmdline}`);
    assert.match(r.summary, /DNATs 169\.254\.169\.254:80 from the container \(imds-ctr, 172\.17\.0\.2\) to 172\.17\.0\.1:2579/);
    assert.match(r.summary, /token request from the container answered 404 "getting assigned identities for pod default\/app/);
    assert.match(r.summary, /metadata requests get 200/);
    assert.match(r.fix, /nft delete rule ip imds_lab_container prerouting handle 2/);
    // Nothing listening at the target: said so.
    const none = analyzeContainerFacts(facts('pod-agent-dnat', { probe: refused, tokenProbe: refused }), primary);
    assert.equal(none.cause, 'pod-agent-dnat');
    assert.match(none.summary, /nothing listens there/);
  });

  it('no route in the container', () => {
    const r = analyzeContainerFacts(facts('container-nat', { routeGet: { ok: false, error: 'Network is unreachable' }, probe: refused }), primary);
    assert.equal(r.cause, 'no-route');
    assert.equal(r.fix, 'ip netns exec imds-ctr ip route add default via 172.17.0.1');
  });

  it('a path that looks right but no answer is not blamed on a rule', () => {
    assert.equal(analyzeContainerFacts(facts('container-nat', { probe: timeout }), primary).cause, 'no-answer');
  });
});

describe('combineDoctorReports', () => {
  const vmFacts: DoctorFacts = {
    lab: null,
    primary,
    routeGet: { ok: true, route: { dst: '169.254.169.254', dev: 'eth0', gateway: '10.1.0.1', prefsrc: '10.1.0.4' } },
    routes: [],
    neighbors: [],
    env: {},
    appProbe: ok,
    directProbe: null,
  };

  it("a healthy VM: the container's verdict, with the VM's findings", () => {
    const vm = analyzeDoctorFacts(vmFacts);
    const ctr = analyzeContainerFacts(facts('netpol-drop', { probe: timeout }), primary);
    const r = combineDoctorReports(vm, ctr);
    assert.equal(r.cause, 'netpol-drop');
    assert.equal(r.healthy, false);
    assert.equal(r.findings, vm.findings);
    assert.equal(r.container, ctr);
  });

  it("a broken VM decides first: the container's traffic crosses it", () => {
    const vm = analyzeDoctorFacts({ ...vmFacts, routeGet: { ok: false, error: 'Network is unreachable' }, routes: [{ dst: '10.1.0.0/24', dev: 'eth0' }], appProbe: refused });
    const r = combineDoctorReports(vm, analyzeContainerFacts(facts('container-nat', { probe: refused }), primary));
    assert.equal(r.cause, 'no-route');
    assert.match(r.summary, /The container's requests leave through the VM too/);
  });
});

describe('parseListeners', () => {
  it('reads ss -Htlnp lines', () => {
    const text = [
      'LISTEN 0      511    172.17.0.1:2579 0.0.0.0:* users:(("node",pid=12252,fd=18))',
      'LISTEN 0      4096   [::]:22 [::]:*',
      'LISTEN 0      128    127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=7,fd=14))',
      '',
    ].join('\n');
    assert.deepEqual(parseListeners(text), [
      { address: '172.17.0.1', port: 2579, process: 'node', pid: 12252 },
      { address: '[::]', port: 22, process: '?', pid: null },
      { address: '127.0.0.53', port: 53, process: 'systemd-resolve', pid: 7 },
    ]);
  });
});
