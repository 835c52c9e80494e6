// Handler tests for /metadata/attested/document: response shape, nonce rules, version floor, and that the
// signature is a SignedData over exactly the document, made by the leaf for the VM's region.
import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../http/http-error.ts';
import { inspectSignedData } from '../signing/pkcs7-signed-data.ts';
import { handlerFixture, imdsRequest } from '../../test/helpers/signing-fixtures.ts';
import type { HandlerFixture } from '../../test/helpers/signing-fixtures.ts';
import { ATTESTED_BELOW_FLOOR_STATUS, NONCE_RULES, handleAttested } from './attested-handler.ts';

const PATH = '/metadata/attested/document';
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected HttpError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the handler to throw');
}

describe('handleAttested', () => {
  let fx: HandlerFixture;
  before(async () => {
    fx = await handlerFixture(NOW);
  });
  after(() => fx.close());

  async function signedDocument(query: Record<string, string>) {
    const response = await handleAttested(imdsRequest(PATH, query), fx.ctx);
    assert.equal(response.status, 200);
    const body = response.body.toString();
    const parsed = JSON.parse(body) as { encoding: string; signature: string };
    return { body, parsed, summary: inspectSignedData(Buffer.from(parsed.signature, 'base64')) };
  }

  it('answers {"encoding":"pkcs7","signature":…} in that key order, base64 without line breaks', async () => {
    const { body, parsed } = await signedDocument({ 'api-version': '2021-02-01', nonce: '1234567890' });
    assert.match(body, /^\{"encoding":"pkcs7","signature":"[A-Za-z0-9+/]+={0,2}"\}$/);
    assert.equal(Buffer.from(parsed.signature, 'base64').toString('base64'), parsed.signature);
  });

  it('signs exactly the document: attached content, one leaf certificate, one signer, no signed attributes', async () => {
    const { summary } = await signedDocument({ 'api-version': '2020-09-01', nonce: 'abcde12345' });
    const document = JSON.parse(summary.content.toString('utf8')) as Record<string, unknown>;
    const compute = fx.profile().instance.compute;
    assert.equal(document.nonce, 'abcde12345');
    assert.equal(document.vmId, compute.vmId);
    assert.deepEqual(document.timeStamp, { createdOn: '11/22/26 03:00:00 -0000', expiresOn: '11/22/26 09:00:00 -0000' });
    assert.equal(summary.certificatePems.length, 1);
    assert.equal(summary.signerCount, 1);
    assert.equal(summary.signedAttributeCount, 0);
    assert.equal(summary.digestAlgorithm, '2.16.840.1.101.3.4.2.1');
    const leaf = new X509Certificate(summary.certificatePems[0]!);
    assert.equal(leaf.subjectAltName, `DNS:${(compute.location as string).toLowerCase()}.metadata.azure.com, DNS:metadata.azure.com`);
    assert.ok(verify('sha256', summary.content, leaf.publicKey, summary.signature), 'RSA signature over the content verifies');
    assert.ok(leaf.checkIssued(new X509Certificate(fx.signing.issuingCertificatePem)), 'leaf.checkIssued(new X509Certificate(fx.signing.issuingCertificateP...');
  });

  it('uses the default nonce (expiresOn as yyyyMMdd-HHmmss) when none is given, and follows the clock', async () => {
    fx.clock.advance(61_000);
    const { summary } = await signedDocument({ 'api-version': '2019-08-15' });
    const document = JSON.parse(summary.content.toString('utf8')) as Record<string, unknown>;
    assert.equal(document.nonce, '20261122-090101');
    assert.deepEqual(Object.keys(document), ['nonce', 'plan', 'subscriptionId', 'timeStamp', 'vmId']);
  });

  it('signs with a leaf for the profile region, issued when the region changes', async () => {
    const profile = fx.profile();
    fx.setProfile({ ...profile, instance: { ...profile.instance, compute: { ...profile.instance.compute, location: 'NorthEurope' } } });
    try {
      const { summary } = await signedDocument({ 'api-version': '2021-02-01' });
      assert.equal(new X509Certificate(summary.certificatePems[0]!).subjectAltName, 'DNS:northeurope.metadata.azure.com, DNS:metadata.azure.com');
    } finally {
      fx.setProfile(profile);
    }
  });

  for (const nonce of ['1', '1234576', 'abcde12345', 'A'.repeat(32), 'Zz09']) {
    it(`accepts the nonce ${JSON.stringify(nonce)}`, async () => {
      const { summary } = await signedDocument({ 'api-version': '2021-02-01', nonce });
      assert.equal((JSON.parse(summary.content.toString('utf8')) as { nonce: string }).nonce, nonce);
    });
  }

  for (const nonce of ['', 'A'.repeat(33), 'abc-123', 'abc 123', 'ünïcode', '12345%0A', '1234\n']) {
    it(`rejects the nonce ${JSON.stringify(nonce)} with an instance-style 400 naming it`, async () => {
      const error = await rejection(handleAttested(imdsRequest(PATH, { 'api-version': '2021-02-01', nonce }), fx.ctx));
      assert.equal(error.status, 400);
      assert.equal(JSON.stringify(error.body), `{"error":"Bad request. The 'nonce' query parameter must be 1 to 32 alphanumeric characters"}`);
    });
  }

  it('applies a configured nonce rule (the docs\' 10 digits)', async () => {
    const options = { nonceRule: NONCE_RULES.docs };
    const ok = await handleAttested(imdsRequest(PATH, { 'api-version': '2021-02-01', nonce: '1111111111' }), fx.ctx, options);
    assert.equal(ok.status, 200);
    const error = await rejection(handleAttested(imdsRequest(PATH, { 'api-version': '2021-02-01', nonce: 'abcde12345' }), fx.ctx, options));
    assert.equal(JSON.stringify(error.body), `{"error":"Bad request. The 'nonce' query parameter must be a 10-digit string"}`);
  });

  it('answers versions before 2018-10-01 with the category-floor response', async () => {
    for (const version of ['2017-04-02', '2018-02-01', '2018-04-02']) {
      const error = await rejection(handleAttested(imdsRequest(PATH, { 'api-version': version }), fx.ctx));
      assert.equal(error.status, ATTESTED_BELOW_FLOOR_STATUS);
      assert.equal(JSON.stringify(error.body), '{"error":"Not found"}');
    }
  });
});
