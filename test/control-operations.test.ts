// End to end: each control operation against an in-process daemon in socket mode on 127.0.0.1, asserting
// the client-visible effect with a real HTTP request and the request-log entry that decided it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlHarness, type ControlHarness } from './helpers/control-harness.ts';
import type { LoggedRequest } from '../src/control/request-log-buffer.ts';

const INSTANCE = '/metadata/instance?api-version=2021-02-01';
const TOKEN = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';
const EVENTS = '/metadata/scheduledevents?api-version=2020-07-01';

let h: ControlHarness;

// The harness makes its own state directory and removes it on close.
before(async () => {
  h = await startControlHarness({ virtualClock: true });
});
after(async () => {
  await h.close();
});

async function lastLog(): Promise<LoggedRequest> {
  const { entries } = await h.client.queryLog({ limit: 1 });
  assert.equal(entries.length, 1);
  return entries[0]!;
}

describe('HTTP faults at runtime', () => {
  test('a counted 410 answers twice, is logged with its rule and fault id, then stops', async () => {
    const { id, addedAt } = await h.client.addFault({ path: '/metadata/instance', status: 410, count: 2 });
    assert.match(addedAt, /^2026-04-11T22:/, 'added at the virtual clock\'s wall time (the HTML view marks it)');
    assert.equal((await h.get(INSTANCE)).status, 410);
    const entry = await lastLog();
    assert.equal(entry.status, 410);
    assert.equal(entry.rule, 'fault');
    assert.equal(entry.faultId, id);
    assert.equal(entry.path, '/metadata/instance');
    assert.equal(entry.vm, 'examplevmname');
    assert.equal(entry.remoteAddress, '127.0.0.1');
    assert.deepEqual(entry.query, [['api-version', '2021-02-01']]);
    assert.equal(entry.headers.metadata, 'true');
    assert.equal((await h.get(INSTANCE)).status, 410);
    assert.equal((await h.get(INSTANCE)).status, 200);
    assert.equal((await lastLog()).rule, 'handler');
    const listed = await h.client.listFaults();
    assert.deepEqual(listed.map((f) => [f.id, f.remaining, f.applied, f.addedAt]), [[id, 0, 2, addedAt]]);
    await h.client.clearFaults();
  });

  test('a glob fault hits only matching paths; remove and clear take it away', async () => {
    const { id } = await h.client.addFault({ path: '/metadata/identity/*', status: 503 });
    assert.equal((await h.get(TOKEN)).status, 503);
    assert.equal((await h.get(INSTANCE)).status, 200);
    assert.deepEqual(await h.client.removeFault(id), { removed: id });
    assert.equal((await h.get(TOKEN)).status, 200);
    await assert.rejects(h.client.removeFault(id), (e: Error & { code?: string; field?: string }) => e.code === 'ERR_CONTROL_NOT_FOUND' && e.field === 'faultId');
    await h.client.addFault({ path: '/metadata', status: 500 });
    await h.client.addFault({ path: '/metadata', status: 429 });
    assert.deepEqual(await h.client.clearFaults(), { cleared: 2 });
    assert.equal((await h.get(INSTANCE)).status, 200);
  });

  test('a seeded probability fault gives the same sequence on every run', async () => {
    const run = async (): Promise<number[]> => {
      await h.client.addFault({ path: '/metadata/instance', status: 500, probability: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await h.get(INSTANCE)).status);
      await h.client.clearFaults();
      return statuses;
    };
    const first = await run();
    assert.deepEqual(await run(), first);
    assert.ok(first.includes(500) && first.includes(200), `expected a mix, got ${first.join(',')}`);
  });

  test('a delay fault waits on the daemon clock: the answer comes only once the virtual clock passes it', async () => {
    await h.client.addFault({ path: '/metadata/versions', delay: '30s', count: 1 });
    let answered = false;
    const pending = h.get('/metadata/versions').then((a) => ((answered = true), a));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answered, false);
    await h.client.advanceClock('29s');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false);
    await h.client.advanceClock('1s');
    const answer = await pending;
    assert.equal(answer.status, 200);
    const entry = await lastLog();
    assert.equal(entry.latencyMs, 30_000);
  });

  test('bad faults are refused with the field and the reason', async () => {
    const cases: [unknown, string][] = [
      [{ path: '/metadata', status: 418 }, 'fault.status'],
      [{ path: 'metadata', status: 410 }, 'fault.path'],
      [{ path: '/metadata', status: 410, count: 0 }, 'fault.count'],
      [{ path: '/metadata', status: 410, probability: 2 }, 'fault.probability'],
      [{ path: '/metadata', status: 410, colour: 'red' }, 'fault.colour'],
      [{ path: '/metadata', delay: 'soon' }, 'fault.delay'],
      ['410', 'fault'],
    ];
    const before = await h.client.listFaults();
    for (const [fault, field] of cases) {
      await assert.rejects(h.client.request('fault.add', { fault }), (e: Error & { code?: string; field?: string }) => {
        assert.equal(e.code, 'ERR_CONTROL_FIELD', e.message);
        assert.equal(e.field, field, e.message);
        assert.ok(e.message.startsWith(field), e.message);
        return true;
      });
    }
    assert.deepEqual(await h.client.listFaults(), before);
  });
});

