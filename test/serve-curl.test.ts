// `imds-lab serve` end to end with curl, exactly as the public docs call IMDS (only the address differs:
// 127.0.0.1:PORT instead of 169.254.169.254), plus the docs' OpenSSL verification of attested documents.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultProfileDocument } from '../src/config/default-profile.ts';
import { DEFAULT_CA_ISSUERS_URI } from '../src/signing/certificate-issuer.ts';
import { INSTANCE_API_VERSIONS } from '../src/imds/api-versions.ts';
import { run, startServe, tempStateDir, type ServeProcess } from './helpers/serve-process.ts';

const EVENT_ID = 'f020ba2e-3bc0-4c40-a10b-86575a9eabd5';
const E4_NEWEST =
  '{"error":"Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds","newest-versions":["2025-04-07","2024-07-17","2024-03-15"]}';

/** curl -s with the docs' flags; returns body (stdout) and, with -w, the status on the last line. */
async function curl(args: readonly string[]): Promise<{ status: number; body: string }> {
  const result = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  assert.equal(result.code, 0, `curl failed: ${result.stderr}`);
  const cut = result.stdout.lastIndexOf('\n');
  return { body: result.stdout.slice(0, cut), status: Number(result.stdout.slice(cut + 1)) };
}

describe('serve + curl (docs commands)', () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let serve: ServeProcess;
  let base: string;

  before(async () => {
    state = await tempStateDir();
    const profile = defaultProfileDocument();
    const withEvents = {
      ...profile,
      scheduledEvents: {
        documentIncarnation: 1,
        events: [
          {
            eventId: EVENT_ID,
            eventType: 'Reboot',
            eventStatus: 'Scheduled',
            resourceType: 'VirtualMachine',
            resources: [String(profile.instance.compute['name'])],
            notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT',
            description: 'Virtual machine is going to be restarted as requested by authorized user.',
            eventSource: 'User',
            durationInSeconds: 30,
          },
        ],
      },
    };
    const file = join(state.path, 'vm.json');
    await writeFile(file, JSON.stringify(withEvents));
    serve = await startServe(state.path, ['--no-rate-limit', '--profile', file]);
    base = serve.base;
  });

  after(async () => {
    await serve?.stop();
    await state?.remove();
  });

  it('prints the ready line with the real port and the profile', () => {
    assert.match(serve.readyLine, /^imds-lab: serving on http:\/\/127\.0\.0\.1:\d+ \(capture socket, profile .*vm\.json\)$/);
    assert.notEqual(serve.port, 0);
  });

  it('instance: curl -s -H Metadata:true --noproxy "*" ".../metadata/instance?api-version=2021-02-01"', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`]);
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.body);
    assert.deepEqual(Object.keys(doc), ['compute', 'network']);
    assert.equal(doc.compute.vmId, defaultProfileDocument().instance.compute['vmId']);
  });

  it('text leaf: .../compute/vmId?api-version=2017-08-01&format=text is the raw value, no newline', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/instance/compute/vmId?api-version=2017-08-01&format=text`]);
    assert.equal(res.status, 200);
    assert.equal(res.body, defaultProfileDocument().instance.compute['vmId']);
  });

  it('versions: .../metadata/versions lists the instance family ascending', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/versions`]);
    assert.equal(res.status, 200);
    const versions = JSON.parse(res.body).apiVersions as string[];
    assert.equal(versions.at(-1), '2025-04-07');
    assert.deepEqual([...versions].sort(), versions);
    // imds-spec §4: exactly the §3.1 list (pinned by src/imds/api-versions.test.ts), nothing dropped or added.
    assert.deepEqual(versions, [...INSTANCE_API_VERSIONS]);
  });

  it('missing api-version: 400 with the E4 body byte for byte (GET /metadata/instance and GET /metadata)', async () => {
    for (const path of ['/metadata/instance', '/metadata']) {
      const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}${path}`]);
      assert.equal(res.status, 400);
      assert.equal(res.body, E4_NEWEST);
    }
  });

  it('no Metadata header: the captured instance body; Metadata:True accepted', async () => {
    const res = await curl(['--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`]);
    assert.equal(res.status, 400);
    assert.equal(res.body, '{ "error": "Bad request: . Required metadata header not specified" }');
    assert.equal((await curl(['-H', 'Metadata:True', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`])).status, 200);
  });

  it('X-Forwarded-For: 403 {"error":"Forbidden"}', async () => {
    const res = await curl(['-H', 'Metadata:true', '-H', 'X-Forwarded-For: 10.0.0.5', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`]);
    assert.equal(res.status, 403);
    assert.equal(res.body, '{"error":"Forbidden"}');
  });

  it('duplicate query parameters: 400', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01&api-version=2021-02-01`]);
    assert.equal(res.status, 400);
    assert.equal(res.body, '{"error":"Bad request. Duplicate query parameter names are not allowed: api-version"}');
  });

  it('404 for an unknown path, {"error": "Not Found"} for /metadata/identity, 405 for PUT', async () => {
    const unknown = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/instance/compute/nothing?api-version=2021-02-01`]);
    assert.equal(unknown.status, 404);
    const identity = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/identity?api-version=2021-02-01`]);
    assert.equal(identity.status, 404);
    assert.equal(identity.body, '{"error": "Not Found"}');
    const put = await curl(['-X', 'PUT', '-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`]);
    assert.equal(put.status, 405);
    assert.equal(put.body, '{"error":"Not allowed"}');
  });

  it('HEAD (curl -I): 400 text/xml', async () => {
    const res = await run('curl', ['-s', '-I', '--noproxy', '*', `${base}/metadata/instance?api-version=2021-02-01`]);
    assert.match(res.stdout, /^HTTP\/1\.1 400 /);
    assert.match(res.stdout, /content-type: text\/xml; charset=utf-8/i);
  });

  it('token: with the header a JWT; without it the identity 400 at once', async () => {
    const url = `${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`;
    const ok = await curl([url, '-H', 'Metadata:true', '--noproxy', '*']);
    assert.equal(ok.status, 200);
    const token = JSON.parse(ok.body);
    assert.equal(token.access_token.split('.').length, 3);
    assert.equal(token.resource, 'https://management.azure.com/');
    assert.equal(token.token_type, 'Bearer');
    const started = Date.now();
    const probe = await curl(['--noproxy', '*', '--max-time', '2', url]);
    assert.equal(probe.status, 400);
    assert.equal(probe.body, '{"error":"invalid_request","error_description":"Required metadata header not specified"}');
    assert.ok(Date.now() - started < 2000, 'Date.now() - started < 2000');
  });

  it('identity info: {"tenantId":…}', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/identity/info?api-version=2018-02-01`]);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { tenantId: defaultProfileDocument().identity.tenantId });
  });

  it('load balancer: ports are numbers', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/loadbalancer?api-version=2020-10-01`]);
    assert.equal(res.status, 200);
    assert.equal(typeof JSON.parse(res.body).loadbalancer.inboundRules[0].frontendPort, 'number');
  });

  it('reprovisiondata: 404 until assigned', async () => {
    const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/reprovisiondata?api-version=2019-06-01`]);
    assert.equal(res.status, 404);
  });

  it('scheduled events: the docs GET, the docs POST (curl -d: a form content type), then Started', async () => {
    const url = `${base}/metadata/scheduledevents?api-version=2020-07-01`;
    const before = JSON.parse((await curl(['-H', 'Metadata:true', '--noproxy', '*', url])).body);
    assert.equal(before.DocumentIncarnation, 1);
    assert.equal(before.Events[0].EventStatus, 'Scheduled');
    assert.deepEqual(Object.keys(before.Events[0]), ['EventId', 'EventStatus', 'EventType', 'ResourceType', 'Resources', 'NotBefore', 'Description', 'EventSource', 'DurationInSeconds']);
    const post = await curl(['-H', 'Metadata:true', '-X', 'POST', '-d', `{"StartRequests": [{"EventId": "${EVENT_ID}"}]}`, '--noproxy', '*', url]);
    assert.equal(post.status, 200);
    const afterPost = JSON.parse((await curl(['-H', 'Metadata:true', '--noproxy', '*', url])).body);
    assert.equal(afterPost.DocumentIncarnation, 2);
    assert.equal(afterPost.Events[0].EventStatus, 'Started');
    assert.equal(afterPost.Events[0].NotBefore, '');
    const bad = await curl(['-H', 'Metadata:true', '-X', 'POST', '-d', 'StartRequests=oops', '--noproxy', '*', url]);
    assert.equal(bad.status, 400);
    const wrongVersion = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/scheduledevents?api-version=2021-02-01`]);
    assert.equal(wrongVersion.status, 400);
    assert.deepEqual(JSON.parse(wrongVersion.body)['newest-versions'], ['2020-07-01', '2019-08-01', '2019-04-01']);
  });

  it('attested: the docs OpenSSL pipeline verifies the signature, the chain, and the nonce', async () => {
    const work = await mkdtemp(join(tmpdir(), 'imds-lab-openssl-'));
    try {
      const res = await curl(['-H', 'Metadata:true', '--noproxy', '*', `${base}/metadata/attested/document?api-version=2021-02-01&nonce=1234576`]);
      assert.equal(res.status, 200);
      // | jq -r .signature > signature
      const jq = await run('jq', ['-r', '.signature'], { input: res.body });
      assert.equal(jq.code, 0);
      await writeFile(join(work, 'signature'), jq.stdout);
      // base64 -d signature > decodedsignature
      const decoded = await run('base64', ['-d', 'signature'], { cwd: work });
      assert.equal(decoded.code, 0);
      await writeFile(join(work, 'decodedsignature'), decoded.stdoutBytes);
      assert.equal((await run('openssl', ['pkcs7', '-in', 'decodedsignature', '-inform', 'DER', '-out', 'sign.pk7'], { cwd: work })).code, 0);
      assert.equal((await run('openssl', ['pkcs7', '-in', 'decodedsignature', '-inform', 'DER', '-print_certs', '-out', 'signer.pem'], { cwd: work })).code, 0);
      const text = await run('openssl', ['x509', '-in', 'signer.pem', '-text', '-noout'], { cwd: work });
      const caIssuers = /CA Issuers - URI:(\S+)/.exec(text.stdout)?.[1];
      assert.equal(caIssuers, DEFAULT_CA_ISSUERS_URI, 'the leaf names its issuer (not downloaded: the state dir holds it)');
      const verify = await run('openssl', ['smime', '-verify', '-in', 'sign.pk7', '-inform', 'pem', '-noverify'], { cwd: work });
      assert.match(verify.stderr, /Verification successful/);
      const content = JSON.parse(verify.stdout);
      assert.equal(content.nonce, '1234576');
      assert.equal(content.vmId, defaultProfileDocument().instance.compute['vmId']);
      const chain = await run(
        'openssl',
        ['verify', '-verbose', '-CAfile', join(state.path, 'pki', 'root-ca.cert.pem'), '-untrusted', join(state.path, 'pki', 'issuing-ca.cert.pem'), 'signer.pem'],
        { cwd: work },
      );
      assert.equal(chain.stdout.trim(), 'signer.pem: OK', chain.stderr);
      // The Python sample's check: the nonce appears in the raw DER (content attached, unencrypted).
      assert.ok((await readFile(join(work, 'decodedsignature'))).includes(Buffer.from('"nonce":"1234576"')), '(await readFile(join(work, \'decodedsignature\'))).includes(Buffer.fr...');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
