// Request rules end to end over an in-memory Duplex, with test routes: order, exact bodies, request log.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Server } from 'node:http';
import type { ServiceSettings } from '../config/vm-profile.ts';
import { createRateLimiter } from '../ratelimit/rate-limiter.ts';
import { FakeClock, systemClock, type Clock } from '../util/clock.ts';
import { connect, duplexRequest } from '../../test/helpers/duplex-request.ts';
import { HttpError } from './http-error.ts';
import { HttpFaultSet } from './http-faults.ts';
import type { ImdsResponse, RouteDefinition } from './imds-request.ts';
import { createImdsServer } from './imds-server.ts';
import { subscribeRequests, type RequestLogEntry } from './request-log.ts';
import { HEAD_BODY } from './rules/verb-rule.ts';

const VERSIONS = ['2017-04-02', '2018-02-01', '2020-09-01', '2021-02-01', '2021-12-13'];
const SE_VERSIONS = ['2017-08-01', '2019-08-01', '2020-07-01'];
const H = { Metadata: 'true' };

function testSettings(overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    serverHeader: 'IMDS/test',
    rateLimit: { enabled: false, generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 },
    strictIdentityMetadataCase: false,
    forwardedForStatus: 403,
    apiVersions: null,
    tokenLifetimeSeconds: 86400,
    faults: [],
    ...overrides,
  };
}

function echo(name: string): (r: Parameters<RouteDefinition['handle']>[0]) => ImdsResponse {
  return (r) => ({ status: 200, body: JSON.stringify({ route: name, apiVersion: r.apiVersion ?? null, query: [...r.query], body: r.body.toString() }) });
}

interface Gate {
  wait: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

function testRoutes(identityGate?: { current: Gate | null }): RouteDefinition[] {
  const prefix = (p: string) => (path: string) => path === p || path.startsWith(`${p}/`);
  return [
    { name: 'versions', matches: (p) => p === '/metadata/versions', methods: ['GET'], errorStyle: 'instance', versions: null, rateClass: 'general', handle: echo('versions') },
    { name: 'instance', matches: prefix('/metadata/instance'), methods: ['GET'], errorStyle: 'instance', versions: VERSIONS, rateClass: 'general', handle: echo('instance') },
    {
      name: 'identity-token',
      matches: (p) => p === '/metadata/identity/oauth2/token',
      methods: ['GET'],
      errorStyle: 'identity',
      versions: VERSIONS.slice(1),
      rateClass: 'identity',
      handle: async (r) => {
        if (identityGate?.current) await identityGate.current.wait;
        return echo('identity-token')(r);
      },
    },
    { name: 'scheduledevents', matches: (p) => p === '/metadata/scheduledevents', methods: ['GET', 'POST'], errorStyle: 'instance', versions: SE_VERSIONS, rateClass: 'general', handle: echo('scheduledevents') },
    {
      name: 'boom',
      matches: (p) => p === '/metadata/boom',
      methods: ['GET'],
      errorStyle: 'identity',
      versions: null,
      rateClass: 'general',
      handle: () => {
        throw new TypeError('handler bug');
      },
    },
    {
      name: 'teapot',
      matches: (p) => p === '/metadata/teapot',
      methods: ['GET'],
      errorStyle: 'instance',
      versions: null,
      rateClass: 'general',
      handle: () => {
        throw new HttpError(418, '<teapot/>', { rule: 'teapot-rule', contentType: 'text/xml' });
      },
    },
  ];
}

interface Harness {
  server: Server;
  faults: HttpFaultSet;
  errors: unknown[];
}

function harness(options: { settings?: Partial<ServiceSettings>; clock?: Clock; identityGate?: { current: Gate | null } } = {}): Harness {
  const settings = testSettings(options.settings);
  const faults = new HttpFaultSet(settings.faults);
  const errors: unknown[] = [];
  const server = createImdsServer({
    routes: testRoutes(options.identityGate),
    settings: () => settings,
    clock: options.clock ?? systemClock,
    rateLimiter: createRateLimiter(settings.rateLimit),
    defaultVersions: () => VERSIONS,
    faults,
    onUnexpectedError: (e) => errors.push(e),
  });
  servers.push(server);
  return { server, faults, errors };
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

const E4 = (top: string[]) =>
  `{"error":"Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds","newest-versions":${JSON.stringify(top)}}`;

describe('createImdsServer over a Duplex', () => {
  it('serves a route with JSON content type, Server and Date headers', async () => {
    const { server } = harness();
    const res = await duplexRequest(server, '/metadata/instance/compute?api-version=2021-02-01&format=json', { headers: H });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['server'], 'IMDS/test');
    assert.ok(res.headers['date']);
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
      assert.match(probe.body, /Required metadata header not specified/);
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
    it('identity routes give the same E4 body (identity list)', async () => {
      const { server } = harness();
      const res = await duplexRequest(server, '/metadata/identity/oauth2/token?api-version=2017-04-02', { headers: H });
      assert.equal(res.body, E4(['2021-12-13', '2021-02-01', '2020-09-01']));
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
      assert.match(res.body, /api-version is invalid/);
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

  describe('handler outcomes and error-response', () => {
    it('an unexpected exception is a 500 in the route style, reported, and the server keeps serving', async () => {
      const { server, errors } = harness();
      const res = await duplexRequest(server, '/metadata/boom', { headers: H });
      assert.equal(res.status, 500);
      assert.equal(res.body, '{"error":"server_error","error_description":"Server error"}');
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof TypeError);
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
      assert.ok(first.latencyMs >= 0);
      assert.ok(first.responseBytes > 0);
      assert.ok(!Number.isNaN(Date.parse(first.time)));
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
