// Tests of the emulator PKI lifecycle: first-use creation (modes 0700/0600), reuse on later loads, leaf
// renewal near expiry, per-region leaves, concurrent first runs, damaged state, and JWT signing.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../util/clock.ts';
import { makeTempDir } from '../../test/helpers/signing-fixtures.ts';
import { DEFAULT_CA_ISSUERS_URI, ISSUING_CA_COMMON_NAME, ROOT_CA_COMMON_NAME } from './certificate-issuer.ts';
import { PKI_FILES } from './pki-store.ts';
import { SigningError } from './signing-error.ts';
import { loadSigningMaterial } from './signing-material.ts';

const DAY = 86_400_000;
const NAMES = { region: 'westeurope', domain: 'metadata.azure.com' };
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('loadSigningMaterial', () => {
  let tmp: { path: string; remove(): Promise<void> };
  /** A PKI shared by the tests that do not depend on creating one (creation takes ~0.5–2 s). */
  let shared: string;
  before(async () => {
    tmp = await makeTempDir('pki');
    shared = join(tmp.path, 'shared');
  });
  after(() => tmp.remove());

  it('creates the PKI on first use: state dir 0700, private keys 0600, a root → issuing CA chain', async () => {
    const stateDir = join(tmp.path, 'first', 'nested');
    const material = await loadSigningMaterial(stateDir, new FakeClock({ wallTime: Date.now() }));
    assert.equal(await mode(stateDir), 0o700);
    assert.equal(await mode(material.pkiDirectory), 0o700);
    for (const name of [PKI_FILES.rootKey, PKI_FILES.issuingKey, PKI_FILES.attestedKey, PKI_FILES.tokenKey]) {
      assert.equal(await mode(join(material.pkiDirectory, name)), 0o600, name);
    }
    const root = new X509Certificate(material.rootCertificatePem);
    const issuing = new X509Certificate(material.issuingCertificatePem);
    assert.match(root.subject, new RegExp(`CN=${ROOT_CA_COMMON_NAME}`));
    assert.match(issuing.subject, new RegExp(`CN=${ISSUING_CA_COMMON_NAME}`));
    assert.ok(root.ca && issuing.ca, 'root.ca && issuing.ca');
    assert.ok(issuing.checkIssued(root) && issuing.verify(root.publicKey), 'issuing.checkIssued(root) && issuing.verify(root.publicKey)');
    assert.equal(createPublicKey(material.rootCertificatePem).asymmetricKeyDetails?.modulusLength, 2048);
    // Creation goes through a temporary directory next to pki/ (and temporary files inside it): none is left.
    assert.deepEqual(await readdir(stateDir), ['pki']);
    assert.deepEqual((await readdir(material.pkiDirectory)).filter((n) => n.includes('.tmp-')), []);
  });

  it('reuses keys and certificates on later loads (and the leaf of a region once issued)', async () => {
    const stateDir = shared;
    const clock = new FakeClock({ wallTime: Date.now() });
    const first = await loadSigningMaterial(stateDir, clock);
    const leaf = await first.attestedLeafPem(NAMES);
    const keyBefore = await readFile(join(first.pkiDirectory, PKI_FILES.rootKey), 'utf8');
    clock.advance(DAY);
    const second = await loadSigningMaterial(stateDir, clock);
    assert.equal(second.rootCertificatePem, first.rootCertificatePem);
    assert.equal(second.issuingCertificatePem, first.issuingCertificatePem);
    assert.equal(second.tokenKeyId, first.tokenKeyId);
    assert.equal(await second.attestedLeafPem(NAMES), leaf);
    assert.equal(await readFile(join(first.pkiDirectory, PKI_FILES.rootKey), 'utf8'), keyBefore);
    assert.equal(await mode(join(first.pkiDirectory, PKI_FILES.tokenKey)), 0o600);
  });

  it('issues the attested leaf as Azure shapes it (subject, SAN, EKU, key usage, AIA, ~1 year)', async () => {
    const now = Date.now();
    const material = await loadSigningMaterial(shared, new FakeClock({ wallTime: now }));
    const leaf = new X509Certificate(await material.attestedLeafPem(NAMES));
    assert.equal(leaf.subject, 'C=US\nST=WA\nL=Redmond\nO=Microsoft Corporation\nCN=metadata.azure.com');
    assert.equal(leaf.subjectAltName, 'DNS:westeurope.metadata.azure.com, DNS:metadata.azure.com');
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(leaf.infoAccess?.trim(), `CA Issuers - URI:${DEFAULT_CA_ISSUERS_URI}`);
    assert.ok(!leaf.ca, '!leaf.ca');
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY;
    assert.ok(days > 364 && days < 367, `validity ${days} days`);
    assert.ok(leaf.checkIssued(new X509Certificate(material.issuingCertificatePem)), 'leaf.checkIssued(new X509Certificate(material.issuingCertificatePem))');
  });

  it('renews a leaf near expiry with the same key, both when loading and while running', async () => {
    const stateDir = join(tmp.path, 'renew');
    const clock = new FakeClock({ wallTime: Date.now() });
    const material = await loadSigningMaterial(stateDir, clock);
    const original = new X509Certificate(await material.attestedLeafPem(NAMES));
    clock.advance(300 * DAY);
    assert.equal(new X509Certificate(await material.attestedLeafPem(NAMES)).serialNumber, original.serialNumber, 'not yet within 30 days of expiry');
    clock.advance(40 * DAY);
    const renewed = new X509Certificate(await material.attestedLeafPem(NAMES));
    assert.notEqual(renewed.serialNumber, original.serialNumber);
    assert.ok(renewed.publicKey.equals(original.publicKey), 'renewed.publicKey.equals(original.publicKey)');
    assert.ok(Date.parse(renewed.validTo) > clock.wallTime() + 300 * DAY, 'Date.parse(renewed.validTo) > clock.wallTime() + 300 * DAY');
    const reloaded = await loadSigningMaterial(stateDir, clock);
    assert.equal(new X509Certificate(await reloaded.attestedLeafPem(NAMES)).serialNumber, renewed.serialNumber);
    const later = new FakeClock({ wallTime: clock.wallTime() + 400 * DAY });
    const expired = await loadSigningMaterial(stateDir, later);
    assert.notEqual(new X509Certificate(await expired.attestedLeafPem(NAMES)).serialNumber, renewed.serialNumber);
  });

  it('keeps one leaf per region and reissues when the CA Issuers URI changes', async () => {
    const stateDir = shared;
    const clock = new FakeClock({ wallTime: Date.now() });
    const material = await loadSigningMaterial(stateDir, clock);
    const west = await material.attestedLeafPem(NAMES);
    const north = await material.attestedLeafPem({ region: 'northeurope', domain: 'metadata.azure.com' });
    assert.notEqual(west, north);
    assert.equal(new X509Certificate(north).subjectAltName, 'DNS:northeurope.metadata.azure.com, DNS:metadata.azure.com');
    assert.equal(new X509Certificate(await material.attestedLeafPem({ region: '', domain: 'metadata.azure.us' })).subjectAltName, 'DNS:metadata.azure.us');
    const other = await loadSigningMaterial(stateDir, clock, { caIssuersUri: 'http://lab.invalid/ca.crt' });
    const leaf = new X509Certificate(await other.attestedLeafPem(NAMES));
    assert.equal(leaf.infoAccess?.trim(), 'CA Issuers - URI:http://lab.invalid/ca.crt');
    assert.equal(other.rootCertificatePem, material.rootCertificatePem);
  });

  it('lets concurrent first runs agree on one PKI', async () => {
    const stateDir = join(tmp.path, 'race');
    const clock = new FakeClock({ wallTime: Date.now() });
    const [a, b, c] = await Promise.all([loadSigningMaterial(stateDir, clock), loadSigningMaterial(stateDir, clock), loadSigningMaterial(stateDir, clock)]);
    assert.equal(a.rootCertificatePem, b.rootCertificatePem);
    assert.equal(b.rootCertificatePem, c.rootCertificatePem);
    assert.equal(a.tokenKeyId, c.tokenKeyId);
    assert.deepEqual((await readdir(stateDir)).sort(), ['pki']);
  });

  it('names the damaged file when a key is unreadable or missing', async () => {
    const stateDir = join(tmp.path, 'damaged');
    const clock = new FakeClock({ wallTime: Date.now() });
    const material = await loadSigningMaterial(stateDir, clock);
    await writeFile(join(material.pkiDirectory, PKI_FILES.tokenKey), 'not a key\n');
    await assert.rejects(loadSigningMaterial(stateDir, clock), (error: unknown) => {
      assert.ok(error instanceof SigningError, 'error instanceof SigningError');
      assert.equal(error.code, 'ERR_SIGNING_KEY_INVALID');
      assert.match(error.message, /token-signing\.key\.pem/);
      return true;
    });
    await rm(join(material.pkiDirectory, PKI_FILES.attestedKey));
    await assert.rejects(loadSigningMaterial(stateDir, clock), (error: unknown) => {
      assert.ok(error instanceof SigningError, 'error instanceof SigningError');
      assert.equal(error.code, 'ERR_SIGNING_KEY_MISSING');
      assert.match(error.message, /attested-signing\.key\.pem is missing/);
      return true;
    });
  });

  it('signs JWTs whose kid/x5t is the token certificate thumbprint', async () => {
    const material = await loadSigningMaterial(shared, new FakeClock({ wallTime: Date.now() }));
    const token = material.signJwt({ b: 2, a: 1 });
    const [h, p, s] = token.split('.') as [string, string, string];
    assert.equal(Buffer.from(p, 'base64url').toString(), '{"b":2,"a":1}');
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { typ: 'JWT', alg: 'RS256', x5t: material.tokenKeyId, kid: material.tokenKeyId });
    const thumbprint = Buffer.from(new X509Certificate(material.tokenSigningCertificatePem).fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
    assert.equal(material.tokenKeyId, thumbprint);
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), material.tokenPublicKey, Buffer.from(s, 'base64url')), 'verify(\'sha256\', Buffer.from(`${h}.${p}`), material.tokenPublicKey,...');
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), new X509Certificate(material.tokenSigningCertificatePem).publicKey, Buffer.from(s, 'base64url')), 'verify(\'sha256\', Buffer.from(`${h}.${p}`), new X509Certificate(mate...');
  });
});
