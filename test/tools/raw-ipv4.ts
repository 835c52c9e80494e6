// Test-only builders and readers of raw IPv4/UDP/ICMP packets (independent of src/wire, so link tests stand alone).
import { parseIpv4Address, formatIpv4Address } from '../../src/util/ipv4-address.ts';

/** RFC 1071 Internet checksum over `bytes`, starting from a partial `sum`. */
export function internetChecksum(bytes: Uint8Array, sum = 0): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ipv4Packet(options: { src: string; dst: string; protocol: number; payload: Uint8Array; ttl?: number; id?: number }): Uint8Array {
  const packet = new Uint8Array(20 + options.payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  view.setUint16(4, options.id ?? 0);
  view.setUint16(6, 0x4000); // DF
  packet[8] = options.ttl ?? 64;
  packet[9] = options.protocol;
  view.setUint32(12, parseIpv4Address(options.src));
  view.setUint32(16, parseIpv4Address(options.dst));
  view.setUint16(10, internetChecksum(packet.subarray(0, 20)));
  packet.set(options.payload, 20);
  return packet;
}

export function udpPacket(options: { src: string; dst: string; srcPort: number; dstPort: number; data: Uint8Array; id?: number }): Uint8Array {
  const udp = new Uint8Array(8 + options.data.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, options.srcPort);
  view.setUint16(2, options.dstPort);
  view.setUint16(4, udp.length);
  udp.set(options.data, 8);
  const pseudo = new Uint8Array(12);
  const pv = new DataView(pseudo.buffer);
  pv.setUint32(0, parseIpv4Address(options.src));
  pv.setUint32(4, parseIpv4Address(options.dst));
  pseudo[9] = 17;
  pv.setUint16(10, udp.length);
  const partial = 0xffff - internetChecksum(pseudo);
  const checksum = internetChecksum(udp, partial) || 0xffff;
  view.setUint16(6, checksum);
  return ipv4Packet({ src: options.src, dst: options.dst, protocol: 17, payload: udp, id: options.id });
}

export type ParsedIpv4 = { src: string; dst: string; protocol: number; ttl: number; headerLength: number; totalLength: number; payload: Uint8Array };

export function parseIpv4(packet: Uint8Array): ParsedIpv4 {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) throw new Error(`not an IPv4 packet (${packet.length} bytes)`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const headerLength = (packet[0]! & 15) * 4;
  const totalLength = view.getUint16(2);
  return {
    src: formatIpv4Address(view.getUint32(12)),
    dst: formatIpv4Address(view.getUint32(16)),
    protocol: packet[9]!,
    ttl: packet[8]!,
    headerLength,
    totalLength,
    payload: packet.subarray(headerLength, totalLength),
  };
}

export function parseUdp(payload: Uint8Array): { srcPort: number; dstPort: number; data: Uint8Array } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { srcPort: view.getUint16(0), dstPort: view.getUint16(2), data: payload.subarray(8, view.getUint16(4)) };
}

/** Turns an ICMP echo request (as read from a TUN) into the matching echo reply. */
export function echoReplyFor(request: Uint8Array): Uint8Array | undefined {
  const ip = parseIpv4(request);
  if (ip.protocol !== 1 || ip.payload[0] !== 8) return undefined;
  const icmp = ip.payload.slice();
  icmp[0] = 0; // echo reply
  icmp[2] = 0;
  icmp[3] = 0;
  const checksum = internetChecksum(icmp);
  icmp[2] = checksum >> 8;
  icmp[3] = checksum & 255;
  return ipv4Packet({ src: ip.dst, dst: ip.src, protocol: 1, payload: icmp });
}
