// The docs' attested-document verification recipe (imds-spec §6.2), run with the real openssl CLI (argv
// arrays, temp dir): base64 -d, pkcs7 -inform DER, -print_certs, smime -verify -noverify, verify -CAfile.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { handleAttested } from '../src/imds/attested-handler.ts';
import { loadSigningMaterial } from '../src/signing/signing-material.ts';
import { DEFAULT_CA_ISSUERS_URI } from '../src/signing/certificate-issuer.ts';
import { FakeClock } from '../src/util/clock.ts';
import { handlerFixture, imdsRequest, makeTempDir } from './helpers/signing-fixtures.ts';
import type { HandlerFixture } from './helpers/signing-fixtures.ts';

const run = promisify(execFile);

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tool(cwd: string, file: string, args: readonly string[]): Promise<RunResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(cwd: string, file: string, args: readonly string[]): Promise<RunResult> {
  const result = await tool(cwd, file, args);
  assert.equal(result.code, 0, `${file} ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

describe('attested document through the openssl verification recipe', () => {
  let fx: HandlerFixture;
  let work: { path: string; remove(): Promise<void> };
  const nonce = 'abcde12345';

  before(async () => {
    // Real wall time: openssl verify checks validity against the system clock.
    fx = await handlerFixture(Date.now());
    work = await makeTempDir('openssl');
    const response = await handleAttested(imdsRequest('/metadata/attested/document', { 'api-version': '2021-02-01', nonce }), fx.ctx);
    const { signature } = JSON.parse(response.body.toString()) as { signature: string };
    // curl … | jq -r .signature > signature
    await writeFile(join(work.path, 'signature'), `${signature}\n`);
    const decoded = await run('base64', ['-d', 'signature'], { cwd: work.path, encoding: 'buffer' });
    await writeFile(join(work.path, 'decodedsignature'), decoded.stdout);
    await ok(work.path, 'openssl', ['pkcs7', '-in', 'decodedsignature', '-inform', 'DER', '-out', 'sign.pk7']);
    await ok(work.path, 'openssl', ['pkcs7', '-in', 'decodedsignature', '-inform', 'DER', '-print_certs', '-out', 'signer.pem']);
    await writeFile(join(work.path, 'root.pem'), fx.signing.rootCertificatePem);
  });

  after(async () => {
    await work?.remove();
    await fx?.close();
  });

  it('smime -verify -noverify succeeds and prints the signed JSON', async () => {
    const result = await ok(work.path, 'openssl', ['smime', '-verify', '-in', 'sign.pk7', '-inform', 'pem', '-noverify']);
    assert.match(result.stderr, /Verification successful/);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    const compute = fx.profile().instance.compute;
    assert.equal(document.nonce, nonce);
    assert.equal(document.vmId, compute.vmId);
    assert.equal(document.subscriptionId, compute.subscriptionId);
    assert.equal(document.sku, compute.sku);
    assert.deepEqual(document.plan, compute.plan);
    const timeStamp = document.timeStamp as { createdOn: string; expiresOn: string };
    assert.match(timeStamp.createdOn, /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d -0000$/);
    assert.match(timeStamp.expiresOn, /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d -0000$/);
  });

  it('embeds only the leaf; its AIA CA Issuers URI is the emulator\'s and the DER intermediate converts', async () => {
    const certificates = await ok(work.path, 'openssl', ['pkcs7', '-in', 'decodedsignature', '-inform', 'DER', '-print_certs', '-noout']);
    assert.equal(certificates.stdout.match(/^subject=/gm)?.length, 1);
    assert.match(certificates.stdout, /subject=C = US, ST = WA, L = Redmond, O = Microsoft Corporation, CN = metadata.azure.com/);
    const text = await ok(work.path, 'openssl', ['x509', '-in', 'signer.pem', '-text', '-noout']);
    // grep " CA Issuers -" | awk -FURI: '{print $2}'
    const line = text.stdout.split('\n').find((l) => l.includes(' CA Issuers -'));
    assert.equal(line?.split('URI:')[1], DEFAULT_CA_ISSUERS_URI);
    // The docs download intermediate.cer from that URI; here it comes from `imds-lab ca --intermediate` (DER shown).
    await writeFile(join(work.path, 'intermediate.cer'), fx.signing.issuingCertificateDer);
    await ok(work.path, 'openssl', ['x509', '-inform', 'der', '-in', 'intermediate.cer', '-out', 'intermediate.pem']);
  });

  it('verify -CAfile root.pem -untrusted intermediate.pem signer.pem succeeds', async () => {
    const result = await ok(work.path, 'openssl', ['verify', '-verbose', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'signer.pem']);
    assert.match(result.stdout, /signer\.pem: OK/);
  });

  it('smime -verify rejects a document whose content was altered', async () => {
    const der = await readFile(join(work.path, 'decodedsignature'));
    const at = der.indexOf(Buffer.from(nonce));
    assert.ok(at > 0, 'at > 0');
    der[at + nonce.length - 1] = '6'.charCodeAt(0);
    await writeFile(join(work.path, 'tampered.der'), der);
    await ok(work.path, 'openssl', ['pkcs7', '-in', 'tampered.der', '-inform', 'DER', '-out', 'tampered.pk7']);
    const result = await tool(work.path, 'openssl', ['smime', '-verify', '-in', 'tampered.pk7', '-inform', 'pem', '-noverify']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Verification failure|digest failure/i);
  });

  it('verify fails against a different root and without the intermediate', async () => {
    const other = await makeTempDir('other-root');
    try {
      const material = await loadSigningMaterial(join(other.path, 'state'), new FakeClock({ wallTime: Date.now() }));
      await writeFile(join(work.path, 'other-root.pem'), material.rootCertificatePem);
      const wrongRoot = await tool(work.path, 'openssl', ['verify', '-CAfile', 'other-root.pem', '-untrusted', 'intermediate.pem', 'signer.pem']);
      assert.notEqual(wrongRoot.code, 0);
      assert.match(wrongRoot.stdout + wrongRoot.stderr, /unable to get local issuer certificate|certificate signature failure/);
      const noIntermediate = await tool(work.path, 'openssl', ['verify', '-CAfile', 'root.pem', 'signer.pem']);
      assert.notEqual(noIntermediate.code, 0);
    } finally {
      await other.remove();
    }
  });
});
