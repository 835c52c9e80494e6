// The userspace IPv4/TCP stack for one served endpoint (169.254.169.254:80): parse each packet once,
// apply source policy and net faults, demux by 4-tuple to a Tcb or the TcpListener, send what the Tcbs
// queue in batches, and keep ONE clock timer armed at the earliest deadline.
import { randomBytes } from 'node:crypto';
import type { Link } from '../link/link.ts';
import { createIsnSource, sipHashKeyedHash } from '../tcp/isn.ts';
import { resetForClosed } from '../tcp/reset.ts';
import type { TcpCloseReason } from '../tcp/tcb-types.ts';
import { resolveTcpConfig, type TcpConfig } from '../tcp/tcp-config.ts';
import { TcpListener } from '../tcp/tcp-listener.ts';
import type { Clock, TimerId } from '../util/clock.ts';
import { formatIpv4Address } from '../util/ipv4-address.ts';
import { seededRandom, type Random } from '../util/seeded-random.ts';
import { type IcmpUnreachableCode, mayAnswerWithIcmpError } from '../wire/icmp.ts';
import type { Ipv4Packet } from '../wire/ipv4.ts';
import { buildIcmpUnreachablePacket, buildTcpPacket, parseTcpPacket } from '../wire/packet.ts';
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { WireError } from '../wire/wire-error.ts';
import { DeadlineQueue } from './deadline-queue.ts';
import { decideLoss, decideSyn, NO_FAULTS, type NetFaults } from './net-faults.ts';
import { decideSource, type SourcePolicy } from './source-policy.ts';
import { StackConnection, type ConnectionOwner } from './stack-connection.ts';
import { dropChannel, errorChannel, faultChannel, tcpChannel } from './stack-diagnostics.ts';
import { DropReason, StackStats } from './stack-stats.ts';

export interface TcpStackOptions {
  readonly link: Link;
  readonly clock: Clock;
  /** Served address (unsigned 32-bit) and port: 169.254.169.254:80 for IMDS. */
  readonly localAddress: number;
  readonly localPort: number;
  readonly sourcePolicy: SourcePolicy;
  /** Faults for every source without its own entry in faultsBySource. */
  readonly faults?: NetFaults;
  /** Per-VM faults keyed by the VM's primary IP. */
  readonly faultsBySource?: ReadonlyMap<number, NetFaults>;
  readonly tcpConfig?: Partial<TcpConfig>;
  /** 16 secret bytes for RFC 6528 ISNs; random by default (fixed in tests for determinism). */
  readonly isnKey?: Uint8Array;
  /** Upper bound on connections in the table; further SYNs are dropped. Default 65536. */
  readonly maxConnections?: number;
  /** Receives each connection once its handshake completes (stalled connections are withheld). */
  readonly onConnection?: (connection: StackConnection) => void;
}

type TimerTask = StackConnection | (() => void);

/** Connection table key: remote address and port (the local end is the one served endpoint). */
function tupleKey(remoteAddress: number, remotePort: number): number {
  return remoteAddress * 65536 + remotePort;
}

export class TcpStack implements ConnectionOwner {
  readonly stats = new StackStats();
  readonly localAddress: number;
  readonly localPort: number;
  private readonly link: Link;
  private readonly clock: Clock;
  private readonly listener: TcpListener;
  private readonly connections = new Map<number, StackConnection>();
  private readonly pendingSyns = new Map<number, number>();
  private readonly queue = new DeadlineQueue<TimerTask>();
  private readonly maxConnections: number;
  private sourcePolicy: SourcePolicy;
  private defaultFaults: NetFaults;
  private faultsBySource: Map<number, NetFaults>;
  private readonly randoms = new Map<number, Random>();
  private onConnection: ((connection: StackConnection) => void) | undefined;
  private outgoing: Uint8Array[] = [];
  private flushScheduled = false;
  private timer: TimerId | undefined;
  private timerAt = Infinity;
  private ipId = 0;
  private closed = false;
  private readonly flushBound = (): void => this.flush();
  private readonly onTimerBound = (): void => this.onClockTimer();

