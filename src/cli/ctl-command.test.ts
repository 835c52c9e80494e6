// ctl's words-to-operation mapping: the fault spec takes the project's duration grammar (as timelines do).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toRequest } from './ctl-command.ts';

test('fault add accepts every duration form timelines accept (delay=1m)', async () => {
  assert.deepEqual(await toRequest(['fault', 'add', 'path=/,delay=1m'], {}), ['fault.add', { fault: { path: '/', delayMs: 60_000 } }]);
  assert.deepEqual(await toRequest(['fault', 'add', 'path=/,delay=1.5s'], {}), ['fault.add', { fault: { path: '/', delayMs: 1500 } }]);
  await assert.rejects(toRequest(['fault', 'add', 'path=/,delay=1d'], {}), /--fault delay: expected milliseconds or text like/);
});

test('timeline phases and fault specs read the same grammar', async () => {
  const [op, params] = await toRequest(['timeline', 'start', 'delay=1m:2h'], {});
  assert.equal(op, 'timeline.start');
  assert.deepEqual((params['timeline'] as { phases: unknown[] }).phases, [{ path: '/', delay: '1m', duration: '2h' }]);
});
