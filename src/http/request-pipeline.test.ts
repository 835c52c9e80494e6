// The request rules of imds-spec §2.10 end to end through createImdsServer (in-memory Duplex, stand-in
// routes): order, exact bodies, error styles, rate limits, api-version lists, duplicates, route resolution.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { duplexRequest } from '../../test/helpers/duplex-request.ts';
import { closeTestServers, E4, gate, H, harness, type Gate } from '../../test/helpers/http-test-server.ts';
import { HEAD_BODY } from './rules/verb-rule.ts';

after(closeTestServers);

describe('request rules through createImdsServer', () => {
  describe('rule 1: verb', () => {
    it('answers 405 with the instance body for a verb served nowhere', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { method: 'PUT', headers: H });
      assert.equal(res.status, 405);
      assert.equal(res.body, '{"error":"Not allowed"}');
    });
    it('answers 405 in identity style on identity paths', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token', { method: 'DELETE' });
      assert.equal(res.status, 405);
      assert.equal(res.body, '{"error":"method_not_allowed","error_description":"Not allowed"}');
    });
    it('answers 405 (route rule) for POST on a GET-only route, after the header rule', async () => {
      const { server } = harness();
      const noHeader = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { method: 'POST' });
      assert.equal(noHeader.status, 400);
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { method: 'POST', headers: H });
      assert.equal(res.status, 405);
    });
    it('answers HEAD with 400 text/xml, the XML length and no body', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { method: 'HEAD' });
      assert.equal(res.status, 400);
      assert.equal(res.headers['content-type'], 'text/xml; charset=utf-8');
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(HEAD_BODY)));
      assert.equal(res.body, '');
    });
  });

  describe('rule 2: X-Forwarded-For', () => {
    it('rejects with 403 {"error":"Forbidden"} even with a valid Metadata header', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: { ...H, 'X-Forwarded-For': '10.0.0.9' } });
      assert.equal(res.status, 403);
      assert.equal(res.body, '{"error":"Forbidden"}');
    });
    it('takes the status from settings and rejects an empty value, before the Metadata rule', async () => {
      const { server } = harness({ settings: { forwardedForStatus: 400 } });
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token', { headers: { 'X-Forwarded-For': '' } });
      assert.equal(res.status, 400);
      assert.equal(res.body, '{"error":"Forbidden"}');
    });
  });

  describe('rule 3: Metadata header', () => {
    it('instance-style body is byte-exact when the header is missing', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01');
      assert.equal(res.status, 400);
      assert.equal(res.body, '{ "error": "Bad request: . Required metadata header not specified" }');
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    });
    it('identity-style body is byte-exact (88 bytes) and answered before the api-version rule', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token');
      assert.equal(res.status, 400);
      assert.equal(res.body, '{"error":"invalid_request","error_description":"Required metadata header not specified"}');
      assert.equal(res.headers['content-length'], '88');
    });
    it('rejects Metadata: false and accepts True / TRUE / a lower-case header name', async () => {
      const { server } = harness();
      assert.equal((await duplexRequest(server, '/metadata/versions', { headers: { Metadata: 'false' } })).status, 400);
      assert.equal((await duplexRequest(server, '/metadata/versions', { headers: { Metadata: 'True' } })).status, 200);
      assert.equal((await duplexRequest(server, '/metadata/versions', { headers: { metadata: 'TRUE' } })).status, 200);
    });
    it('strict mode requires lower-case true on identity paths only', async () => {
      const { server } = harness({ settings: { strictIdentityMetadataCase: true } });
      const token = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x';
      assert.equal((await duplexRequest(server, token, { headers: { Metadata: 'True' } })).status, 400);
      assert.equal((await duplexRequest(server, token, { headers: { Metadata: 'true' } })).status, 200);
      assert.equal((await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: { Metadata: 'True' } })).status, 200);
    });
  });

  describe('rule 4: rate limits', () => {
    it('general: the 6th request within a second gets 429 with the instance body', async () => {
      const { server } = harness({ settings: { rateLimit: { enabled: true, generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 } } });
      const statuses: number[] = [];
      let last = '';
      for (let i = 0; i < 6; i++) {
        const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01', { headers: H });
        statuses.push(res.status);
        last = res.body;
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      assert.equal(last, '{"error":"Too many requests"}');
    });
    it('a headerless token probe is answered 400 even while the identity budget is exhausted', async () => {
      const identityGate: { current: Gate | null } = { current: gate() };
      const { server } = harness({
        identityGate,
        settings: { rateLimit: { enabled: true, generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 } },
      });
      const token = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x';
      const pending = Array.from({ length: 5 }, () => duplexRequest(server, token, { headers: H }));
      await new Promise((r) => setTimeout(r, 20));
      const sixth = await duplexRequest(server, token, { headers: H });
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body, '{"error":"too_many_requests","error_description":"Too many requests"}');
      const probe = await duplexRequest(server, token);
      assert.equal(probe.status, 400);
      assert.equal(probe.body, '{"error":"invalid_request","error_description":"Required metadata header not specified"}');
      identityGate.current?.open();
      identityGate.current = null;
      assert.deepEqual((await Promise.all(pending)).map((r) => r.status), [200, 200, 200, 200, 200]);
      // Slots were released when the responses finished.
      assert.equal((await duplexRequest(server, token, { headers: H })).status, 200);
    });
    it('is off when settings.rateLimit.enabled is false', async () => {
      const { server } = harness();
      for (let i = 0; i < 8; i++) assert.equal((await duplexRequest(server, '/metadata/versions', { headers: H })).status, 200);
    });
  });

  describe('rule 5: api-version', () => {
    it('missing: 400 with the exact E4 body and the route list top 3', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance', { headers: H });
      assert.equal(res.status, 400);
      assert.equal(res.body, E4(['2021-12-13', '2021-02-01', '2020-09-01']));
    });
    it('unsupported: same body; GET /metadata yields E4 (default list), not 404', async () => {
      const { server } = harness();
      assert.equal((await duplexRequest(server, '/metadata/instance?api-version=2099-01-01', { headers: H })).body, E4(['2021-12-13', '2021-02-01', '2020-09-01']));
      const root = await duplexRequest(server, '/metadata', { headers: H });
      assert.equal(root.status, 400);
      assert.equal(root.body, E4(['2021-12-13', '2021-02-01', '2020-09-01']));
    });
    it('scheduled events use their own list; unversioned routes need none', async () => {
      const { server } = harness();
      const se = await duplexRequest(server, '/metadata/scheduledevents?api-version=2021-02-01', { headers: H });
      assert.equal(se.status, 400);
      assert.equal(se.body, E4(['2020-07-01', '2019-08-01', '2017-08-01']));
      assert.equal((await duplexRequest(server, '/metadata/scheduledevents?api-version=2019-08-01', { headers: H })).status, 200);
      assert.equal((await duplexRequest(server, '/metadata/versions', { headers: H })).status, 200);
    });
    it('identity routes give the E4 body with their own version list', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token?api-version=2017-04-02', { headers: H });
      assert.equal(res.body, E4(['2021-02-01', '2020-09-01', '2018-02-01']), "the identity route's own newest versions, not the instance list");
    });
  });

  describe('rule 6: duplicate query parameters', () => {
    it('instance style', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=2021-02-01&format=json&format=text', { headers: H });
      assert.equal(res.status, 400);
      assert.equal(res.body, '{"error":"Bad request. Duplicate query parameter names are not allowed: format"}');
    });
    it('identity style, and a repeated valid api-version is a duplicate too', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token?api-version=2018-02-01&api-version=2018-02-01&resource=a', { headers: H });
      assert.equal(res.status, 400);
      assert.equal(res.body, '{"error":"invalid_request","error_description":"Duplicate query parameter names are not allowed: api-version"}');
    });
    it('comes after api-version: a bad first version reports E4', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/instance?api-version=1&api-version=2021-02-01', { headers: H });
      assert.equal(res.status, 400);
      assert.equal(res.body, E4(['2021-12-13', '2021-02-01', '2020-09-01']));
    });
  });

  describe('rule 7: route resolution', () => {
    it('unknown path: 404 {"error":"Not found"}', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/nothing?api-version=2021-02-01', { headers: H });
      assert.equal(res.status, 404);
      assert.equal(res.body, '{"error":"Not found"}');
    });
    it('/metadata/identity alone: 404 {"error": "Not Found"} byte-exact', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity?api-version=2021-02-01', { headers: H });
      assert.equal(res.status, 404);
      assert.equal(res.body, '{"error": "Not Found"}');
    });
    it('route segments are case-sensitive', async () => {
      const { server } = harness();
      assert.equal((await duplexRequest(server, '/metadata/Instance?api-version=2021-02-01', { headers: H })).status, 404);
    });
  });

});
