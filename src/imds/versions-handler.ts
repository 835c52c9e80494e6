// GET /metadata/versions (imds-spec §4): {"apiVersions":[…]} ascending — the built-in instance-family list,
// or the profile's service.apiVersions override (e.g. to mimic a list lagging the newest version).
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { ImdsContext } from './imds-context.ts';
import { INSTANCE_API_VERSIONS, compareApiVersions } from './api-versions.ts';
import { JSON_CONTENT_TYPE } from './instance-handler.ts';
import { toSortedCompactJson } from './instance-json.ts';

/** The instance-family versions this VM supports, ascending. */
export function supportedInstanceVersions(ctx: ImdsContext): readonly string[] {
  return ctx.profile().service.apiVersions ?? INSTANCE_API_VERSIONS;
}

export function handleVersions(_request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const apiVersions = [...supportedInstanceVersions(ctx)].sort(compareApiVersions);
  return { status: 200, body: toSortedCompactJson({ apiVersions }), contentType: JSON_CONTENT_TYPE };
}
