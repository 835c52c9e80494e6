// Rule 7 (imds-spec §2.10 item 7, E7/E8): a path no route serves answers 404 — `{"error": "Not Found"}`
// (captured, with its space) under /metadata/identity, `{"error":"Not found"}` elsewhere; a route that does
// not serve the verb answers 405 in its error style.
import { HttpError } from '../http-error.ts';
import { IDENTITY_NOT_FOUND_BODY, styledError } from '../error-response.ts';
import type { RouteDefinition } from '../imds-request.ts';
import { RULES } from '../rule-names.ts';
import { isIdentityPath, type RuleContext } from './rule-context.ts';

export function checkRoute(ctx: RuleContext): RouteDefinition {
  const route = ctx.route;
  if (!route) {
    if (isIdentityPath(ctx.path)) throw new HttpError(404, IDENTITY_NOT_FOUND_BODY, { rule: RULES.route });
    throw styledError(404, 'not-found', ctx.style, RULES.route);
  }
  if (!route.methods.includes(ctx.method)) throw styledError(405, 'not-allowed', ctx.style, RULES.route);
  return route;
}
