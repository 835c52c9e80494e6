// One accepted TCP connection as the layer above (net/TcpSocket) sees it: read/write/close calls go
// to the Tcb and then back through the stack, which sends the resulting segments and re-arms its timer.
import type { Tcb } from '../tcp/tcb.ts';
import type { TcbHandler, TcpCloseReason, TcpEndpoints } from '../tcp/tcb-types.ts';
import type { TcpState } from '../tcp/tcp-states.ts';
import { formatIpv4Address } from '../util/ipv4-address.ts';
import type { DeadlineEntry } from './deadline-queue.ts';

/** Events for the connection's user (TcpSocket). Delivered after the Tcb is consistent. */
export interface ConnectionEvents {
  /** In-order bytes are readable. */
  readable(): void;
  /** Send-buffer space grew (or a hold on sending ended). */
  writable(): void;
  /** The peer's FIN arrived after the readable bytes (EOF). */
  peerFin(): void;
  /** The connection is gone; delivered once. */
  closed(reason: TcpCloseReason): void;
}

/** What a connection needs from the stack that owns it. */
export interface ConnectionOwner {
  now(): number;
  /** Sends what the Tcb queued, re-arms the timer; called after every Tcb call. */
  service(connection: StackConnection): void;
  connectionEstablished(connection: StackConnection): void;
  connectionClosed(connection: StackConnection, reason: TcpCloseReason): void;
  /** Calls connection.holdExpired at `at` (first-byte delay). */
  scheduleHold(connection: StackConnection, at: number): void;
}

export class StackConnection implements TcbHandler, DeadlineEntry {
  /** Set right after the listener creates the Tcb (the connection is its handler). */
  tcb!: Tcb;
  readonly key: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  readonly localAddress: number;
  readonly localPort: number;
  /** This connection's entry in the stack's timer queue (DeadlineEntry; heapIndex -1: not queued). */
  deadline = 0;
  heapIndex = -1;
  /** The pending first-byte hold task, cancelled when the connection closes. */
  holdTask: DeadlineEntry | undefined;
  /** When the last segment from the peer arrived (ms; eviction picks the least recently active). */
  lastActivity = 0;
  /** Net fault: accept, read and discard, never answer. */
  stalled = false;
  /** Net fault: the first write waits this long (ms), once. */
  firstByteDelayMs = 0;
  /** Sending is held until this time (first-byte delay in progress). */
  holdUntil = 0;
  isClosed = false;
  closeReason: TcpCloseReason | undefined;
  private events: ConnectionEvents | undefined;
  private readonly owner: ConnectionOwner;

  constructor(owner: ConnectionOwner, key: number, endpoints: TcpEndpoints) {
    this.owner = owner;
    this.key = key;
    this.remoteAddress = endpoints.remoteAddress;
    this.remotePort = endpoints.remotePort;
    this.localAddress = endpoints.localAddress;
    this.localPort = endpoints.localPort;
  }

  get remoteAddressText(): string {
    return formatIpv4Address(this.remoteAddress);
  }

  get localAddressText(): string {
    return formatIpv4Address(this.localAddress);
  }

  get state(): TcpState {
    return this.tcb.state;
  }

  /** Installs the user's event sink (TcpSocket); undefined detaches. */
  setEvents(events: ConnectionEvents | undefined): void {
    this.events = events;
  }

  get readableLength(): number {
    return this.isClosed ? 0 : this.tcb.readableLength;
  }

  get peerFinished(): boolean {
    return this.tcb.peerFinished;
  }

  /** Takes up to `max` received bytes (opening the receive window), or undefined when none. */
  read(max?: number): Uint8Array | undefined {
    if (this.isClosed && this.tcb.readableLength === 0) return undefined;
    const data = this.tcb.read(max, this.owner.now());
    this.owner.service(this);
    return data;
  }

  get writableSpace(): number {
    if (this.isClosed) return 0;
    if (this.holdUntil > 0 && this.owner.now() < this.holdUntil) return 0;
    return this.tcb.writableSpace;
  }

  /** Queues bytes for sending; returns how many were accepted (0 when the buffer is full or held). */
  write(data: Uint8Array): number {
    if (this.isClosed) return 0;
    const now = this.owner.now();
    if (this.firstByteDelayMs > 0) {
      this.holdUntil = now + this.firstByteDelayMs;
      this.firstByteDelayMs = 0;
      this.owner.scheduleHold(this, this.holdUntil);
      return 0;
    }
    if (this.holdUntil > 0) {
      if (now < this.holdUntil) return 0;
      this.holdUntil = 0;
    }
    const n = this.tcb.write(data, now);
    this.owner.service(this);
    return n;
  }

  /** Our FIN after the queued data (socket.end()). */
  shutdownWrite(): void {
    if (this.isClosed) return;
    this.tcb.shutdownWrite(this.owner.now());
    this.owner.service(this);
  }

  /** Full close (RST if received data is left unread, RFC 2525 §2.17). */
  close(): void {
    if (this.isClosed) return;
    this.tcb.close(this.owner.now());
    this.owner.service(this);
  }

  /** RST now (RFC 9293 §3.10.5). */
  abort(): void {
    if (this.isClosed) return;
    this.tcb.abort(this.owner.now());
    this.owner.service(this);
  }

  // TcbHandler: events from the Tcb (delivered at the end of a Tcb call).
  established(): void {
    this.owner.connectionEstablished(this);
  }

  readable(): void {
    if (this.stalled) {
      while (this.tcb.read(undefined, this.owner.now()) !== undefined);
      return;
    }
    this.events?.readable();
  }

  writable(): void {
    this.events?.writable();
  }

  peerFin(): void {
    if (this.stalled) {
      this.tcb.close(this.owner.now());
      return;
    }
    this.events?.peerFin();
  }

  closed(reason: TcpCloseReason): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeReason = reason;
    this.owner.connectionClosed(this, reason);
    this.events?.closed(reason);
  }

  /** Called by the stack's timer when a first-byte hold ends. */
  holdExpired(now: number): void {
    if (this.isClosed || this.holdUntil === 0) return;
    if (now < this.holdUntil) {
      this.owner.scheduleHold(this, this.holdUntil);
      return;
    }
    this.holdUntil = 0;
    this.events?.writable();
  }
}
