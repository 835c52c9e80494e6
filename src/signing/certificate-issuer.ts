// X.509 templates of the emulator PKI (root CA, issuing CA, attested-data leaf, token-signing certificate),
// built with node-forge and signed natively (RFC 5280 §4.2 for the extensions used).
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { forgeSigner } from './native-rsa.ts';
import type { RsaKey } from './native-rsa.ts';

export const EMULATOR_ORGANIZATION = 'imds-lab';
export const ROOT_CA_COMMON_NAME = 'imds-lab Emulator Root CA';
export const ISSUING_CA_COMMON_NAME = 'imds-lab Emulator TLS Issuing CA 05';
export const TOKEN_SIGNING_COMMON_NAME = 'imds-lab Emulator Managed Identity Token Signing';

/**
 * AIA "CA Issuers" URI put in the attested-data leaf. `.invalid` is reserved (RFC 6761 §6.4) and never
 * resolves, so nothing outside the lab is ever contacted; get the certificate with `imds-lab ca --intermediate`.
 */
export const DEFAULT_CA_ISSUERS_URI = 'http://imds-lab.invalid/pki/imds-lab%20Emulator%20TLS%20Issuing%20CA%2005.crt';

const DAY_MS = 86_400_000;
export const ROOT_VALIDITY_DAYS = 20 * 365;
export const ISSUING_CA_VALIDITY_DAYS = 10 * 365;
/** Azure's attested-data leaves are valid for about a year (imds-spec §6.2). */
export const LEAF_VALIDITY_DAYS = 365;
export const TOKEN_SIGNING_VALIDITY_DAYS = 5 * 365;
/** notBefore is set this far before "now", so a slightly slow verifier clock still accepts a fresh certificate. */
export const BACKDATE_MS = 60 * 60 * 1000;

const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const OID_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

export interface Issuer {
  /** @internal forge types stay out of the published .d.ts (node-forge's types are a devDependency). */
  readonly certificate: forge.pki.Certificate;
  readonly key: RsaKey;
}

/** Names of the attested-data leaf: SAN `<region>.<domain>` and `<domain>`; CN = domain (imds-spec §6.2). */
export interface LeafNames {
  /** Lower-case DNS label (e.g. "westeurope"), or "" for no regional name. */
  readonly region: string;
  /** Cloud domain, e.g. "metadata.azure.com". */
  readonly domain: string;
}

/** A positive 128-bit serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function keyIdentifier(certificate: forge.pki.Certificate): string {
  return certificate.generateSubjectKeyIdentifier().getBytes();
}

function baseCertificate(key: RsaKey, now: number, validityDays: number, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = key.forgePublicKey;
  certificate.serialNumber = serialNumber();
  certificate.validity.notBefore = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
  certificate.validity.notAfter = new Date(Math.floor((now + validityDays * DAY_MS) / 1000) * 1000);
  certificate.setSubject(subject);
  return certificate;
}

function signWith(certificate: forge.pki.Certificate, issuer: Issuer | null, key: RsaKey): forge.pki.Certificate {
  certificate.setIssuer(issuer ? issuer.certificate.subject.attributes : certificate.subject.attributes);
  certificate.sign(forgeSigner((issuer ?? { key }).key.privateKey), forge.md.sha256.create());
  return certificate;
}

/** RFC 5280 §4.2.2.1 AuthorityInfoAccess with a single caIssuers uniformResourceIdentifier ([6] IA5String). */
function authorityInfoAccess(uri: string): { id: string; critical: boolean; value: forge.asn1.Asn1 } {
  const { asn1 } = forge;
  return {
    id: OID_AUTHORITY_INFO_ACCESS,
    critical: false,
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(OID_CA_ISSUERS).getBytes()),
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 6, false, uri),
      ]),
    ]),
  };
}

/** @internal */
export function issueRootCertificate(key: RsaKey, now: number): forge.pki.Certificate {
  const certificate = baseCertificate(key, now, ROOT_VALIDITY_DAYS, [
    { shortName: 'C', value: 'US' },
    { shortName: 'O', value: EMULATOR_ORGANIZATION },
    { shortName: 'CN', value: ROOT_CA_COMMON_NAME },
  ]);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return signWith(certificate, null, key);
}

/** @internal */
export function issueIssuingCaCertificate(key: RsaKey, root: Issuer, now: number): forge.pki.Certificate {
  const certificate = baseCertificate(key, now, ISSUING_CA_VALIDITY_DAYS, [
    { shortName: 'C', value: 'US' },
    { shortName: 'O', value: EMULATOR_ORGANIZATION },
    { shortName: 'CN', value: ISSUING_CA_COMMON_NAME },
  ]);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyCertSign: true, cRLSign: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(root.certificate) },
  ]);
  return signWith(certificate, root, key);
}

/** @internal The certificate that signs attested documents, shaped like Azure's (imds-spec §6.2). */
export function issueAttestedLeafCertificate(
  key: RsaKey,
  issuing: Issuer,
  now: number,
  names: LeafNames,
  caIssuersUri: string,
): forge.pki.Certificate {
  const certificate = baseCertificate(key, now, LEAF_VALIDITY_DAYS, [
    { shortName: 'C', value: 'US' },
    { shortName: 'ST', value: 'WA' },
    { shortName: 'L', value: 'Redmond' },
    { shortName: 'O', value: 'Microsoft Corporation' },
    { shortName: 'CN', value: names.domain },
  ]);
  const dnsNames = names.region ? [`${names.region}.${names.domain}`, names.domain] : [names.domain];
  certificate.setExtensions([
    { name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(issuing.certificate) },
    authorityInfoAccess(caIssuersUri),
  ]);
  return signWith(certificate, issuing, key);
}

/** @internal Self-signed holder of the token-signing key (like Entra ID's published signing keys); its SHA-1 thumbprint is the JWT kid/x5t. */
export function issueTokenSigningCertificate(key: RsaKey, now: number): forge.pki.Certificate {
  const certificate = baseCertificate(key, now, TOKEN_SIGNING_VALIDITY_DAYS, [
    { shortName: 'O', value: EMULATOR_ORGANIZATION },
    { shortName: 'CN', value: TOKEN_SIGNING_COMMON_NAME },
  ]);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return signWith(certificate, null, key);
}

/** @internal The DNS names in a certificate's subjectAltName (for consistency checks and tests). */
export function subjectAltDnsNames(certificate: forge.pki.Certificate): string[] {
  const extension = certificate.getExtension('subjectAltName') as { altNames?: { type: number; value: string }[] } | null;
  return (extension?.altNames ?? []).filter((n) => n.type === 2).map((n) => n.value);
}
