// Renderers of a check report from recorded verdicts: the rule × case table with evidence and fix per
// failure, JUnit XML (failure, skipped, escaping) and the run --report behaviour summary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCases, DEFAULT_PARAMETERS } from './check-cases.ts';
import type { CaseRecording } from './case-recording.ts';
import { buildReport, gradeCase } from './grade.ts';
import { renderBehaviour } from './render-behaviour.ts';
import { escapeXml, renderJunit } from './render-junit.ts';
import { renderTable } from './render-table.ts';

const cases = checkCases();
const rec = (o: Partial<CaseRecording>): CaseRecording => ({
  caseId: 'x',
  exit: 0,
  timedOut: false,
  durationMs: 120,
  stderrTail: [],
  requests: [{ atMs: 5, method: 'GET', target: '/metadata/instance?api-version=2021-02-01', status: 200, rule: 'handler', latencyMs: 2, remoteAddress: '10.1.0.4', metadata: 'true', viaProxy: false }],
  syns: { count: 1, connections: 1, atMs: [3] },
  attemptsVisible: true,
  ...o,
});
const healthy = gradeCase(cases.find((c) => c.id === 'healthy')!, rec({}), DEFAULT_PARAMETERS);
const blackHole = gradeCase(cases.find((c) => c.id === 'black-hole')!, rec({ exit: 137, timedOut: true, durationMs: 65_000, requests: [], syns: { count: 8, connections: 1, atMs: [0, 1000, 2000] } }), DEFAULT_PARAMETERS);
const report = buildReport({ command: ['sh', 'app.sh'], cases: [healthy, blackHole], wallMs: 70_000 });

describe('check report rendering', () => {
  it('the table: a row per rule, a column per case, evidence and fix per failure, a line per case', () => {
    const text = renderTable(report);
    assert.match(text, /^rule {19}healthy {2}black-hole {2}result$/m);
    assert.match(text, /^succeeds-healthy {7}ok {7}· {11}pass$/m);
    assert.match(text, /^bounded-timeout {8}· {8}FAIL {8}FAIL$/m);
    assert.match(text, /^FAIL bounded-timeout in black-hole: did not end by itself: still running after 65 s, killed; 8 SYNs on 1 connection at 0\.0, 1\.0, 2\.0 s$/m);
    assert.match(text, /^ {5}fix: Set a connect timeout and an overall deadline/m);
    assert.match(text, /^black-hole: still running after 65 s, killed, 0 requests, 8 SYNs$/m);
    assert.match(text, /^FAILED: 4 rules passed, 1 failed \(bounded-timeout\); 70\.0 s$/m);
  });

  it('JUnit: one testcase per rule; failure with evidence and fix, skipped when not applicable; XML escaped', () => {
    const xml = renderJunit(report);
    assert.match(xml, /<testsuites name="imds-lab check" tests="11" failures="1" time="70\.000">/);
    assert.match(xml, /<testcase classname="imds-lab.check" name="bounded-timeout: ends by itself when IMDS never answers">\n {6}<failure message="black-hole: did not end by itself[^"]*" type="bounded-timeout">[^<]*fix: Set a connect timeout/);
    assert.match(xml, /name="retries-410: recovers from 410 Gone">\n {6}<skipped message="no case ran for this rule"\/>/);
    assert.equal(escapeXml('a<b & "c" \u0001'), 'a&lt;b &amp; &quot;c&quot; ');
  });

  it('run --report: requests, busiest second, SYNs and the stderr tail, without verdicts', () => {
    const text = renderBehaviour(rec({ exit: 1, stderrTail: ['boom'] }));
    assert.equal(
      text,
      'run report: exit 1 after 0.1 s\n  1 request reached IMDS\n      0.0 s  GET /metadata/instance?api-version=2021-02-01 → 200 (handler) from 10.1.0.4, Metadata: true, 2 ms\n  busiest second: 1 request\n  1 SYN on 1 connection at 0.0 s\n  stderr (last lines):\n    boom\n',
    );
  });
});
