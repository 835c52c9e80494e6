// Rule 3 (imds-spec §2.1): `Metadata: true` is required. The value compares case-insensitively; with
// settings.strictIdentityMetadataCase, identity-style paths (/metadata/identity/*) require exactly lower-case
// `true` (§16 Q3).
// A headerless token probe is answered here, before rate limits and faults, so SDK probes get a prompt 400.
import { styledError } from '../error-response.ts';
import { RULES } from '../rule-names.ts';
import type { RuleContext } from './rule-context.ts';

export function metadataHeaderAccepted(value: string | string[] | undefined, strict: boolean): boolean {
  if (typeof value !== 'string') return false;
  return strict ? value === 'true' : value.toLowerCase() === 'true';
}

export function checkMetadataHeader(ctx: RuleContext): void {
  const strict = ctx.settings.strictIdentityMetadataCase && ctx.style === 'identity';
  if (metadataHeaderAccepted(ctx.headers['metadata'], strict)) return;
  throw styledError(400, 'metadata-header', ctx.style, RULES.metadataHeader);
}
