// RSA 2048 keys for the emulator PKI: generation through node-forge (which delegates to node:crypto's native
// generator when available), and a forge-compatible signer whose private-key operation runs in node:crypto.
import { constants, createPrivateKey, createPublicKey, privateEncrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';

export const RSA_MODULUS_BITS = 2048;

/** DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2, note 1): the hash follows it. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** A private key in the three shapes we need: PEM on disk, node KeyObject for signing, forge public key for certificates. */
export interface RsaKey {
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** @internal forge types stay out of the published .d.ts. */
  readonly forgePublicKey: forge.pki.rsa.PublicKey;
}

/** Parses a PEM private key (PKCS#1 or PKCS#8) into an RsaKey; throws on anything that is not RSA. */
export function rsaKeyFromPem(privateKeyPem: string): RsaKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new TypeError(`expected an RSA private key, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  const spkiPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKeyPem,
    privateKey,
    publicKey,
    forgePublicKey: forge.pki.publicKeyFromPem(spkiPem) as forge.pki.rsa.PublicKey,
  };
}

/**
 * Generates an RSA-2048 key pair. forge's callback API uses node:crypto.generateKeyPair (native, off the
 * main thread) unless forge.options.usePureJavaScript is set, so first use takes ~0.2 s, not tens of seconds.
 */
export async function generateRsaKey(): Promise<RsaKey> {
  const pair = await new Promise<forge.pki.rsa.KeyPair>((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: RSA_MODULUS_BITS, e: 0x10001 }, (error, keys) => {
      if (error) reject(error);
      else resolve(keys);
    });
  });
  return rsaKeyFromPem(forge.pki.privateKeyToPem(pair.privateKey));
}

/** RSASSA-PKCS1-v1_5 over an already computed SHA-256 digest (RFC 8017 §8.2.1), done natively. */
export function signSha256Digest(privateKey: KeyObject, digest: Buffer): Buffer {
  if (digest.length !== 32) throw new RangeError(`a SHA-256 digest is 32 bytes, got ${digest.length}`);
  return privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]),
  );
}

/**
 * @internal
 * A stand-in for a forge private key: forge calls `key.sign(md)` when it signs certificates and PKCS#7
 * SignerInfos; this does the RSA operation in node:crypto (forge's pure-JS RSA takes ~60 ms per signature).
 * Only SHA-256 message digests are accepted.
 */
export function forgeSigner(privateKey: KeyObject): forge.pki.rsa.PrivateKey {
  const signer = {
    sign(md: forge.md.MessageDigest): forge.Bytes {
      if (md.algorithm !== 'sha256') throw new TypeError(`only SHA-256 signatures are supported, got ${md.algorithm}`);
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return signSha256Digest(privateKey, digest).toString('binary');
    },
  };
  return signer as unknown as forge.pki.rsa.PrivateKey;
}
