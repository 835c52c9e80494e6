// The signing facade the composition root builds once: loads the emulator PKI from a state directory and
// signs attested documents (PKCS#7) and managed-identity tokens (JWT RS256) with it.
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { Clock } from '../util/clock.ts';
import { DEFAULT_CA_ISSUERS_URI } from './certificate-issuer.ts';
import type { LeafNames } from './certificate-issuer.ts';
import { loadAttestedLeaf, loadEmulatorPki, needsRenewal } from './emulator-pki.ts';
import type { EmulatorPki, HeldCertificate } from './emulator-pki.ts';
import { certificateThumbprint, signJwtRs256 } from './jwt-rs256.ts';
import { signAttachedPkcs7 } from './pkcs7-signed-data.ts';

export interface SigningOptions {
  /** AIA "CA Issuers" URI written into attested-data leaves (default: DEFAULT_CA_ISSUERS_URI). */
  readonly caIssuersUri?: string;
}

export interface SigningMaterial {
  /** Where the PKI lives: <state-dir>/pki. */
  readonly pkiDirectory: string;
  /** The emulator root CA: what `openssl verify -CAfile` needs. */
  readonly rootCertificatePem: string;
  /** The issuing CA ("intermediate") that signs attested-data leaves. */
  readonly issuingCertificatePem: string;
  readonly issuingCertificateDer: Buffer;
  readonly caIssuersUri: string;
  /** Self-signed certificate of the token key; its thumbprint is `tokenKeyId`. */
  readonly tokenSigningCertificatePem: string;
  /** JWT header kid and x5t. */
  readonly tokenKeyId: string;
  /** Public half of the token key (for verifiers and tests). */
  readonly tokenPublicKey: KeyObject;
  /** PEM of the attested-data leaf for these names (issued and stored on first use, renewed near expiry). */
  attestedLeafPem(names: LeafNames): Promise<string>;
  /** DER CMS SignedData with `content` attached, signed by the leaf for these names (imds-spec §6.2). */
  signAttested(content: string, names: LeafNames): Promise<Buffer>;
  /** A compact RS256 JWT over `claims` (kept in insertion order). */
  signJwt(claims: Readonly<Record<string, unknown>>): string;
}

function certificateDer(certificate: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary');
}

class LoadedSigningMaterial implements SigningMaterial {
  readonly pkiDirectory: string;
  readonly rootCertificatePem: string;
  readonly issuingCertificatePem: string;
  readonly issuingCertificateDer: Buffer;
  readonly caIssuersUri: string;
  readonly tokenSigningCertificatePem: string;
  readonly tokenKeyId: string;
  readonly tokenPublicKey: KeyObject;
  private readonly pki: EmulatorPki;
  private readonly clock: Clock;
  private readonly leaves = new Map<string, Promise<HeldCertificate>>();

  constructor(pki: EmulatorPki, clock: Clock, caIssuersUri: string) {
    this.pki = pki;
    this.clock = clock;
    this.caIssuersUri = caIssuersUri;
    this.pkiDirectory = pki.directory;
    this.rootCertificatePem = pki.root.pem;
    this.issuingCertificatePem = pki.issuing.pem;
    this.issuingCertificateDer = certificateDer(pki.issuing.certificate);
    this.tokenSigningCertificatePem = pki.token.pem;
    this.tokenKeyId = certificateThumbprint(certificateDer(pki.token.certificate));
    this.tokenPublicKey = pki.token.key.publicKey;
  }

  private async leaf(names: LeafNames): Promise<HeldCertificate> {
    const cacheKey = `${names.region}\n${names.domain}`;
    let pending = this.leaves.get(cacheKey);
    if (pending) {
      const held = await pending.catch(() => null);
      if (held && !needsRenewal(held, this.clock.wallTime())) return held;
      if (this.leaves.get(cacheKey) === pending) this.leaves.delete(cacheKey);
    }
    pending = this.leaves.get(cacheKey);
    if (!pending) {
      const loading = loadAttestedLeaf(this.pki, names, this.caIssuersUri, this.clock.wallTime());
      this.leaves.set(cacheKey, loading);
      // A failed issuance (e.g. a full disk) is retried by the next request.
      loading.catch(() => {
        if (this.leaves.get(cacheKey) === loading) this.leaves.delete(cacheKey);
      });
      pending = loading;
    }
    return pending;
  }

  async attestedLeafPem(names: LeafNames): Promise<string> {
    return (await this.leaf(names)).pem;
  }

  async signAttested(content: string, names: LeafNames): Promise<Buffer> {
    return signAttachedPkcs7(Buffer.from(content, 'utf8'), await this.leaf(names));
  }

  signJwt(claims: Readonly<Record<string, unknown>>): string {
    return signJwtRs256(claims, { privateKey: this.pki.token.key.privateKey, keyId: this.tokenKeyId });
  }
}

/**
 * Loads the emulator PKI from `<stateDir>/pki`, creating it on first use (the state directory is created
 * 0700, private keys are written 0600). Certificates are checked against `clock.wallTime()`.
 */
export async function loadSigningMaterial(stateDir: string, clock: Clock, options: SigningOptions = {}): Promise<SigningMaterial> {
  const pki = await loadEmulatorPki(stateDir, clock.wallTime());
  return new LoadedSigningMaterial(pki, clock, options.caIssuersUri ?? DEFAULT_CA_ISSUERS_URI);
}
