// Unit tests of the pure grading: recorded event lists in, verdicts out; every rule passes and fails for
// the right reason, and the report aggregates, requires and selects cases as documented.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaseRecording } from './case-recording.ts';
import { checkCases, DEFAULT_PARAMETERS, type CheckCase } from './check-cases.ts';
import type { ReportRequest, RuleId } from './check-report.ts';
import { buildReport, gradeCase } from './grade.ts';
import { busiestSecond } from './rules-requests.ts';
import { selectCases } from './run-check.ts';
import { synsFromPackets } from './wire-evidence.ts';
import { buildTcpPacket } from '../wire/packet.ts';

const P = DEFAULT_PARAMETERS;
const cases = checkCases(P);
const byId = (id: string): CheckCase => cases.find((c) => c.id === id)!;

function req(atMs: number, status: number, extra: Partial<ReportRequest> = {}): ReportRequest {
  return {
    atMs,
    method: 'GET',
    target: '/metadata/instance?api-version=2021-02-01',
    status,
    rule: status === 200 ? 'handler' : 'fault',
    latencyMs: 2,
    remoteAddress: '10.1.0.4',
    metadata: 'true',
    viaProxy: false,
    ...extra,
  };
}

function rec(o: Partial<CaseRecording>): CaseRecording {
  return { caseId: 'x', exit: 0, timedOut: false, durationMs: 100, stderrTail: [], requests: [req(0, 200)], syns: { count: 1, connections: 1, atMs: [0] }, attemptsVisible: true, ...o };
}

function verdict(caseId: string, recording: CaseRecording, rule: RuleId) {
  const v = gradeCase(byId(caseId), recording, P).rules.find((r) => r.id === rule);
  assert.ok(v, `${rule} graded in ${caseId}`);
  return v;
}

