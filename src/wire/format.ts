// One-line tcpdump-style (`tcpdump -n -S`) descriptions of raw IPv4 packets for traces; never throws.
import { formatIpv4Address } from '../util/ipv4-address.ts';
import { readU16 as u16, readU32 as u32 } from './byte-order.ts';
import { IcmpUnreachableCode, parseIcmp } from './icmp.ts';
import { IpProtocol, parseIpv4 } from './ipv4.ts';
import { parseTcpPacket } from './packet.ts';
import { TcpOptionKind } from './tcp-options.ts';
import { WireError } from './wire-error.ts';

// tcpdump's order (print-tcp.c tcp_flag_values); ACK prints as '.'.
const FLAG_CHARS: readonly [number, string][] = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

export function formatTcpFlags(flags: number): string {
  let out = '';
  for (const [bit, ch] of FLAG_CHARS) if (flags & bit) out += ch;
  return out === '' ? 'none' : out;
}

/** Describes the options in b[start, end) as tcpdump does; a malformed one ends the list with "[bad opt]". */
export function formatTcpOptions(b: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL || kind === TcpOptionKind.NOP) {
      parts.push(kind === TcpOptionKind.EOL ? 'eol' : 'nop');
      i++;
      continue;
    }
    const length = i + 1 < end ? b[i + 1]! : 0;
    if (length < 2 || i + length > end) {
      parts.push('[bad opt]');
      break;
    }
    const data = i + 2;
    if (kind === TcpOptionKind.MSS && length === 4) parts.push(`mss ${u16(b, data)}`);
    else if (kind === TcpOptionKind.WINDOW_SCALE && length === 3) parts.push(`wscale ${b[data]!}`);
    else if (kind === TcpOptionKind.SACK_PERMITTED && length === 2) parts.push('sackOK');
    else if (kind === TcpOptionKind.TIMESTAMPS && length === 10) parts.push(`TS val ${u32(b, data)} ecr ${u32(b, data + 4)}`);
    else if (kind === TcpOptionKind.SACK && (length - 2) % 8 === 0) {
      let text = `sack ${(length - 2) / 8} `;
      for (let j = data; j < i + length; j += 8) text += `{${u32(b, j)}:${u32(b, j + 4)}}`;
      parts.push(text);
    } else if (kind <= TcpOptionKind.TIMESTAMPS && kind !== 6 && kind !== 7) {
      parts.push('[bad opt]');
      break;
    } else {
      let hex = '';
      for (let j = data; j < i + length; j++) hex += b[j]!.toString(16).padStart(2, '0');
      parts.push(`unknown-${kind}${hex === '' ? '' : ` 0x${hex}`}`);
    }
    i += length;
  }
  return parts.join(',');
}

const HTTP_START = /^(GET|PUT|POST|HEAD|DELETE|OPTIONS|TRACE|CONNECT|PATCH|HTTP\/\d)/;

/** tcpdump's port-80 text decoder, reduced: the first line when it looks like HTTP. */
function httpSuffix(payload: Uint8Array): string {
  let line = '';
  for (let i = 0; i < payload.length && i < 300; i++) {
    const c = payload[i]!;
    if (c === 0x0d || c === 0x0a) break;
    if (c < 0x20 || c > 0x7e) return ': HTTP';
    line += String.fromCharCode(c);
  }
  return HTTP_START.test(line) ? `: HTTP: ${line}` : ': HTTP';
}

function describeTcp(src: string, dst: string, seg: Uint8Array): string {
  if (seg.length < 20) return `${src} > ${dst}: [|tcp]`;
  const sport = u16(seg, 0);
  const dport = u16(seg, 2);
  const flags = seg[13]!;
  const seq = u32(seg, 4);
  const headerLength = (seg[12]! >>> 4) * 4;
  const head = `${src}.${sport} > ${dst}.${dport}: Flags [${formatTcpFlags(flags)}]`;
  if (headerLength < 20 || headerLength > seg.length) return `${head}, [bad hdr length ${headerLength}]`;
  const length = seg.length - headerLength;
  let text = head;
  if (length > 0 || flags & 0x07) {
    text += `, seq ${seq}`;
    if (length > 0) text += `:${(seq + length) >>> 0}`;
  }
  if (flags & 0x10) text += `, ack ${u32(seg, 8)}`;
  text += `, win ${u16(seg, 14)}`;
  if (flags & 0x20) text += `, urg ${u16(seg, 18)}`;
  if (headerLength > 20) text += `, options [${formatTcpOptions(seg, 20, headerLength)}]`;
  text += `, length ${length}`;
  if (length > 0 && (sport === 80 || dport === 80)) text += httpSuffix(seg.subarray(headerLength));
  return text;
}

