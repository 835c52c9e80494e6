// GET /metadata/attested/document (imds-spec §6): validates the nonce, builds the document and answers
// {"encoding":"pkcs7","signature":"<base64 DER SignedData>"}.
import { INSTANCE_BODIES, invalidNonceBody } from '../http/error-bodies.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import { ATTESTED_MIN_API_VERSION, attestedLeafNames, buildAttestedDocument } from './attested-document.ts';
import type { ImdsContext } from './imds-context.ts';

/**
 * Answer to an api-version that IMDS accepts but that predates the attested category (e.g. 2018-02-01).
 * Unknown on Azure (imds-spec §16 Q7, no recommendation given); we answer like a path the version does not
 * have — 404 {"error":"Not found"} — as the captured scheduled-events answer to an instance-only version
 * does (imds-spec §14 E18).
 */
export const ATTESTED_BELOW_FLOOR_STATUS = 404;

/** How a `nonce` is validated (imds-spec §6.1, §16 Q12: docs say 10 digits, Swagger up to 32 alphanumerics). */
export interface NonceRule {
  readonly pattern: RegExp;
  /** Completes "… must be <description>" in the 400 body. */
  readonly description: string;
}

export const NONCE_RULES = {
  /** Default: the Swagger wording; also admits every documented example (1234567890, 1234576, abcde12345). */
  swagger: { pattern: /^[A-Za-z0-9]{1,32}$/, description: '1 to 32 alphanumeric characters' },
  /** The docs' wording, strictly: exactly ten digits (rejects the Python sample's 7-digit nonce). */
  docs: { pattern: /^[0-9]{10}$/, description: 'a 10-digit string' },
} as const satisfies Record<string, NonceRule>;

export interface AttestedOptions {
  readonly nonceRule: NonceRule;
}

export const DEFAULT_ATTESTED_OPTIONS: AttestedOptions = { nonceRule: NONCE_RULES.swagger };

/** The instance-style 400 body for a nonce the rule rejects (an empty `nonce=` is rejected too). */

export async function handleAttested(
  request: ImdsRequest,
  ctx: Pick<ImdsContext, 'profile' | 'clock' | 'signing'>,
  options: AttestedOptions = DEFAULT_ATTESTED_OPTIONS,
): Promise<ImdsResponse> {
  const { apiVersion } = request;
  if (apiVersion !== undefined && apiVersion < ATTESTED_MIN_API_VERSION) {
    throw new HttpError(ATTESTED_BELOW_FLOOR_STATUS, INSTANCE_BODIES['not-found'], { rule: 'attested-version-floor' });
  }
  const nonce = request.query.get('nonce');
  if (nonce !== undefined && !options.nonceRule.pattern.test(nonce)) {
    throw new HttpError(400, invalidNonceBody(options.nonceRule.description), { rule: 'attested-nonce' });
  }
  const compute = ctx.profile().instance.compute;
  const document = buildAttestedDocument({ compute, apiVersion, now: ctx.clock.wallTime(), nonce });
  const signature = await ctx.signing.signAttested(document, attestedLeafNames(compute));
  return { status: 200, body: JSON.stringify({ encoding: 'pkcs7', signature: signature.toString('base64') }) };
}
