// Rule 5 (imds-spec §2.3, E4): a versioned route needs an `api-version` from its own list; missing or
// unsupported answers 400 with the captured body and the route's three newest versions. Paths no route
// serves are checked against the default (instance-family) list, so `GET /metadata` yields E4, not 404.
import { HttpError } from '../http-error.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export const API_VERSION_ERROR =
  'Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds';

/** The three highest versions of a list, newest first (YYYY-MM-DD strings order as dates). */
export function newestVersions(versions: readonly string[]): string[] {
  return [...versions].sort().slice(-3).reverse();
}

export function apiVersionErrorBody(versions: readonly string[]): string {
  return JSON.stringify({ error: API_VERSION_ERROR, 'newest-versions': newestVersions(versions) });
}

/** Returns the accepted api-version, or undefined on an unversioned route. */
export function checkApiVersion(ctx: RuleContext, defaultVersions: readonly string[]): string | undefined {
  const versions = ctx.route ? ctx.route.versions : defaultVersions;
  if (versions === null) return undefined;
  const requested = ctx.query.first.get('api-version');
  if (requested !== undefined && versions.includes(requested)) return requested;
  throw new HttpError(400, apiVersionErrorBody(versions), { rule: RULES.apiVersion });
}
