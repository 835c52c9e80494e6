// createImdsServer over an in-memory Duplex with stand-in routes: response headers, keep-alive, handler
// outcomes, the request log and faults. The request rules themselves: request-pipeline.test.ts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { connect, duplexRequest } from '../../test/helpers/duplex-request.ts';
import { closeTestServers, H, harness } from '../../test/helpers/http-test-server.ts';
import { subscribeRequests, type RequestLogEntry } from './request-log.ts';

after(closeTestServers);

describe('createImdsServer over a Duplex', () => {
  it('serves a route with JSON content type, Server and Date headers', async () => {
    const { server } = harness();
    const res = await duplexRequest(server, '/metadata/instance/compute?api-version=2021-02-01&format=json', { headers: H });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['server'], 'IMDS/test');
    assert.ok(res.headers['date'], 'res.headers[\'date\']');
    assert.deepEqual(JSON.parse(res.body), { route: 'instance', apiVersion: '2021-02-01', query: [['api-version', '2021-02-01'], ['format', 'json']], body: '' });
  });

  it('sends no Server header when settings.serverHeader is null', async () => {
    const { server } = harness({ settings: { serverHeader: null } });
    const res = await duplexRequest(server, '/metadata/versions', { headers: H });
    assert.equal(res.status, 200);
    assert.equal(res.headers['server'], undefined);
  });

  it('keeps a connection alive across requests', async () => {
    const { server } = harness();
    const socket = connect(server);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const req = 'GET /metadata/versions HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n';
    socket.write(req + req);
    await new Promise((r) => setTimeout(r, 50));
    const text = Buffer.concat(chunks).toString();
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    socket.destroy();
  });

  describe('handler outcomes and error-response', () => {
    it('an unexpected exception is a 500 in the route style, reported, and the server keeps serving', async () => {
      const { server, errors } = harness();
      const res = await duplexRequest(server, '/metadata/boom', { headers: H });
      assert.equal(res.status, 500);
      assert.equal(res.body, '{"error":"server_error","error_description":"Server error"}');
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof TypeError, 'errors[0] instanceof TypeError');
      assert.equal((await duplexRequest(server, '/metadata/versions', { headers: H })).status, 200);
    });
    it('an HttpError from a handler keeps its status, body, content type and rule', async () => {
      const { server } = harness();
      const entries: RequestLogEntry[] = [];
      const unsubscribe = subscribeRequests((e) => entries.push(e));
      try {
        const res = await duplexRequest(server, '/metadata/teapot', { headers: H });
        assert.equal(res.status, 418);
        assert.equal(res.body, '<teapot/>');
        assert.equal(res.headers['content-type'], 'text/xml');
      } finally {
        unsubscribe();
      }
      assert.equal(entries.at(-1)?.rule, 'teapot-rule');
    });
    it('passes the body to POST handlers; an oversized body is 400 body-size and closes the connection', async () => {
      const { server } = harness();
      const ok = await duplexRequest(server, '/metadata/scheduledevents?api-version=2020-07-01', { method: 'POST', headers: H, body: '{"StartRequests":[]}' });
      assert.equal(JSON.parse(ok.body).body, '{"StartRequests":[]}');
      const big = await duplexRequest(server, '/metadata/scheduledevents?api-version=2020-07-01', { method: 'POST', headers: H, body: 'x'.repeat(70_000) });
      assert.equal(big.status, 400);
      assert.equal(big.body, '{"error":"Bad request. Request body is larger than MaxBodyLength: 65536"}');
      assert.equal(big.headers['connection'], 'close');
    });
  });

  describe('request log', () => {
    it('publishes every request with the deciding rule', async () => {
      const { server } = harness();
      const entries: RequestLogEntry[] = [];
      const unsubscribe = subscribeRequests((e) => entries.push(e));
      try {
        await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: { ...H, 'User-Agent': 'ua/1' }, remoteAddress: '10.1.0.9' });
        await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: { 'X-Forwarded-For': '1.2.3.4' } });
        await duplexRequest(server, '/metadata/instance?api-version=2021-02-01');
        await duplexRequest(server, '/metadata/instance', { headers: H });
        await duplexRequest(server, '/metadata/instance?api-version=2021-02-01&a=1&a=2', { headers: H });
        await duplexRequest(server, '/metadata/zzz?api-version=2021-02-01', { headers: H });
        await duplexRequest(server, '/metadata/instance', { method: 'PATCH', headers: H });
      } finally {
        unsubscribe();
      }
      assert.deepEqual(
        entries.map((e) => [e.status, e.rule]),
        [
          [200, 'handler'],
          [403, 'x-forwarded-for'],
          [400, 'metadata-header'],
          [400, 'api-version'],
          [400, 'duplicate-query'],
          [404, 'route'],
          [405, 'verb'],
        ],
      );
      const first = entries[0]!;
      assert.equal(first.remoteAddress, '10.1.0.9');
      assert.equal(first.method, 'GET');
      assert.equal(first.path, '/metadata/instance');
      assert.deepEqual(first.query, [['api-version', '2021-02-01']]);
      assert.deepEqual(first.headers, { metadata: 'true', xForwardedFor: undefined, userAgent: 'ua/1' });
      assert.equal(first.route, 'instance');
      assert.ok(first.latencyMs >= 0, 'first.latencyMs >= 0');
      assert.ok(first.responseBytes > 0, 'first.responseBytes > 0');
      assert.ok(!Number.isNaN(Date.parse(first.time)), '!Number.isNaN(Date.parse(first.time))');
      assert.equal(entries[1]!.headers.xForwardedFor, '1.2.3.4');
    });
  });

  describe('faults', () => {
    it('answer a status for the next N matching requests, in the route style, after the header rule', async () => {
      const { server, faults } = harness({ settings: { faults: [{ path: '/metadata/identity/*', status: 410, count: 2 }] } });
      const token = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x';
      assert.equal((await duplexRequest(server, token)).status, 400, 'headerless probe is not faulted');
      const first = await duplexRequest(server, token, { headers: H });
      assert.equal(first.status, 410);
      assert.equal(first.body, '{"error":"service_unavailable","error_description":"Gone"}');
      assert.equal((await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: H })).status, 200);
      assert.equal((await duplexRequest(server, token, { headers: H })).status, 410);
      assert.equal((await duplexRequest(server, token, { headers: H })).status, 200);
      assert.deepEqual(faults.list().map((f) => [f.remaining, f.applied]), [[0, 2]]);
    });
    it('runtime additions apply to the next request; a delay waits on the injected clock', async () => {
      const clock = new FakeClock();
      const { server, faults } = harness({ clock });
      faults.add({ path: '/metadata/instance', delayMs: 3000, count: 1 });
      let done = false;
      const pending = duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: H }).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(done, false);
      clock.advance(2999);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(done, false);
      clock.advance(1);
      const res = await pending;
      assert.equal(res.status, 200);
    });
    it('with a seed, the same request sequence gets the same faults', async () => {
      const run = async (): Promise<number[]> => {
        const { server } = harness({ settings: { faults: [{ path: '/metadata/instance', status: 500, probability: 0.5, seed: 42 }] } });
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) statuses.push((await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: H })).status);
        return statuses;
      };
      const a = await run();
      const b = await run();
      assert.deepEqual(a, b);
      assert.ok(a.includes(500) && a.includes(200), `expected a mix, got ${a.join(',')}`);
    });
  });
});
