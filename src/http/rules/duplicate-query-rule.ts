// Rule 6 (imds-spec §2.4, E5, UNK Q5): a query parameter name given more than once answers 400.
// Names compare case-sensitively (query names are lower case, §2.5). The body text is our pick.
import { HttpError } from '../http-error.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export function duplicateQueryBody(names: readonly string[], style: RuleContext['style']): unknown {
  const text = `Duplicate query parameter names are not allowed: ${names.join(', ')}`;
  return style === 'identity' ? { error: 'invalid_request', error_description: text } : { error: `Bad request. ${text}` };
}

export function checkDuplicateQuery(ctx: RuleContext): void {
  if (ctx.query.duplicates.length === 0) return;
  throw new HttpError(400, duplicateQueryBody(ctx.query.duplicates, ctx.style), { rule: RULES.duplicateQuery });
}
