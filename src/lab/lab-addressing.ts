// Address planning for the lab: extra NICs and secondary IPs a scenario needs, the proxy's little subnet,
// and the collision checks (overlapping subnets, duplicate addresses/MACs, link-local or wireserver clashes).
import { formatIpv4Address, networkAddress, parseIpv4Address, WIRESERVER_ADDRESS } from '../util/ipv4-address.ts';
import { LabError } from './lab-error.ts';
import type { LabNic } from './lab-nics.ts';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [address, prefixText] = text.split('/');
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!address || !/^\d{1,2}$/.test(prefixText ?? '32') || prefix > 32) throw new LabError('ERR_LAB_ADDRESS', `not an IPv4 prefix: ${JSON.stringify(text)}`);
  parseIpv4Address(address);
  return { address, prefix };
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return networkAddress(parseIpv4Address(a.address), p) === networkAddress(parseIpv4Address(b.address), p);
}

export function cidrContains(net: Cidr, address: string): boolean {
  return cidrOverlaps(net, { address, prefix: 32 }) && net.prefix <= 32;
}

const LINK_LOCAL: Cidr = { address: '169.254.0.0', prefix: 16 };
const LOOPBACK: Cidr = { address: '127.0.0.0', prefix: 8 };
const MULTICAST: Cidr = { address: '224.0.0.0', prefix: 3 };

/** Subnets the proxy namespace may use (a /30 each), first free one wins. */
const PROXY_CANDIDATES: readonly Cidr[] = [
  { address: '192.168.254.0', prefix: 30 },
  { address: '172.31.254.0', prefix: 30 },
  { address: '10.254.254.0', prefix: 30 },
];

function nicCidr(nic: LabNic): Cidr {
  return { address: nic.subnet, prefix: nic.prefix };
}

/** Refuses NIC sets that cannot be one VM's network: overlapping subnets, reserved ranges, duplicates. */
export function checkNicCollisions(nics: readonly LabNic[]): void {
  const seenIps = new Map<string, string>();
  const seenMacs = new Map<string, string>();
  nics.forEach((nic, i) => {
    const where = `interface[${nic.index}] (${nic.device})`;
    const cidr = nicCidr(nic);
    for (const [label, reserved] of [['link-local 169.254.0.0/16', LINK_LOCAL], ['loopback 127.0.0.0/8', LOOPBACK], ['multicast 224.0.0.0/3', MULTICAST]] as const) {
      if (cidrOverlaps(cidr, reserved)) throw new LabError('ERR_LAB_COLLISION', `${where}: subnet ${nic.subnet}/${nic.prefix} overlaps ${label}`);
    }
    if (cidrContains(cidr, WIRESERVER_ADDRESS)) {
      throw new LabError('ERR_LAB_COLLISION', `${where}: subnet ${nic.subnet}/${nic.prefix} contains the wireserver address ${WIRESERVER_ADDRESS}`);
    }
    for (const other of nics.slice(0, i)) {
      if (cidrOverlaps(cidr, nicCidr(other))) {
        throw new LabError(
          'ERR_LAB_COLLISION',
          `${where}: subnet ${nic.subnet}/${nic.prefix} overlaps ${other.device}'s ${other.subnet}/${other.prefix} (each NIC needs its own subnet)`,
        );
      }
    }
    for (const ip of nic.ips) {
      const previous = seenIps.get(ip);
      if (previous) throw new LabError('ERR_LAB_COLLISION', `${where}: address ${ip} is already used by ${previous}`);
      seenIps.set(ip, where);
    }
    const macOwner = seenMacs.get(nic.mac);
    if (macOwner) throw new LabError('ERR_LAB_COLLISION', `${where}: MAC ${nic.mac} is already used by ${macOwner}`);
    seenMacs.set(nic.mac, where);
  });
}

function freeSubnet(taken: readonly Cidr[], candidates: Iterable<Cidr>): Cidr | undefined {
  for (const c of candidates) {
    if (!taken.some((t) => cidrOverlaps(c, t)) && !cidrOverlaps(c, LINK_LOCAL)) return c;
  }
  return undefined;
}

function* slash24After(start: string): Generator<Cidr> {
  const base = networkAddress(parseIpv4Address(start), 24);
  for (let k = 1; k < 256; k++) yield { address: formatIpv4Address((base + k * 256) >>> 0), prefix: 24 };
}

function bumpMac(mac: string, by: number): string {
  const bytes = mac.split(':').map((h) => parseInt(h, 16));
  bytes[5] = (bytes[5]! + by) & 0xff;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Returns `nics` extended to `count` NICs; extra NICs get the next free /24 after the primary's, .4 as IP. */
export function ensureNicCount(nics: readonly LabNic[], count: number): LabNic[] {
  const out = [...nics];
  while (out.length < count) {
    const taken = out.map(nicCidr);
    const subnet = freeSubnet(taken, slash24After(out[0]!.subnet));
    if (!subnet) throw new LabError('ERR_LAB_COLLISION', 'no free /24 for an extra NIC');
    const network = parseIpv4Address(subnet.address);
    let mac = bumpMac(out[0]!.mac, out.length);
    while (out.some((n) => n.mac === mac)) mac = bumpMac(mac, 1);
    out.push({
      index: out.length,
      device: `eth${out.length}`,
      mac,
      ips: [formatIpv4Address(network + 4)],
      subnet: subnet.address,
      prefix: 24,
      gateway: formatIpv4Address(network + 1),
      synthesized: true,
    });
  }
  return out;
}

/** Returns the NIC with at least `count` IPs; extra IPs are the next free host addresses after the primary IP. */
export function ensureIpCount(nic: LabNic, count: number): LabNic {
  const ips = [...nic.ips];
  const network = parseIpv4Address(nic.subnet);
  const size = 2 ** (32 - nic.prefix);
  let candidate = parseIpv4Address(ips[0]!) + 1;
  while (ips.length < count) {
    // Azure reserves .0 (network), .1 (gateway), .2/.3 (DNS) and the broadcast address of every subnet.
    if (candidate - network >= size - 1) throw new LabError('ERR_LAB_COLLISION', `no free address left in ${nic.subnet}/${nic.prefix} for a secondary IP`);
    const text = formatIpv4Address(candidate);
    if (candidate - network >= 4 && !ips.includes(text)) ips.push(text);
    candidate++;
  }
  return { ...nic, ips };
}

/** The proxy namespace's /30 (host side .1, proxy .2), chosen so it overlaps no NIC subnet. */
export function proxySubnet(nics: readonly LabNic[]): { readonly hostIp: string; readonly proxyIp: string; readonly prefix: number } {
  const subnet = freeSubnet(nics.map(nicCidr), PROXY_CANDIDATES);
  if (!subnet) throw new LabError('ERR_LAB_COLLISION', `every proxy subnet candidate overlaps a NIC subnet (${PROXY_CANDIDATES.map((c) => `${c.address}/${c.prefix}`).join(', ')})`);
  const network = parseIpv4Address(subnet.address);
  return { hostIp: formatIpv4Address(network + 1), proxyIp: formatIpv4Address(network + 2), prefix: subnet.prefix };
}