  constructor(options: TcpStackOptions) {
    this.link = options.link;
    this.clock = options.clock;
    this.localAddress = options.localAddress >>> 0;
    this.localPort = options.localPort;
    this.sourcePolicy = options.sourcePolicy;
    this.defaultFaults = options.faults ?? NO_FAULTS;
    this.faultsBySource = new Map(options.faultsBySource ?? []);
    this.maxConnections = options.maxConnections ?? 65536;
    this.onConnection = options.onConnection;
    const config: TcpConfig = resolveTcpConfig({ mss: Math.max(64, this.link.mtu - 40), ...options.tcpConfig });
    this.listener = new TcpListener({
      localAddress: this.localAddress,
      localPort: this.localPort,
      isn: createIsnSource(sipHashKeyedHash(options.isnKey ?? randomBytes(16))),
      config,
    });
    this.link.setReceiver((packet) => this.ingest(packet));
  }

  /** Installs the acceptor (TcpServer) of established connections. */
  setConnectionHandler(handler: ((connection: StackConnection) => void) | undefined): void {
    this.onConnection = handler;
  }

  setSourcePolicy(policy: SourcePolicy): void {
    this.sourcePolicy = policy;
  }

  /** Replaces the faults of one VM (by primary IP) or, with `source` undefined, the default. */
  setFaults(faults: NetFaults, source?: number): void {
    if (source === undefined) {
      this.defaultFaults = faults;
      this.randoms.clear();
    } else {
      this.faultsBySource.set(source >>> 0, faults);
      this.randoms.delete(source >>> 0);
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  now(): number {
    return this.clock.now();
  }

  /** One packet from the link. Never throws: malformed packets are counted and dropped. */
  ingest(packet: Uint8Array): void {
    if (this.closed) return;
    this.stats.packetsIn++;
    this.stats.bytesIn += packet.length;
    try {
      this.process(packet);
    } catch (error) {
      if (error instanceof WireError) this.drop(error.code);
      else {
        this.drop(DropReason.INTERNAL);
        if (errorChannel.hasSubscribers) errorChannel.publish({ error });
      }
    }
    this.scheduleFlush();
  }

  private process(packet: Uint8Array): void {
    const { ip, tcp } = parseTcpPacket(packet);
    if (ip.dst !== this.localAddress) return this.drop(DropReason.NOT_FOR_US, ip.src);
    const source = decideSource(this.sourcePolicy, ip.src);
    if (source !== 'accept') {
      this.drop(DropReason.SOURCE_POLICY, ip.src);
      if (source === 'rst') this.sendReset(ip, tcp);
      else if (source === 'icmp') this.sendIcmp(ip, packet, 13);
      return;
    }
    const faults = this.faultsBySource.get(ip.src) ?? this.defaultFaults;
    if (faults.inboundLoss > 0 && decideLoss(faults.inboundLoss, this.randomFor(ip.src, faults))) {
      return this.drop(DropReason.FAULT_LOSS_IN, ip.src);
    }
    if (tcp.dstPort !== this.localPort) return this.sendReset(ip, tcp);
    // The link may reuse its receive buffer after we return: the Tcb gets its own copy of the payload.
    const segment = tcp.payload.length > 0 ? { ...tcp, payload: tcp.payload.slice() } : tcp;
    const key = tupleKey(ip.src, tcp.srcPort);
    const connection = this.connections.get(key);
    if (connection !== undefined) {
      const verdict = connection.tcb.handleSegment(segment, this.clock.now());
      this.service(connection);
      if (verdict !== 'reuse') return;
    }
    this.toListener(ip, packet, segment, key, faults);
  }

  /** A segment for no connection: new SYNs pass the fault plan, everything else the listener. */
  private toListener(ip: Ipv4Packet, packet: Uint8Array, segment: TcpSegment, key: number, faults: NetFaults): void {
    const isSyn = (segment.flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === TcpFlags.SYN;
    if (isSyn) {
      if (this.pendingSyns.has(key)) return this.drop(DropReason.SYN_PENDING, ip.src);
      if (this.connections.size >= this.maxConnections) return this.drop(DropReason.TABLE_FULL, ip.src);
      const decision = decideSyn(faults, this.randomFor(ip.src, faults));
      if (decision.action !== 'accept') this.publishFault(`syn-${decision.action}`, ip.src, segment.srcPort);
      else if (decision.delayMs > 0) this.publishFault('delay-synack', ip.src, segment.srcPort, decision.delayMs);
      switch (decision.action) {
        case 'drop':
          return this.drop(DropReason.FAULT_SYN_DROP, ip.src);
        case 'rst':
          return this.sendReset(ip, segment);
        case 'icmp':
          return this.sendIcmp(ip, packet, decision.code as IcmpUnreachableCode);
        case 'accept':
          if (decision.delayMs > 0) {
            const at = this.clock.now() + decision.delayMs;
            this.pendingSyns.set(key, at);
            this.schedule(at, () => {
              this.pendingSyns.delete(key);
              if (!this.connections.has(key)) this.listen(ip.src, segment, key, faults);
            });
            return;
          }
      }
    }
    this.listen(ip.src, segment, key, faults);
  }

  private listen(remoteAddress: number, segment: TcpSegment, key: number, faults: NetFaults): void {
    const connection = new StackConnection(this, key, {
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress,
      remotePort: segment.srcPort,
    });
    const verdict = this.listener.handleSegment(segment, remoteAddress, this.clock.now(), connection);
    switch (verdict.kind) {
      case 'accepted': {
        connection.tcb = verdict.tcb;
        connection.stalled = faults.stall;
        const random = this.randomFor(remoteAddress, faults);
        const d = faults.firstByteDelay;
        connection.firstByteDelayMs = d.ms + (d.jitterMs > 0 ? Math.floor(random() * d.jitterMs) : 0);
        this.connections.set(key, connection);
        this.stats.connectionsOpened++;
        this.stats.connectionsActive++;
        this.service(connection);
        return;
      }
      case 'reply':
        return this.sendSegment(remoteAddress, verdict.segment, true);
      case 'dropped':
        return this.drop(`listener-${verdict.reason === 'backlog-full' ? 'backlog-full' : verdict.reason}`, remoteAddress);
    }
  }

  // ConnectionOwner
  service(connection: StackConnection): void {
    if (connection.tcb === undefined) return;
    const segments = connection.tcb.takeOutgoing();
    if (segments.length > 0) {
      for (let i = 0; i < segments.length; i++) this.sendSegment(connection.remoteAddress, segments[i]!, false);
      this.scheduleFlush();
    }
    if (connection.isClosed) return;
    const at = connection.tcb.pollAt();
    if (at !== undefined && (connection.scheduledAt === undefined || at < connection.scheduledAt)) {
      connection.scheduledAt = at;
      this.schedule(at, connection);
    }
  }

  connectionEstablished(connection: StackConnection): void {
    this.stats.connectionsEstablished++;
    if (tcpChannel.hasSubscribers) tcpChannel.publish(this.tupleMessage('open', connection));
    if (connection.stalled) {
      this.publishFault('stall', connection.remoteAddress, connection.remotePort);
      return;
    }
    this.onConnection?.(connection);
  }

  connectionClosed(connection: StackConnection, reason: TcpCloseReason): void {
    if (this.connections.get(connection.key) === connection) this.connections.delete(connection.key);
    this.stats.connectionsActive--;
    this.stats.connectionClosed(reason);
    if (tcpChannel.hasSubscribers) tcpChannel.publish({ ...this.tupleMessage('close', connection), reason });
  }

  private tupleMessage(event: 'open' | 'close', c: StackConnection): { event: 'open' | 'close'; localAddress: string; localPort: number; remoteAddress: string; remotePort: number } {
    return { event, localAddress: c.localAddressText, localPort: c.localPort, remoteAddress: c.remoteAddressText, remotePort: c.remotePort };
  }

  private randomFor(source: number, faults: NetFaults): Random {
    let random = this.randoms.get(source);
    if (random === undefined) {
      random = seededRandom((faults.seed ^ source) >>> 0);
      this.randoms.set(source, random);
    }
    return random;
  }

  private drop(reason: string, source?: number): void {
    this.stats.drop(reason);
    if (dropChannel.hasSubscribers) {
      dropChannel.publish(source === undefined ? { reason } : { reason, remoteAddress: formatIpv4Address(source) });
    }
  }

  private publishFault(fault: string, remote: number, port: number, delayMs?: number): void {
    if (faultChannel.hasSubscribers) {
      faultChannel.publish({ fault, remoteAddress: formatIpv4Address(remote), remotePort: port, delayMs });
    }
  }

  /** RFC 9293 §3.10.7.1: a segment for a closed port or unknown connection gets a RST (never for a RST). */
  private sendReset(ip: Ipv4Packet, segment: TcpSegment): void {
    const reply = resetForClosed(segment);
    if (reply !== undefined) this.sendSegment(ip.src, reply, true);
  }

  private sendIcmp(ip: Ipv4Packet, packet: Uint8Array, code: IcmpUnreachableCode): void {
    if (!mayAnswerWithIcmpError(ip)) return;
    this.outgoing.push(buildIcmpUnreachablePacket({ src: this.localAddress, dst: ip.src, id: this.nextId() }, code, packet));
    this.stats.icmpSent++;
  }

  private sendSegment(remoteAddress: number, segment: TcpSegment, isReset: boolean): void {
    const faults = this.faultsBySource.get(remoteAddress) ?? this.defaultFaults;
    if (faults.outboundLoss > 0 && decideLoss(faults.outboundLoss, this.randomFor(remoteAddress, faults))) {
      this.drop(DropReason.FAULT_LOSS_OUT, remoteAddress);
      return;
    }
    if (isReset || segment.flags & TcpFlags.RST) this.stats.resetsSent++;
    this.outgoing.push(buildTcpPacket({ src: this.localAddress, dst: remoteAddress, id: this.nextId() }, segment));
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.outgoing.length === 0) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushBound);
  }

  /** Sends every queued packet in one batch. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.outgoing;
    if (batch.length === 0 || this.closed) return;
    this.outgoing = [];
    this.stats.packetsOut += batch.length;
    for (let i = 0; i < batch.length; i++) this.stats.bytesOut += batch[i]!.length;
    this.link.send(batch);
  }

  private schedule(at: number, task: TimerTask): void {
    this.queue.push(at, task);
    if (at < this.timerAt) this.armClock(at);
  }

  private armClock(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onTimerBound, Math.max(0, Math.ceil(at - this.clock.now())));
  }

  private onClockTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    this.stats.timerFirings++;
    const now = this.clock.now();
    for (;;) {
      const task = this.queue.popDue(now);
      if (task === undefined) break;
      try {
        if (typeof task === 'function') task();
        else this.runConnectionTimer(task, now);
      } catch (error) {
        this.drop(DropReason.INTERNAL);
        if (errorChannel.hasSubscribers) errorChannel.publish({ error });
      }
    }
    const next = this.queue.peek();
    if (next !== undefined) this.armClock(next);
    this.scheduleFlush();
  }

  scheduleHold(connection: StackConnection, at: number): void {
    this.schedule(at, () => connection.holdExpired(this.clock.now()));
  }

  private runConnectionTimer(connection: StackConnection, now: number): void {
    if (connection.isClosed) return;
    if (connection.scheduledAt === undefined || connection.scheduledAt > now) return;
    connection.scheduledAt = undefined;
    connection.tcb.onTimer(now);
    this.service(connection);
  }

  /** Stops the timer, aborts every connection (RST) and detaches from the link (the link is the caller's). */
  close(): void {
    if (this.closed) return;
    for (const connection of [...this.connections.values()]) connection.abort();
    this.flush();
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.clear();
    this.link.setReceiver(() => {});
  }
}
