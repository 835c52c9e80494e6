// The lab's Azure DNS: names a resolver at 168.63.129.16 answers (the VMs' computer names, the lab's PKI host
// under the reserved .test domain, RFC 6761 §6.2), the VM's resolv.conf, and where `ip netns exec` finds it.
import type { LabVm } from './lab-scale-set.ts';

/** `ip netns exec NS` bind-mounts /etc/netns/NS/<file> over /etc/<file> (ip-netns(8)). */
export const ETC_NETNS = '/etc/netns';

/** Azure's DNS suffix for VMs without a custom one (`<computer>.internal.cloudapp.net`). */
export const LAB_DNS_SUFFIX = 'internal.cloudapp.net';

/** The host that serves the issuing CA in a lab (the leaf's CA Issuers URI); resolved only by the lab resolver. */
export const LAB_PKI_HOST = 'pki.imds-lab.test';

/** The CA Issuers URI a lab's responder puts in attested-data leaves (served as DER by `imds-lab persona ca-issuers`). */
export const LAB_CA_ISSUERS_URI = `http://${LAB_PKI_HOST}/pki/imds-lab%20Emulator%20TLS%20Issuing%20CA%2005.crt`;

/** The resolv.conf file of a lab namespace. */
export function resolvConfPath(namespace: string): string {
  return `${ETC_NETNS}/${namespace}/resolv.conf`;
}

/** The VM's resolv.conf: Azure DNS, Azure's search suffix (as Azure's DHCP hands them out). */
export function resolvConf(server: string): string {
  return ['# imds-lab: the VM resolves through the lab resolver (Azure DNS at 168.63.129.16); removed by imds-lab down', `search ${LAB_DNS_SUFFIX}`, `nameserver ${server}`, ''].join('\n');
}

function hostLabel(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const label = text.toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/^-+|-+$/g, '').slice(0, 63);
  return label === '' ? null : label;
}

/** [name, IPv4] records: each VM's computer name (bare and with the Azure suffix), and the PKI host. */
export function labDnsRecords(vms: readonly LabVm[], pkiAddress: string): [string, string][] {
  const records: [string, string][] = [];
  const seen = new Set<string>();
  for (const vm of vms) {
    const compute = vm.profile.instance.compute as Record<string, unknown>;
    const os = compute['osProfile'] as Record<string, unknown> | undefined;
    const label = hostLabel(os?.['computerName']) ?? hostLabel(compute['name']);
    if (label === null || seen.has(label)) continue;
    seen.add(label);
    records.push([label, vm.nic.ips[0]!], [`${label}.${LAB_DNS_SUFFIX}`, vm.nic.ips[0]!]);
  }
  records.push([LAB_PKI_HOST, pkiAddress]);
  return records;
}