describe('network faults', () => {
  test('socket mode answers a clear error instead of pretending', async () => {
    await assert.rejects(h.client.setNetFaults('black-hole'), (e: Error & { code?: string }) => e.code === 'ERR_CONTROL_UNSUPPORTED' && /tun capture/.test(e.message));
  });
});

describe('profile changes at runtime', () => {
  test('tags set tagsList and tags together', async () => {
    const result = await h.client.setTags({ env: 'test', team: 'imds' });
    assert.equal(result.tags, 'env:test;team:imds');
    const tags = await h.get('/metadata/instance/compute/tags?api-version=2021-02-01&format=text');
    assert.equal(tags.body, 'env:test;team:imds');
    const list = await h.get('/metadata/instance/compute/tagsList?api-version=2021-02-01');
    assert.deepEqual(JSON.parse(list.body), [{ name: 'env', value: 'test' }, { name: 'team', value: 'imds' }]);
    await assert.rejects(h.client.setTags([{ name: 'a;b', value: 'x' }]), (e: Error & { field?: string }) => e.field === 'tags[0].name');
  });

  test('user data as text is served base64', async () => {
    await h.client.setUserData('#cloud-config\nhostname: lab\n', 'text');
    const answer = await h.get('/metadata/instance/compute/userData?api-version=2021-01-01&format=text');
    assert.equal(Buffer.from(answer.body, 'base64').toString('utf8'), '#cloud-config\nhostname: lab\n');
    await assert.rejects(h.client.setUserData('not base64!'), (e: Error & { field?: string }) => e.field === 'profile.instance.compute.userData');
  });

  test('identities removed and added change what the token endpoint answers', async () => {
    const system = JSON.parse((await h.get(TOKEN)).body) as { client_id: string };
    assert.equal(system.client_id, 'be5947ed-3560-4afe-9504-59967a63f810');
    await h.client.removeIdentity({ type: 'system' });
    const multiple = await h.get(TOKEN);
    assert.equal(multiple.status, 400);
    assert.match(multiple.body, /Multiple user assigned identities exist/);
    await h.client.removeIdentity({ clientId: '6e8b2c4a-1f3d-4b5e-8a7c-9d0e1f2a3b4c' });
    await h.client.removeIdentity({ objectId: '5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070' });
    const none = await h.get(TOKEN);
    assert.equal(none.status, 400);
    assert.equal(none.body, '{"error":"invalid_request","error_description":"Identity not found"}');
    const clientId = '11111111-2222-4333-8444-555555555555';
    await h.client.addIdentity({
      type: 'user',
      clientId,
      objectId: '66666666-7777-4888-9999-000000000000',
      resourceId: '/subscriptions/8d10da13-8125-4ba9-a717-bf7490507b3d/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/late',
    });
    const token = await h.get(`${TOKEN}&client_id=${clientId}`);
    assert.equal(token.status, 200);
    assert.equal((JSON.parse(token.body) as { client_id: string }).client_id, clientId);
    await assert.rejects(h.client.removeIdentity({ clientId: '99999999-2222-4333-8444-555555555555' }), (e: Error & { code?: string }) => e.code === 'ERR_CONTROL_NOT_FOUND');
    await assert.rejects(
      h.client.addIdentity({ type: 'system', clientId: 'nope', objectId: '66666666-7777-4888-9999-000000000001' }),
      (e: Error & { field?: string }) => e.field === 'profile.identity.systemAssigned.clientId',
    );
  });

  test('the load balancer can be removed (404) and set again (200)', async () => {
    await h.client.setLoadBalancer(null);
    assert.equal((await h.get('/metadata/loadbalancer?api-version=2020-10-01')).status, 404);
    const lb = { publicIpAddresses: [{ frontendIpAddress: '52.0.0.9', privateIpAddress: '10.0.0.4' }], inboundRules: [], outboundRules: [] };
    await h.client.setLoadBalancer(lb);
    const answer = await h.get('/metadata/loadbalancer?api-version=2020-10-01');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { loadbalancer: lb });
  });

  test('profile.set swaps the whole profile through the validator', async () => {
    const current = await h.client.getProfile();
    const next = structuredClone(current) as unknown as { instance: { compute: Record<string, unknown> } };
    next.instance.compute['location'] = 'eastus2';
    await h.client.setProfile(next);
    assert.equal((await h.get('/metadata/instance/compute/location?api-version=2021-02-01&format=text')).body, 'eastus2');
    next.instance.compute['vmSize'] = 7;
    await assert.rejects(h.client.setProfile(next), (e: Error & { field?: string }) => e.field === 'profile.instance.compute.vmSize');
    assert.equal((await h.get('/metadata/instance/compute/location?api-version=2021-02-01&format=text')).body, 'eastus2');
  });
});

