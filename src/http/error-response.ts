// The ONE place where an HttpError (or any unexpected exception) becomes a response, plus the standard
// error bodies of each error style (imds-spec §14: exact bodies where captured, Swagger examples otherwise).
import { HttpError } from './http-error.ts';
import type { ErrorStyle, ImdsResponse } from './imds-request.ts';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Captured bodies that must be byte-exact (note the spaces): E1 and E8. */
export const INSTANCE_METADATA_HEADER_BODY = '{ "error": "Bad request: . Required metadata header not specified" }';
export const IDENTITY_NOT_FOUND_BODY = '{"error": "Not Found"}';

export const ERROR_KINDS = [
  'bad-request',
  'metadata-header',
  'forbidden',
  'not-found',
  'not-allowed',
  'gone',
  'too-many-requests',
  'server-error',
  'service-unavailable',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const INSTANCE_BODIES: Record<ErrorKind, unknown> = {
  'bad-request': { error: 'Bad request' },
  'metadata-header': INSTANCE_METADATA_HEADER_BODY,
  forbidden: { error: 'Forbidden' },
  'not-found': { error: 'Not found' },
  'not-allowed': { error: 'Not allowed' },
  gone: { error: 'Gone' },
  'too-many-requests': { error: 'Too many requests' },
  'server-error': { error: 'Server error' },
  'service-unavailable': { error: 'Service unavailable' },
};

function identityBody(error: string, description: string): unknown {
  return { error, error_description: description };
}

const IDENTITY_BODIES: Record<ErrorKind, unknown> = {
  'bad-request': identityBody('invalid_request', 'Bad request'),
  'metadata-header': identityBody('invalid_request', 'Required metadata header not specified'),
  // XFF: the brief fixes one body for every path (imds-spec §2.2, UNK Q4).
  forbidden: { error: 'Forbidden' },
  'not-found': identityBody('not_found', 'Not found'),
  'not-allowed': identityBody('method_not_allowed', 'Not allowed'),
  gone: identityBody('service_unavailable', 'Gone'),
  'too-many-requests': identityBody('too_many_requests', 'Too many requests'),
  'server-error': identityBody('server_error', 'Server error'),
  'service-unavailable': identityBody('service_unavailable', 'Service unavailable'),
};

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