describe('check grading rules', () => {
  it('succeeds-healthy: exit 0 passes; a non-zero exit fails with the first error and the stderr', () => {
    assert.equal(verdict('healthy', rec({}), 'succeeds-healthy').status, 'pass');
    const v = verdict('healthy', rec({ exit: 22, requests: [req(0, 400, { rule: 'metadata-header', metadata: undefined })], stderrTail: ['curl: (22) 400'] }), 'succeeds-healthy');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /exit 22 .*400 \(metadata-header\).*stderr: curl: \(22\) 400/);
    assert.ok(v.fix);
  });

  it('metadata-header: case-insensitive "true" passes; a missing header fails naming the request', () => {
    assert.equal(verdict('healthy', rec({ requests: [req(0, 200, { metadata: 'True' })] }), 'metadata-header').status, 'pass');
    const v = verdict('healthy', rec({ requests: [req(0, 400, { metadata: undefined, rule: 'metadata-header' }), req(50, 200)] }), 'metadata-header');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /1 of 2 requests without Metadata: true.*header absent/);
    assert.equal(verdict('healthy', rec({ requests: [] }), 'metadata-header').status, 'not-applicable');
  });

  it('bypass-proxy: direct requests pass; a request from the proxy fails', () => {
    assert.equal(verdict('proxy-env', rec({}), 'bypass-proxy').status, 'pass');
    const v = verdict('proxy-env', rec({ exit: 1, requests: [req(0, 403, { remoteAddress: '192.168.254.2', viaProxy: true, rule: 'x-forwarded-for' })] }), 'bypass-proxy');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /through the proxy \(from 192\.168\.254\.2\)/);
  });

  it('retries-410: recovery after 410s passes; giving up after one 410 fails; no 410 is not applicable', () => {
    const good = rec({ requests: [req(0, 410), req(1000, 410), req(2500, 410), req(20_100, 200)], durationMs: 20_200 });
    assert.match(verdict('gone-410', good, 'retries-410').evidence, /3 × 410 at 0\.0, 1\.0, 2\.5 s, then 200 at 20 s/);
    assert.equal(verdict('gone-410', good, 'retries-410').status, 'pass');
    const bad = verdict('gone-410', rec({ exit: 1, requests: [req(0, 410)] }), 'retries-410');
    assert.equal(bad.status, 'fail');
    assert.match(bad.evidence, /gave up after 1 × 410 .*410 lasted 20 s/);
    assert.equal(verdict('gone-410', rec({}), 'retries-410').status, 'not-applicable');
  });

  it('backs-off-429: growing waits of at least 1 s then 200 pass; a 0.2 s retry or shrinking waits fail', () => {
    const good = rec({ requests: [req(0, 429), req(1002, 429), req(3004, 429), req(7006, 200)] });
    const v = verdict('throttled-429', good, 'backs-off-429');
    assert.equal(v.status, 'pass', v.evidence);
    assert.match(v.evidence, /waits after 429: 1\.0 s, 2\.0 s, 4\.0 s/);
    const hasty = verdict('throttled-429', rec({ requests: [req(0, 429), req(200, 429), req(400, 429), req(600, 200)] }), 'backs-off-429');
    assert.equal(hasty.status, 'fail');
    assert.match(hasty.evidence, /retried 0\.2 s after a 429/);
    const shrinking = verdict('throttled-429', rec({ requests: [req(0, 429), req(3002, 429), req(4500, 429), req(6000, 200)] }), 'backs-off-429');
    assert.equal(shrinking.status, 'fail');
    assert.match(shrinking.evidence, /waits shrank \(3\.0 s then 1\.5 s\)/);
    const gaveUp = verdict('throttled-429', rec({ exit: 1, requests: [req(0, 429)] }), 'backs-off-429');
    assert.equal(gaveUp.status, 'fail');
    assert.match(gaveUp.evidence, /did not recover after 1 × 429/);
  });

  it('retries-5xx: 500, 500, 200 passes; stopping at the first 500 fails', () => {
    assert.equal(verdict('server-error-500', rec({ requests: [req(0, 500), req(10, 500), req(20, 200)] }), 'retries-5xx').status, 'pass');
    const v = verdict('server-error-500', rec({ exit: 1, requests: [req(0, 500)] }), 'retries-5xx');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /gave up after 1 × 5xx/);
  });

  it('tolerates-slow: success with the late byte passes; giving up at 1 s fails although IMDS answered', () => {
    assert.equal(verdict('slow', rec({ durationMs: 2100 }), 'tolerates-slow').status, 'pass');
    const v = verdict('slow', rec({ exit: 28, durationMs: 1000 }), 'tolerates-slow');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /exit 28 after 1\.0 s; IMDS answered \(1 request: 200\) but its first byte came 2\.0 s late/);
  });

  it('bounded-timeout: ending by itself passes with SYN evidence; being killed or ending too late fails', () => {
    const ok = verdict('black-hole', rec({ exit: 2, durationMs: 7000, requests: [], syns: { count: 4, connections: 2, atMs: [0, 1000, 4000, 5000] } }), 'bounded-timeout');
    assert.equal(ok.status, 'pass');
    assert.match(ok.evidence, /4 SYNs on 2 connections at 0\.0, 1\.0, 4\.0, 5\.0 s/);
    const killed = verdict('black-hole', rec({ exit: 137, timedOut: true, durationMs: 65_000, requests: [], syns: { count: 9, connections: 1, atMs: [0, 1000] } }), 'bounded-timeout');
    assert.equal(killed.status, 'fail');
    assert.match(killed.evidence, /did not end by itself: still running after 65 s, killed; 9 SYNs/);
    assert.equal(verdict('secondary-nic', rec({ exit: 1, durationMs: 61_000, requests: [] }), 'bounded-timeout').status, 'fail');
  });

  it('fails-fast-absent: a few attempts pass; a retry storm or a slow give-up fails; no-route says attempts are invisible', () => {
    assert.equal(verdict('refused', rec({ exit: 7, requests: [], syns: { count: 2, connections: 2, atMs: [0, 1000] } }), 'fails-fast-absent').status, 'pass');
    const storm = verdict('refused', rec({ exit: 1, durationMs: 6000, requests: [], syns: { count: 30, connections: 30, atMs: [0] } }), 'fails-fast-absent');
    assert.equal(storm.status, 'fail');
    assert.match(storm.evidence, /retry storm: more than 10 connection attempts/);
    const slow = verdict('no-route', rec({ exit: 1, durationMs: 20_000, requests: [], syns: { count: 0, connections: 0, atMs: [] }, attemptsVisible: false }), 'fails-fast-absent');
    assert.equal(slow.status, 'fail');
    assert.match(slow.evidence, /took longer than 15 s.*not visible on the wire/);
  });

  it('within-rate-limit: 5 in a second passes, 6 fails; identity requests count against 20', () => {
    const five = [0, 100, 200, 300, 400, 1400].map((t) => req(t, 200));
    assert.equal(verdict('healthy', rec({ requests: five }), 'within-rate-limit').status, 'pass');
    const six = [0, 100, 200, 300, 400, 999].map((t) => req(t, 200));
    const v = verdict('healthy', rec({ requests: six }), 'within-rate-limit');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /6 requests within 1 s \(0\.0 s–1\.0 s\); IMDS allows 5\/s/);
    const identity = Array.from({ length: 15 }, (_, i) => req(i * 10, 200, { target: '/metadata/identity/oauth2/token?api-version=2018-02-01' }));
    assert.equal(verdict('healthy', rec({ requests: identity }), 'within-rate-limit').status, 'pass');
    assert.deepEqual(busiestSecond([0, 999, 1000, 1001]), { count: 3, fromMs: 999, toMs: 1001 });
  });

  it('supported-api-version: refused api-versions fail with the request', () => {
    assert.match(verdict('healthy', rec({}), 'supported-api-version').evidence, /\(2021-02-01\)/);
    const v = verdict('healthy', rec({ requests: [req(0, 400, { rule: 'api-version', target: '/metadata/instance?api-version=2010-01-01' })] }), 'supported-api-version');
    assert.equal(v.status, 'fail');
    assert.match(v.evidence, /api-version=2010-01-01 → 400 \(api-version\)/);
  });

  it('a case whose lab could not start fails its rules with the set-up error', () => {
    const r = gradeCase(byId('healthy'), rec({ exit: null, error: 'ip netns add: permission denied', requests: [] }), P);
    assert.ok(r.rules.every((v) => v.status === 'fail' && v.evidence.includes('permission denied')));
  });
});

