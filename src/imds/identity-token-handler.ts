// GET /metadata/identity/oauth2/token (imds-spec §7): resource + identity selection → cached or fresh token,
// answered as compact JSON with every value a string and keys in alphabetical order.
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import { checkIdentityVersionFloor, identityError } from './identity-errors.ts';
import { selectIdentity } from './identity-selection.ts';
import type { ImdsContext } from './imds-context.ts';
import type { TokenGrant } from './identity-token-issuer.ts';

/**
 * `bypass_cache` only has the value "true" in the Swagger (2019-08-01+); we compare case-insensitively and
 * treat any other value as absent.
 */
function wantsFreshToken(query: ReadonlyMap<string, string>): boolean {
  return (query.get('bypass_cache') ?? '').toLowerCase() === 'true';
}

/** The last body per cached grant: the same token in the same second (and resource) gives the same bytes. */
const bodies = new WeakMap<TokenGrant, { readonly second: number; readonly resource: string; readonly body: string }>();

export function handleIdentityToken(request: ImdsRequest, ctx: Pick<ImdsContext, 'profile' | 'clock' | 'tokens'>): ImdsResponse {
  checkIdentityVersionFloor(request.apiVersion);
  const resource = request.query.get('resource') ?? '';
  if (resource === '') throw identityError('resourceMissing');
  const profile = ctx.profile();
  const identity = selectIdentity(request.query, profile.identity, profile.instance.compute);
  const lifetimeSeconds = profile.service.tokenLifetimeSeconds;
  const grant = ctx.tokens.getToken({
    identity,
    resource,
    tenantId: profile.identity.tenantId,
    lifetimeSeconds,
    bypassCache: wantsFreshToken(request.query),
  });
  const now = Math.floor(ctx.clock.wallTime() / 1000);
  const known = bodies.get(grant);
  if (known !== undefined && known.second === now && known.resource === resource) return { status: 200, body: known.body };
  const body = {
    access_token: grant.accessToken,
    client_id: grant.clientId,
    expires_in: String(grant.expiresOn - now),
    expires_on: String(grant.expiresOn),
    // "86399" for a 24 h token in every capture; kept at lifetime − 1 for cached tokens too (not captured).
    ext_expires_in: String(grant.lifetimeSeconds - 1),
    not_before: String(grant.notBefore),
    resource,
    token_type: 'Bearer',
  };
  const text = JSON.stringify(body);
  bodies.set(grant, { second: now, resource, body: text });
  return { status: 200, body: text };
}
