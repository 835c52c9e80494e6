// The emulator PKI's lifecycle: created on first use under <state-dir>/pki, reused afterwards; a certificate
// that is missing, expired, within RENEW_BEFORE_DAYS of expiry or not issued by its CA is reissued (same key).
import { join } from 'node:path';
import forge from 'node-forge';
import {
  issueAttestedLeafCertificate,
  issueIssuingCaCertificate,
  issueRootCertificate,
  issueTokenSigningCertificate,
  subjectAltDnsNames,
} from './certificate-issuer.ts';
import type { Issuer, LeafNames } from './certificate-issuer.ts';
import { generateRsaKey, rsaKeyFromPem } from './native-rsa.ts';
import type { RsaKey } from './native-rsa.ts';
import {
  CERTIFICATE_MODE,
  PKI_DIRECTORY_NAME,
  PKI_FILES,
  PRIVATE_KEY_MODE,
  attestedLeafFileName,
  ensurePrivateDirectory,
  installDirectory,
  readOptionalFile,
  writeFileAtomic,
} from './pki-store.ts';
import { SigningError } from './signing-error.ts';

/** Reissue a certificate this long before it expires. */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;
const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';

export interface HeldCertificate extends Issuer {
  readonly pem: string;
}

export interface EmulatorPki {
  /** <state-dir>/pki */
  readonly directory: string;
  readonly root: HeldCertificate;
  readonly issuing: HeldCertificate;
  readonly token: HeldCertificate;
  /** Key of every attested-data leaf (the leaves differ only by region/cloud names). */
  readonly attestedKey: RsaKey;
}

function sameKey(certificate: forge.pki.Certificate, key: RsaKey): boolean {
  const a = certificate.publicKey as forge.pki.rsa.PublicKey;
  return a.n.equals(key.forgePublicKey.n) && a.e.equals(key.forgePublicKey.e);
}

function issuedBy(certificate: forge.pki.Certificate, issuer: forge.pki.Certificate): boolean {
  try {
    return issuer.verify(certificate);
  } catch {
    return false;
  }
}

/** A certificate we keep: right key, right issuer, valid now and not within RENEW_BEFORE_DAYS of expiry. */
function usable(certificate: forge.pki.Certificate, key: RsaKey, issuer: forge.pki.Certificate | 'self', now: number): boolean {
  if (!sameKey(certificate, key)) return false;
  if (certificate.validity.notBefore.getTime() > now) return false;
  if (certificate.validity.notAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY_MS) return false;
  return issuedBy(certificate, issuer === 'self' ? certificate : issuer);
}

function parseCertificate(pem: string | null): forge.pki.Certificate | null {
  if (pem === null) return null;
  try {
    return forge.pki.certificateFromPem(pem);
  } catch {
    return null;
  }
}

async function loadKey(directory: string, name: string): Promise<RsaKey> {
  const path = join(directory, name);
  const pem = await readOptionalFile(path);
  if (pem === null) {
    throw new SigningError('ERR_SIGNING_KEY_MISSING', `${path} is missing; remove ${directory} to regenerate the emulator PKI`);
  }
  try {
    return rsaKeyFromPem(pem);
  } catch (error) {
    throw new SigningError('ERR_SIGNING_KEY_INVALID', `${path} is not an RSA private key (${(error as Error).message}); remove ${directory} to regenerate the emulator PKI`, { cause: error });
  }
}

/** Loads the certificate at `name`, or issues and stores a new one when it is not usable. */
async function keepOrReissue(
  directory: string,
  name: string,
  key: RsaKey,
  issuer: forge.pki.Certificate | 'self',
  now: number,
  issue: () => forge.pki.Certificate,
  extraCheck: (certificate: forge.pki.Certificate) => boolean = () => true,
): Promise<HeldCertificate> {
  const path = join(directory, name);
  const existingPem = await readOptionalFile(path);
  const existing = parseCertificate(existingPem);
  if (existing && existingPem !== null && usable(existing, key, issuer, now) && extraCheck(existing)) {
    return { certificate: existing, pem: existingPem, key };
  }
  const certificate = issue();
  const pem = forge.pki.certificateToPem(certificate);
  await writeFileAtomic(path, pem, CERTIFICATE_MODE);
  return { certificate, pem, key };
}

