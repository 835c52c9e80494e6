// The one duration grammar: plain milliseconds, ms, s, m, h; anything else is not a duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationText } from './duration.ts';

test('milliseconds and the four units', () => {
  assert.equal(parseDurationText('250'), 250);
  assert.equal(parseDurationText('250ms'), 250);
  assert.equal(parseDurationText(' 5s '), 5000);
  assert.equal(parseDurationText('1.5m'), 90_000);
  assert.equal(parseDurationText('2h'), 7_200_000);
});

test('not durations', () => {
  for (const text of ['', 's', '-1s', '5 days', '1d', '1e3', '5sec']) assert.equal(parseDurationText(text), undefined, text);
});
