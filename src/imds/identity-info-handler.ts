// GET /metadata/identity/info (imds-spec §8): the tenant of the system-assigned identity, {"tenantId":"…"}.
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import { checkIdentityVersionFloor, identityError } from './identity-errors.ts';
import type { ImdsContext } from './imds-context.ts';

/**
 * Without a system-assigned identity Azure's answer is unknown (imds-spec §16 Q16); we answer the captured
 * token-endpoint error for "no identity": 400 {"error":"invalid_request","error_description":"Identity not found"}.
 */
export function handleIdentityInfo(request: ImdsRequest, ctx: Pick<ImdsContext, 'profile'>): ImdsResponse {
  checkIdentityVersionFloor(request.apiVersion);
  const { identity } = ctx.profile();
  if (!identity.systemAssigned) throw identityError('identityNotFound');
  return { status: 200, body: JSON.stringify({ tenantId: identity.tenantId }) };
}
