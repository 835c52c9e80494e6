// The attested document (the signed content of /metadata/attested/document, imds-spec §6.3): compact JSON,
// keys alphabetical, fields gated by api-version, 6-hour window, default nonce = expiresOn as yyyyMMdd-HHmmss.
import type { InstanceNode, InstanceTree } from '../config/vm-profile.ts';
import type { LeafNames } from '../signing/certificate-issuer.ts';

/** The attested category starts at this api-version (imds-spec §3.1). */
export const ATTESTED_MIN_API_VERSION = '2018-10-01';
/** expiresOn − createdOn in every post-2019 capture (imds-spec §6.3). */
export const ATTESTED_VALIDITY_MS = 6 * 60 * 60 * 1000;

/** api-version that introduced each document field (imds-spec §6.3). */
export const ATTESTED_FIELD_VERSIONS = {
  licenseType: '2020-09-01',
  nonce: '2018-10-01',
  plan: '2018-10-01',
  sku: '2019-11-01',
  subscriptionId: '2019-04-30',
  timeStamp: '2018-10-01',
  vmId: '2018-10-01',
} as const;
export type AttestedField = keyof typeof ATTESTED_FIELD_VERSIONS;

/** Certificate domain per compute.azEnvironment (imds-spec §6.2); anything else is the public cloud. */
export const ATTESTED_CLOUD_DOMAINS: Readonly<Record<string, string>> = {
  AzurePublicCloud: 'metadata.azure.com',
  AzureUSGovernmentCloud: 'metadata.azure.us',
  AzureChinaCloud: 'metadata.azure.cn',
  AzureGermanCloud: 'metadata.microsoftazure.de',
};
const DEFAULT_CLOUD_DOMAIN = 'metadata.azure.com';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `MM/dd/yy HH:mm:ss -0000` in UTC, e.g. "02/21/20 14:56:11 -0000". */
export function formatAttestedTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0000`;
}

/** `yyyyMMdd-HHmmss` in UTC, e.g. "20200221-205611" (the default nonce). */
export function formatDefaultNonce(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

function text(node: InstanceNode | undefined): string {
  return typeof node === 'string' ? node : '';
}

function subtree(node: InstanceNode | undefined): InstanceTree {
  return node !== undefined && typeof node === 'object' && !Array.isArray(node) ? (node as InstanceTree) : {};
}

/** True when `field` exists at `apiVersion` (undefined = newest). Versions are YYYY-MM-DD, so strings compare. */
export function attestedFieldAvailable(field: AttestedField, apiVersion: string | undefined): boolean {
  return apiVersion === undefined || apiVersion >= ATTESTED_FIELD_VERSIONS[field];
}

export interface AttestedDocumentInput {
  readonly compute: InstanceTree;
  /** The request's api-version (undefined = every field). */
  readonly apiVersion: string | undefined;
  /** Wall-clock epoch milliseconds: createdOn. */
  readonly now: number;
  /** The validated request nonce; undefined = the default nonce. */
  readonly nonce: string | undefined;
}

/** The document as the exact JSON text that gets signed. */
export function buildAttestedDocument(input: AttestedDocumentInput): string {
  const { compute, apiVersion } = input;
  const createdOn = Math.floor(input.now / 1000) * 1000;
  const expiresOn = createdOn + ATTESTED_VALIDITY_MS;
  const plan = subtree(compute.plan);
  // Built in alphabetical key order; JSON.stringify keeps insertion order.
  const document: Record<string, unknown> = {};
  const put = (field: AttestedField, value: () => unknown) => {
    if (attestedFieldAvailable(field, apiVersion)) document[field] = value();
  };
  put('licenseType', () => text(compute.licenseType));
  put('nonce', () => input.nonce ?? formatDefaultNonce(expiresOn));
  put('plan', () => ({ name: text(plan.name), product: text(plan.product), publisher: text(plan.publisher) }));
  put('sku', () => text(compute.sku));
  put('subscriptionId', () => text(compute.subscriptionId));
  put('timeStamp', () => ({ createdOn: formatAttestedTimestamp(createdOn), expiresOn: formatAttestedTimestamp(expiresOn) }));
  put('vmId', () => text(compute.vmId));
  return JSON.stringify(document);
}

/**
 * Names of the leaf that signs this VM's documents: region = compute.location lower-cased with anything but
 * [a-z0-9-] removed ("West Europe" → "westeurope"); domain from compute.azEnvironment.
 */
export function attestedLeafNames(compute: InstanceTree): LeafNames {
  const region = text(compute.location).toLowerCase().replace(/[^a-z0-9-]/g, '');
  const environment = text(compute.azEnvironment);
  const domain = Object.hasOwn(ATTESTED_CLOUD_DOMAINS, environment) ? ATTESTED_CLOUD_DOMAINS[environment]! : DEFAULT_CLOUD_DOMAIN;
  return { region, domain };
}
