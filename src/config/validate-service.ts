// Validates the profile's `service` section (merged field by field over the default), plus the small
// top-level sections `extended`, `reprovisionData` and `sourcePolicy`.
import { HTTP_FAULT_STATUSES, SOURCE_POLICIES } from './vm-profile.ts';
import type { HttpFault, RateLimitSettings, ServiceSettings, SourcePolicy, VmProfile } from './vm-profile.ts';
import type { ProblemList } from './profile-checker.ts';
import { childPath, describeValue } from '../util/field-reader.ts';

const SERVICE_KEYS = ['serverHeader', 'rateLimit', 'strictIdentityMetadataCase', 'forwardedForStatus', 'apiVersions', 'tokenLifetimeSeconds', 'faults'];
const RATE_KEYS = ['enabled', 'generalPerSecond', 'identityPerSecond', 'identityConcurrent'];
const FAULT_KEYS = ['path', 'status', 'delayMs', 'count', 'probability', 'seed'];
const PPS_TYPES = ['None', 'Running', 'Savable', 'PreprovisionedOSDisk'] as const;

/** True for a real calendar date written YYYY-MM-DD. */
export function isApiVersionText(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().startsWith(text);
}

function readRateLimit(value: unknown, fallback: RateLimitSettings, problems: ProblemList): RateLimitSettings | undefined {
  const path = 'service.rateLimit';
  const section = problems.object(path, value);
  if (!section) return undefined;
  problems.checkKeys(path, section, RATE_KEYS);
  const pick = <T>(key: keyof RateLimitSettings, read: (v: unknown) => T | undefined): T | undefined =>
    section[key] === undefined ? (fallback[key] as T) : read(section[key]);
  const enabled = pick('enabled', (v) => problems.boolean(`${path}.enabled`, v));
  const generalPerSecond = pick('generalPerSecond', (v) => problems.integer(`${path}.generalPerSecond`, v, 1, 100000));
  const identityPerSecond = pick('identityPerSecond', (v) => problems.integer(`${path}.identityPerSecond`, v, 1, 100000));
  const identityConcurrent = pick('identityConcurrent', (v) => problems.integer(`${path}.identityConcurrent`, v, 1, 10000));
  if (enabled === undefined || generalPerSecond === undefined || identityPerSecond === undefined || identityConcurrent === undefined) return undefined;
  return { enabled, generalPerSecond, identityPerSecond, identityConcurrent };
}

function readApiVersions(value: unknown, problems: ProblemList): readonly string[] | null | undefined {
  if (value === null) return null;
  const path = 'service.apiVersions';
  const list = problems.array(path, value);
  if (!list) return undefined;
  if (list.length === 0) problems.add(path, 'must list at least one version (or be null for the built-in list)');
  const out: string[] = [];
  list.forEach((entry, i) => {
    const text = problems.string(childPath(path, i), entry);
    if (text === undefined) return;
    if (!isApiVersionText(text)) problems.add(childPath(path, i), `must be a date written YYYY-MM-DD, got ${describeValue(text)}`);
    else if (out.length > 0 && text <= out[out.length - 1]!) problems.add(childPath(path, i), `must be newer than ${out[out.length - 1]} (ascending, no duplicates)`);
    else out.push(text);
  });
  return out;
}

function readFault(value: unknown, path: string, problems: ProblemList): HttpFault | undefined {
  const item = problems.object(path, value);
  if (!item) return undefined;
  const before = problems.count;
  problems.checkKeys(path, item, FAULT_KEYS);
  const faultPath = problems.string(`${path}.path`, item.path);
  if (faultPath !== undefined && !faultPath.startsWith('/')) problems.add(`${path}.path`, `must start with "/" (a path prefix or glob), got ${describeValue(faultPath)}`);
  const fault: { -readonly [K in keyof HttpFault]: HttpFault[K] } = { path: faultPath ?? '' };
  if (item.status !== undefined) {
    if ((HTTP_FAULT_STATUSES as readonly unknown[]).includes(item.status)) fault.status = item.status as HttpFault['status'];
    else problems.add(`${path}.status`, `must be one of ${HTTP_FAULT_STATUSES.join(', ')}, got ${describeValue(item.status)}`);
  }
  if (item.delayMs !== undefined) fault.delayMs = problems.number(`${path}.delayMs`, item.delayMs, 0, 600000);
  if (item.count !== undefined) fault.count = problems.integer(`${path}.count`, item.count, 1, Number.MAX_SAFE_INTEGER);
  if (item.probability !== undefined) fault.probability = problems.number(`${path}.probability`, item.probability, 0, 1);
  if (item.seed !== undefined) fault.seed = problems.integer(`${path}.seed`, item.seed, 0, 0xffffffff);
  if (item.status === undefined && item.delayMs === undefined) problems.add(path, 'needs a status, a delayMs, or both');
  return problems.count === before ? fault : undefined;
}

