// A tiny client host for memory-link tests: active-open Tcbs (Tcb.connect, src/tcp/tcb.ts) behind a Link, each
// wrapped in the same TcpSocket, so node:http can run as the client (http.request createConnection).
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Link } from '../../src/link/link.ts';
import { TcpSocket } from '../../src/net/tcp-socket.ts';
import { StackConnection, type ConnectionOwner } from '../../src/stack/stack-connection.ts';
import { Tcb } from '../../src/tcp/tcb.ts';
import type { TcpCloseReason } from '../../src/tcp/tcb-types.ts';
import { resolveTcpConfig, type TcpConfig } from '../../src/tcp/tcp-config.ts';
import type { Clock, TimerId } from '../../src/util/clock.ts';
import { parseIcmp, type IcmpMessage } from '../../src/wire/icmp.ts';
import { parseIpv4 } from '../../src/wire/ipv4.ts';
import { buildTcpPacket, parseTcpPacket } from '../../src/wire/packet.ts';
import { TcpFlags, type TcpSegment } from '../../src/wire/tcp-segment.ts';
import { WireError } from '../../src/wire/wire-error.ts';

export interface ClientEvents {
  /** Every RST received (also for unknown connections). */
  resets: number;
  icmp: IcmpMessage[];
  /** SYN-ACKs received, with the time they arrived. */
  synAcks: number[];
  /** Packets that failed to parse (corrupted on the link). */
  malformed: number;
}

export class MemoryClientHost implements ConnectionOwner {
  readonly events: ClientEvents = { resets: 0, icmp: [], synAcks: [], malformed: 0 };
  private readonly link: Link;
  private readonly clock: Clock;
  private readonly address: number;
  private readonly config: TcpConfig;
  private readonly connections = new Map<number, StackConnection>();
  private readonly timers = new Map<StackConnection, TimerId>();
  private readonly establishedWaiters = new Map<StackConnection, () => void>();
  private nextPort = 40000;

  constructor(link: Link, clock: Clock, address: number, config: Partial<TcpConfig> = {}) {
    this.link = link;
    this.clock = clock;
    this.address = address >>> 0;
    this.config = resolveTcpConfig({ mss: link.mtu - 40, ...config });
    link.setReceiver((packet) => this.ingest(packet));
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Active open; the returned connection is usable at once (data waits for the handshake). */
  connect(remoteAddress: number, remotePort: number, localPort = this.nextPort++): StackConnection {
    const endpoints = { localAddress: this.address, localPort, remoteAddress: remoteAddress >>> 0, remotePort };
    const connection = new StackConnection(this, localPort, endpoints);
    connection.tcb = Tcb.connect({ endpoints, iss: (localPort * 7919) >>> 0, now: this.clock.now(), config: this.config, handler: connection });
    this.connections.set(localPort, connection);
    this.service(connection);
    return connection;
  }

  /** A TcpSocket over a fresh connection (for http.request's createConnection). */
  socket(remoteAddress: number, remotePort: number, localPort?: number): TcpSocket {
    return new TcpSocket(this.connect(remoteAddress, remotePort, localPort), { clock: this.clock, allowHalfOpen: false });
  }

  /** Resolves when the handshake completes. */
  established(connection: StackConnection): Promise<void> {
    return new Promise((resolve) => this.establishedWaiters.set(connection, resolve));
  }

  now(): number {
    return this.clock.now();
  }

  service(connection: StackConnection): void {
    const segments = connection.tcb.takeOutgoing();
    if (segments.length > 0) {
      this.link.send(segments.map((s: TcpSegment) => buildTcpPacket({ src: this.address, dst: connection.remoteAddress }, s)));
    }
    const old = this.timers.get(connection);
    if (old !== undefined) this.clock.clearTimeout(old);
    this.timers.delete(connection);
    if (connection.isClosed) return;
    const at = connection.tcb.pollAt();
    if (at !== undefined) {
      this.timers.set(
        connection,
        this.clock.setTimeout(() => {
          this.timers.delete(connection);
          connection.tcb.onTimer(this.clock.now());
          this.service(connection);
        }, Math.max(0, Math.ceil(at - this.clock.now()))),
      );
    }
  }

  connectionEstablished(connection: StackConnection): void {
    this.establishedWaiters.get(connection)?.();
    this.establishedWaiters.delete(connection);
  }

  connectionClosed(connection: StackConnection, _reason: TcpCloseReason): void {
    this.connections.delete(connection.key);
    const timer = this.timers.get(connection);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.timers.delete(connection);
  }

  scheduleHold(connection: StackConnection, at: number): void {
    this.clock.setTimeout(() => connection.holdExpired(this.clock.now()), Math.max(0, at - this.clock.now()));
  }

  private ingest(packet: Uint8Array): void {
    try {
      this.process(packet);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.events.malformed++;
    }
  }

  private process(packet: Uint8Array): void {
    const ip = parseIpv4(packet);
    if (ip.protocol === 1) {
      this.events.icmp.push(parseIcmp(ip.payload));
      return;
    }
    const { tcp } = parseTcpPacket(packet);
    if (tcp.flags & TcpFlags.RST) this.events.resets++;
    if ((tcp.flags & (TcpFlags.SYN | TcpFlags.ACK)) === (TcpFlags.SYN | TcpFlags.ACK)) this.events.synAcks.push(this.clock.now());
    const connection = this.connections.get(tcp.dstPort);
    if (connection === undefined) return;
    const segment = tcp.payload.length > 0 ? { ...tcp, payload: tcp.payload.slice() } : tcp;
    connection.tcb.handleSegment(segment, this.clock.now());
    this.service(connection);
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One HTTP request over a new userspace-TCP connection from `host`. */
export function httpRequestOver(
  host: MemoryClientHost,
  remoteAddress: number,
  remotePort: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: options.method ?? 'GET',
        path,
        headers: { host: '169.254.169.254', ...options.headers },
        createConnection: () => host.socket(remoteAddress, remotePort) as unknown as Socket,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.end(options.body);
  });
}
