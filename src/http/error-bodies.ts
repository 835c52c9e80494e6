// Every error body IMDS sends, one section per error style (imds-spec §14: exact bodies where captured,
// Swagger examples otherwise): the standard kinds the request rules use, then each endpoint's own bodies.
// error-response.ts picks from here; handlers throw HttpError with these bodies.

export const ERROR_KINDS = [
  'bad-request',
  'metadata-header',
  'forbidden',
  'not-found',
  'no-route',
  'not-allowed',
  'gone',
  'too-many-requests',
  'server-error',
  'service-unavailable',
] as const;
/** A standard error; `no-route` is the 404 of a path no route serves (E7/E8), `not-found` any other 404. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

// ---- Instance style: one `error` string --------------------------------------------------------------------

/** Captured (E1), byte-exact with its spaces: the Metadata header is missing. */
export const INSTANCE_METADATA_HEADER_BODY = '{ "error": "Bad request: . Required metadata header not specified" }';
/** The 404 of the instance style (Swagger example text, imds-spec §14 E7): unknown paths, elements, versions below a floor. */
const INSTANCE_NOT_FOUND = { error: 'Not found' } as const;

export const INSTANCE_BODIES: Readonly<Record<ErrorKind, unknown>> = {
  'bad-request': { error: 'Bad request' },
  'metadata-header': INSTANCE_METADATA_HEADER_BODY,
  forbidden: { error: 'Forbidden' },
  'not-found': INSTANCE_NOT_FOUND,
  'no-route': INSTANCE_NOT_FOUND,
  'not-allowed': { error: 'Not allowed' },
  gone: { error: 'Gone' },
  'too-many-requests': { error: 'Too many requests' },
  'server-error': { error: 'Server error' },
  'service-unavailable': { error: 'Service unavailable' },
};

/** The endpoints' own instance-style bodies (404s use INSTANCE_BODIES['not-found']). */
export const INSTANCE_ENDPOINT_BODIES = {
  /** GET /metadata/instance, a leaf requested as JSON (imds-spec §5.3, §14 E6: real text unknown, §16 Q9). */
  leafNeedsText: { error: 'Bad request. The requested element is a leaf node and is only available with format=text' },
  /** GET /metadata/instance, format other than json/text (§16 Q9). */
  badFormat: { error: 'Bad request. The format parameter is invalid: use format=json or format=text' },
  /** GET /metadata/instance, extended other than true/false. */
  badExtended: { error: 'Bad request. The extended parameter is invalid: use extended=true' },
  /** GET /metadata/loadbalancer on a VM without a Standard load balancer: captured (E17), byte-exact. */
  noLoadBalancer:
    '{"error": "No load balancer metadata is found. Please check if your VM is using any non-basic SKU load balancer and retry later."}',
  /** POST /metadata/scheduledevents with a body that is not StartRequests: our pick for E19 (not documented). */
  malformedStartRequests: { error: 'Bad request. The body must be {"StartRequests":[{"EventId":"<id>"}]}' },
} as const;

/** GET /metadata/attested/document with a nonce that is not `<description>` (imds-spec §6.1, §16 Q12). */
export function invalidNonceBody(description: string): { readonly error: string } {
  return { error: `Bad request. The 'nonce' query parameter must be ${description}` };
}

/** extended=true with an api-version older than `minVersion`. */
export function extendedUnsupportedBody(minVersion: string): { readonly error: string } {
  return { error: `Bad request. extended=true requires api-version ${minVersion} or newer` };
}

// ---- Identity style: compact {"error":…,"error_description":…} ---------------------------------------------

/** Captured (E8), byte-exact with its space: a path no route serves under /metadata/identity. */
export const IDENTITY_NO_ROUTE_BODY = '{"error": "Not Found"}';

function identityBody(error: string, description: string): { readonly error: string; readonly error_description: string } {
  return { error, error_description: description };
}

export const IDENTITY_BODIES: Readonly<Record<ErrorKind, unknown>> = {
  'bad-request': identityBody('invalid_request', 'Bad request'),
  'metadata-header': identityBody('invalid_request', 'Required metadata header not specified'),
  // XFF: the brief fixes one body for every path (imds-spec §2.2, UNK Q4).
  forbidden: { error: 'Forbidden' },
  // Also the answer to an api-version older than the identity category (imds-spec §16 Q7).
  'not-found': identityBody('not_found', 'Not found'),
  'no-route': IDENTITY_NO_ROUTE_BODY,
  'not-allowed': identityBody('method_not_allowed', 'Not allowed'),
  gone: identityBody('service_unavailable', 'Gone'),
  'too-many-requests': identityBody('too_many_requests', 'Too many requests'),
  'server-error': identityBody('server_error', 'Server error'),
  'service-unavailable': identityBody('service_unavailable', 'Service unavailable'),
};

/** Bodies of the token and info endpoints, all answered 400 (imds-spec §7.3, §14 E13–E15). */
export const IDENTITY_ENDPOINT_BODIES = {
  /** E13 (captured): no managed identity, or the selected one is not assigned to the VM. */
  identityNotFound: identityBody('invalid_request', 'Identity not found'),
  /** E14 (captured): several user-assigned identities, no system-assigned one, no selector. */
  multipleUserAssigned: identityBody(
    'invalid_request',
    'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request',
  ),
  /** E15 (captured): `resource` absent or empty. */
  resourceMissing: identityBody('invalid_request', "Required query variable 'resource' is missing"),
  /**
   * Our choice (not captured): more than one of client_id / object_id / msi_res_id / mi_res_id. The Swagger
   * calls them mutually exclusive (imds-spec §7.1); the wording follows the captured "Required query variable" style.
   */
  conflictingSelectors: identityBody(
    'invalid_request',
    "Only one of the query variables 'client_id', 'object_id', 'msi_res_id' or 'mi_res_id' may be specified",
  ),
} as const;
