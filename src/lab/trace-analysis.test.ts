// Trace analysis over synthetic packets (built with the wire codecs): handshake, SYN retries, duplicate
// sightings on two interfaces, HTTP status and the request-log rule; the Linux cooked v2 frame decoder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { IcmpUnreachableCode } from '../wire/icmp.ts';
import { buildIcmpUnreachablePacket, buildTcpPacket } from '../wire/packet.ts';
import { NO_TCP_OPTIONS } from '../wire/tcp-options.ts';
import { TcpFlags } from '../wire/tcp-segment.ts';
import { decodeFrame, LINKTYPE } from './pcap-read.ts';
import { analyzeTrace, parseRequestLog, type CapturedPacket } from './trace-analysis.ts';
import { formatTrace } from './trace-format.ts';

const VM = parseIpv4Address('10.1.0.4');
const IMDS = parseIpv4Address('169.254.169.254');

function packet(timeUs: number, ifindex: number, toServer: boolean, seq: number, ack: number, flags: number, payload = ''): CapturedPacket {
  const ip = toServer ? { src: VM, dst: IMDS } : { src: IMDS, dst: VM };
  const segment = {
    srcPort: toServer ? 40000 : 80,
    dstPort: toServer ? 80 : 40000,
    seq,
    ack,
    flags,
    window: 64240,
    urgentPointer: 0,
    options: NO_TCP_OPTIONS,
    payload: new TextEncoder().encode(payload),
  };
  return { timeUs, ifindex, ip: buildTcpPacket(ip, segment) };
}

const LOG = '2026-01-01T00:00:00.000Z 10.1.0.4 200 handler GET /metadata/versions 1.2ms\nimds-lab: serving on http://169.254.169.254:80\n';

