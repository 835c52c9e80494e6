// HttpError: thrown by rules and handlers, turned into a response in exactly one place (error-response.ts).
import { ImdsLabError } from '../util/errors.ts';

export class HttpError extends ImdsLabError {
  readonly status: number;
  /** A JSON-serialisable body, or a string sent as is. */
  readonly body: unknown;
  readonly contentType: string | undefined;
  /** Which request rule or handler decided this (for the request log). */
  readonly rule: string;

  constructor(status: number, body: unknown, options: { rule: string; contentType?: string }) {
    super(`ERR_HTTP_${status}`, typeof body === 'string' ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
    this.contentType = options.contentType;
    this.rule = options.rule;
  }
}
