// Explains captured IMDS traffic per TCP connection (pure: packets in, summaries out): client address and
// the interface it arrived on, SYN retries, handshake timing, HTTP requests and statuses, and the
// responder's request-log rule for each request, ICMP destination-unreachable errors quoting the connection's
// packets (RFC 792). Packets are parsed with the wire/ codecs.
import { formatIpv4Address } from '../util/ipv4-address.ts';
import { readU16, readU32 } from '../wire/byte-order.ts';
import { IcmpType, parseIcmp } from '../wire/icmp.ts';
import { parseIpv4 } from '../wire/ipv4.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { parseTcpPacket } from '../wire/packet.ts';

export interface CapturedPacket {
  /** Capture time in microseconds. */
  readonly timeUs: number;
  /** Interface index (Linux cooked v2 captures), null when the capture has none. */
  readonly ifindex: number | null;
  /** The IPv4 datagram. */
  readonly ip: Uint8Array;
}

export interface RequestLogLine {
  readonly time: string;
  readonly remoteAddress: string;
  readonly status: number;
  readonly rule: string;
  readonly method: string;
  readonly target: string;
}

export interface TraceExchange {
  readonly request: string;
  readonly requestUs: number;
  readonly status: number | null;
  readonly reason: string;
  readonly responseUs: number | null;
  readonly rule: string | null;
  /** Request headers that decide IMDS rules (null when absent from the captured request). */
  readonly headers: { readonly metadata: string | null; readonly xForwardedFor: string | null; readonly userAgent: string | null };
}

export interface TraceConnection {
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  /** Interface indexes the client's packets were seen on, first sighting first. */
  readonly ifindexes: readonly number[];
  readonly firstSynUs: number;
  readonly synCount: number;
  /** Capture time of each SYN the client sent (the first and its retransmissions). */
  readonly synUs: readonly number[];
  readonly synAckUs: number | null;
  readonly ackUs: number | null;
  readonly resetBy: 'client' | 'server' | null;
  readonly resetUs: number | null;
  /** FIN segments, first sighting of each side's. */
  readonly fins: readonly { readonly by: 'client' | 'server'; readonly timeUs: number }[];
  readonly exchanges: readonly TraceExchange[];
  /** ICMP destination-unreachable errors (RFC 792 type 3) whose quoted header is one of the client's packets. */
  readonly icmp: readonly TraceIcmpError[];
  readonly packets: number;
}

export interface TraceIcmpError {
  readonly timeUs: number;
  /** Who sent the error (the responder's stack answers as 169.254.169.254; a router answers as itself). */
  readonly from: string;
  readonly type: number;
  readonly code: number;
}

export interface TraceResult {
  readonly connections: readonly TraceConnection[];
  readonly packets: number;
  /** Packets that were not IPv4/TCP to or from port 80 (nor an ICMP error about such a connection), or failed to parse. */
  readonly skipped: number;
}

const REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) (\S+) HTTP\/1\.[01]\r?$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) ?(.*?)\r?$/;
const LOG_LINE = /^(\S+) (\d+\.\d+\.\d+\.\d+) (\d{3}) (\S+) ([A-Z]+) (\S+) [\d.]+ms$/;

/** Parses `serve --log-requests` lines (other lines are ignored). */
export function parseRequestLog(text: string): RequestLogLine[] {
  const out: RequestLogLine[] = [];
  for (const line of text.split('\n')) {
    const m = LOG_LINE.exec(line.trim());
    if (m) out.push({ time: m[1]!, remoteAddress: m[2]!, status: Number(m[3]), rule: m[4]!, method: m[5]!, target: m[6]! });
  }
  return out;
}

/** The rule-deciding headers of a request head (first header of each name; lines after the blank line ignored). */
function requestHeaders(lines: readonly string[]): TraceExchange['headers'] {
  const found = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const text = line.replace(/\r$/, '');
    if (text === '') break;
    const colon = text.indexOf(':');
    if (colon <= 0) continue;
    const name = text.slice(0, colon).trim().toLowerCase();
    if (!found.has(name)) found.set(name, text.slice(colon + 1).trim());
  }
  return { metadata: found.get('metadata') ?? null, xForwardedFor: found.get('x-forwarded-for') ?? null, userAgent: found.get('user-agent') ?? null };
}

interface Building {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  ifindexes: number[];
  firstSynUs: number;
  synCount: number;
  synUs: number[];
  synAckUs: number | null;
  ackUs: number | null;
  resetBy: 'client' | 'server' | null;
  resetUs: number | null;
  fins: { by: 'client' | 'server'; timeUs: number }[];
  icmp: TraceIcmpError[];
  exchanges: { request: string; requestUs: number; status: number | null; reason: string; responseUs: number | null; rule: string | null; headers: TraceExchange['headers'] }[];
  packets: number;
  seen: Set<string>;
  lastSynUs: number | null;
  /** The head of the last request while its blank line has not been seen (a proxy may send it in pieces). */
  head: string | null;
}

/** The connection an ICMP destination-unreachable quotes (RFC 792: IP header + first 8 data bytes), or null. */
function icmpAbout(ip: Uint8Array): { error: Omit<TraceIcmpError, 'timeUs'>; key: string; serverPort: number } | null {
  let outer;
  try {
    outer = parseIpv4(ip);
    if (outer.protocol !== 1) return null;
    const icmp = parseIcmp(outer.payload);
    if (icmp.type !== IcmpType.DESTINATION_UNREACHABLE) return null;
    const q = icmp.body;
    const ihl = ((q[0] ?? 0) & 0x0f) * 4;
    if (q.length < ihl + 4 || ihl < 20 || q[0]! >>> 4 !== 4 || q[9] !== 6) return null;
    const key = `${formatIpv4Address(readU32(q, 12))}:${readU16(q, ihl)}>${formatIpv4Address(readU32(q, 16))}`;
    return { error: { from: formatIpv4Address(outer.src), type: icmp.type, code: icmp.code }, key, serverPort: readU16(q, ihl + 2) };
  } catch {
    return null;
  }
}