describe('analyzeTrace', () => {
  it('summarises one request: interface, handshake, status and rule; sightings on a second interface count once', () => {
    const packets = [
      packet(1_000_000, 2, true, 100, 0, TcpFlags.SYN),
      packet(1_000_050, 4, true, 100, 0, TcpFlags.SYN),
      packet(1_000_400, 2, false, 900, 101, TcpFlags.SYN | TcpFlags.ACK),
      packet(1_000_500, 2, true, 101, 901, TcpFlags.ACK),
      packet(1_000_600, 2, true, 101, 901, TcpFlags.ACK | TcpFlags.PSH, 'GET /metadata/versions HTTP/1.1\r\nHost: 169.254.169.254\r\nmetadata: true\r\nMetadata: false\r\n\r\nX-Forwarded-For: body'),
      packet(1_000_650, 4, true, 101, 901, TcpFlags.ACK | TcpFlags.PSH, 'GET /metadata/versions HTTP/1.1\r\nHost: 169.254.169.254\r\nmetadata: true\r\nMetadata: false\r\n\r\nX-Forwarded-For: body'),
      packet(1_002_600, 2, false, 901, 160, TcpFlags.ACK | TcpFlags.PSH, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'),
      packet(1_003_000, 2, true, 160, 940, TcpFlags.ACK | TcpFlags.FIN),
      packet(1_003_100, 2, false, 940, 161, TcpFlags.ACK | TcpFlags.FIN),
    ];
    const result = analyzeTrace(packets, parseRequestLog(LOG));
    assert.equal(result.connections.length, 1);
    const c = result.connections[0]!;
    assert.deepEqual([c.client, c.clientPort, c.synCount, c.ifindexes], ['10.1.0.4', 40000, 1, [2, 4]]);
    assert.equal(c.synAckUs! - c.firstSynUs, 400);
    assert.equal(c.ackUs! - c.firstSynUs, 500);
    assert.deepEqual(c.exchanges, [{ request: 'GET /metadata/versions', requestUs: 1_000_600, status: 200, reason: 'OK', responseUs: 1_002_600, rule: 'handler', headers: { metadata: 'true', xForwardedFor: null, userAgent: null } }]);
    assert.deepEqual(c.fins, [{ by: 'client', timeUs: 1_003_000 }, { by: 'server', timeUs: 1_003_100 }]);
    assert.deepEqual([c.synUs, c.resetBy, c.resetUs], [[1_000_000], null, null]);
    const text = formatTrace('x.pcap', result, { name: 'imds', scenario: 'healthy', fixed: false, nics: [{ device: 'eth0', ips: ['10.1.0.4'] }], proxy: null, hostInterfaces: { '2': 'nic0', '4': 'imds0' } }, 1);
    assert.match(text, /#1 10\.1\.0\.4:40000 -> 169\.254\.169\.254:80 in on nic0 -> imds0 \(VM eth0, primary NIC, primary IP\)/);
    assert.match(text, /SYN-ACK after 0\.40 ms, handshake 0\.50 ms/);
    assert.match(text, /GET \/metadata\/versions -> 200 OK after 2\.00 ms; decided by rule handler/);
  });

  it('reads the headers of a request head sent in pieces (tinyproxy sends the request line first)', () => {
    const packets = [
      packet(0, 2, true, 100, 0, TcpFlags.SYN),
      packet(300, 2, false, 900, 101, TcpFlags.SYN | TcpFlags.ACK),
      packet(400, 2, true, 101, 901, TcpFlags.ACK | TcpFlags.PSH, 'GET /metadata/instance?api-version=2021-02-01 HTTP/1.1\r\n'),
      packet(500, 2, true, 155, 901, TcpFlags.ACK | TcpFlags.PSH, 'Host: 169.254.169.254\r\nMetadata: true\r\nX-Forwarded-For: 10.1.0.4\r\n\r\n'),
      packet(600, 2, true, 230, 901, TcpFlags.ACK | TcpFlags.PSH, 'Metadata: body-not-header\r\n'),
    ];
    const [e] = analyzeTrace(packets).connections[0]!.exchanges;
    assert.deepEqual(e!.headers, { metadata: 'true', xForwardedFor: '10.1.0.4', userAgent: null });
  });

  it('counts SYN retransmissions of an unanswered connection', () => {
    const packets = [packet(0, 3, true, 7, 0, TcpFlags.SYN), packet(1_000_000, 3, true, 7, 0, TcpFlags.SYN), packet(3_000_000, 3, true, 7, 0, TcpFlags.SYN)];
    const c = analyzeTrace(packets).connections[0]!;
    assert.equal(c.synCount, 3);
    assert.deepEqual(c.synUs, [0, 1_000_000, 3_000_000]);
    assert.equal(c.synAckUs, null);
    assert.match(formatTrace('y.pcap', analyzeTrace(packets), null, null), /3 SYNs \(retransmitted\), no answer/);
  });

  it('attaches an ICMP destination-unreachable to the connection whose header it quotes, with its code and sender', () => {
    const syn = (timeUs: number, srcPort: number, dstPort = 80): CapturedPacket => ({
      timeUs,
      ifindex: 3,
      ip: buildTcpPacket({ src: VM, dst: IMDS }, { srcPort, dstPort, seq: 1, ack: 0, flags: TcpFlags.SYN, window: 64240, urgentPointer: 0, options: NO_TCP_OPTIONS, payload: new Uint8Array(0) }),
    });
    const gateway = parseIpv4Address('10.1.0.1');
    const icmp = (timeUs: number, ifindex: number, code: IcmpUnreachableCode, about: CapturedPacket): CapturedPacket => ({ timeUs, ifindex, ip: buildIcmpUnreachablePacket({ src: gateway, dst: VM, id: 1 }, code, about.ip) });
    const first = syn(0, 40000);
    const second = syn(100, 40001);
    const packets = [
      first,
      second,
      icmp(300, 3, IcmpUnreachableCode.NET, second),
      icmp(320, 5, IcmpUnreachableCode.NET, second), // the same error seen on a second interface
      icmp(400, 3, IcmpUnreachableCode.HOST, syn(0, 40000, 443)), // about port 443: not IMDS
      icmp(500, 3, IcmpUnreachableCode.HOST, syn(0, 40002)), // about a connection never seen
    ];
    const result = analyzeTrace(packets);
    assert.deepEqual(result.connections.map((c) => [c.clientPort, c.icmp]), [[40000, []], [40001, [{ timeUs: 300, from: '10.1.0.1', type: 3, code: 0 }]]]);
    assert.equal(result.skipped, 2);
    assert.equal(result.connections[1]!.packets, 2);
    const text = formatTrace('z.pcap', result, null, null);
    assert.match(text, /40001 -> 169\.254\.169\.254:80.*\n.*1 SYN, answered with ICMP destination unreachable code 0 from 10\.1\.0\.1/);
    assert.match(text, /40000 -> 169\.254\.169\.254:80.*\n.*1 SYN, no answer/);
  });

  it('skips what is not TCP to or from port 80 and what fails to parse', () => {
    const other = { ...packet(0, 1, true, 1, 0, TcpFlags.SYN) };
    const broken = { timeUs: 0, ifindex: 1, ip: new Uint8Array([0x45, 0, 0]) };
    const ssh = packet(0, 1, true, 1, 0, TcpFlags.SYN);
    ssh.ip[22] = 0;
    ssh.ip[23] = 22;
    const result = analyzeTrace([other, broken, ssh]);
    assert.equal(result.skipped, 2);
    assert.equal(result.connections.length, 1);
  });
});

describe('decodeFrame', () => {
  it('reads the interface index of a Linux cooked v2 frame', () => {
    const ip = packet(0, 0, true, 1, 0, TcpFlags.SYN).ip;
    const frame = new Uint8Array(20 + ip.length);
    new DataView(frame.buffer).setUint16(0, 0x0800);
    new DataView(frame.buffer).setUint32(4, 7);
    frame.set(ip, 20);
    const decoded = decodeFrame(LINKTYPE.LINUX_SLL2, frame)!;
    assert.equal(decoded.ifindex, 7);
    assert.deepEqual([...decoded.ip], [...ip]);
    assert.equal(decodeFrame(LINKTYPE.RAW, ip)!.ifindex, null);
    frame[1] = 0xdd;
    assert.equal(decodeFrame(LINKTYPE.LINUX_SLL2, frame), null, 'not IPv4');
  });
});
