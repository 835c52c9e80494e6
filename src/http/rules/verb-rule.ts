// Rule 1 (imds-spec §2.6, §2.10 item 1): a verb served on no path answers 405; HEAD answers 400 text/xml as
// observed on an AKS node (imds-spec §1 item 4, E21).
import { HttpError } from '../http-error.ts';
import { styledError } from '../error-response.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

/** Our pick for E21 (the real 323-byte body is not public). HEAD responses carry no body; its length is sent. */
export const HEAD_BODY =
  '<?xml version="1.0" encoding="utf-8"?><Error><Code>BadRequest</Code><Message>HEAD is not supported. Use GET with the Metadata header.</Message></Error>';
export const HEAD_CONTENT_TYPE = 'text/xml; charset=utf-8';

export function checkVerb(ctx: RuleContext, servedMethods: ReadonlySet<string>): void {
  if (ctx.method === 'HEAD') {
    throw new HttpError(400, HEAD_BODY, { rule: RULES.verb, contentType: HEAD_CONTENT_TYPE });
  }
  if (!servedMethods.has(ctx.method)) throw styledError(405, 'not-allowed', ctx.style, RULES.verb);
}
