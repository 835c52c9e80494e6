// Identity-style error bodies of the token and info endpoints (imds-spec §7.3, §14 E13–E15): compact
// {"error":…,"error_description":…}, thrown as HttpError 400.
import { HttpError } from '../http/http-error.ts';

export const IDENTITY_ERROR_BODIES = {
  /** E13 (captured): no managed identity, or the selected one is not assigned to the VM. */
  identityNotFound: { error: 'invalid_request', error_description: 'Identity not found' },
  /** E14 (captured): several user-assigned identities, no system-assigned one, no selector. */
  multipleUserAssigned: {
    error: 'invalid_request',
    error_description: 'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request',
  },
  /** E15 (captured): `resource` absent or empty. */
  resourceMissing: { error: 'invalid_request', error_description: "Required query variable 'resource' is missing" },
  /**
   * Our choice (not captured): more than one of client_id / object_id / msi_res_id / mi_res_id. The Swagger
   * calls them mutually exclusive (imds-spec §7.1); the wording follows the captured "Required query variable" style.
   */
  conflictingSelectors: {
    error: 'invalid_request',
    error_description: "Only one of the query variables 'client_id', 'object_id', 'msi_res_id' or 'mi_res_id' may be specified",
  },
} as const;
export type IdentityErrorKind = keyof typeof IDENTITY_ERROR_BODIES;

export function identityError(kind: IdentityErrorKind): HttpError {
  return new HttpError(400, IDENTITY_ERROR_BODIES[kind], { rule: `identity-${kind}` });
}

/** The identity category starts at this api-version (imds-spec §3.1, §7.1). */
export const IDENTITY_MIN_API_VERSION = '2018-02-01';
/**
 * Answer to an accepted api-version that predates the identity category (2017-*): unknown on Azure (imds-spec
 * §16 Q7); like the attested floor, a 404 "Not found", here in the identity style of the Swagger examples.
 */
export const IDENTITY_BELOW_FLOOR_STATUS = 404;
export const IDENTITY_BELOW_FLOOR_BODY = { error: 'not_found', error_description: 'Not found' } as const;

/** Throws the below-floor answer for api-versions older than the identity category (undefined passes). */
export function checkIdentityVersionFloor(apiVersion: string | undefined): void {
  if (apiVersion !== undefined && apiVersion < IDENTITY_MIN_API_VERSION) {
    throw new HttpError(IDENTITY_BELOW_FLOOR_STATUS, IDENTITY_BELOW_FLOOR_BODY, { rule: 'identity-version-floor' });
  }
}
