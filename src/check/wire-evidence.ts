// SYN evidence from the lab's capture (tcpdump in the host namespace, in front of the userspace stack, so
// SYNs a network fault drops are counted too): every SYN to IMDS port 80, its time and its connection.
import { readPcap } from '../lab/pcap-read.ts';
import type { CapturedPacket } from '../lab/trace-analysis.ts';
import { formatIpv4Address } from '../util/ipv4-address.ts';
import { parseTcpPacket } from '../wire/packet.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import type { ReportSyns } from './check-report.ts';

export const NO_SYNS: ReportSyns = { count: 0, connections: 0, atMs: [] };

/**
 * The SYNs (not SYN-ACKs) to port 80 among captured packets, timed in ms since `startWallMs`. A SYN seen again
 * within 200 ms on the same 4-tuple is the same SYN on a second interface (nic0, then the TUN); later ones are
 * the client's retransmissions (RFC 6298 backoff: 1, 2, 4 … s). Connections are distinct client ports.
 */
export function synsFromPackets(packets: readonly CapturedPacket[], startWallMs: number): ReportSyns {
  const lastSeen = new Map<string, number>();
  const atMs: number[] = [];
  for (const packet of packets) {
    let parsed;
    try {
      parsed = parseTcpPacket(packet.ip);
    } catch {
      continue;
    }
    const { ip, tcp } = parsed;
    if (tcp.dstPort !== 80 || (tcp.flags & TcpFlags.SYN) === 0 || (tcp.flags & TcpFlags.ACK) !== 0) continue;
    const key = `${formatIpv4Address(ip.src)}:${tcp.srcPort}`;
    const previous = lastSeen.get(key);
    lastSeen.set(key, packet.timeUs);
    if (previous !== undefined && packet.timeUs - previous <= 200_000) continue;
    atMs.push(Math.round(packet.timeUs / 1000 - startWallMs));
  }
  return { count: atMs.length, connections: lastSeen.size, atMs: atMs.sort((a, b) => a - b) };
}

export async function synsFromCapture(pcapFile: string, startWallMs: number): Promise<ReportSyns> {
  const { packets } = await readPcap(pcapFile);
  return synsFromPackets(packets, startWallMs);
}
