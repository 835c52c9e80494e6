// Harness for stack tests without privileges: a TcpStack on one end of a manual memory link, a scripted
// raw client on the other, a FakeClock, and builders for client segments.
import { createMemoryLinkPair, type MemoryLinkPair } from '../../src/link/memory-link.ts';
import { NO_FAULTS, type NetFaults } from '../../src/stack/net-faults.ts';
import { createSourcePolicy, type SourceReaction } from '../../src/stack/source-policy.ts';
import { TcpStack } from '../../src/stack/tcp-stack.ts';
import type { StackConnection } from '../../src/stack/stack-connection.ts';
import type { TcpConfig } from '../../src/tcp/tcp-config.ts';
import { FakeClock } from '../../src/util/clock.ts';
import { parseIpv4Address } from '../../src/util/ipv4-address.ts';
import { parseIcmp } from '../../src/wire/icmp.ts';
import { parseIpv4, type Ipv4Packet } from '../../src/wire/ipv4.ts';
import { buildTcpPacket, parseTcpPacket } from '../../src/wire/packet.ts';
import { TcpFlags, type TcpOptions, type TcpSegment } from '../../src/wire/tcp-segment.ts';

export const IMDS = parseIpv4Address('169.254.169.254');
export const VM = parseIpv4Address('10.1.0.4');
export const SECONDARY = parseIpv4Address('10.1.0.5');

export interface Received {
  readonly ip: Ipv4Packet;
  readonly tcp?: TcpSegment;
  readonly icmp?: { type: number; code: number; body: Uint8Array };
}

export function segment(fields: Partial<TcpSegment> & { flags: number }): TcpSegment {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 1000,
    ack: 0,
    window: 65535,
    urgentPointer: 0,
    options: {} as TcpOptions,
    payload: new Uint8Array(0),
    ...fields,
  };
}

export function synSegment(srcPort = 40000, seq = 1000): TcpSegment {
  return segment({ srcPort, seq, flags: TcpFlags.SYN, options: { mss: 1460 } });
}

export class StackHarness {
  readonly clock = new FakeClock();
  readonly pair: MemoryLinkPair;
  readonly stack: TcpStack;
  readonly received: Received[] = [];
  readonly accepted: StackConnection[] = [];
  /** Errors the stack handed to its unexpected-error sink; close() fails the test if any are left. */
  private readonly unexpected: unknown[] = [];

  constructor(
    options: {
      reaction?: SourceReaction;
      faults?: NetFaults;
      allowed?: number[];
      mtu?: number;
      tcpConfig?: Partial<TcpConfig>;
      maxTimeWait?: number;
      maxConnections?: number;
      maxConnectionsPerSource?: number;
      evictIdleMs?: number;
    } = {},
  ) {
    this.pair = createMemoryLinkPair({ manual: true, clock: this.clock, mtu: options.mtu ?? 1500 });
    this.stack = new TcpStack({
      link: this.pair.b,
      clock: this.clock,
      localAddress: IMDS,
      localPort: 80,
      sourcePolicy: createSourcePolicy(options.allowed ?? [VM], options.reaction ?? 'drop'),
      faults: options.faults ?? NO_FAULTS,
      isnKey: new Uint8Array(16).fill(7),
      ...(options.tcpConfig ? { tcpConfig: options.tcpConfig } : {}),
      ...(options.maxTimeWait !== undefined ? { maxTimeWait: options.maxTimeWait } : {}),
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(options.maxConnectionsPerSource !== undefined ? { maxConnectionsPerSource: options.maxConnectionsPerSource } : {}),
      ...(options.evictIdleMs !== undefined ? { evictIdleMs: options.evictIdleMs } : {}),
      onConnection: (c) => this.accepted.push(c),
      onUnexpectedError: (error) => this.unexpected.push(error),
    });
    this.pair.a.setReceiver((packet) => {
      const ip = parseIpv4(packet);
      if (ip.protocol === 1) {
        const m = parseIcmp(ip.payload);
        this.received.push({ ip, icmp: { type: m.type, code: m.code, body: m.body.slice() } });
      } else {
        this.received.push({ ip, tcp: parseTcpPacket(packet.slice()).tcp });
      }
    });
  }

  /** Sends raw packet bytes from the client side. */
  sendRaw(packet: Uint8Array): void {
    this.pair.a.send([packet]);
  }

  send(seg: TcpSegment, src = VM, dst = IMDS): void {
    this.sendRaw(buildTcpPacket({ src, dst }, seg));
  }

  /** Delivers everything queued in both directions, letting the stack's microtask flush run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      this.pair.flush();
      await new Promise((r) => setImmediate(r));
      if (this.pair.flush() === 0) {
        await new Promise((r) => setImmediate(r));
        if (this.pair.flush() === 0) return;
      }
    }
  }

  /** Advances the fake clock and settles. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settle();
  }

  /** Completes a handshake from the client side; returns the next sequence numbers of both ends. */
  async handshake(srcPort = 40000, src = VM): Promise<{ clientSeq: number; serverSeq: number }> {
    this.send(synSegment(srcPort, 1000), src);
    await this.settle();
    const synAck = this.take().find((r) => r.tcp && r.tcp.dstPort === srcPort && r.tcp.flags === (TcpFlags.SYN | TcpFlags.ACK));
    if (!synAck?.tcp) throw new Error('no SYN-ACK');
    const serverSeq = (synAck.tcp.seq + 1) >>> 0;
    this.send(segment({ srcPort, seq: 1001, ack: serverSeq, flags: TcpFlags.ACK }), src);
    await this.settle();
    return { clientSeq: 1001, serverSeq };
  }

  take(): Received[] {
    return this.received.splice(0);
  }

  /** Takes the unexpected errors seen so far (for tests that provoke one on purpose). */
  takeUnexpected(): unknown[] {
    return this.unexpected.splice(0);
  }

  close(): void {
    this.stack.close();
    this.pair.close();
    if (this.unexpected.length > 0) throw new AggregateError(this.unexpected, `the stack reported ${this.unexpected.length} unexpected error(s)`);
  }
}
