// What real IMDS clients send (clients-notes.md, imds-spec §13), replayed with Node's http client over a
// loopback socket against the daemon's full route table (startDaemon in-process on 127.0.0.1:0).
import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type DaemonHandle } from '../src/daemon/start-daemon.ts';
import type { ScheduledEventProfile } from '../src/config/vm-profile.ts';
import { subscribeRequests, type RequestLogEntry } from '../src/http/request-log.ts';
import { inspectSignedData } from '../src/signing/pkcs7-signed-data.ts';
import { httpRequest, type HttpReply, type HttpRequestOptions } from './helpers/http-client.ts';
import { tempStateDir } from './helpers/serve-process.ts';

/** One request as a client sends it: only the headers given (Node adds Host and Connection, no User-Agent). */
function send(base: string, path: string, options: HttpRequestOptions = {}): Promise<HttpReply> {
  return httpRequest(`${base}${path}`, options);
}

const E1 = '{ "error": "Bad request: . Required metadata header not specified" }';
const E2 = '{"error":"invalid_request","error_description":"Required metadata header not specified"}';
const E4_TEXT = 'Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds';
const E4 = (newest: readonly string[]) => JSON.stringify({ error: E4_TEXT, 'newest-versions': newest });
const NEWEST = ['2025-04-07', '2024-07-17', '2024-03-15'];
const FORM = 'application/x-www-form-urlencoded';

function jwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a three-part JWT');
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('real client requests against the full route table', () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let daemon: DaemonHandle;
  let base: string;

  before(async () => {
    state = await tempStateDir();
    daemon = await startDaemon({ capture: 'socket', listen: { host: '127.0.0.1', port: 0 }, stateDir: state.path, rateLimit: false });
    base = daemon.address.url;
  });

  after(async () => {
    await daemon?.close();
    await state?.remove();
  });

  const compute = () => daemon.context.profile().instance.compute;

  it('cloud-init: 2021-08-01&extended=true, then the 2019-06-01 fallback when that version answers 400', async () => {
    const first = await send(base, '/metadata/instance?api-version=2021-08-01&extended=true', { headers: { Metadata: 'true' } });
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'application/json; charset=utf-8');
    const doc = JSON.parse(first.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['compute', 'extended', 'network']);
    assert.equal(first.body.includes('"extended":{"compute":{"hasCustomData":false,"ppsType":"None"}}'), true, first.body.slice(-200));

    // An IMDS that does not (yet) know 2021-08-01: every view of the version list agrees.
    const original = daemon.context.profile();
    const lagging = ['2017-04-02', '2018-02-01', '2019-06-01', '2020-09-01', '2021-02-01'];
    daemon.setProfile({ ...original, service: { ...original.service, apiVersions: lagging } });
    try {
      const refused = await send(base, '/metadata/instance?api-version=2021-08-01&extended=true', { headers: { Metadata: 'true' } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body, E4(['2021-02-01', '2020-09-01', '2019-06-01']));
      const fallback = await send(base, '/metadata/instance?api-version=2019-06-01', { headers: { Metadata: 'true' } });
      assert.equal(fallback.status, 200);
      const fallbackCompute = (JSON.parse(fallback.body) as { compute: Record<string, unknown> }).compute;
      assert.equal('storageProfile' in fallbackCompute, true, 'storageProfile exists at 2019-06-01');
      assert.equal('tagsList' in fallbackCompute, false, 'tagsList starts at 2019-06-04');
      const versions = await send(base, '/metadata/versions', { headers: { Metadata: 'true' } });
      assert.equal(versions.body, JSON.stringify({ apiVersions: lagging }));
      const unrouted = await send(base, '/metadata', { headers: { Metadata: 'true' } });
      assert.equal(unrouted.body, E4(['2021-02-01', '2020-09-01', '2019-06-01']));
    } finally {
      daemon.setProfile(original);
    }
  });

  it('WALinuxAgent: Metadata: True, compute and health check at 2018-02-01', async () => {
    const res = await send(base, '/metadata/instance/compute?api-version=2018-02-01', { headers: { Metadata: 'True', 'User-Agent': 'WALinuxAgent/2.9.1.1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(res.body) as object), [
      'location', 'name', 'offer', 'osType', 'placementGroupId', 'platformFaultDomain', 'platformUpdateDomain', 'publisher',
      'resourceGroupName', 'sku', 'subscriptionId', 'tags', 'version', 'vmId', 'vmScaleSetName', 'vmSize', 'zone',
    ]);
    const health = await send(base, '/metadata/instance?api-version=2018-02-01', { headers: { Metadata: 'True' } });
    assert.equal(health.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(health.body) as object), ['compute', 'network']);
  });

  it('msal region discovery: text leaf, then the no-version fallback that reads newest-versions', async () => {
    const leaf = await send(base, '/metadata/instance/compute/location?format=text&api-version=2020-06-01', { headers: { Metadata: 'true' } });
    assert.equal(leaf.status, 200);
    assert.equal(leaf.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(leaf.body, compute()['location']);
    const probe = await send(base, '/metadata/instance/compute/location?format=json', { headers: { Metadata: 'true' } });
    assert.equal(probe.status, 400);
    assert.equal(probe.body, E4(NEWEST));
    const newest = (JSON.parse(probe.body) as { 'newest-versions': string[] })['newest-versions'][0]!;
    const retry = await send(base, `/metadata/instance/compute/location?format=text&api-version=${newest}`, { headers: { Metadata: 'true' } });
    assert.equal(retry.status, 200);
    assert.equal(retry.body, compute()['location']);
  });

  it('GET /metadata without a version is E4; /metadata/identity alone is {"error": "Not Found"}', async () => {
    const root = await send(base, '/metadata', { headers: { Metadata: 'true' } });
    assert.equal(root.status, 400);
    assert.equal(root.body, E4(NEWEST));
    const identity = await send(base, '/metadata/identity?api-version=2018-02-01', { headers: { Metadata: 'true' } });
    assert.equal(identity.status, 404);
    assert.equal(identity.body, '{"error": "Not Found"}');
    const noHeader = await send(base, '/metadata/instance?api-version=2021-02-01');
    assert.equal(noHeader.body, E1);
  });

  it('@azure/identity: the bare probe (no query, no header) gets E2 before faults; the real request with a form Content-Type succeeds', async () => {
    const faultId = daemon.faults.add({ path: '/metadata/identity/*', status: 500, count: 1 });
    try {
      const probe = await send(base, '/metadata/identity/oauth2/token');
      assert.equal(probe.status, 400);
      assert.equal(probe.body, E2);
      assert.equal(Buffer.byteLength(probe.body), 88);
      assert.equal(probe.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(daemon.faults.list().find((f) => f.id === faultId)?.remaining, 1, 'the probe never reached the fault step');
    } finally {
      daemon.faults.remove(faultId);
    }
    const real = await send(base, '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net', {
      headers: { Metadata: 'true', 'Content-Type': FORM },
    });
    assert.equal(real.status, 200);
    const body = JSON.parse(real.body) as Record<string, string>;
    assert.equal(body['resource'], 'https://vault.azure.net');
    assert.match(body['expires_on']!, /^\d+$/, 'expires_on is whole epoch seconds as a string');
  });

  it('azure-identity (Python): the full token URL without the header is E2', async () => {
    const res = await send(base, '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F');
    assert.equal(res.status, 400);
    assert.equal(res.body, E2);
  });

  it('resource raw, percent-encoded and without the trailing slash: echoed verbatim, aud matches, cache keyed on the text', async () => {
    const token = async (resource: string) => {
      const res = await send(base, `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${resource}`, { headers: { Metadata: 'true' } });
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body) as Record<string, string>;
    };
    const raw = await token('https://management.core.windows.net/');
    const encoded = await token('https%3A%2F%2Fmanagement.core.windows.net%2F');
    const noSlash = await token('https://management.core.windows.net');
    assert.equal(raw['resource'], 'https://management.core.windows.net/');
    assert.equal(encoded['resource'], 'https://management.core.windows.net/');
    assert.equal(noSlash['resource'], 'https://management.core.windows.net');
    assert.equal(encoded['access_token'], raw['access_token'], 'raw and encoded name the same resource (one cached token)');
    assert.notEqual(noSlash['access_token'], raw['access_token'], 'the slash-less resource is another audience');
    assert.equal(jwtClaims(raw['access_token']!)['aud'], 'https://management.core.windows.net/');
    assert.equal(jwtClaims(noSlash['access_token']!)['aud'], 'https://management.core.windows.net');
    for (const t of [raw, noSlash]) {
      assert.equal(Number(t['expires_on']) - Number(t['not_before']), 86400 + 300);
      assert.equal(t['client_id'], daemon.context.profile().identity.systemAssigned?.clientId);
      const [h, p, s] = t['access_token']!.split('.') as [string, string, string];
      assert.equal(verify('sha256', Buffer.from(`${h}.${p}`), daemon.context.signing.tokenPublicKey, Buffer.from(s, 'base64url')), true, 'RS256 verifies');
    }
  });

  it('scheduled events: a JSON StartRequests body sent with a form Content-Type starts the event', async () => {
    const event: ScheduledEventProfile = {
      eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Reboot', eventStatus: 'Scheduled', resourceType: 'VirtualMachine',
      resources: ['examplevmname'], notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT', description: 'Host server is undergoing maintenance.',
      eventSource: 'Platform', durationInSeconds: -1,
    };
    daemon.context.scheduledEvents.addEvent(event);
    const url = '/metadata/scheduledevents?api-version=2020-07-01';
    const before = JSON.parse((await send(base, url, { headers: { Metadata: 'true' } })).body) as { DocumentIncarnation: number };
    const post = await send(base, url, {
      method: 'POST',
      headers: { Metadata: 'true', 'Content-Type': FORM },
      body: `{"StartRequests":[{"EventId":"${event.eventId.toLowerCase()}"}]}`,
    });
    assert.equal(post.status, 200);
    const after = await send(base, url, { headers: { Metadata: 'true' } });
    assert.equal(
      after.body,
      `{"DocumentIncarnation":${before.DocumentIncarnation + 1},"Events":[{"EventId":"${event.eventId}","EventStatus":"Started","EventType":"Reboot",` +
        `"ResourceType":"VirtualMachine","Resources":["examplevmname"],"NotBefore":"","Description":"Host server is undergoing maintenance.",` +
        `"EventSource":"Platform","DurationInSeconds":-1}]}`,
    );
    assert.equal(daemon.context.scheduledEvents.removeEvent(event.eventId), true, 'cleanup');
  });

  it('IMDSSample.js: a request without User-Agent is served (and logged without one)', async () => {
    const entries: RequestLogEntry[] = [];
    const unsubscribe = subscribeRequests((e) => entries.push(e));
    let res: HttpReply;
    try {
      res = await send(base, '/metadata/instance?api-version=2021-02-01', { headers: { Metadata: 'True' } });
    } finally {
      unsubscribe();
    }
    assert.equal(res.status, 200);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.headers.userAgent, undefined, 'the server saw no User-Agent');
  });

  it('IMDSSample.py: a 7-digit nonce is accepted and found in the raw DER, and the signature verifies', async () => {
    const res = await send(base, '/metadata/attested/document?api-version=2021-02-01&nonce=1234576', { headers: { Metadata: 'True' } });
    assert.equal(res.status, 200);
    const { encoding, signature } = JSON.parse(res.body) as { encoding: string; signature: string };
    assert.equal(encoding, 'pkcs7');
    const der = Buffer.from(signature, 'base64');
    assert.equal(der.includes('1234576'), true, 'the sample searches the nonce in the decoded DER');
    const signed = inspectSignedData(der);
    const content = JSON.parse(signed.content.toString('utf8')) as { nonce: string; vmId: string };
    assert.equal(content.nonce, '1234576');
    assert.equal(content.vmId, compute()['vmId']);
    assert.equal(signed.certificatePems.length, 1, 'only the leaf certificate');
    const leaf = new X509Certificate(signed.certificatePems[0]!);
    assert.equal(verify('sha256', signed.content, leaf.publicKey, signed.signature), true, 'RSA PKCS#1 v1.5 over the content');
  });
});
