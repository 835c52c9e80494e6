// GET /metadata/reprovisiondata (imds-spec §11): 404 until the pre-provisioned VM is assigned (profile
// reprovisionData set), then 200 with the OVF environment XML as the raw body.
import { INSTANCE_BODIES } from '../http/error-bodies.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { ImdsContext } from './imds-context.ts';

export const REPROVISION_CONTENT_TYPE = 'text/xml; charset=utf-8';

export function handleReprovisionData(_request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const xml = ctx.profile().reprovisionData;
  // E20: the status is captured, the body is not; we send the instance style's 404.
  if (xml === null) throw new HttpError(404, INSTANCE_BODIES['not-found'], { rule: 'reprovision-not-ready' });
  return { status: 200, body: xml, contentType: REPROVISION_CONTENT_TYPE };
}
