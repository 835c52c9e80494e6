// The daemon's HTTP server accepts any stream.Duplex (the seam the TUN capture uses): requests emitted as
// 'connection' with an in-memory pair are served by the full route table and logged with the pair's address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type DaemonHandle } from '../src/daemon/start-daemon.ts';
import { subscribeRequests, type RequestLogEntry } from '../src/http/request-log.ts';
import { duplexRequest } from './helpers/duplex-request.ts';
import { tempStateDir } from './helpers/serve-process.ts';

describe('startDaemon server over a Duplex', () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let daemon: DaemonHandle;

  before(async () => {
    state = await tempStateDir();
    daemon = await startDaemon({ capture: 'socket', listen: { host: '127.0.0.1', port: 0 }, stateDir: state.path, serverHeader: null, rateLimit: false });
  });

  after(async () => {
    await daemon?.close();
    await state?.remove();
  });

  it('serves instance, attested and token requests and logs the Duplex remote address', async () => {
    const entries: RequestLogEntry[] = [];
    const unsubscribe = subscribeRequests((e) => entries.push(e));
    try {
      const instance = await duplexRequest(daemon.server, '/metadata/instance/compute/vmId?api-version=2021-02-01&format=text', {
        headers: { Metadata: 'true' },
        remoteAddress: '10.1.0.4',
      });
      assert.equal(instance.status, 200);
      assert.equal(instance.body, daemon.context.profile().instance.compute['vmId']);
      assert.equal(instance.headers['server'], undefined, '--no-server-header override');
      const attested = await duplexRequest(daemon.server, '/metadata/attested/document?api-version=2021-02-01', { headers: { Metadata: 'true' } });
      assert.deepEqual(Object.keys(JSON.parse(attested.body)), ['encoding', 'signature']);
      const token = await duplexRequest(daemon.server, '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/', {
        headers: { Metadata: 'true' },
      });
      assert.equal(token.status, 200);
    } finally {
      unsubscribe();
    }
    assert.equal(entries[0]?.remoteAddress, '10.1.0.4');
    assert.equal(entries[0]?.vm, daemon.context.profile().instance.compute['name']);
    assert.deepEqual(entries.map((e) => e.route), ['instance', 'attested', 'identity-token']);
  });

  it('runtime faults and scheduled events are reachable through the handle', async () => {
    const id = daemon.faults.add({ path: '/metadata/versions', status: 503, count: 1 });
    const faulted = await duplexRequest(daemon.server, '/metadata/versions', { headers: { Metadata: 'true' } });
    assert.equal(faulted.status, 503);
    assert.equal(faulted.body, '{"error":"Service unavailable"}');
    assert.equal(daemon.faults.list().find((f) => f.id === id)?.remaining, 0);
    daemon.context.scheduledEvents.addEvent({
      eventId: 'E1', eventType: 'Freeze', eventStatus: 'Scheduled', resourceType: 'VirtualMachine', resources: ['vm'],
      notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT', description: '', eventSource: 'Platform', durationInSeconds: 5,
    });
    const se = await duplexRequest(daemon.server, '/metadata/scheduledevents?api-version=2019-01-01', { headers: { Metadata: 'true' } });
    assert.equal(se.body, '{"DocumentIncarnation":1,"Events":[{"EventId":"E1","EventStatus":"Scheduled","EventType":"Freeze","ResourceType":"VirtualMachine","Resources":["vm"],"NotBefore":"Mon, 19 Sep 2016 18:29:47 GMT"}]}');
  });

  it('setProfile swaps the profile at runtime (reprovisiondata appears)', async () => {
    const before = await duplexRequest(daemon.server, '/metadata/reprovisiondata?api-version=2019-06-01', { headers: { Metadata: 'true' } });
    assert.equal(before.status, 404);
    daemon.setProfile({ ...daemon.context.profile(), reprovisionData: '<Environment/>' });
    const afterSwap = await duplexRequest(daemon.server, '/metadata/reprovisiondata?api-version=2019-06-01', { headers: { Metadata: 'true' } });
    assert.equal(afterSwap.status, 200);
    assert.equal(afterSwap.body, '<Environment/>');
    assert.equal(afterSwap.headers['server'], undefined, 'the option overrides survive a swap');
  });
});