describe('check report', () => {
  const healthy = gradeCase(byId('healthy'), rec({}), P);
  const gone = gradeCase(byId('gone-410'), rec({ exit: 1, requests: [req(0, 410)] }), P);

  it('a rule fails overall when it failed in any case; ok follows the failed rules', () => {
    const report = buildReport({ command: ['app'], cases: [healthy, gone], wallMs: 5 });
    assert.deepEqual(report.failed, ['retries-410']);
    assert.ok(report.passed.includes('succeeds-healthy'));
    assert.equal(report.rules.find((r) => r.id === 'bypass-proxy')?.status, 'not-applicable');
    assert.deepEqual(report.rules.find((r) => r.id === 'metadata-header')?.cases, [{ id: 'healthy', status: 'pass' }, { id: 'gone-410', status: 'pass' }]);
    assert.equal(report.ok, false);
  });

  it('--require: only the required rules decide, and not-applicable is not a pass', () => {
    assert.equal(buildReport({ command: ['app'], cases: [healthy, gone], required: ['succeeds-healthy'], wallMs: 5 }).ok, true);
    assert.equal(buildReport({ command: ['app'], cases: [healthy, gone], required: ['bypass-proxy'], wallMs: 5 }).ok, false);
  });

  it('--rule selects the cases a rule needs (healthy for request rules); unknown cases are refused', () => {
    assert.deepEqual(selectCases(cases, undefined, ['retries-410', 'bounded-timeout']).map((c) => c.id), ['gone-410', 'black-hole', 'secondary-nic', 'failover-cluster']);
    assert.deepEqual(selectCases(cases, undefined, ['within-rate-limit']).map((c) => c.id), ['healthy']);
    assert.throws(() => selectCases(cases, ['nope'], []), /unknown case "nope" \(cases: healthy, /);
  });

  it('case durations follow the parameters', () => {
    const short = checkCases({ ...P, goneMs: 3000, hangBoundMs: 8000 });
    const gone410 = short.find((c) => c.id === 'gone-410')!;
    assert.deepEqual(gone410.setup, [{ kind: 'timeline', timeline: { name: 'gone-410', phases: [{ duration: 3000, status: 410, label: 'gone' }, { label: 'ok' }] } }]);
    assert.equal(short.find((c) => c.id === 'black-hole')!.timeoutMs, 13_000);
  });
});

describe('SYN evidence from captured packets', () => {
  it('counts retransmitted SYNs, a SYN seen on two interfaces once, and ignores SYN-ACKs', () => {
    const start = 1_000_000; // ms
    const segment = (srcPort: number, dstPort: number, flags: number) => ({ srcPort, dstPort, seq: 1, ack: 0, flags, window: 64240, urgentPointer: 0, options: {}, payload: new Uint8Array(0) });
    const syn = (port: number, ms: number) => ({ timeUs: (start + ms) * 1000, ifindex: 2, ip: buildTcpPacket({ src: 0x0a010004, dst: 0xa9fea9fe }, segment(port, 80, 0x02)) });
    const synAck = { timeUs: (start + 5) * 1000, ifindex: 2, ip: buildTcpPacket({ src: 0xa9fea9fe, dst: 0x0a010004 }, segment(80, 40000, 0x12)) };
    const syns = synsFromPackets([syn(40000, 0), syn(40000, 0.02), synAck, syn(40000, 1000), syn(40001, 3000)], start);
    assert.deepEqual(syns, { count: 3, connections: 2, atMs: [0, 1000, 3000] });
  });
});
