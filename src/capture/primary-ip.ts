// The VM's primary IP from its profile (imds-spec §1.2: only the primary NIC's primary IP is answered):
// network.interface[0].ipv4.ipAddress[0].privateIpAddress.
import type { InstanceNode, VmProfile } from '../config/vm-profile.ts';
import { ImdsLabError } from '../util/errors.ts';
import { isIpv4Address } from '../util/ipv4-address.ts';

const PATH = ['interface', 0, 'ipv4', 'ipAddress', 0, 'privateIpAddress'] as const;

export function primaryIpOf(profile: VmProfile): string {
  let node: InstanceNode | undefined = profile.instance.network;
  let where = 'instance.network';
  for (const step of PATH) {
    if (typeof step === 'number') {
      if (!Array.isArray(node) || node.length <= step) {
        throw new ImdsLabError('ERR_PRIMARY_IP', `profile: ${where} must be a non-empty array (the primary IP is ${PATH.join('.')})`);
      }
      node = (node as readonly InstanceNode[])[step];
      where += `[${step}]`;
    } else {
      if (node === undefined || typeof node === 'string' || Array.isArray(node)) {
        throw new ImdsLabError('ERR_PRIMARY_IP', `profile: ${where} must be an object`);
      }
      node = (node as { readonly [k: string]: InstanceNode })[step];
      where += `.${step}`;
    }
  }
  if (typeof node !== 'string' || !isIpv4Address(node)) {
    throw new ImdsLabError('ERR_PRIMARY_IP', `profile: ${where} must be an IPv4 address, got ${JSON.stringify(node)}`);
  }
  return node;
}
