// The identity endpoints' errors: a 400 with one of their bodies (imds-spec §7.3, §14 E13–E15; the bodies
// are in http/error-bodies.ts) and the 404 for api-versions older than the identity category.
import { IDENTITY_BODIES, IDENTITY_ENDPOINT_BODIES } from '../http/error-bodies.ts';
import { HttpError } from '../http/http-error.ts';

export type IdentityErrorKind = keyof typeof IDENTITY_ENDPOINT_BODIES;

export function identityError(kind: IdentityErrorKind): HttpError {
  return new HttpError(400, IDENTITY_ENDPOINT_BODIES[kind], { rule: `identity-${kind}` });
}

/** The identity category starts at this api-version (imds-spec §3.1, §7.1). */
export const IDENTITY_MIN_API_VERSION = '2018-02-01';
/**
 * Answer to an accepted api-version that predates the identity category (2017-*): unknown on Azure (imds-spec
 * §16 Q7); like the attested floor, a 404 "Not found", here in the identity style of the Swagger examples.
 */
export const IDENTITY_BELOW_FLOOR_STATUS = 404;

/** Throws the below-floor answer for api-versions older than the identity category (undefined passes). */
export function checkIdentityVersionFloor(apiVersion: string | undefined): void {
  if (apiVersion !== undefined && apiVersion < IDENTITY_MIN_API_VERSION) {
    throw new HttpError(IDENTITY_BELOW_FLOOR_STATUS, IDENTITY_BODIES['not-found'], { rule: 'identity-version-floor' });
  }
}
