// The ONE place where an HttpError (or any unexpected exception) becomes a response, and where a standard
// error kind becomes the body of a style (the bodies themselves are in error-bodies.ts).
import { IDENTITY_BODIES, INSTANCE_BODIES, type ErrorKind } from './error-bodies.ts';
import { HttpError } from './http-error.ts';
import type { ErrorStyle, ImdsResponse } from './imds-request.ts';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The standard body of `kind` in `style` (a string is sent byte for byte; an object as compact JSON). */
export function errorBody(kind: ErrorKind, style: ErrorStyle): unknown {
  return style === 'identity' ? IDENTITY_BODIES[kind] : INSTANCE_BODIES[kind];
}

const STATUS_KIND: Readonly<Record<number, ErrorKind>> = {
  400: 'bad-request',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-allowed',
  410: 'gone',
  429: 'too-many-requests',
  500: 'server-error',
  503: 'service-unavailable',
};

/** The standard body for a status (fault injection uses this); unknown statuses get the server-error body. */
export function errorBodyForStatus(status: number, style: ErrorStyle): unknown {
  return errorBody(STATUS_KIND[status] ?? 'server-error', style);
}

/** An HttpError carrying the standard body of `kind` in `style`. */
export function styledError(status: number, kind: ErrorKind, style: ErrorStyle, rule: string): HttpError {
  return new HttpError(status, errorBody(kind, style), { rule });
}

function serialise(body: unknown): string | Buffer {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  return JSON.stringify(body);
}

export interface ErrorOutcome {
  readonly response: ImdsResponse;
  /** The rule recorded in the request log. */
  readonly rule: string;
  /** The unexpected exception, when this was not an HttpError (the server reports it, never crashes). */
  readonly unexpected?: unknown;
}

/** Turns anything thrown by a rule or handler into a response in the route's error style. */
export function errorToResponse(error: unknown, style: ErrorStyle): ErrorOutcome {
  if (error instanceof HttpError) {
    return {
      response: { status: error.status, body: serialise(error.body), contentType: error.contentType ?? JSON_CONTENT_TYPE },
      rule: error.rule,
    };
  }
  return {
    response: { status: 500, body: serialise(errorBody('server-error', style)), contentType: JSON_CONTENT_TYPE },
    rule: 'internal-error',
    unexpected: error,
  };
}
