// The VM's network interfaces as the lab needs them, read from the profile's instance document
// (imds-spec §5.6: network.interface[].ipv4.ipAddress[].privateIpAddress, subnet[].address/prefix, macAddress).
import type { InstanceNode, InstanceTree, VmProfile } from '../config/vm-profile.ts';
import { formatIpv4Address, inSubnet, networkAddress, parseIpv4Address, subnetGateway } from '../util/ipv4-address.ts';
import { LabError } from './lab-error.ts';

export interface LabNic {
  /** Position in network.interface[] (0 = primary NIC). */
  readonly index: number;
  /** Device name inside the VM namespace: eth0, eth1, … */
  readonly device: string;
  /** MAC as aa:bb:cc:dd:ee:ff (lower case). */
  readonly mac: string;
  /** Private IPs, the first is the NIC's primary IP. */
  readonly ips: readonly string[];
  /** Subnet network address and prefix length. */
  readonly subnet: string;
  readonly prefix: number;
  /** First host address of the subnet: Azure's default gateway. */
  readonly gateway: string;
  /** True when the lab made this NIC up because the profile has fewer NICs than a scenario needs. */
  readonly synthesized: boolean;
}

function child(node: InstanceNode | undefined, key: string, path: string): InstanceNode {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) {
    throw new LabError('ERR_LAB_PROFILE', `profile: ${path} must be an object`);
  }
  const value = (node as InstanceTree)[key];
  if (value === undefined) throw new LabError('ERR_LAB_PROFILE', `profile: ${path}.${key} is missing`);
  return value;
}

function list(node: InstanceNode, path: string): readonly InstanceNode[] {
  if (!Array.isArray(node)) throw new LabError('ERR_LAB_PROFILE', `profile: ${path} must be an array`);
  return node as readonly InstanceNode[];
}

function text(node: InstanceNode, path: string): string {
  if (typeof node !== 'string') throw new LabError('ERR_LAB_PROFILE', `profile: ${path} must be a string`);
  return node;
}

/** 000D3AF806EC or 00-0d-3a-f8-06-ec -> 00:0d:3a:f8:06:ec */
export function normalizeMac(value: string, path: string): string {
  const hex = value.replace(/[-:]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex)) throw new LabError('ERR_LAB_PROFILE', `profile: ${path} is not a MAC address: ${JSON.stringify(value)}`);
  if ((parseInt(hex.slice(0, 2), 16) & 1) === 1) {
    throw new LabError('ERR_LAB_PROFILE', `profile: ${path} is a multicast MAC address: ${JSON.stringify(value)}`);
  }
  return hex.match(/../g)!.join(':');
}

function parseNic(node: InstanceNode, index: number): LabNic {
  const path = `instance.network.interface[${index}]`;
  const ipv4 = child(node, 'ipv4', path);
  const addresses = list(child(ipv4, 'ipAddress', `${path}.ipv4`), `${path}.ipv4.ipAddress`);
  const subnets = list(child(ipv4, 'subnet', `${path}.ipv4`), `${path}.ipv4.subnet`);
  if (addresses.length === 0) throw new LabError('ERR_LAB_PROFILE', `profile: ${path}.ipv4.ipAddress is empty`);
  if (subnets.length === 0) throw new LabError('ERR_LAB_PROFILE', `profile: ${path}.ipv4.subnet is empty`);
  const subnetPath = `${path}.ipv4.subnet[0]`;
  const subnetText = text(child(subnets[0], 'address', subnetPath), `${subnetPath}.address`);
  const prefixText = text(child(subnets[0], 'prefix', subnetPath), `${subnetPath}.prefix`);
  const prefix = Number(prefixText);
  if (!/^\d{1,2}$/.test(prefixText) || prefix < 8 || prefix > 29) {
    throw new LabError('ERR_LAB_PROFILE', `profile: ${subnetPath}.prefix must be 8..29 for a lab subnet, got ${JSON.stringify(prefixText)}`);
  }
  const network = networkAddress(parseIpv4Address(subnetText), prefix);
  const gateway = subnetGateway(network, prefix);
  const broadcast = (network + 2 ** (32 - prefix) - 1) >>> 0;
  const ips = addresses.map((a, i) => {
    const p = `${path}.ipv4.ipAddress[${i}].privateIpAddress`;
    const ip = text(child(a, 'privateIpAddress', `${path}.ipv4.ipAddress[${i}]`), p);
    const value = parseIpv4Address(ip);
    if (!inSubnet(value, network, prefix)) {
      throw new LabError('ERR_LAB_PROFILE', `profile: ${p} ${ip} is outside the subnet ${formatIpv4Address(network)}/${prefix}`);
    }
    if (value === network || value === broadcast || value === gateway) {
      throw new LabError('ERR_LAB_PROFILE', `profile: ${p} ${ip} is the subnet's network, broadcast or gateway address`);
    }
    return ip;
  });
  const mac = normalizeMac(text(child(node, 'macAddress', path), `${path}.macAddress`), `${path}.macAddress`);
  return {
    index,
    device: `eth${index}`,
    mac,
    ips,
    subnet: formatIpv4Address(network),
    prefix,
    gateway: formatIpv4Address(gateway),
    synthesized: false,
  };
}

/** The profile's NICs in document order (the first is the primary NIC, as Azure orders them for the guest). */
export function profileNics(profile: VmProfile): LabNic[] {
  const interfaces = list(child(profile.instance.network, 'interface', 'instance.network'), 'instance.network.interface');
  if (interfaces.length === 0) throw new LabError('ERR_LAB_PROFILE', 'profile: instance.network.interface is empty (the VM needs a primary NIC)');
  if (interfaces.length > 4) throw new LabError('ERR_LAB_PROFILE', 'profile: the lab supports at most 4 NICs');
  return interfaces.map((node, i) => parseNic(node, i));
}
