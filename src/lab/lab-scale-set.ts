// The VMs of a lab: VM 0 (the scenario's VM, from the profile) and, for a scale set, VMs 1..N-1 on the same
// primary subnet (one bridge `nic0` in the host namespace), each with its own primary IP, MAC and profile.
import type { VmProfile } from '../config/vm-profile.ts';
import { formatIpv4Address, parseIpv4Address } from '../util/ipv4-address.ts';
import { LabError } from './lab-error.ts';
import { vmRole, type ScaleSetRole } from './lab-naming.ts';
import { profileNics, type LabNic } from './lab-nics.ts';
import { deriveScaleSetProfile } from './scale-set-profiles.ts';

/**
 * VMs per lab. The primary subnet is the practical limit (a /24 holds 251 usable addresses, Azure reserving
 * .0-.3 and the broadcast; a larger subnet in the profile holds more); 1,000 stays below the 1,023 ports of
 * the host bridge nic0 (one per VM).
 */
export const MAX_LAB_VMS = 1000;

export interface LabVm {
  /** 0, 1, 2, … (VM 0 is the scenario's VM). */
  readonly index: number;
  /** vm0, vm1, …: how exec --vm, ctl --vm and the request log name it. */
  readonly name: string;
  /** `vm` for VM 0, `vm<k>` for the others. */
  readonly role: 'vm' | ScaleSetRole;
  readonly namespace: string;
  /** The primary NIC (eth0 in the VM's namespace). */
  readonly nic: LabNic;
  readonly profile: VmProfile;
  /** True when the profile was derived from VM 0's (not given). */
  readonly derived: boolean;
}

function bumpMac(mac: string, by: number): string {
  const bytes = mac.split(':').map((h) => parseInt(h, 16));
  bytes[4] = (bytes[4]! + Math.floor((bytes[5]! + by) / 256)) & 0xff;
  bytes[5] = (bytes[5]! + by) & 0xff;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Plans the VMs. One VM: VM 0 in `<lab>-vm` (the classic lab). Several: `<lab>-vm0` … `<lab>-vm<N-1>`; VM k's
 * IP is the next free host address of VM 0's primary subnet after the addresses already used (VM 0's
 * primary and secondary IPs), its MAC VM 0's + 16·k; given profiles must use that subnet and unique values.
 */
export function planScaleSet(
  labName: string,
  profile: VmProfile,
  nics: readonly LabNic[],
  count: number,
  given: readonly VmProfile[],
): LabVm[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_LAB_VMS) throw new LabError('ERR_LAB_USAGE', `--vms: expected 1..${MAX_LAB_VMS} VMs, got ${count}`);
  if (given.length > count - 1) throw new LabError('ERR_LAB_USAGE', `${given.length + 1} profiles given for ${count} VMs`);
  const primary = nics[0]!;
  const several = count > 1;
  const vm0: LabVm = {
    index: 0,
    name: 'vm0',
    role: 'vm',
    namespace: several ? `${labName}-vm0` : `${labName}-vm`,
    nic: primary,
    profile,
    derived: false,
  };
  const vms: LabVm[] = [vm0];
  const usedIps = new Set(nics.flatMap((n) => n.ips));
  const usedMacs = new Set(nics.map((n) => n.mac));
  const network = parseIpv4Address(primary.subnet);
  const size = 2 ** (32 - primary.prefix);
  let candidate = parseIpv4Address(primary.ips[0]!) + 1;
  for (let k = 1; k < count; k++) {
    const name = `vm${k}`;
    const own = given[k - 1];
    let nic: LabNic;
    let vmProfile: VmProfile;
    if (own) {
      const n = profileNics(own)[0]!;
      if (n.subnet !== primary.subnet || n.prefix !== primary.prefix) {
        throw new LabError('ERR_LAB_PROFILE', `profile of ${name}: primary subnet ${n.subnet}/${n.prefix} differs from vm0's ${primary.subnet}/${primary.prefix} (a scale set shares the primary subnet)`);
      }
      if (usedIps.has(n.ips[0]!)) throw new LabError('ERR_LAB_COLLISION', `profile of ${name}: primary IP ${n.ips[0]} is already used by another VM`);
      if (usedMacs.has(n.mac)) throw new LabError('ERR_LAB_COLLISION', `profile of ${name}: MAC ${n.mac} is already used by another VM`);
      nic = { ...n, ips: [n.ips[0]!], device: 'eth0', index: 0 };
      vmProfile = own;
    } else {
      // Azure reserves .0-.3 and the broadcast address of a subnet.
      while (usedIps.has(formatIpv4Address(candidate)) || candidate - network < 4) candidate++;
      if (candidate - network >= size - 1) throw new LabError('ERR_LAB_COLLISION', `no free address left in ${primary.subnet}/${primary.prefix} for ${name}`);
      const ip = formatIpv4Address(candidate);
      let mac = bumpMac(primary.mac, 16 * k);
      while (usedMacs.has(mac)) mac = bumpMac(mac, 1);
      nic = { ...primary, index: 0, device: 'eth0', ips: [ip], mac, synthesized: true };
      vmProfile = deriveScaleSetProfile(profile, { index: k, ip, mac });
    }
    usedIps.add(nic.ips[0]!);
    usedMacs.add(nic.mac);
    vms.push({ index: k, name, role: vmRole(k), namespace: `${labName}-${name}`, nic, profile: vmProfile, derived: own === undefined });
  }
  return vms;
}
