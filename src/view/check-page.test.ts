import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaseReport, CheckReport } from '../check/check-report.ts';
import { caseLadder, renderCheckPage } from './check-page.ts';

const proxyCase: CaseReport = {
  id: 'proxy-leak',
  title: 'HTTP_PROXY set <in the environment>',
  exit: 1,
  timedOut: false,
  durationMs: 1200,
  requests: [{ atMs: 12, method: 'GET', target: '/metadata/instance?api-version=2021-02-01', status: 403, rule: 'x-forwarded-for', latencyMs: 3, remoteAddress: '192.168.254.2', metadata: 'true', viaProxy: true }],
  syns: { count: 1, connections: 1, atMs: [10] },
  stderrTail: ['<script>x</script>'],
  rules: [{ id: 'bypass-proxy', status: 'fail', evidence: '403 via proxy', fix: 'NO_PROXY=169.254.169.254' }],
};
const deadCase: CaseReport = { ...proxyCase, id: 'black-hole', title: 'nothing answers', requests: [], syns: { count: 3, connections: 1, atMs: [0, 1000, 3000] }, stderrTail: [], rules: [{ id: 'bounded-timeout', status: 'pass', evidence: 'gave up after 3 s' }] };
const report: CheckReport = { version: 1, command: ['python3', 'app.py'], cases: [proxyCase, deadCase], rules: [], passed: ['bounded-timeout'], failed: ['bypass-proxy'], ok: false, wallMs: 5000 };

describe('check report as HTML', () => {
  it('a case ladder: every SYN, the request with Metadata and proxy, the status and rule; SYNs of a silent case are drawn unanswered', () => {
    const l = caseLadder(proxyCase, 0);
    assert.deepEqual(l.events.map((e) => [e.kind, e.tUs]), [['syn', 10_000], ['request', 12_000], ['response', 15_000]]);
    assert.match(l.events[1]!.detail, /api-version 2021-02-01, Metadata: true, via a proxy/);
    assert.match(l.events[2]!.detail, /403 after 3\.00 ms; rule x-forwarded-for/);
    const dead = caseLadder(deadCase, 1);
    assert.deepEqual(dead.events.map((e) => e.unanswered), [true, true, true]);
  });

  it('one section per case (a printed page each), verdicts with evidence and fix, escaped stderr', () => {
    const html = renderCheckPage(report, '2026-01-01T00:00:00Z');
    assert.equal((html.match(/<section class="case"/g) ?? []).length, 2);
    assert.match(html, /section\.case\{break-before:page\}/);
    assert.match(html, /<td class="fail">✕ fail<\/td><td class="w">403 via proxy<\/td><td class="w">NO_PROXY=169\.254\.169\.254<\/td>/);
    assert.match(html, /HTTP_PROXY set &lt;in the environment&gt;/);
    assert.doesNotMatch(html, /<script/);
    assert.equal((html.match(/class="ev ev-syn[ "]/g) ?? []).length, 4);
  });
});