async function createPki(directory: string, now: number): Promise<void> {
  const [rootKey, issuingKey, attestedKey, tokenKey] = await Promise.all([generateRsaKey(), generateRsaKey(), generateRsaKey(), generateRsaKey()]);
  const root = issueRootCertificate(rootKey, now);
  const issuing = issueIssuingCaCertificate(issuingKey, { certificate: root, key: rootKey }, now);
  const token = issueTokenSigningCertificate(tokenKey, now);
  const key = (name: string, k: RsaKey) => ({ name, data: k.privateKeyPem, mode: PRIVATE_KEY_MODE });
  const cert = (name: string, c: forge.pki.Certificate) => ({ name, data: forge.pki.certificateToPem(c), mode: CERTIFICATE_MODE });
  await installDirectory(directory, [
    key(PKI_FILES.rootKey, rootKey),
    cert(PKI_FILES.rootCertificate, root),
    key(PKI_FILES.issuingKey, issuingKey),
    cert(PKI_FILES.issuingCertificate, issuing),
    key(PKI_FILES.attestedKey, attestedKey),
    key(PKI_FILES.tokenKey, tokenKey),
    cert(PKI_FILES.tokenCertificate, token),
  ]);
}

/** Loads (creating on first use) the PKI kept in `<stateDir>/pki`; `now` is wall-clock epoch milliseconds. */
export async function loadEmulatorPki(stateDir: string, now: number): Promise<EmulatorPki> {
  await ensurePrivateDirectory(stateDir);
  const directory = join(stateDir, PKI_DIRECTORY_NAME);
  if ((await readOptionalFile(join(directory, PKI_FILES.rootKey))) === null) await createPki(directory, now);

  const [rootKey, issuingKey, attestedKey, tokenKey] = await Promise.all(
    [PKI_FILES.rootKey, PKI_FILES.issuingKey, PKI_FILES.attestedKey, PKI_FILES.tokenKey].map((name) => loadKey(directory, name)),
  ) as [RsaKey, RsaKey, RsaKey, RsaKey];
  const root = await keepOrReissue(directory, PKI_FILES.rootCertificate, rootKey, 'self', now, () => issueRootCertificate(rootKey, now));
  const issuing = await keepOrReissue(directory, PKI_FILES.issuingCertificate, issuingKey, root.certificate, now, () =>
    issueIssuingCaCertificate(issuingKey, root, now),
  );
  const token = await keepOrReissue(directory, PKI_FILES.tokenCertificate, tokenKey, 'self', now, () => issueTokenSigningCertificate(tokenKey, now));
  return { directory, root, issuing, token, attestedKey };
}

/** True when the leaf carries exactly the wanted SAN names and AIA URI. */
function leafMatches(certificate: forge.pki.Certificate, names: LeafNames, caIssuersUri: string): boolean {
  const wanted = names.region ? [`${names.region}.${names.domain}`, names.domain] : [names.domain];
  const have = subjectAltDnsNames(certificate);
  if (have.length !== wanted.length || have.some((n, i) => n !== wanted[i])) return false;
  // @types/node-forge types `id` as a number; forge compares it with the dotted OID string.
  const aia = certificate.getExtension({ id: OID_AUTHORITY_INFO_ACCESS } as unknown as { id: number }) as { value?: string } | null;
  return typeof aia?.value === 'string' && aia.value.includes(caIssuersUri);
}

/** The attested-data leaf for `names`: loaded from its file, or (re)issued by the issuing CA and stored. */
export async function loadAttestedLeaf(pki: EmulatorPki, names: LeafNames, caIssuersUri: string, now: number): Promise<HeldCertificate> {
  const dnsName = names.region ? `${names.region}.${names.domain}` : names.domain;
  return keepOrReissue(
    pki.directory,
    attestedLeafFileName(dnsName),
    pki.attestedKey,
    pki.issuing.certificate,
    now,
    () => issueAttestedLeafCertificate(pki.attestedKey, pki.issuing, now, names, caIssuersUri),
    (certificate) => leafMatches(certificate, names, caIssuersUri),
  );
}

/** True when a held certificate should be replaced at `now` (expired or within RENEW_BEFORE_DAYS). */
export function needsRenewal(held: HeldCertificate, now: number): boolean {
  return held.certificate.validity.notAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY_MS;
}
