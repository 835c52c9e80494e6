// Timelines on the virtual clock (scenario S14): "refuse connections for 5 s, then 410 for 70 s, then 404
// for 10 s, then 200", driven through the control API so the whole story runs in a fraction of a second.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlHarness, type ControlHarness } from './helpers/control-harness.ts';

const INSTANCE = '/metadata/instance?api-version=2021-02-01';
let h: ControlHarness;

// The harness makes its own state directory and removes it on close.
before(async () => {
  h = await startControlHarness({ virtualClock: true });
});
after(async () => {
  await h.close();
});

/** The status of one request, or the connection error code. */
async function outcome(): Promise<number | string> {
  try {
    return (await h.get(INSTANCE)).status;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

test('S14: refuse 5 s, 410 for 70 s, 404 for 10 s, then 200 — on the virtual clock', async (t) => {
  const wallStart = performance.now();
  const status = await h.client.startTimeline({
    name: 's14',
    phases: [
      { duration: '5s', refuse: true },
      { duration: '70s', status: 410, path: '/metadata' },
      { duration: '10s', status: 404, path: '/metadata' },
      { label: 'healthy' },
    ],
  });
  assert.equal(status.phase, 0);
  assert.equal(status.label, 'refuse');
  const seen: [number, number | string][] = [];
  let at = 0;
  const probe = async (): Promise<void> => {
    seen.push([at, await outcome()]);
  };
  await probe(); // t=0 refused
  for (const step of [4_999, 1, 34_999, 35_000, 1, 9_999, 1, 60_000]) {
    await h.client.advanceClock(step);
    at += step;
    await probe();
  }
  assert.deepEqual(seen, [
    [0, 'ECONNREFUSED'],
    [4_999, 'ECONNREFUSED'],
    [5_000, 410],
    [39_999, 410],
    [74_999, 410],
    [75_000, 404],
    [84_999, 404],
    [85_000, 200],
    [145_000, 200],
  ]);
  const end = await h.client.timelineStatus();
  assert.equal(end.state, 'running');
  assert.equal(end.label, 'healthy');
  assert.deepEqual(end.history.map((r) => [r.phase, r.label, r.at]), [
    [0, 'refuse', 0],
    [1, '410', 5_000],
    [2, '404', 75_000],
    [3, 'healthy', 85_000],
  ]);
  assert.equal(end.error, null);
  // The 410s and 404s are in the request log, decided by the fault rule.
  const faulted = (await h.client.queryLog({ rule: 'fault' })).entries.map((e) => e.status);
  assert.deepEqual(faulted, [410, 410, 410, 404, 404]);
  assert.deepEqual(await h.client.listFaults(), []);
  const stopped = await h.client.stopTimeline();
  assert.equal(stopped.state, 'stopped');
  assert.equal(await outcome(), 200);
  t.diagnostic(`145 s of virtual time in ${(performance.now() - wallStart).toFixed(0)} ms of wall time`);
});

test('stopping mid-phase undoes it (the listener comes back), and a second timeline needs replace', async () => {
  await h.client.startTimeline({ phases: [{ duration: '1m', refuse: true }, { duration: '1m', status: 503 }] });
  assert.equal(await outcome(), 'ECONNREFUSED');
  await assert.rejects(h.client.startTimeline({ phases: [{ status: 500 }] }), (e: Error & { code?: string; field?: string }) => e.code === 'ERR_CONTROL_CONFLICT' && e.field === 'replace');
  const replaced = await h.client.startTimeline({ phases: [{ duration: '10s', status: 500 }] }, { replace: true });
  assert.equal(replaced.label, '500');
  assert.equal(await outcome(), 500);
  await h.client.advanceClock('10s');
  const done = await h.client.timelineStatus();
  assert.equal(done.state, 'done');
  assert.equal(await outcome(), 200);
});

test('a looping timeline cycles on the virtual clock', async () => {
  await h.client.startTimeline({ loop: true, phases: [{ duration: 1000, status: 429 }, { duration: 1000 }] }, { replace: true });
  const seen: (number | string)[] = [];
  for (let i = 0; i < 4; i++) {
    seen.push(await outcome());
    await h.client.advanceClock(1000);
  }
  assert.deepEqual(seen, [429, 200, 429, 200]);
  await h.client.stopTimeline();
});

test('bad timelines are refused with the field and the reason; net phases need tun', async () => {
  const cases: [unknown, string][] = [
    [{ phases: [] }, 'timeline.phases'],
    [{ phases: [{ status: 410 }, { duration: '5s' }] }, 'timeline.phases[0].duration'],
    [{ phases: [{ duration: 'forever' }] }, 'timeline.phases[0].duration'],
    [{ phases: [{ duration: '1s', status: 302 }] }, 'timeline.phases[0].status'],
    [{ phases: [{ duration: '1s', refuse: 'yes' }] }, 'timeline.phases[0].refuse'],
    [{ phases: [{ duration: '1s', wait: true }] }, 'timeline.phases[0].wait'],
    [{ phases: [{ duration: '1s', net: 'black-hole' }] }, 'timeline.phases[0].net'],
    [{ loop: true, phases: [{ status: 500 }] }, 'timeline.loop'],
  ];
  for (const [timeline, field] of cases) {
    await assert.rejects(h.client.request('timeline.start', { timeline, replace: true }), (e: Error & { field?: string }) => {
      assert.equal(e.field, field, e.message);
      return true;
    });
  }
});

test('clock.advance on a real-clock daemon is a clear error', async () => {
  const real = await startControlHarness();
  try {
    assert.equal((await real.client.clock()).virtual, false);
    await assert.rejects(real.client.advanceClock('1s'), (e: Error & { code?: string }) => e.code === 'ERR_CONTROL_UNSUPPORTED' && /virtual clock/.test(e.message));
  } finally {
    await real.close();
  }
});
