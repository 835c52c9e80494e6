// Unit tests: timeline definitions — strict reading, defaults, shorthand phases and persona names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netSpecOf, parsePhaseShorthand, readTimeline } from './timeline-spec.ts';
import { parseDuration } from './duration.ts';

test('durations: numbers are milliseconds, text takes ms/s/m/h; bad ones name the field', () => {
  assert.equal(parseDuration(250, 'd'), 250);
  assert.equal(parseDuration('70s', 'd'), 70_000);
  assert.equal(parseDuration('1.5m', 'd'), 90_000);
  assert.equal(parseDuration('2h', 'd'), 7_200_000);
  assert.throws(() => parseDuration('5 days', 'x.duration'), /x\.duration: must be a duration/);
  assert.throws(() => parseDuration(-1, 'y'), /y: must be a duration >= 0/);
});

test('the S14 shorthand reads as four phases with labels, HTTP faults on the given path', () => {
  const spec = readTimeline({ name: 's14', phases: ['refuse:5s', '410:70s', '404:10s', 'ok'].map((p) => parsePhaseShorthand(p, '/metadata')) });
  assert.deepEqual(spec.phases.map((p) => [p.label, p.durationMs, p.refuse, p.http.map((f) => [f.path, f.status])]), [
    ['refuse', 5_000, true, []],
    ['410', 70_000, false, [['/metadata', 410]]],
    ['404', 10_000, false, [['/metadata', 404]]],
    ['normal', null, false, []],
  ]);
  assert.equal(spec.loop, false);
});

test('http lists, delay phases and net phases', () => {
  const spec = readTimeline({
    phases: [
      { duration: 1000, http: [{ path: '/metadata/identity/*', status: 429 }, { status: 503 }] },
      { duration: '2s', delay: '1s' },
      { net: 'black-hole', label: 'dark' },
    ],
  });
  assert.deepEqual(spec.phases[0]!.http, [{ path: '/metadata/identity/*', status: 429 }, { path: '/', status: 503 }]);
  assert.deepEqual(spec.phases[1]!.http, [{ path: '/', delayMs: 1000 }]);
  assert.equal(spec.phases[2]!.net, 'black-hole');
  assert.equal(spec.phases[2]!.label, 'dark');
  assert.equal(netSpecOf('black-hole'), 'drop-syn');
  assert.equal(netSpecOf('refuse'), 'rst');
  assert.equal(netSpecOf('loss=0.5,seed=3'), 'loss=0.5,seed=3');
});

test('bad phases name the field', () => {
  assert.throws(() => readTimeline({ phases: [{ duration: '1s', refuse: true, net: 'stall' }] }), /timeline\.phases\[0\]\.refuse: cannot be combined with net/);
  assert.throws(() => readTimeline({ phases: [{ duration: '1s', path: '/x' }] }), /timeline\.phases\[0\]\.path: applies to the status\/delay shorthand only/);
  assert.throws(() => readTimeline({ phases: [{ duration: '1s', http: { path: '/x', status: 410, count: -1 } }] }), /timeline\.phases\[0\]\.http\.count/);
  assert.throws(() => readTimeline({ phases: 'refuse' }), /timeline\.phases: must be an array/);
  assert.throws(() => readTimeline([]), /timeline: must be a JSON object/);
  assert.throws(() => parsePhaseShorthand('teapot:5s'), /phase: expected refuse, ok/);
});
