// Profiles of the other VMs of a lab scale set: VM k (k >= 1) is derived from VM 0's profile with its own
// vmId, name, computerName, resource id, primary IP, MAC and system-assigned identity (deterministic: the
// same base profile and k always give the same VM). User-assigned identities stay shared, as on a VMSS.
import { createHash } from 'node:crypto';
import { validateProfile } from '../config/load-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { isPlainObject, type PlainObject } from '../util/field-reader.ts';
import { LabError } from './lab-error.ts';

/** A stable UUID (RFC 9562 v4 layout) derived from `seed`. */
export function derivedUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** 00:0d:3a:f8:06:ec -> 000D3AF806EC (the instance document's format). */
export function azureMac(mac: string): string {
  return mac.replace(/:/g, '').toUpperCase();
}

function object(value: unknown, path: string): PlainObject {
  if (!isPlainObject(value)) throw new LabError('ERR_LAB_PROFILE', `profile: ${path} must be an object`);
  return value;
}

function bumpIpv4(text: unknown, by: number): unknown {
  if (typeof text !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(text)) return text;
  const parts = text.split('.').map(Number);
  parts[3] = (parts[3]! + by) % 256;
  return parts.join('.');
}

/** Replaces every string equal to `from` (deep) by `to`. */
function replaceExact(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => replaceExact(v, from, to));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceExact(v, from, to)]));
  return value;
}

export interface DerivedVm {
  /** Position in the scale set (1, 2, …). */
  readonly index: number;
  readonly ip: string;
  /** aa:bb:cc:dd:ee:ff */
  readonly mac: string;
}

/**
 * VM k's profile from VM 0's: vmId and the system-assigned identity's clientId/objectId are UUIDs derived from
 * VM 0's values and k; name and computerName get "-vm<k>"; the resource id follows the name; the VM keeps only
 * the primary NIC (its IP, MAC; a public IP bumped by k); load-balancer entries for VM 0's IP name VM k's.
 */
export function deriveScaleSetProfile(base: VmProfile, vm: DerivedVm): VmProfile {
  const draft = structuredClone(base) as unknown as PlainObject;
  const instance = object(draft['instance'], 'instance');
  const compute = object(instance['compute'], 'instance.compute');
  const network = object(instance['network'], 'instance.network');
  const k = vm.index;
  const baseName = String(compute['name'] ?? 'vm');
  const name = `${baseName}-vm${k}`;
  compute['name'] = name;
  compute['vmId'] = derivedUuid(`${String(compute['vmId'] ?? '')}/vm${k}`);
  if (typeof compute['resourceId'] === 'string') {
    compute['resourceId'] = compute['resourceId'].replace(/\/virtualMachines\/[^/]+$/i, `/virtualMachines/${name}`);
  }
  const os = compute['osProfile'];
  if (typeof os === 'object' && os !== null && typeof (os as PlainObject)['computerName'] === 'string') {
    (os as PlainObject)['computerName'] = `${String((os as PlainObject)['computerName'])}-vm${k}`;
  }
  const interfaces = network['interface'];
  if (!Array.isArray(interfaces) || interfaces.length === 0) throw new LabError('ERR_LAB_PROFILE', 'profile: instance.network.interface must list the primary NIC');
  const primary = object(interfaces[0], 'instance.network.interface[0]');
  const ipv4 = object(primary['ipv4'], 'instance.network.interface[0].ipv4');
  const addresses = ipv4['ipAddress'];
  if (!Array.isArray(addresses) || addresses.length === 0) throw new LabError('ERR_LAB_PROFILE', 'profile: instance.network.interface[0].ipv4.ipAddress is empty');
  const first = object(addresses[0], 'instance.network.interface[0].ipv4.ipAddress[0]');
  const baseIp = String(first['privateIpAddress']);
  ipv4['ipAddress'] = [{ ...first, privateIpAddress: vm.ip, ...(first['publicIpAddress'] !== undefined ? { publicIpAddress: bumpIpv4(first['publicIpAddress'], k) } : {}) }];
  primary['macAddress'] = azureMac(vm.mac);
  network['interface'] = [primary];
  const identity = object(draft['identity'], 'identity');
  const system = identity['systemAssigned'];
  if (typeof system === 'object' && system !== null) {
    const s = system as PlainObject;
    identity['systemAssigned'] = { ...s, clientId: derivedUuid(`${String(s['clientId'])}/vm${k}`), objectId: derivedUuid(`${String(s['objectId'])}/vm${k}`) };
  }
  if (draft['loadBalancer'] !== null && draft['loadBalancer'] !== undefined) draft['loadBalancer'] = replaceExact(draft['loadBalancer'], baseIp, vm.ip);
  return validateProfile(draft, `derived profile of scale-set VM vm${k}`);
}
