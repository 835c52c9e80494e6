// GET /metadata/versions (imds-spec §4): {"apiVersions":[…]} ascending — the built-in instance-family list,
// or the profile's service.apiVersions override (e.g. to mimic a list lagging the newest version).
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { ImdsContext } from './imds-context.ts';
import { JSON_CONTENT_TYPE } from '../http/error-response.ts';
import { compareApiVersions, instanceVersionsOf } from './api-versions.ts';
import { toSortedCompactJson } from './instance-json.ts';

/**
 * The instance-family versions this VM supports, ascending. The route table gives this same list to the
 * api-version rule, so /metadata/versions, acceptance and `newest-versions` always agree.
 */
export function supportedInstanceVersions(ctx: Pick<ImdsContext, 'profile'>): readonly string[] {
  return instanceVersionsOf(ctx.profile().service);
}

export function handleVersions(_request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const apiVersions = [...supportedInstanceVersions(ctx)].sort(compareApiVersions);
  return { status: 200, body: toSortedCompactJson({ apiVersions }), contentType: JSON_CONTENT_TYPE };
}
