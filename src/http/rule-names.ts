// Names of the request rules, in evaluation order (imds-spec §2.10); the request log records which one decided.
export const RULES = {
  bodySize: 'body-size',
  verb: 'verb',
  forwardedFor: 'x-forwarded-for',
  metadataHeader: 'metadata-header',
  rateLimit: 'rate-limit',
  apiVersion: 'api-version',
  duplicateQuery: 'duplicate-query',
  route: 'route',
  fault: 'fault',
  handler: 'handler',
  internalError: 'internal-error',
} as const;
