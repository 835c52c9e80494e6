// Managed-identity access tokens: JWT claims like Entra ID v1 app tokens, and the IMDS token cache per
// (tenant, identity, resource) that hands back the same token with a shrinking expires_in (imds-spec §7.2).
import { createHash, randomBytes } from 'node:crypto';
import type { SigningMaterial } from '../signing/signing-material.ts';
import type { Clock } from '../util/clock.ts';
import type { ManagedIdentity } from './identity-selection.ts';

/** Entra ID backdates nbf/iat by 5 minutes: expires_on − not_before = lifetime + 300 in every capture. */
export const TOKEN_NOT_BEFORE_SKEW_SECONDS = 300;
/** A cached token with less than this left is replaced by a fresh one (our choice; IMDS's threshold is unknown). */
export const TOKEN_REFRESH_MARGIN_SECONDS = 300;
export const DEFAULT_MAX_CACHED_TOKENS = 1000;

export interface TokenRequest {
  readonly identity: ManagedIdentity;
  /** Exactly as requested (becomes aud; the cache key is case- and slash-sensitive, as audiences are). */
  readonly resource: string;
  readonly tenantId: string;
  readonly lifetimeSeconds: number;
  /** bypass_cache=true: mint a new token and replace the cached one. */
  readonly bypassCache: boolean;
}

export interface TokenGrant {
  readonly accessToken: string;
  readonly clientId: string;
  /** Epoch seconds. */
  readonly notBefore: number;
  /** Epoch seconds. */
  readonly expiresOn: number;
  readonly lifetimeSeconds: number;
}

export interface TokenIssuer {
  /** A cached token when one is still good, else a freshly signed one (which is then cached). */
  getToken(request: TokenRequest): TokenGrant;
  /** Number of cached tokens (for tests and status output). */
  readonly cachedTokens: number;
  clear(): void;
}

export interface TokenIssuerOptions {
  readonly signer: Pick<SigningMaterial, 'signJwt'>;
  readonly clock: Clock;
  readonly maxCachedTokens?: number;
}

const opaque = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Tenant creation time (xms_tcdt): not knowable, so a stable value derived from the tenant id (2011–2020). */
export function tenantCreationTime(tenantId: string): number {
  return 1_300_000_000 + (createHash('sha256').update(tenantId.toLowerCase()).digest().readUInt32BE(0) % 300_000_000);
}

/** Claims in Entra ID's order for an app-only v1 token issued to a managed identity. */
export function tokenClaims(request: TokenRequest, issuedAt: number, expiresOn: number): Record<string, unknown> {
  const issuer = `https://sts.windows.net/${request.tenantId}/`;
  return {
    aud: request.resource,
    iss: issuer,
    iat: issuedAt,
    nbf: issuedAt,
    exp: expiresOn,
    aio: `E2${opaque(42)}`,
    appid: request.identity.clientId,
    appidacr: '2',
    idp: issuer,
    idtyp: 'app',
    oid: request.identity.objectId,
    rh: `0.A${opaque(48)}AA.`,
    sub: request.identity.objectId,
    tid: request.tenantId,
    uti: opaque(16),
    ver: '1.0',
    xms_mirid: request.identity.miResourceId,
    xms_tcdt: tenantCreationTime(request.tenantId),
  };
}

class CachingTokenIssuer implements TokenIssuer {
  private readonly cache = new Map<string, TokenGrant>();
  private readonly signer: Pick<SigningMaterial, 'signJwt'>;
  private readonly clock: Clock;
  private readonly maxCachedTokens: number;

  constructor(options: TokenIssuerOptions) {
    this.signer = options.signer;
    this.clock = options.clock;
    this.maxCachedTokens = options.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS;
  }

  get cachedTokens(): number {
    return this.cache.size;
  }

  clear(): void {
    this.cache.clear();
  }

  getToken(request: TokenRequest): TokenGrant {
    const now = Math.floor(this.clock.wallTime() / 1000);
    const key = `${request.tenantId.toLowerCase()}\n${request.identity.kind}\n${request.identity.clientId.toLowerCase()}\n${request.resource}`;
    const cached = this.cache.get(key);
    if (cached && !request.bypassCache && cached.expiresOn - now >= TOKEN_REFRESH_MARGIN_SECONDS && cached.notBefore <= now) {
      return cached;
    }
    const issuedAt = now - TOKEN_NOT_BEFORE_SKEW_SECONDS;
    const expiresOn = now + request.lifetimeSeconds;
    const grant: TokenGrant = {
      accessToken: this.signer.signJwt(tokenClaims(request, issuedAt, expiresOn)),
      clientId: request.identity.clientId,
      notBefore: issuedAt,
      expiresOn,
      lifetimeSeconds: request.lifetimeSeconds,
    };
    this.cache.delete(key);
    this.cache.set(key, grant);
    this.evict(now);
    return grant;
  }

  /** Keeps the cache bounded: drops expired tokens, then the oldest ones. */
  private evict(now: number): void {
    if (this.cache.size <= this.maxCachedTokens) return;
    for (const [key, grant] of this.cache) if (grant.expiresOn <= now) this.cache.delete(key);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= this.maxCachedTokens) break;
      this.cache.delete(key);
    }
  }
}

/** One issuer (and cache) per VM; the composition root builds it next to the signing material. */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  return new CachingTokenIssuer(options);
}