describe('scheduled events', () => {
  test('add, acknowledge by POST StartRequests, advance to gone; incarnation moves as on Azure', async () => {
    const initial = JSON.parse((await h.get(EVENTS)).body) as { DocumentIncarnation: number; Events: unknown[] };
    assert.deepEqual(initial.Events, []);
    const { event, documentIncarnation } = await h.client.addEvent({ eventType: 'Reboot', durationInSeconds: 7, description: 'Planned reboot.' });
    assert.equal(documentIncarnation, initial.DocumentIncarnation + 1);
    assert.match(event.eventId, /^[0-9A-F-]{36}$/);
    const clock = await h.client.clock();
    // Default NotBefore: the Reboot minimum notice (15 min) after the daemon's (virtual) wall time.
    assert.equal(event.notBefore, new Date(Date.parse(clock.wallTime) + 15 * 60_000).toUTCString());
    const scheduled = JSON.parse((await h.get(EVENTS)).body) as { DocumentIncarnation: number; Events: Record<string, unknown>[] };
    assert.equal(scheduled.DocumentIncarnation, documentIncarnation);
    assert.equal(scheduled.Events[0]!['EventStatus'], 'Scheduled');
    assert.equal(scheduled.Events[0]!['EventType'], 'Reboot');
    assert.deepEqual(scheduled.Events[0]!['Resources'], ['examplevmname']);

    await h.client.advanceClock('2m');
    const post = await h.get(EVENTS, { method: 'POST', body: JSON.stringify({ StartRequests: [{ EventId: event.eventId.toLowerCase() }] }) });
    assert.equal(post.status, 200);
    const started = JSON.parse((await h.get(EVENTS)).body) as { DocumentIncarnation: number; Events: Record<string, unknown>[] };
    assert.equal(started.DocumentIncarnation, documentIncarnation + 1);
    assert.equal(started.Events[0]!['EventStatus'], 'Started');
    assert.equal(started.Events[0]!['NotBefore'], '');
    const acks = await h.client.acknowledgements();
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.eventId, event.eventId.toLowerCase());
    assert.equal(acks[0]!.started, true);
    assert.equal(acks[0]!.known, true);
    assert.equal(acks[0]!.remoteAddress, '127.0.0.1');
    assert.equal(acks[0]!.at, new Date(Date.parse(clock.wallTime) + 120_000).toISOString());

    const gone = await h.client.advanceEvent(event.eventId);
    assert.equal(gone.result, 'removed');
    const after = JSON.parse((await h.get(EVENTS)).body) as { DocumentIncarnation: number; Events: unknown[] };
    assert.deepEqual(after.Events, []);
    assert.equal(after.DocumentIncarnation, documentIncarnation + 2);
    const logged = (await h.client.queryLog({ path: '/metadata/scheduledevents' })).entries.filter((e) => e.method === 'POST');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.status, 200);
  });

  test('advance moves Scheduled to Started without a POST; events need valid fields', async () => {
    const { event } = await h.client.addEvent({ eventType: 'Preempt', notBeforeIn: '30s', resources: ['examplevmname', 'other'] });
    const step = await h.client.advanceEvent(event.eventId);
    assert.equal(step.result, 'started');
    assert.equal((await h.client.listEvents()).events[0]!.eventStatus, 'Started');
    await h.client.removeEvent(event.eventId);
    assert.deepEqual((await h.client.listEvents()).events, []);
    await assert.rejects(h.client.request('events.add', { event: { eventType: 'Pause' } }), (e: Error & { field?: string }) => e.field === 'event.eventType');
    await assert.rejects(h.client.request('events.add', { event: { eventType: 'Freeze', notBefore: 'tomorrow' } }), (e: Error & { field?: string }) => e.field === 'event.notBefore');
    await assert.rejects(h.client.advanceEvent('00000000-0000-0000-0000-000000000000'), (e: Error & { code?: string }) => e.code === 'ERR_UNKNOWN_EVENT');
  });
});

