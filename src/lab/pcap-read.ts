// Reads a pcap file (pcap-parser) into IPv4 datagrams with capture time and, for Linux cooked v2
// captures (tcpdump -i any -y LINUX_SLL2), the interface index. Also raw IPv4, cooked v1 and Ethernet.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { LabError } from './lab-error.ts';
import type { CapturedPacket } from './trace-analysis.ts';

interface PcapPacket {
  readonly header: { readonly timestampSeconds: number; readonly timestampMicroseconds: number };
  readonly data: Buffer;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(path: string): EventEmitter };

/** Link types (tcpdump.org/linktypes.html). */
export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, LINUX_SLL2: 276 } as const;

/** The IPv4 datagram and interface index inside one captured frame, or null when it is not IPv4. */
export function decodeFrame(linkType: number, data: Uint8Array): { ip: Uint8Array; ifindex: number | null } | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (linkType) {
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
      return data.length > 0 && data[0]! >> 4 === 4 ? { ip: data, ifindex: null } : null;
    case LINKTYPE.LINUX_SLL2:
      // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) addrlen(1) addr(8)
      if (data.length < 20 || view.getUint16(0) !== 0x0800) return null;
      return { ip: data.subarray(20), ifindex: view.getUint32(4) };
    case LINKTYPE.LINUX_SLL:
      if (data.length < 16 || view.getUint16(14) !== 0x0800) return null;
      return { ip: data.subarray(16), ifindex: null };
    case LINKTYPE.ETHERNET:
      if (data.length < 14 || view.getUint16(12) !== 0x0800) return null;
      return { ip: data.subarray(14), ifindex: null };
    default:
      return null;
  }
}

export function readPcap(path: string): Promise<{ linkType: number; packets: CapturedPacket[]; other: number }> {
  return new Promise((resolve, reject) => {
    let linkType = -1;
    let other = 0;
    const packets: CapturedPacket[] = [];
    const parser = pcapParser.parse(path);
    parser.on('globalHeader', (header: { linkLayerType: number }) => {
      linkType = header.linkLayerType;
      if (!(Object.values(LINKTYPE) as number[]).includes(linkType)) {
        reject(new LabError('ERR_LAB_TRACE', `${path}: link type ${linkType} is not supported (use tcpdump -i any -y LINUX_SLL2, or raw IPv4)`));
      }
    });
    parser.on('packet', (packet: PcapPacket) => {
      const frame = decodeFrame(linkType, packet.data);
      if (!frame) {
        other++;
        return;
      }
      packets.push({ timeUs: packet.header.timestampSeconds * 1e6 + packet.header.timestampMicroseconds, ifindex: frame.ifindex, ip: frame.ip });
    });
    parser.on('error', (error: Error) => reject(new LabError('ERR_LAB_TRACE', `${path}: ${error.message}`)));
    parser.on('end', () => resolve({ linkType, packets, other }));
  });
}