export function analyzeTrace(packets: readonly CapturedPacket[], requestLog: readonly RequestLogLine[] = [], serverPort = 80): TraceResult {
  const connections = new Map<string, Building>();
  const order: Building[] = [];
  let skipped = 0;
  for (const packet of packets) {
    let parsed;
    try {
      parsed = parseTcpPacket(packet.ip);
    } catch {
      const about = icmpAbout(packet.ip);
      const c = about && about.serverPort === serverPort ? connections.get(about.key) : undefined;
      if (about && c) {
        // The same error seen on two interfaces (within 200 ms) counts once.
        const last = c.icmp.at(-1);
        if (!last || last.code !== about.error.code || packet.timeUs - last.timeUs > 200_000) {
          c.icmp.push({ timeUs: packet.timeUs, ...about.error });
          c.packets++;
        }
      } else skipped++;
      continue;
    }
    const { ip, tcp } = parsed;
    const toServer = tcp.dstPort === serverPort;
    if (!toServer && tcp.srcPort !== serverPort) {
      skipped++;
      continue;
    }
    const client = formatIpv4Address(toServer ? ip.src : ip.dst);
    const clientPort = toServer ? tcp.srcPort : tcp.dstPort;
    const server = formatIpv4Address(toServer ? ip.dst : ip.src);
    const key = `${client}:${clientPort}>${server}`;
    let c = connections.get(key);
    const syn = (tcp.flags & TcpFlags.SYN) !== 0;
    const ack = (tcp.flags & TcpFlags.ACK) !== 0;
    if (!c || (toServer && syn && !ack && c.synAckUs !== null && c.resetBy === null && c.exchanges.length > 0)) {
      // A new connection (or the port reused for a new one).
      c = { client, clientPort, server, serverPort, ifindexes: [], firstSynUs: packet.timeUs, synCount: 0, synUs: [], synAckUs: null, ackUs: null, resetBy: null, resetUs: null, fins: [], icmp: [], exchanges: [], packets: 0, seen: new Set(), lastSynUs: null, head: null };
      connections.set(key, c);
      order.push(c);
    }
    if (toServer && packet.ifindex !== null && !c.ifindexes.includes(packet.ifindex)) c.ifindexes.push(packet.ifindex);
    if (toServer && syn && !ack) {
      // A SYN seen again within 200 ms is the same SYN on a second interface (e.g. nic0, then the TUN);
      // later ones are the client's retransmissions (1 s, 2 s, 4 s … apart).
      if (c.lastSynUs === null || packet.timeUs - c.lastSynUs > 200_000) {
        c.synCount++;
        c.synUs.push(packet.timeUs);
        c.packets++;
        if (c.synCount === 1) c.firstSynUs = packet.timeUs;
      }
      c.lastSynUs = packet.timeUs;
      continue;
    }
    // The same segment seen on two interfaces counts once.
    const id = `${toServer ? '>' : '<'}${tcp.seq}|${tcp.ack}|${tcp.flags}|${tcp.payload.length}`;
    if (c.seen.has(id)) continue;
    c.seen.add(id);
    c.packets++;
    if (!toServer && syn && ack) {
      if (c.synAckUs === null) c.synAckUs = packet.timeUs;
    } else if (toServer && ack && c.synAckUs !== null && c.ackUs === null) {
      c.ackUs = packet.timeUs;
    }
    if ((tcp.flags & TcpFlags.RST) !== 0 && c.resetBy === null) {
      c.resetBy = toServer ? 'client' : 'server';
      c.resetUs = packet.timeUs;
    }
    const by = toServer ? 'client' : 'server';
    if ((tcp.flags & TcpFlags.FIN) !== 0 && !c.fins.some((f) => f.by === by)) c.fins.push({ by, timeUs: packet.timeUs });
    if (tcp.payload.length > 0) {
      const text = new TextDecoder().decode(tcp.payload.subarray(0, Math.min(tcp.payload.length, 2048)));
      const first = text.split('\n')[0]!;
      if (toServer) {
        const m = REQUEST_LINE.exec(first);
        if (m) {
          c.head = text;
          c.exchanges.push({ request: `${m[1]} ${m[2]}`, requestUs: packet.timeUs, status: null, reason: '', responseUs: null, rule: null, headers: requestHeaders(text.split('\n')) });
        } else if (c.head !== null && c.exchanges.length > 0) {
          c.head = `${c.head}${text}`.slice(0, 8192);
          c.exchanges.at(-1)!.headers = requestHeaders(c.head.split('\n'));
        }
        if (c.head !== null && /\r?\n\r?\n/.test(c.head)) c.head = null;
      } else {
        const m = STATUS_LINE.exec(first);
        const open = c.exchanges.find((e) => e.status === null);
        if (m && open) {
          open.status = Number(m[1]);
          open.reason = m[2] ?? '';
          open.responseUs = packet.timeUs;
        }
      }
    }
  }
  // Which request rule decided, from the responder's log: same client, same request, in order.
  const used = new Set<number>();
  for (const c of order) {
    for (const e of c.exchanges) {
      const index = requestLog.findIndex((l, i) => !used.has(i) && l.remoteAddress === c.client && `${l.method} ${l.target}` === e.request);
      if (index >= 0) {
        used.add(index);
        e.rule = requestLog[index]!.rule;
      }
    }
  }
  return {
    connections: order.map(({ seen: _seen, lastSynUs: _last, head: _head, ...rest }) => rest),
    packets: packets.length,
    skipped,
  };
}
