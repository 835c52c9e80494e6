// Rule 2 (imds-spec §2.2): any request carrying X-Forwarded-For (any value, even empty) is rejected;
// the status comes from settings.forwardedForStatus (403 by default), the body is {"error":"Forbidden"}.
import { styledError } from '../error-response.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export function checkForwardedFor(ctx: RuleContext): void {
  if (ctx.headers['x-forwarded-for'] === undefined) return;
  throw styledError(ctx.settings.forwardedForStatus, 'forbidden', ctx.style, RULES.forwardedFor);
}
