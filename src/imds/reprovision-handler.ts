// GET /metadata/reprovisiondata (imds-spec §11): 404 until the pre-provisioned VM is assigned (profile
// reprovisionData set), then 200 with the OVF environment XML as the raw body.
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { ImdsContext } from './imds-context.ts';

/** Our pick for E20 (status captured, body not). */
export const REPROVISION_NOT_READY_BODY = { error: 'Not found' } as const;
export const REPROVISION_CONTENT_TYPE = 'text/xml; charset=utf-8';

export function handleReprovisionData(_request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const xml = ctx.profile().reprovisionData;
  if (xml === null) throw new HttpError(404, REPROVISION_NOT_READY_BODY, { rule: 'reprovision-not-ready' });
  return { status: 200, body: xml, contentType: REPROVISION_CONTENT_TYPE };
}
