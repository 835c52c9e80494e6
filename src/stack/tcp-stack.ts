// The userspace IPv4/TCP stack for one served endpoint (169.254.169.254:80): parse each packet once,
// apply source policy and net faults, demux by 4-tuple to a Tcb or the TcpListener. Outgoing packets
// are batched by PacketOutput; every deadline runs from the ONE StackTimer.
import { randomBytes } from 'node:crypto';
import type { Link } from '../link/link.ts';
import { createIsnSource, sipHashKeyedHash } from '../tcp/isn.ts';
import { createSynCookies } from '../tcp/syn-cookie.ts';
import { resetForClosed } from '../tcp/reset.ts';
import type { TcpCloseReason } from '../tcp/tcb-types.ts';
import type { Tcb } from '../tcp/tcb.ts';
import { resolveTcpConfig, type TcpConfig } from '../tcp/tcp-config.ts';
import { TcpListener, type ListenerDropReason } from '../tcp/tcp-listener.ts';
import type { Clock } from '../util/clock.ts';
import { IcmpUnreachableCode, mayAnswerWithIcmpError } from '../wire/icmp.ts';
import type { Ipv4Packet } from '../wire/ipv4.ts';
import { buildIcmpUnreachablePacket, buildTcpPacket, parseTcpPacket } from '../wire/packet.ts';
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { WireError } from '../wire/wire-error.ts';
import { FaultTable } from './fault-table.ts';
import { decideLoss, decideSyn, NO_FAULTS, type NetFaults } from './net-faults.ts';
import { decideSource, type SourcePolicy } from './source-policy.ts';
import { StackConnection, type ConnectionOwner } from './stack-connection.ts';
import { publishDrop, publishFault, publishState, publishTcp } from './stack-diagnostics.ts';
import { PacketOutput } from './packet-output.ts';
import { CallbackTask, StackTimer } from './stack-timer.ts';
import { TimeWaitTable } from './time-wait-table.ts';
import { timeWaitSegment } from '../tcp/time-wait.ts';
import { TcpState } from '../tcp/tcp-states.ts';
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
  /**
   * Upper bound on connections in the table. When it is full, a new connection evicts (RST) the least
   * recently active connection of the source holding the most, if that one was idle for evictIdleMs;
   * otherwise the SYN is dropped. Default 65536.
   */
  readonly maxConnections?: number;
  /** Connections one source (VM) may hold; past it, its own least recently active one is evicted. Default maxConnections / 4. */
  readonly maxConnectionsPerSource?: number;
  /** A connection is evicted only after this long without a segment from its peer. Default 1000 ms. */
  readonly evictIdleMs?: number;
  /** Bound on TIME-WAIT entries (small state, not connections); the oldest is recycled. Default 32768. */
  readonly maxTimeWait?: number;
  /**
   * Receives stack-internal errors (bugs, never malformed packets, which are counted and dropped): the
   * composition root's unexpected-error sink. Without it such an error is rethrown (uncaught).
   */
  readonly onUnexpectedError?: (error: unknown) => void;
  /** Receives each connection once its handshake completes (stalled connections are withheld). */
  readonly onConnection?: (connection: StackConnection) => void;
}

type TimerTask = StackConnection | CallbackTask;

/** Default bound on TIME-WAIT entries (Linux tcp_max_tw_buckets); the oldest is recycled past it. */
export const DEFAULT_MAX_TIME_WAIT = 32768;

const LISTENER_DROPS: Record<ListenerDropReason, DropReason> = {
  rst: DropReason.LISTENER_RST,
  'not-syn': DropReason.LISTENER_NOT_SYN,
  'syn-fin': DropReason.LISTENER_SYN_FIN,
  'backlog-full': DropReason.LISTENER_BACKLOG,
};

