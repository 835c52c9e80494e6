// Rule 0: a request body above the server's limit answers 400 before anything else (the load-balancer doc
// lists "Request body is larger than MaxBodyLength", imds-spec §9); the connection is then closed.
import { HttpError } from '../http-error.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export function checkBodySize(ctx: RuleContext, tooLarge: boolean, maxBodyBytes: number): void {
  if (!tooLarge) return;
  const text = `Request body is larger than MaxBodyLength: ${maxBodyBytes}`;
  const body = ctx.style === 'identity' ? { error: 'invalid_request', error_description: text } : { error: `Bad request. ${text}` };
  throw new HttpError(400, body, { rule: RULES.bodySize });
}
