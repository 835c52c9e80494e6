// Compact JWS/JWT with RS256 (RFC 7515 §7.1, RFC 7518 §3.3), signed with node:crypto; header like Entra ID
// v1 tokens: {"typ":"JWT","alg":"RS256","x5t":…,"kid":…}.
import { createHash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface JwtSigningKey {
  readonly privateKey: KeyObject;
  /** Key id; also sent as x5t (SHA-1 thumbprint of the certificate holding the key, base64url). */
  readonly keyId: string;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** RFC 7515 §4.1.7: x5t is the base64url SHA-1 digest of the certificate's DER encoding. */
export function certificateThumbprint(certificateDer: Buffer): string {
  return base64url(createHash('sha1').update(certificateDer).digest());
}

/** Serialises `claims` in their insertion order and signs header.payload with RSASSA-PKCS1-v1_5 SHA-256. */
export function signJwtRs256(claims: Readonly<Record<string, unknown>>, key: JwtSigningKey): string {
  const header = { typ: 'JWT', alg: 'RS256', x5t: key.keyId, kid: key.keyId };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}
