// Rule 7 (imds-spec §2.10 item 7, E7/E8): a path no route serves answers 404 in its style's "no route" body
// (identity: `{"error": "Not Found"}`, captured with its space; instance: `{"error":"Not found"}`); a route
// that does not serve the verb answers 405 in its error style.
import { styledError } from '../error-response.ts';
import type { RouteDefinition } from '../imds-request.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export function checkRoute(ctx: RuleContext): RouteDefinition {
  const route = ctx.route;
  if (!route) throw styledError(404, 'no-route', ctx.style, RULES.route);
  if (!route.methods.includes(ctx.method)) throw styledError(405, 'not-allowed', ctx.style, RULES.route);
  return route;
}