/** `service`: every field optional, each one (and each rateLimit field) falling back to the default's. */
export function validateService(value: unknown, fallback: ServiceSettings, problems: ProblemList): ServiceSettings | undefined {
  const path = 'service';
  const section = problems.object(path, value);
  if (!section) return undefined;
  const before = problems.count;
  problems.checkKeys(path, section, SERVICE_KEYS);
  let serverHeader = fallback.serverHeader;
  if (section.serverHeader !== undefined) {
    serverHeader = section.serverHeader === null ? null : (problems.string(`${path}.serverHeader`, section.serverHeader) ?? null);
    if (serverHeader !== null && !/^[\x21-\x7e][\x20-\x7e]*$/.test(serverHeader)) {
      problems.add(`${path}.serverHeader`, `must be printable ASCII without line breaks (or null to send none), got ${describeValue(serverHeader)}`);
    }
  }
  const rateLimit = section.rateLimit === undefined ? fallback.rateLimit : readRateLimit(section.rateLimit, fallback.rateLimit, problems);
  const strictIdentityMetadataCase =
    section.strictIdentityMetadataCase === undefined
      ? fallback.strictIdentityMetadataCase
      : problems.boolean(`${path}.strictIdentityMetadataCase`, section.strictIdentityMetadataCase);
  const forwardedForStatus =
    section.forwardedForStatus === undefined ? fallback.forwardedForStatus : problems.integer(`${path}.forwardedForStatus`, section.forwardedForStatus, 400, 599);
  const apiVersions = section.apiVersions === undefined ? fallback.apiVersions : readApiVersions(section.apiVersions, problems);
  const tokenLifetimeSeconds =
    section.tokenLifetimeSeconds === undefined ? fallback.tokenLifetimeSeconds : problems.integer(`${path}.tokenLifetimeSeconds`, section.tokenLifetimeSeconds, 60, 31536000);
  let faults = fallback.faults;
  if (section.faults !== undefined) {
    const list = problems.array(`${path}.faults`, section.faults) ?? [];
    faults = list.map((entry, i) => readFault(entry, childPath(`${path}.faults`, i), problems)).filter((f): f is HttpFault => f !== undefined);
  }
  if (problems.count !== before) return undefined;
  return {
    serverHeader,
    rateLimit: rateLimit!,
    strictIdentityMetadataCase: strictIdentityMetadataCase!,
    forwardedForStatus: forwardedForStatus!,
    apiVersions: apiVersions!,
    tokenLifetimeSeconds: tokenLifetimeSeconds!,
    faults,
  };
}

/** `extended` (imds-spec §5.7): each field optional, falling back to the default's. */
export function validateExtended(value: unknown, fallback: VmProfile['extended'], problems: ProblemList): VmProfile['extended'] | undefined {
  const section = problems.object('extended', value);
  if (!section) return undefined;
  problems.checkKeys('extended', section, ['hasCustomData', 'ppsType']);
  const hasCustomData = section.hasCustomData === undefined ? fallback.hasCustomData : problems.boolean('extended.hasCustomData', section.hasCustomData);
  const ppsType = section.ppsType === undefined ? fallback.ppsType : problems.oneOf('extended.ppsType', section.ppsType, PPS_TYPES);
  return hasCustomData === undefined || ppsType === undefined ? undefined : { hasCustomData, ppsType };
}

/** `reprovisionData`: the OVF environment XML served by /metadata/reprovisiondata, or null (404). */
export function validateReprovisionData(value: unknown, problems: ProblemList): string | null | undefined {
  if (value === null) return null;
  const text = problems.string('reprovisionData', value);
  if (text === '') problems.add('reprovisionData', 'must be the OVF environment XML, or null while the VM is not yet assigned');
  return text || undefined;
}

export function validateSourcePolicy(value: unknown, problems: ProblemList): SourcePolicy | undefined {
  return problems.oneOf('sourcePolicy', value, SOURCE_POLICIES);
}