/** Default delayed-ACK timeout of the stack's connections (tcpConfig.delayedAckMs overrides it). */
export const STACK_DELAYED_ACK_MS = 40;

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
  private readonly timeWait: TimeWaitTable;
  private readonly timeWaitTask = new CallbackTask(() => this.expireTimeWait());
  private readonly twoMslMs: number;
  private readonly timer: StackTimer<TimerTask>;
  private readonly output: PacketOutput;
  private readonly maxConnections: number;
  private readonly maxPerSource: number;
  private readonly evictIdleMs: number;
  /** Each source's connections, least recently active first (re-inserted on every segment). */
  private readonly bySource = new Map<number, Set<StackConnection>>();
  private sourcePolicy: SourcePolicy;
  private readonly faults: FaultTable;
  private onConnection: ((connection: StackConnection) => void) | undefined;
  private closed = false;
  private readonly onUnexpectedError: ((error: unknown) => void) | undefined;

  constructor(options: TcpStackOptions) {
    this.link = options.link;
    this.clock = options.clock;
    this.localAddress = options.localAddress >>> 0;
    this.localPort = options.localPort;
    this.sourcePolicy = options.sourcePolicy;
    this.faults = new FaultTable(options.faults ?? NO_FAULTS, options.faultsBySource);
    this.maxConnections = options.maxConnections ?? 65536;
    this.maxPerSource = options.maxConnectionsPerSource ?? Math.max(1, Math.floor(this.maxConnections / 4));
    this.evictIdleMs = options.evictIdleMs ?? 1000;
    this.onConnection = options.onConnection;
    this.onUnexpectedError = options.onUnexpectedError;
    this.output = new PacketOutput(this.link, this.stats);
    this.timer = new StackTimer<TimerTask>(
      this.clock,
      (task, now) => this.runTimerTask(task, now),
      () => {
        this.stats.timerFirings++;
        this.output.scheduleFlush();
      },
    );
    // Delayed ACK (RFC 9293 §3.8.6.3, 40 ms as Linux's minimum): a request's ACK rides on the response
    // instead of costing a packet (a write into the TUN and a receive in the VM) of its own.
    const config: TcpConfig = resolveTcpConfig({ mss: Math.max(64, this.link.mtu - 40), delayedAckMs: STACK_DELAYED_ACK_MS, ...options.tcpConfig });
    const keyedHash = sipHashKeyedHash(options.isnKey ?? randomBytes(16));
    this.twoMslMs = 2 * config.mslMs;
    this.timeWait = new TimeWaitTable(options.maxTimeWait ?? DEFAULT_MAX_TIME_WAIT);
    this.listener = new TcpListener({
      localAddress: this.localAddress,
      localPort: this.localPort,
      isn: createIsnSource(keyedHash),
      cookies: createSynCookies(keyedHash),
      onDrop: (reason) => this.stats.drop(`tcb-${reason}`),
      onStateChange: (tcb, from, to) => publishState(tcb.endpoints, from, to),
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
    this.faults.set(faults, source);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** TIME-WAIT entries held (small state; not in connectionCount). */
  get timeWaitCount(): number {
    return this.timeWait.size;
  }

  /** Entries in the stack's timer queue (connections with an armed timer plus one-off tasks). */
  get timerQueueSize(): number {
    return this.timer.size;
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
      else this.unexpected(error);
    }
    this.output.scheduleFlush();
  }

  private process(packet: Uint8Array): void {
    const { ip, tcp } = parseTcpPacket(packet);
    if (ip.dst !== this.localAddress) return this.drop(DropReason.NOT_FOR_US, ip.src);
    const source = decideSource(this.sourcePolicy, ip.src);
    if (source !== 'accept') {
      this.drop(DropReason.SOURCE_POLICY, ip.src);
      if (source === 'rst') this.sendReset(ip, tcp);
      else if (source === 'icmp') this.sendIcmp(ip, packet, IcmpUnreachableCode.ADMIN_PROHIBITED);
      return;
    }
    const faults = this.faults.faultsFor(ip.src);
    if (faults.inboundLoss > 0 && decideLoss(faults.inboundLoss, this.faults.randomFor(ip.src))) {
      return this.drop(DropReason.FAULT_LOSS_IN, ip.src);
    }
    if (tcp.dstPort !== this.localPort) return this.sendReset(ip, tcp);
    // `tcp.payload` is a view of the link's receive buffer, which may be reused once we return: the Tcb
    // and the listener copy what they keep; only a SYN held back by a fault (toListener) copies here.
    const key = tupleKey(ip.src, tcp.srcPort);
    const connection = this.connections.get(key);
    if (connection !== undefined) {
      const now = this.clock.now();
      connection.lastActivity = now;
      const mine = this.bySource.get(ip.src);
      if (mine !== undefined) {
        mine.delete(connection);
        mine.add(connection);
      }
      const verdict = connection.tcb.handleSegment(tcp, now);
      this.service(connection);
      if (verdict !== 'reuse') return;
    } else if (this.timeWait.size > 0 && !this.inTimeWait(ip.src, tcp, key)) {
      return;
    }
    this.toListener(ip, packet, tcp, key, faults);
  }

  /** A segment for a TIME-WAIT entry (RFC 9293 §3.10.7.4); true when it is a SYN the listener should take. */
  private inTimeWait(source: number, segment: TcpSegment, key: number): boolean {
    const entry = this.timeWait.get(key);
    if (entry === undefined) return true;
    const verdict = timeWaitSegment(entry, segment, this.clock.now(), this.twoMslMs);
    switch (verdict.kind) {
      case 'reuse':
        this.timeWait.delete(key);
        this.stats.timeWaitEntries = this.timeWait.size;
        return true;
      case 'ack':
        if (verdict.restart) this.timeWait.restarted(key);
        this.sendSegment(source, verdict.segment, false);
        return false;
      case 'drop':
        this.drop(verdict.reason, source);
        return false;
    }
  }

  /** A connection reached TIME-WAIT: keep only its small state, release the connection (RFC 9293 §3.10.7.4). */
  private enterTimeWait(connection: StackConnection): void {
    const state = connection.tcb.toTimeWait(this.clock.now());
    const before = this.timeWait.recycled;
    this.timeWait.add(connection.key, state);
    this.stats.timeWaitRecycled += this.timeWait.recycled - before;
    this.stats.timeWaitEntries = this.timeWait.size;
    if (!this.timer.isScheduled(this.timeWaitTask)) this.timer.schedule(this.timeWait.nextDeadline()!, this.timeWaitTask);
  }

  private expireTimeWait(): void {
    this.timeWait.expire(this.clock.now());
    this.stats.timeWaitEntries = this.timeWait.size;
    const next = this.timeWait.nextDeadline();
    if (next !== undefined) this.timer.schedule(next, this.timeWaitTask);
  }

  /** A segment for no connection: new SYNs pass the fault plan, everything else the listener. */
  private toListener(ip: Ipv4Packet, packet: Uint8Array, segment: TcpSegment, key: number, faults: NetFaults): void {
    const isSyn = (segment.flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === TcpFlags.SYN;
    if (isSyn) {
      if (this.pendingSyns.has(key)) return this.drop(DropReason.SYN_PENDING, ip.src);
      const decision = decideSyn(faults, this.faults.randomFor(ip.src));
      if (decision.action !== 'accept') publishFault(`syn-${decision.action}`, ip.src, segment.srcPort);
      else if (decision.delayMs > 0) publishFault('delay-synack', ip.src, segment.srcPort, decision.delayMs);
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
            const source = ip.src;
            // Kept past this call: copy the payload out of the link's reusable buffer.
            const held = segment.payload.length > 0 ? { ...segment, payload: segment.payload.slice() } : segment;
            this.pendingSyns.set(key, at);
            this.timer.schedule(
              at,
              new CallbackTask(() => {
                this.pendingSyns.delete(key);
                if (!this.connections.has(key)) this.listen(source, held, key, faults);
              }),
            );
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
    const now = this.clock.now();
    const verdict = this.listener.handleSegment(segment, remoteAddress, now, connection);
    switch (verdict.kind) {
      case 'accepted':
        if (!this.register(connection, verdict.tcb, faults)) return;
        this.service(connection);
        return;
      case 'cookie':
        // RFC 4987 §3.6: the ACK of a SYN-ACK we sent statelessly.
        if (!this.register(connection, verdict.tcb, faults)) return;
        this.stats.synCookiesAccepted++;
        verdict.tcb.handleSegment(segment, now);
        this.service(connection);
        return;
      case 'reply':
        if (verdict.segment.flags & TcpFlags.SYN) {
          this.stats.synCookiesSent++;
          return this.sendSegment(remoteAddress, verdict.segment, false);
        }
        return this.sendSegment(remoteAddress, verdict.segment, true);
      case 'dropped':
        return this.drop(LISTENER_DROPS[verdict.reason], remoteAddress);
    }
  }

  /** Enters a new connection in the table if there is room (see makeRoom); false: dropped. */
  private register(connection: StackConnection, tcb: Tcb, faults: NetFaults): boolean {
    const now = this.clock.now();
    if (!this.makeRoom(connection.remoteAddress, now)) {
      tcb.setHandler(undefined);
      tcb.abort(now); // never sent; CLOSED, so it leaves the listener's half-open set
      this.drop(DropReason.TABLE_FULL, connection.remoteAddress);
      return false;
    }
    connection.tcb = tcb;
    connection.lastActivity = now;
    let mine = this.bySource.get(connection.remoteAddress);
    if (mine === undefined) this.bySource.set(connection.remoteAddress, (mine = new Set()));
    mine.add(connection);
    connection.stalled = faults.stall;
    const random = this.faults.randomFor(connection.remoteAddress);
    const d = faults.firstByteDelay;
    connection.firstByteDelayMs = d.ms + (d.jitterMs > 0 ? Math.floor(random() * d.jitterMs) : 0);
    this.connections.set(connection.key, connection);
    this.stats.connectionsOpened++;
    this.stats.connectionsActive++;
    return true;
  }

  /**
   * Room for one more connection from `source`: past its per-source cap it gives up its own least recently
   * active connection; with the table full, the source holding the most does. Only one idle for
   * evictIdleMs is evicted (RST); otherwise there is no room. So one VM cannot lock the others out.
   */
  private makeRoom(source: number, now: number): boolean {
    const mine = this.bySource.get(source);
    if (mine !== undefined && mine.size >= this.maxPerSource) return this.evictIdle(mine, now);
    if (this.connections.size < this.maxConnections) return true;
    let heaviest: Set<StackConnection> | undefined;
    for (const set of this.bySource.values()) if (heaviest === undefined || set.size > heaviest.size) heaviest = set;
    return heaviest !== undefined && this.evictIdle(heaviest, now);
  }

  private evictIdle(connections: Set<StackConnection>, now: number): boolean {
    const oldest = connections.values().next().value as StackConnection | undefined;
    if (oldest === undefined || now - oldest.lastActivity < this.evictIdleMs) return false;
    this.stats.connectionsEvicted++;
    oldest.abort();
    if (!oldest.isClosed) this.forget(oldest);
    return true;
  }

  /** Takes a connection out of the table and the per-source index. */
  private forget(connection: StackConnection): void {
    if (this.connections.get(connection.key) === connection) this.connections.delete(connection.key);
    const mine = this.bySource.get(connection.remoteAddress);
    if (mine !== undefined && mine.delete(connection) && mine.size === 0) this.bySource.delete(connection.remoteAddress);
  }

  // ConnectionOwner
  service(connection: StackConnection): void {
    if (connection.tcb === undefined) return;
    const segments = connection.tcb.takeOutgoing();
    if (segments.length > 0) {
      for (let i = 0; i < segments.length; i++) this.sendSegment(connection.remoteAddress, segments[i]!, false);
      this.output.scheduleFlush();
    }
    if (connection.isClosed) return;
    if (connection.tcb.state === TcpState.TIME_WAIT) return this.enterTimeWait(connection);
    const at = connection.tcb.pollAt();
    if (at === undefined) this.timer.cancel(connection);
    else if (at !== connection.deadline || !this.timer.isScheduled(connection)) this.timer.schedule(at, connection);
  }

  connectionEstablished(connection: StackConnection): void {
    this.stats.connectionsEstablished++;
    publishTcp('open', connection);
    if (connection.stalled) {
      publishFault('stall', connection.remoteAddress, connection.remotePort);
      return;
    }
    this.onConnection?.(connection);
  }

  connectionClosed(connection: StackConnection, reason: TcpCloseReason): void {
    this.forget(connection);
    this.timer.cancel(connection);
    if (connection.holdTask !== undefined) this.timer.cancel(connection.holdTask as CallbackTask);
    connection.holdTask = undefined;
    this.stats.connectionsActive--;
    this.stats.connectionClosed(reason);
    publishTcp('close', connection, reason);
  }

  private drop(reason: string, source?: number): void {
    this.stats.drop(reason);
    publishDrop(reason, source);
  }

  /**
   * RFC 9293 §3.10.7.1: a segment for a closed port or unknown connection gets a RST (never for a RST).
   * RFC 1122 §4.2.3.10: not to a source that is not a single host (0/8, loopback, multicast, class E).
   */
  private sendReset(ip: Ipv4Packet, segment: TcpSegment): void {
    const top = ip.src >>> 24;
    if (top === 0 || top === 127 || top >= 224) return;
    const reply = resetForClosed(segment);
    if (reply !== undefined) this.sendSegment(ip.src, reply, true);
  }

  private sendIcmp(ip: Ipv4Packet, packet: Uint8Array, code: IcmpUnreachableCode): void {
    if (!mayAnswerWithIcmpError(ip)) return;
    this.output.push(buildIcmpUnreachablePacket({ src: this.localAddress, dst: ip.src, id: this.output.nextId() }, code, packet));
    this.stats.icmpSent++;
  }

  private sendSegment(remoteAddress: number, segment: TcpSegment, isReset: boolean): void {
    const faults = this.faults.faultsFor(remoteAddress);
    if (faults.outboundLoss > 0 && decideLoss(faults.outboundLoss, this.faults.randomFor(remoteAddress))) {
      this.drop(DropReason.FAULT_LOSS_OUT, remoteAddress);
      return;
    }
    if (isReset || segment.flags & TcpFlags.RST) this.stats.resetsSent++;
    this.output.push(buildTcpPacket({ src: this.localAddress, dst: remoteAddress, id: this.output.nextId() }, segment));
  }

  /** Sends every queued packet now (normally done once per microtask). */
  flush(): void {
    this.output.flush();
  }

  scheduleHold(connection: StackConnection, at: number): void {
    const task = new CallbackTask(() => {
      connection.holdTask = undefined;
      connection.holdExpired(this.clock.now());
    });
    if (connection.holdTask !== undefined) this.timer.cancel(connection.holdTask as CallbackTask);
    connection.holdTask = task;
    this.timer.schedule(at, task);
  }

  /** One due timer entry; a bug in it goes to the unexpected-error sink, never into the clock. */
  private runTimerTask(task: TimerTask, now: number): void {
    try {
      if (task instanceof CallbackTask) task.run();
      else this.runConnectionTimer(task, now);
    } catch (error) {
      this.unexpected(error);
    }
  }

  /** A bug (not a malformed packet): counted and handed to the owner's sink; rethrown without one. */
  private unexpected(error: unknown): void {
    this.stats.unexpectedErrors++;
    if (this.onUnexpectedError !== undefined) this.onUnexpectedError(error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  /** A connection's timer came due (the queue holds exactly its current deadline; closed ones are removed). */
  private runConnectionTimer(connection: StackConnection, now: number): void {
    if (connection.isClosed) return;
    connection.tcb.onTimer(now);
    this.service(connection);
  }

  /** Stops the timer, aborts every connection (RST) and detaches from the link (the link is the caller's). */
  close(): void {
    if (this.closed) return;
    for (const connection of [...this.connections.values()]) connection.abort();
    this.output.close();
    this.closed = true;
    this.timer.stop();
    this.pendingSyns.clear();
    this.timeWait.clear();
    this.bySource.clear();
    this.link.setReceiver(() => {});
  }
}
