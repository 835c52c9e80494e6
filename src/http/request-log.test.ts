// The request log's channel: the entry is built only when someone subscribes, and subscribers get it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishRequest, subscribeRequests, type RequestLogEntry } from './request-log.ts';
import { DIAGNOSTICS_CHANNELS } from '../util/diagnostics.ts';

test('no subscriber: the entry is never built; a subscriber: built once and delivered', () => {
  let built = 0;
  const entry = { vm: 'vm0', status: 200 } as unknown as RequestLogEntry;
  const build = (): RequestLogEntry => (built++, entry);
  publishRequest(build);
  assert.equal(built, 0);
  const seen: RequestLogEntry[] = [];
  const unsubscribe = subscribeRequests((e) => seen.push(e));
  try {
    publishRequest(build);
  } finally {
    unsubscribe();
  }
  assert.equal(built, 1);
  assert.deepEqual(seen, [entry]);
  publishRequest(build);
  assert.equal(built, 1);
});

test('every registered channel is named imds-lab:<layer>:<event>', () => {
  for (const name of Object.values(DIAGNOSTICS_CHANNELS)) assert.match(name, /^imds-lab:(util|wire|tcp|link|stack|net|http|imds|control|lab):[a-z-]+$/);
  assert.equal(new Set(Object.values(DIAGNOSTICS_CHANNELS)).size, Object.values(DIAGNOSTICS_CHANNELS).length);
});
