// GET /metadata/instance[/<route…>] (imds-spec §5): version gating, `extended=true`, route filtering,
// JSON (compact, sorted keys) or format=text, and the instance-style errors of imds-spec §14.
// The request rules (Metadata header, X-Forwarded-For, api-version validity, duplicates, rate limits) ran before.
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsContext } from './imds-context.ts';
import { INSTANCE_BODIES, INSTANCE_ENDPOINT_BODIES, extendedUnsupportedBody } from '../http/error-bodies.ts';
import { JSON_CONTENT_TYPE } from '../http/error-response.ts';
import { instanceVersionsOf, isAtLeast } from './api-versions.ts';
import { instanceForVersion } from './instance-version-gate.ts';
import { isLeaf, parseInstanceRoute, resolveRoute } from './instance-route.ts';
import type { ResponseNode } from './instance-route.ts';
import { toSortedCompactJson } from './instance-json.ts';
import { TEXT_CONTENT_TYPE, renderText } from './instance-text.ts';

/** Oldest api-version that accepts `extended=true` (cloud-init's choice; older versions answer 400). */
export const EXTENDED_MIN_API_VERSION = '2021-08-01';

type Format = 'json' | 'text';

function fail(status: number, body: unknown, rule: string): never {
  throw new HttpError(status, body, { rule });
}

/** `format`: absent -> json; json/text compared case-insensitively; anything else -> 400. */
function readFormat(query: ReadonlyMap<string, string>): Format {
  const value = query.get('format');
  if (value === undefined) return 'json';
  const lower = value.toLowerCase();
  if (lower === 'json' || lower === 'text') return lower;
  return fail(400, INSTANCE_ENDPOINT_BODIES.badFormat, 'instance-format');
}

/** `extended`: absent/false -> off; true (any case) -> on; anything else -> 400. */
function readExtended(query: ReadonlyMap<string, string>, version: string): boolean {
  const value = query.get('extended');
  if (value === undefined || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() !== 'true') return fail(400, INSTANCE_ENDPOINT_BODIES.badExtended, 'instance-extended');
  if (!isAtLeast(version, EXTENDED_MIN_API_VERSION)) return fail(400, extendedUnsupportedBody(EXTENDED_MIN_API_VERSION), 'instance-extended-version');
  return true;
}

export function handleInstance(request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  const profile = ctx.profile();
  // The request rules guarantee a supported version; fall back to the newest one if a caller skipped them.
  const version = request.apiVersion ?? instanceVersionsOf(profile.service).at(-1)!;
  const format = readFormat(request.query);
  const extended = readExtended(request.query, version);

  const document = instanceForVersion(profile.instance, version);
  const root: ResponseNode = extended
    ? { ...document, extended: { compute: { hasCustomData: profile.extended.hasCustomData, ppsType: profile.extended.ppsType } } }
    : document;

  const segments = parseInstanceRoute(request.path);
  const node = segments === undefined ? undefined : resolveRoute(root, segments);
  if (node === undefined) return fail(404, INSTANCE_BODIES['not-found'], 'instance-not-found');

  if (format === 'text') return { status: 200, body: renderText(node), contentType: TEXT_CONTENT_TYPE };
  if (isLeaf(node)) return fail(400, INSTANCE_ENDPOINT_BODIES.leafNeedsText, 'instance-leaf-format');
  return { status: 200, body: toSortedCompactJson(node), contentType: JSON_CONTENT_TYPE };
}
