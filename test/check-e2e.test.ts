// `imds-lab check` end to end through real labs (TUN capture): fixture clients (sh + curl, Node fetch,
// Python urllib) that behave well and badly; every rule is shown passing and failing for the right reason
// (asserted on the evidence), plus the CLI (--json, --junit, exit code) and `run --report`.
// Short stories (--param): 410 for 3 s, hang bound 15 s, absent bound 10 s.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { checkClient, type CheckReport, type RuleId, type RuleStatus } from '../src/lib.ts';
import { exec, MAIN } from './helpers/lab-cli.ts';
import { ip, netnsList, privilegedSkipReason } from './helpers/netns.ts';

const skip = privilegedSkipReason();
const FIXTURES = fileURLToPath(new URL('./fixtures/check-clients/', import.meta.url));
const NODE = [process.execPath, join(FIXTURES, 'node-fetch-client.mjs')];
const PYTHON = (mode: string) => ['python3', join(FIXTURES, 'python-urllib-client.py'), mode];
const CURL = (mode: string) => ['sh', join(FIXTURES, 'curl-client.sh'), mode];
const PARAMETERS = { goneMs: 3000, hangBoundMs: 15_000, absentBoundMs: 10_000, timeoutMs: 20_000 };

function verdict(report: CheckReport, caseId: string, rule: RuleId): { status: RuleStatus; evidence: string } {
  const c = report.cases.find((x) => x.id === caseId);
  assert.ok(c, `case ${caseId} ran`);
  const v = c.rules.find((r) => r.id === rule);
  assert.ok(v, `${rule} graded in ${caseId}`);
  return v;
}

function expectVerdict(report: CheckReport, caseId: string, rule: RuleId, status: RuleStatus, evidence: RegExp): void {
  const v = verdict(report, caseId, rule);
  assert.equal(v.status, status, `${rule} in ${caseId}: ${v.evidence}`);
  assert.match(v.evidence, evidence, `${rule} in ${caseId}`);
}