describe('request log', () => {
  test('follow streams new entries as they happen (from a seq, so nothing is missed)', async () => {
    const { lastSeq } = await h.client.queryLog({ limit: 1 });
    // Logged after `lastSeq` was read but before the follow starts: the follow must still deliver it.
    await h.get('/metadata/versions', { headers: { Metadata: 'false' } });
    const seen: LoggedRequest[] = [];
    const follower = await h.client.followLog({ since: lastSeq, path: '/metadata/versions' }, (e) => seen.push(e));
    await h.get('/metadata/versions');
    await h.get(INSTANCE);
    await h.get('/metadata/versions', { headers: { Metadata: 'false' } });
    for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await follower.stop();
    assert.deepEqual(seen.map((e) => [e.path, e.status, e.rule]), [
      ['/metadata/versions', 400, 'metadata-header'],
      ['/metadata/versions', 200, 'handler'],
      ['/metadata/versions', 400, 'metadata-header'],
    ]);
    assert.ok(seen[0]!.seq > lastSeq && seen[1]!.seq > seen[0]!.seq && seen[2]!.seq > seen[1]!.seq, 'in seq order, all after `since`');
    await h.get('/metadata/versions');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(seen.length, 3, 'no entries after stop');
  });

  test('query filters by status and rule', async () => {
    await h.get('/metadata/instance');
    const { entries } = await h.client.queryLog({ status: 400, rule: 'api-version' });
    assert.ok(entries.length >= 1);
    assert.ok(entries.every((e) => e.status === 400 && e.rule === 'api-version'));
  });
});