const UNREACHABLE: Record<number, (host: string, proto: number, port: number) => string> = {
  [IcmpUnreachableCode.NET]: (host) => `net ${host} unreachable`,
  [IcmpUnreachableCode.HOST]: (host) => `host ${host} unreachable`,
  [IcmpUnreachableCode.PROTOCOL]: (host, proto) => `${host} protocol ${proto} unreachable`,
  [IcmpUnreachableCode.PORT]: (host, proto, port) =>
    `${host} ${proto === IpProtocol.TCP ? 'tcp' : proto === IpProtocol.UDP ? 'udp' : `proto-${proto}`} port ${port} unreachable`,
  [IcmpUnreachableCode.ADMIN_PROHIBITED]: (host) => `host ${host} unreachable - admin prohibited filter`,
};

function describeIcmp(src: string, dst: string, msg: Uint8Array): string {
  if (msg.length < 8) return `${src} > ${dst}: ICMP [|icmp]`;
  const type = msg[0]!;
  const code = msg[1]!;
  let what: string;
  if (type === 0 || type === 8) {
    what = `echo ${type === 8 ? 'request' : 'reply'}, id ${u16(msg, 4)}, seq ${u16(msg, 6)}`;
  } else if (type === 3 && msg.length >= 28 && UNREACHABLE[code] !== undefined) {
    const inner = msg.subarray(8);
    const innerHeader = (inner[0]! & 0x0f) * 4;
    const port = inner.length >= innerHeader + 4 ? u16(inner, innerHeader + 2) : 0;
    what = UNREACHABLE[code](formatIpv4Address(u32(inner, 16)), inner[9]!, port);
  } else if (type === 11) {
    what = code === 0 ? 'time exceeded in-transit' : 'ip reassembly time exceeded';
  } else {
    what = `type-#${type}`;
  }
  return `${src} > ${dst}: ICMP ${what}, length ${msg.length}`;
}

/**
 * Describes a raw IPv4 packet, e.g. `10.1.0.4.43210 > 169.254.169.254.80: Flags [S], seq 123, win 64240,
 * options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0`. A packet the parsers reject is still
 * described as far as it can be, followed by ` [ERR_CODE]`.
 */
export function formatPacket(bytes: Uint8Array): string {
  if (bytes.length < 20 || bytes[0]! >>> 4 !== 4) return `[not IPv4, ${bytes.length} bytes]`;
  const headerLength = Math.max(20, (bytes[0]! & 0x0f) * 4);
  const end = Math.min(bytes.length, Math.max(headerLength, u16(bytes, 2)));
  const body = bytes.subarray(Math.min(headerLength, end), end);
  const src = formatIpv4Address(u32(bytes, 12));
  const dst = formatIpv4Address(u32(bytes, 16));
  const protocol = bytes[9]!;
  let text: string;
  if (protocol === IpProtocol.TCP) text = describeTcp(src, dst, body);
  else if (protocol === IpProtocol.ICMP) text = describeIcmp(src, dst, body);
  else if (protocol === IpProtocol.UDP) text = `${src} > ${dst}: UDP, length ${Math.max(0, body.length - 8)}`;
  else text = `${src} > ${dst}: ip-proto-${protocol} ${body.length}`;
  const problem = validate(bytes, protocol);
  return problem === undefined ? text : `${text} [${problem}]`;
}

function validate(bytes: Uint8Array, protocol: number): string | undefined {
  try {
    if (protocol === IpProtocol.ICMP) {
      parseIcmp(parseIpv4(bytes).payload);
    } else if (protocol === IpProtocol.TCP) {
      parseTcpPacket(bytes);
    } else {
      parseIpv4(bytes);
    }
    return undefined;
  } catch (error) {
    return error instanceof WireError ? error.code : 'ERR_UNKNOWN';
  }
}
