// Validates the profile's `instance` document against the field registry: known keys only, string leaves,
// missing fields filled with "" / [] (imds-spec §2.9), then value checks (addresses, MAC, GUIDs, tags, userData).
import { isIPv6 } from 'node:net';
import type { InstanceTree } from './vm-profile.ts';
import { INSTANCE_SCHEMA } from './instance-field-registry.ts';
import type { FieldNode, ObjectField } from './instance-field-registry.ts';
import type { ProblemList } from './profile-checker.ts';
import { childPath, describeValue, isPlainObject } from '../util/field-reader.ts';
import { isGuid } from './profile-checker.ts';
import { isIpv4Address, networkAddress, parseIpv4Address, inSubnet } from '../util/ipv4-address.ts';

type MutableTree = { [key: string]: MutableNode };
type MutableNode = string | MutableNode[] | MutableTree;

/** The empty value of a schema node: "" for a leaf, [] for an array, an object of empty values. */
export function blankNode(schema: FieldNode): MutableNode {
  if (schema.kind === 'leaf') return '';
  if (schema.kind === 'array') return [];
  const out: MutableTree = {};
  for (const [key, child] of schema.fields) out[key] = blankNode(child);
  return out;
}

function normalize(value: unknown, schema: FieldNode, path: string, problems: ProblemList, missing: Set<string>): MutableNode | undefined {
  if (schema.kind === 'leaf') {
    if (typeof value === 'string') return value;
    const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (IMDS sends every value as a string: write "${String(value)}")` : '';
    problems.add(path, `must be a string, got ${describeValue(value)}${hint}`);
    return undefined;
  }
  if (schema.kind === 'array') {
    const list = problems.array(path, value);
    if (!list) return undefined;
    const out: MutableNode[] = [];
    list.forEach((item, i) => {
      const node = normalize(item, schema.items, childPath(path, i), problems, missing);
      if (node !== undefined) out.push(node);
    });
    return out;
  }
  return normalizeObject(value, schema, path, problems, missing);
}

function normalizeObject(value: unknown, schema: ObjectField, path: string, problems: ProblemList, missing: Set<string>): MutableTree | undefined {
  const object = problems.object(path, value);
  if (!object) return undefined;
  problems.checkKeys(path, object, schema.fields.keys());
  const out: MutableTree = {};
  for (const [key, child] of schema.fields) {
    const fieldPath = childPath(path, key);
    if (!Object.hasOwn(object, key) || object[key] === undefined) {
      missing.add(fieldPath);
      out[key] = blankNode(child);
      continue;
    }
    const node = normalize(object[key], child, fieldPath, problems, missing);
    if (node !== undefined) out[key] = node;
  }
  return out;
}

const BOOLEAN_FIELDS = [
  'isHostCompatibilityLayerVm',
  'additionalCapabilities.hibernationEnabled',
  'securityProfile.secureBootEnabled',
  'securityProfile.virtualTpmEnabled',
  'securityProfile.encryptionAtHost',
  'osProfile.disablePasswordAuthentication',
  'storageProfile.osDisk.writeAcceleratorEnabled',
  'storageProfile.osDisk.encryptionSettings.enabled',
];
const DECIMAL_FIELDS = [
  'platformFaultDomain',
  'platformUpdateDomain',
  'platformSubFaultDomain',
  'storageProfile.osDisk.diskSizeGB',
  'storageProfile.resourceDisk.size',
];
const DISK_BOOLEAN_FIELDS = ['writeAcceleratorEnabled', 'isSharedDisk', 'isUltraDisk'];
const DISK_DECIMAL_FIELDS = ['lun', 'diskSizeGB', 'bytesPerSecondThrottle', 'diskCapacityBytes', 'opsPerSecondThrottle'];
const USER_DATA_MAX_BYTES = 64 * 1024;

function leafAt(tree: MutableTree, dotted: string): string | undefined {
  let node: MutableNode | undefined = tree;
  for (const key of dotted.split('.')) node = isPlainObject(node) ? (node as MutableTree)[key] : undefined;
  return typeof node === 'string' ? node : undefined;
}

function checkBoolean(problems: ProblemList, path: string, value: string | undefined): void {
  if (value !== undefined && value !== '' && value !== 'true' && value !== 'false') {
    problems.add(path, `must be "true", "false" or "", got ${describeValue(value)}`);
  }
}

function checkDecimal(problems: ProblemList, path: string, value: string | undefined): void {
  if (value !== undefined && value !== '' && !/^(0|[1-9]\d*)$/.test(value)) {
    problems.add(path, `must be a decimal number written as a string (e.g. "36") or "", got ${describeValue(value)}`);
  }
}

function asArray(node: MutableNode | undefined): MutableTree[] {
  return Array.isArray(node) ? (node.filter(isPlainObject) as MutableTree[]) : [];
}

function checkCompute(compute: MutableTree, problems: ProblemList, missing: Set<string>): void {
  const base = 'instance.compute';
  const vmId = leafAt(compute, 'vmId');
  if (vmId !== undefined && !isGuid(vmId)) problems.add(`${base}.vmId`, `must be a GUID, got ${describeValue(vmId)}`);
  for (const key of ['subscriptionId', 'placementGroupId']) {
    const value = leafAt(compute, key);
    if (value) if (!isGuid(value)) problems.add(`${base}.${key}`, `must be a GUID or "", got ${describeValue(value)}`);
  }
  for (const key of BOOLEAN_FIELDS) checkBoolean(problems, `${base}.${key}`, leafAt(compute, key));
  for (const key of DECIMAL_FIELDS) checkDecimal(problems, `${base}.${key}`, leafAt(compute, key));
  const storage = compute.storageProfile as MutableTree | undefined;
  asArray(storage?.dataDisks).forEach((disk, i) => {
    const path = `${base}.storageProfile.dataDisks[${i}]`;
    for (const key of DISK_BOOLEAN_FIELDS) checkBoolean(problems, `${path}.${key}`, leafAt(disk, key));
    for (const key of DISK_DECIMAL_FIELDS) checkDecimal(problems, `${path}.${key}`, leafAt(disk, key));
  });

  // tags is tagsList joined as name:value;name:value (imds-spec §5.4); derive whichever one is missing.
  const tagsList = asArray(compute.tagsList);
  const joined = tagsList.map((t) => `${leafAt(t, 'name') ?? ''}:${leafAt(t, 'value') ?? ''}`).join(';');
  const tags = leafAt(compute, 'tags');
  if (missing.has(`${base}.tags`) && !missing.has(`${base}.tagsList`)) {
    compute.tags = joined;
  } else if (missing.has(`${base}.tagsList`) && tags) {
    compute.tagsList = tags.split(';').map((pair) => {
      const colon = pair.indexOf(':');
      return colon < 0 ? { name: pair, value: '' } : { name: pair.slice(0, colon), value: pair.slice(colon + 1) };
    });
  } else if (tags !== undefined && tags !== joined && !problems.hasUnder(`${base}.tagsList`)) {
    problems.add(`${base}.tags`, `must equal tagsList joined as name:value;… (expected ${JSON.stringify(joined)}, got ${JSON.stringify(tags)}); omit one of the two to derive it`);
  }

  const userData = leafAt(compute, 'userData');
  if (userData) {
    if (userData.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(userData)) {
      problems.add(`${base}.userData`, 'must be base64 text (as supplied to ARM), or ""');
    } else if (Buffer.byteLength(userData, 'base64') > USER_DATA_MAX_BYTES) {
      problems.add(`${base}.userData`, `decodes to more than ${USER_DATA_MAX_BYTES} bytes (IMDS user data is at most 64 KB)`);
    }
  }
}

function checkNetwork(network: MutableTree, problems: ProblemList): void {
  const base = 'instance.network.interface';
  const nics = asArray(network.interface);
  if (Array.isArray(network.interface) && nics.length === 0) {
    problems.add(base, 'must list at least the primary NIC (interface 0)');
  }
  const macs = new Map<string, number>();
  const privateAddresses = new Map<string, string>();
  nics.forEach((nic, n) => {
    const nicPath = `${base}[${n}]`;
    const mac = leafAt(nic, 'macAddress');
    if (mac !== undefined) {
      if (!/^[0-9A-F]{12}$/.test(mac)) {
        problems.add(`${nicPath}.macAddress`, `must be 12 upper-case hex digits without separators (e.g. "000D3AF806EC"), got ${describeValue(mac)}`);
      } else if (macs.has(mac)) {
        problems.add(`${nicPath}.macAddress`, `duplicates interface[${macs.get(mac)}].macAddress ${mac}`);
      } else {
        macs.set(mac, n);
      }
    }
    const ipv4 = nic.ipv4 as MutableTree | undefined;
    const subnets: { network: number; prefix: number; text: string }[] = [];
    asArray(ipv4?.subnet).forEach((subnet, s) => {
      const path = `${nicPath}.ipv4.subnet[${s}]`;
      const address = leafAt(subnet, 'address') ?? '';
      const prefixText = leafAt(subnet, 'prefix') ?? '';
      const addressOk = isIpv4Address(address);
      if (!addressOk) problems.add(`${path}.address`, `must be an IPv4 address, got ${describeValue(address)}`);
      const prefix = /^(0|[1-9]\d?)$/.test(prefixText) ? Number(prefixText) : NaN;
      if (!(prefix >= 0 && prefix <= 32)) {
        problems.add(`${path}.prefix`, `must be a prefix length from 0 to 32 written as a string (e.g. "24"), got ${describeValue(prefixText)}`);
      } else if (addressOk) {
        const value = parseIpv4Address(address);
        if (networkAddress(value, prefix) !== value) {
          problems.add(`${path}.address`, `${address}/${prefix} has host bits set (the subnet address is the network address)`);
        } else {
          subnets.push({ network: value, prefix, text: `${address}/${prefix}` });
        }
      }
    });
    const addresses = asArray(ipv4?.ipAddress);
    if (n === 0 && Array.isArray(ipv4?.ipAddress) && addresses.length === 0) {
      problems.add(`${nicPath}.ipv4.ipAddress`, 'the primary NIC (interface 0) needs an IPv4 address');
    }
    if (n === 0 && Array.isArray(ipv4?.subnet) && (ipv4.subnet as MutableNode[]).length === 0) {
      problems.add(`${nicPath}.ipv4.subnet`, 'the primary NIC (interface 0) needs its subnet (the lab derives the gateway from it)');
    }
    addresses.forEach((entry, a) => {
      const path = `${nicPath}.ipv4.ipAddress[${a}]`;
      const privateIp = leafAt(entry, 'privateIpAddress') ?? '';
      if (!isIpv4Address(privateIp)) {
        problems.add(`${path}.privateIpAddress`, `must be an IPv4 address, got ${describeValue(privateIp)}`);
      } else if (privateAddresses.has(privateIp)) {
        problems.add(`${path}.privateIpAddress`, `duplicates ${privateAddresses.get(privateIp)}`);
      } else {
        privateAddresses.set(privateIp, `${path}.privateIpAddress`);
        const value = parseIpv4Address(privateIp);
        if (subnets.length > 0 && !subnets.some((s) => inSubnet(value, s.network, s.prefix))) {
          problems.add(`${path}.privateIpAddress`, `${privateIp} is not inside any subnet of this interface (${subnets.map((s) => s.text).join(', ')})`);
        }
      }
      const publicIp = leafAt(entry, 'publicIpAddress') ?? '';
      if (publicIp !== '' && !isIpv4Address(publicIp)) {
        problems.add(`${path}.publicIpAddress`, `must be an IPv4 address or "", got ${describeValue(publicIp)}`);
      }
    });
    asArray((nic.ipv6 as MutableTree | undefined)?.ipAddress).forEach((entry, a) => {
      const value = leafAt(entry, 'privateIpAddress') ?? '';
      if (!isIPv6(value)) problems.add(`${nicPath}.ipv6.ipAddress[${a}].privateIpAddress`, `must be an IPv6 address, got ${describeValue(value)}`);
    });
  });
}

/**
 * Validates `value` as the instance document; records problems under `instance.…` and returns the filled-in
 * document (fields the registry knows but the profile omits become "" / [] / objects of "").
 */
export function validateInstance(value: unknown, problems: ProblemList): { compute: InstanceTree; network: InstanceTree } | undefined {
  const instance = problems.object('instance', value);
  if (!instance) return undefined;
  problems.checkKeys('instance', instance, INSTANCE_SCHEMA.fields.keys());
  const missing = new Set<string>();
  const out: Record<string, MutableTree | undefined> = {};
  for (const [key, schema] of INSTANCE_SCHEMA.fields) {
    const path = `instance.${key}`;
    if (instance[key] === undefined) {
      problems.add(path, 'is required');
      continue;
    }
    out[key] = normalizeObject(instance[key], schema as ObjectField, path, problems, missing);
  }
  if (out.compute) checkCompute(out.compute, problems, missing);
  if (out.network) checkNetwork(out.network, problems);
  if (!out.compute || !out.network) return undefined;
  return { compute: out.compute, network: out.network };
}