describe('imds-lab check end to end (real labs, TUN capture)', { skip, concurrency: false }, () => {
  let runDir: string;
  let env: NodeJS.ProcessEnv;
  const check = (argv: readonly string[], cases: string[], jobs = 2) => checkClient(argv, { cases, jobs, parameters: PARAMETERS, env });

  before(() => {
    runDir = mkdtempSync(join(tmpdir(), 'imds-check-'));
    env = { ...process.env, IMDS_LAB_RUN_DIR: runDir, HTTP_PROXY: 'http://192.0.2.1:3128' };
  });
  after(() => {
    rmSync(runDir, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => /^ck[0-9a-z]+-/.test(n)), [], 'no check lab left behind');
  });

  it('a well-behaved Node fetch client passes every rule in every case it applies to', async () => {
    const report = await check(NODE, ['healthy', 'proxy-env', 'gone-410', 'throttled-429', 'server-error-500', 'slow', 'black-hole', 'refused']);
    const failures = report.cases.flatMap((c) => c.rules.filter((r) => r.status === 'fail').map((r) => `${c.id}/${r.id}: ${r.evidence}`));
    assert.deepEqual(failures, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.failed, []);
    expectVerdict(report, 'healthy', 'succeeds-healthy', 'pass', /^exit 0 .*1 request: 200/);
    expectVerdict(report, 'healthy', 'metadata-header', 'pass', /all 1 request carried Metadata: true/);
    expectVerdict(report, 'healthy', 'within-rate-limit', 'pass', /at most 1 requests in any 1 s/);
    expectVerdict(report, 'healthy', 'supported-api-version', 'pass', /2021-02-01/);
    expectVerdict(report, 'proxy-env', 'bypass-proxy', 'pass', /directly from the VM \(10\.1\.0\.4\)/);
    expectVerdict(report, 'gone-410', 'retries-410', 'pass', /× 410 at \d\.\d.*then 200 at \d+(\.\d)? s; exit 0/);
    expectVerdict(report, 'throttled-429', 'backs-off-429', 'pass', /waits after 429: 1\.\d s, 1\.\d s, 2\.\d s; then 200/);
    expectVerdict(report, 'server-error-500', 'retries-5xx', 'pass', /2 × 5xx .*then 200/);
    expectVerdict(report, 'slow', 'tolerates-slow', 'pass', /exit 0 after \d\.\d s with the first byte 2\.0 s late/);
    // Black hole: two attempts of 3.5 s; the SYNs the fault dropped are counted from the wire.
    expectVerdict(report, 'black-hole', 'bounded-timeout', 'pass', /ended by itself within 15 s: exit 2 after \d+(\.\d)? s; \d+ SYNs on 2 connections/);
    assert.ok(report.cases.find((c) => c.id === 'black-hole')!.syns.count >= 4, 'SYN retransmissions seen on both attempts');
    expectVerdict(report, 'refused', 'fails-fast-absent', 'pass', /with at most 10 connection attempts: exit 2 after \d\.\d s; 2 SYNs on 2 connections/);
    assert.equal(report.cases.find((c) => c.id === 'black-hole')!.requests.length, 0);
  });

  it('bad clients fail each rule for the right reason (sh + curl, Python urllib)', async () => {
    // Two lanes, one lab each at a time: at most two labs come up at once on a 2-core machine.
    const laneA = async (): Promise<[CheckReport, CheckReport, CheckReport]> => [
      await check(CURL('sloppy'), ['healthy'], 1),
      await check(CURL('hasty'), ['throttled-429', 'refused'], 1),
      await check(CURL('impatient'), ['slow'], 1),
    ];
    const laneB = async (): Promise<[CheckReport, CheckReport]> => [await check(CURL('no-timeout'), ['black-hole'], 1), await check(PYTHON('naive'), ['proxy-env', 'gone-410', 'server-error-500'], 1)];
    const [[sloppy, hasty, impatient], [noTimeout, naive]] = await Promise.all([laneA(), laneB()]);
    expectVerdict(sloppy, 'healthy', 'succeeds-healthy', 'fail', /^exit 1 .*first error: GET \/metadata\/instance\/compute\/name\?api-version=2021-02-01&format=text → 400 \(metadata-header\).*stderr: probe answered 400/);
    expectVerdict(sloppy, 'healthy', 'metadata-header', 'fail', /^1 of 10 requests without Metadata: true.*header absent/);
    expectVerdict(sloppy, 'healthy', 'supported-api-version', 'fail', /api-version=2010-01-01 → 400 \(api-version\)/);
    expectVerdict(sloppy, 'healthy', 'within-rate-limit', 'fail', /^\d+ requests within 1 s .*IMDS allows 5\/s/);
    expectVerdict(hasty, 'throttled-429', 'backs-off-429', 'fail', /^retried 0\.\d s after a 429/);
    expectVerdict(hasty, 'refused', 'fails-fast-absent', 'fail', /^retry storm: more than 10 connection attempts: exit 1 after \d+\.\d s; 30 SYNs on 30 connections/);
    expectVerdict(noTimeout, 'black-hole', 'bounded-timeout', 'fail', /^did not end by itself: still running after 20 s, killed; \d+ SYNs on 1 connection at 0\.\d, 1\.\d/);
    expectVerdict(impatient, 'slow', 'tolerates-slow', 'fail', /^exit 28 after 1\.\d s; IMDS answered \(1 request: 200\) but its first byte came 2\.0 s late/);
    expectVerdict(naive, 'proxy-env', 'bypass-proxy', 'fail', /^1 of 1 request reached IMDS through the proxy \(from 192\.168\.254\.\d+\).*→ 403 \(x-forwarded-for\)/);
    expectVerdict(naive, 'gone-410', 'retries-410', 'fail', /^gave up after 1 × 410 .*410 lasted 3\.0 s.*exit 1/);
    expectVerdict(naive, 'server-error-500', 'retries-5xx', 'fail', /^gave up after 1 × 5xx .*exit 1/);
    for (const r of [sloppy, hasty, noTimeout, impatient, naive]) assert.equal(r.ok, false);
    // The fix is attached to each failed verdict.
    assert.match(sloppy.cases[0]!.rules.find((r) => r.id === 'metadata-header')!.fix ?? '', /Metadata: true/);
  });

  it('the CLI: --json report, --junit file, exit 1 when a required rule is not a pass, exit 2 on a usage error; a -fixed case', async () => {
    // secondary-nic-fixed: the scenario with its documented fix, so the requests leave eth0 from the primary IP.
    const junit = join(runDir, 'check.xml');
    const json = await exec([process.execPath, '--import', 'tsx', MAIN, 'check', '--case', 'secondary-nic-fixed', '--require', 'bypass-proxy,supported-api-version', '--json', '--junit', junit, '--', ...CURL('sloppy')], { env });
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout) as CheckReport;
    assert.equal(report.version, 1);
    assert.deepEqual(report.command.slice(-1), ['sloppy']);
    assert.deepEqual(report.cases.map((c) => [c.id, c.exit, c.requests.length]), [['secondary-nic-fixed', 1, 10]]);
    assert.equal(report.cases[0]!.requests[0]!.metadata, undefined);
    assert.ok(report.cases[0]!.requests.every((q) => q.remoteAddress === '10.1.0.4' && !q.viaProxy), 'every request from the primary IP');
    assert.equal(report.cases[0]!.syns.connections, 10);
    assert.deepEqual(report.rules.find((r) => r.id === 'bypass-proxy'), { id: 'bypass-proxy', status: 'not-applicable', required: true, cases: [] });
    assert.deepEqual(report.failed, ['succeeds-healthy', 'metadata-header', 'within-rate-limit', 'supported-api-version']);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testcase classname="imds-lab.check" name="metadata-header: every request carries Metadata: true">\n\s+<failure message="secondary-nic-fixed: 1 of 10 requests/);
    assert.match(xml, /name="bypass-proxy[^"]*">\n\s+<skipped /);
    const usage = await exec([process.execPath, '--import', 'tsx', MAIN, 'check', '--rule', 'retries-4xx', '--', 'true'], { env });
    assert.equal(usage.code, 2, 'a usage error');
    assert.match(usage.stderr, /--rule: unknown rule "retries-4xx" \(rules: succeeds-healthy, /);
  });

  it('an abort mid-run removes the running lab at once and records the case as not run', async () => {
    const interrupt = new AbortController();
    const before = new Set(netnsList());
    const running = checkClient(CURL('no-timeout'), { cases: ['black-hole'], parameters: PARAMETERS, env, signal: interrupt.signal });
    // Wait for the lab's VM namespace, then for the hanging curl to have started in it.
    const deadline = Date.now() + 60_000;
    let vm: string | undefined;
    while (vm === undefined && Date.now() < deadline) {
      vm = netnsList().find((n) => !before.has(n) && /^ck[0-9a-z]+-vm$/.test(n));
      await sleep(200);
    }
    assert.ok(vm, 'the check lab came up');
    // Wait for the hanging curl itself (set-up steps also run briefly in the VM namespace).
    const curlRuns = (): boolean => {
      try {
        return ip(['netns', 'pids', vm!]).split(/\s+/).some((pid) => pid !== '' && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'curl');
      } catch {
        return false;
      }
    };
    while (!curlRuns() && Date.now() < deadline) await sleep(200);
    assert.ok(curlRuns(), 'curl runs in the VM');
    const abortedAt = performance.now();
    interrupt.abort();
    const report = await running;
    assert.ok(performance.now() - abortedAt < 10_000, 'the check ended soon after the abort (not at the 20 s limit)');
    assert.match(report.cases[0]!.error ?? '', /interrupted|control connection closed/);
    assert.equal(report.ok, false);
    assert.ok(!netnsList().includes(vm), 'the lab was removed');
  });

  it('run --report prints one run’s behaviour without grading and returns its exit code', async () => {
    const r = await exec([process.execPath, '--import', 'tsx', MAIN, 'run', '--report', '--', ...CURL('sloppy')], { env: { ...env, HTTP_PROXY: '' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^run report: exit 1 after \d\.\d s$/m);
    assert.match(r.stdout, /^ {2}10 requests reached IMDS$/m);
    assert.match(r.stdout, /GET \/metadata\/instance\/compute\/name\?api-version=2021-02-01&format=text → 400 \(metadata-header\) from 10\.1\.0\.4, no Metadata header/);
    assert.match(r.stdout, /^ {2}busiest second: \d+ requests$/m);
    assert.match(r.stdout, /^ {2}10 SYNs on 10 connections at 0\.\d/m);
    assert.doesNotMatch(r.stdout, /FAIL|pass/);
  });
});
