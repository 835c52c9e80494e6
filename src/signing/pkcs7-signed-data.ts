// CMS/PKCS#7 SignedData as Azure's attested documents use it (imds-spec §6.2; RFC 5652 §5): attached
// `data` content, only the signer's certificate embedded, one SignerInfo, SHA-256, no signed attributes.
import forge from 'node-forge';
import { forgeSigner } from './native-rsa.ts';
import type { HeldCertificate } from './emulator-pki.ts';

/**
 * Returns the DER encoding. Without signed attributes the signature is RSASSA-PKCS1-v1_5 over SHA-256 of
 * the content octets themselves (RFC 5652 §5.4), which is what `openssl smime -verify` checks.
 */
export function signAttachedPkcs7(content: Buffer, signer: HeldCertificate): Buffer {
  const message = forge.pkcs7.createSignedData();
  message.content = forge.util.createBuffer(content.toString('binary'));
  message.addCertificate(signer.certificate);
  message.addSigner({
    key: forgeSigner(signer.key.privateKey),
    certificate: signer.certificate,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [],
  });
  message.sign();
  return Buffer.from(forge.asn1.toDer(message.toAsn1()).getBytes(), 'binary');
}

/** What a verifier sees in a SignedData (for tests and diagnostics; no trust decisions are made here). */
export interface SignedDataSummary {
  readonly content: Buffer;
  readonly certificatePems: readonly string[];
  readonly signerCount: number;
  readonly signedAttributeCount: number;
  /** Dotted OID of the first signer's digest algorithm. */
  readonly digestAlgorithm: string;
  readonly signature: Buffer;
}

/** Decodes a DER SignedData produced by signAttachedPkcs7 (or Azure). Throws on malformed input. */
export function inspectSignedData(der: Buffer): SignedDataSummary {
  const message = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary'))) as forge.pkcs7.PkcsSignedData & {
    rawCapture: { signerInfos: forge.asn1.Asn1[]; content?: forge.asn1.Asn1 };
  };
  const signerInfos = message.rawCapture.signerInfos;
  const first = signerInfos[0]?.value as forge.asn1.Asn1[] | undefined;
  if (!first) throw new TypeError('SignedData has no SignerInfo');
  // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL, signatureAlgorithm, signature, … }
  const digestAlgorithm = forge.asn1.derToOid(((first[2]!.value as forge.asn1.Asn1[])[0]!.value as string));
  const signedAttributes = first.find((part) => part.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && part.type === 0);
  const signature = first.find((part) => part.tagClass === forge.asn1.Class.UNIVERSAL && part.type === forge.asn1.Type.OCTETSTRING);
  // encapContentInfo.eContent: [0] EXPLICIT OCTET STRING (primitive in DER, possibly constructed in BER).
  const octets = (message.rawCapture.content?.value as forge.asn1.Asn1[] | undefined)?.[0];
  const content = octets === undefined ? '' : typeof octets.value === 'string' ? octets.value : (octets.value as forge.asn1.Asn1[]).map((part) => part.value as string).join('');
  return {
    content: Buffer.from(content, 'binary'),
    certificatePems: message.certificates.map((c) => forge.pki.certificateToPem(c)),
    signerCount: signerInfos.length,
    signedAttributeCount: signedAttributes ? (signedAttributes.value as forge.asn1.Asn1[]).length : 0,
    digestAlgorithm,
    signature: Buffer.from((signature?.value as string | undefined) ?? '', 'binary'),
  };
}
