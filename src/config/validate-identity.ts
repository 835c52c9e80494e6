// Validates the profile's `identity` (managed identities, imds-spec §7) and `loadBalancer` (imds-spec §9) sections.
import { isIP } from 'node:net';
import type { IdentityProfile, LoadBalancerProfile, UserAssignedIdentity } from './vm-profile.ts';
import { childPath, describeValue, type PlainObject } from '../util/field-reader.ts';
import { isGuid, type ProblemList } from './profile-checker.ts';

const USER_ASSIGNED_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

function guid(problems: ProblemList, path: string, value: unknown): string | undefined {
  const text = problems.string(path, value);
  if (text === undefined) return undefined;
  if (!isGuid(text)) {
    problems.add(path, `must be a GUID, got ${describeValue(text)}`);
    return undefined;
  }
  return text;
}

/**
 * `identity` replaces the default section as a whole: `tenantId` is required, `systemAssigned` defaults to null
 * (no system-assigned identity), `userAssigned` to []. Client ids, object ids and resource ids must be unique
 * across all identities (the token endpoint selects by them).
 */
export function validateIdentity(value: unknown, problems: ProblemList): IdentityProfile | undefined {
  const path = 'identity';
  const section = problems.object(path, value);
  if (!section) return undefined;
  problems.checkKeys(path, section, ['tenantId', 'systemAssigned', 'userAssigned']);
  const before = problems.count;
  const tenantId = guid(problems, `${path}.tenantId`, section.tenantId);

  const seen = new Map<string, string>();
  const unique = (fieldPath: string, id: string | undefined, kind: string): void => {
    if (id === undefined) return;
    const key = `${kind}:${id.toLowerCase()}`;
    const first = seen.get(key);
    if (first) problems.add(fieldPath, `duplicate ${kind} ${id} (also ${first})`);
    else seen.set(key, fieldPath);
  };

  let systemAssigned: IdentityProfile['systemAssigned'] = null;
  if (section.systemAssigned !== undefined && section.systemAssigned !== null) {
    const sysPath = `${path}.systemAssigned`;
    const sys = problems.object(sysPath, section.systemAssigned);
    if (sys) {
      problems.checkKeys(sysPath, sys, ['clientId', 'objectId']);
      const clientId = guid(problems, `${sysPath}.clientId`, sys.clientId);
      const objectId = guid(problems, `${sysPath}.objectId`, sys.objectId);
      unique(`${sysPath}.clientId`, clientId, 'clientId');
      unique(`${sysPath}.objectId`, objectId, 'objectId');
      if (clientId && objectId) systemAssigned = { clientId, objectId };
    }
  }

  const userAssigned: UserAssignedIdentity[] = [];
  if (section.userAssigned !== undefined) {
    const list = problems.array(`${path}.userAssigned`, section.userAssigned) ?? [];
    list.forEach((entry, i) => {
      const itemPath = childPath(`${path}.userAssigned`, i);
      const item = problems.object(itemPath, entry);
      if (!item) return;
      problems.checkKeys(itemPath, item, ['clientId', 'objectId', 'resourceId']);
      const clientId = guid(problems, `${itemPath}.clientId`, item.clientId);
      const objectId = guid(problems, `${itemPath}.objectId`, item.objectId);
      let resourceId = problems.string(`${itemPath}.resourceId`, item.resourceId);
      if (resourceId !== undefined && !USER_ASSIGNED_ID.test(resourceId)) {
        problems.add(
          `${itemPath}.resourceId`,
          `must be /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>, got ${describeValue(resourceId)}`,
        );
        resourceId = undefined;
      }
      unique(`${itemPath}.clientId`, clientId, 'clientId');
      unique(`${itemPath}.objectId`, objectId, 'objectId');
      unique(`${itemPath}.resourceId`, resourceId, 'resourceId');
      if (clientId && objectId && resourceId) userAssigned.push({ clientId, objectId, resourceId });
    });
  }
  if (problems.count !== before || tenantId === undefined) return undefined;
  return { tenantId, systemAssigned, userAssigned };
}

function ipAddress(problems: ProblemList, path: string, value: unknown): string | undefined {
  const text = problems.string(path, value);
  if (text !== undefined && isIP(text) === 0) {
    problems.add(path, `must be an IPv4 or IPv6 address, got ${describeValue(text)}`);
    return undefined;
  }
  return text;
}

function rules<T>(problems: ProblemList, path: string, value: unknown, keys: readonly string[], read: (item: PlainObject, itemPath: string) => T | undefined): T[] {
  if (value === undefined) return [];
  const out: T[] = [];
  (problems.array(path, value) ?? []).forEach((entry, i) => {
    const itemPath = childPath(path, i);
    const item = problems.object(itemPath, entry);
    if (!item) return;
    problems.checkKeys(itemPath, item, keys);
    const rule = read(item, itemPath);
    if (rule !== undefined) out.push(rule);
  });
  return out;
}

/** `loadBalancer`: null (no Standard LB: /metadata/loadbalancer answers 404) or the document; missing lists are []. */
export function validateLoadBalancer(value: unknown, problems: ProblemList): LoadBalancerProfile | null | undefined {
  if (value === null) return null;
  const path = 'loadBalancer';
  const section = problems.object(path, value);
  if (!section) return undefined;
  problems.checkKeys(path, section, ['publicIpAddresses', 'inboundRules', 'outboundRules']);
  const before = problems.count;
  const pair = (item: PlainObject, itemPath: string) => {
    const frontendIpAddress = ipAddress(problems, `${itemPath}.frontendIpAddress`, item.frontendIpAddress);
    const privateIpAddress = ipAddress(problems, `${itemPath}.privateIpAddress`, item.privateIpAddress);
    return frontendIpAddress !== undefined && privateIpAddress !== undefined ? { frontendIpAddress, privateIpAddress } : undefined;
  };
  const publicIpAddresses = rules(problems, `${path}.publicIpAddresses`, section.publicIpAddresses, ['frontendIpAddress', 'privateIpAddress'], pair);
  const outboundRules = rules(problems, `${path}.outboundRules`, section.outboundRules, ['frontendIpAddress', 'privateIpAddress'], pair);
  const inboundRules = rules(
    problems,
    `${path}.inboundRules`,
    section.inboundRules,
    ['frontendIpAddress', 'protocol', 'frontendPort', 'backendPort', 'privateIpAddress'],
    (item, itemPath) => {
      const ips = pair(item, itemPath);
      const protocol = problems.string(`${itemPath}.protocol`, item.protocol);
      if (protocol === '') problems.add(`${itemPath}.protocol`, 'must not be empty (e.g. "tcp", "udp", "all")');
      const frontendPort = problems.integer(`${itemPath}.frontendPort`, item.frontendPort, 0, 65535);
      const backendPort = problems.integer(`${itemPath}.backendPort`, item.backendPort, 0, 65535);
      if (!ips || !protocol || frontendPort === undefined || backendPort === undefined) return undefined;
      return { frontendIpAddress: ips.frontendIpAddress, protocol, frontendPort, backendPort, privateIpAddress: ips.privateIpAddress };
    },
  );
  if (problems.count !== before) return undefined;
  return { publicIpAddresses, inboundRules, outboundRules };
}
