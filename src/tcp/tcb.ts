// The public Tcb (transmission control block) facade: one TCP connection, sans-I/O, time passed in.
// Processing lives in tcb-input.ts (RFC 9293 §3.10.7), tcb-output.ts (§3.8) and tcb-timers.ts.
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { defaultTcpConfig, type TcpConfig } from './tcp-config.ts';
import { TcpError } from './tcp-error.ts';
import { canReceiveData, canSendData, sendsResetOnAbort, TcpState } from './tcp-states.ts';
import { TcbCore } from './tcb-core.ts';
import { applyPeerSyn, processSegment } from './tcb-input.ts';
import { output, sendSyn } from './tcb-output.ts';
import { onTimer, pollAt } from './tcb-timers.ts';
import { add } from './seq.ts';
import type { CookieOptions } from './syn-cookie.ts';
import type { TimeWaitState } from './time-wait.ts';
import { TcpCloseReason, type TcbDropReason, type TcbHandler, type TcbStats, type TcbVerdict, type TcpEndpoints } from './tcb-types.ts';

export interface TcbOpenOptions {
  readonly endpoints: TcpEndpoints;
  /** Initial send sequence number (use an IsnSource, RFC 6528). */
  readonly iss: number;
  /** Current time in ms (monotonic). */
  readonly now: number;
  /** Resolved config (resolveTcpConfig); defaults to defaultTcpConfig. */
  readonly config?: TcpConfig;
  /** RFC 7323 §5.4 per-connection timestamp offset (IsnSource.tsOffset); default 0. */
  readonly tsOffset?: number;
  readonly handler?: TcbHandler;
  /** Told of every segment the Tcb drops, with the reason (for the owner's statistics). */
  readonly onDrop?: (reason: TcbDropReason) => void;
  /** Told of every state change, synchronously (a trace hook: it must not call back into the Tcb). */
  readonly onStateChange?: (tcb: Tcb, from: TcpState, to: TcpState) => void;
}

export class Tcb {
  private readonly core: TcbCore;
  private flushing = false;

  private constructor(options: TcbOpenOptions) {
    this.core = new TcbCore(
      options.config ?? defaultTcpConfig,
      options.endpoints,
      options.iss,
      options.tsOffset ?? 0,
      options.now,
    );
    this.core.handler = options.handler;
    this.core.onDrop = options.onDrop;
    const trace = options.onStateChange;
    if (trace !== undefined) this.core.onStateChange = (from, to) => trace(this, from, to);
  }

  /** Active open (RFC 9293 §3.10.1): returns a Tcb in SYN-SENT with its SYN queued in takeOutgoing(). */
  static connect(options: TcbOpenOptions): Tcb {
    const tcb = new Tcb(options);
    const core = tcb.core;
    core.setState(TcpState.SYN_SENT);
    core.rttSeq = add(core.iss, 1);
    core.rttTime = options.now;
    sendSyn(core, options.now);
    return tcb;
  }

  /**
   * Passive open from a SYN received in LISTEN (RFC 9293 §3.10.7.2): returns a Tcb in SYN-RECEIVED with
   * its SYN-ACK queued. Normally called by TcpListener.handleSegment (which also enforces the backlog).
   * Throws TcpError 'ERR_TCP_NOT_SYN' unless `syn` has SYN set and ACK/RST clear.
   */
  static acceptSyn(syn: TcpSegment, options: TcbOpenOptions): Tcb {
    if ((syn.flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) !== TcpFlags.SYN) {
      throw new TcpError('ERR_TCP_NOT_SYN', 'acceptSyn needs a segment with SYN set and ACK/RST clear');
    }
    const tcb = new Tcb(options);
    const core = tcb.core;
    core.passive = true;
    core.setState(TcpState.SYN_RECEIVED);
    core.stats.segmentsIn++;
    applyPeerSyn(core, syn);
    core.synDeadline = options.now + core.config.synReceivedTimeoutMs;
    core.rttSeq = add(core.iss, 1);
    core.rttTime = options.now;
    sendSyn(core, options.now);
    return tcb;
  }

  /**
   * A passive open rebuilt from a valid SYN cookie ACK (RFC 4987 §3.6): SYN-RECEIVED with our SYN-ACK
   * (ISN `iss`) counted as sent and nothing queued, the peer's options as the cookie recorded them. The
   * owner registers it, then hands the ACK itself to handleSegment, which completes the handshake.
   */
  static fromCookie(ack: TcpSegment, options: TcbOpenOptions & { readonly peer: CookieOptions }): Tcb {
    const tcb = new Tcb(options);
    const core = tcb.core;
    const peer = options.peer;
    core.passive = true;
    core.setState(TcpState.SYN_RECEIVED);
    const tsVal = ack.options.timestamps?.tsVal;
    const syn: TcpSegment = {
      ...ack,
      seq: (ack.seq - 1) >>> 0,
      ack: 0,
      flags: TcpFlags.SYN,
      payload: new Uint8Array(0),
      options: {
        mss: peer.mss,
        ...(peer.windowScale !== undefined ? { windowScale: peer.windowScale } : {}),
        ...(peer.sackPermitted ? { sackPermitted: true } : {}),
        ...(peer.timestamps && tsVal !== undefined ? { timestamps: { tsVal, tsEcr: 0 } } : {}),
      },
    };
    applyPeerSyn(core, syn);
    core.synDeadline = options.now + core.config.synReceivedTimeoutMs;
    core.sndNxt = add(core.iss, 1);
    core.sndMax = core.sndNxt;
    return tcb;
  }

  /** The connection 4-tuple. */
  get endpoints(): TcpEndpoints {
    return this.core.endpoints;
  }

  get state(): TcpState {
    return this.core.state;
  }

  /** Why the Tcb closed (undefined while not CLOSED). */
  get closeReason(): TcpCloseReason | undefined {
    return this.core.closeReason;
  }

  /** Counters for statistics (live object, do not mutate). */
  get stats(): Readonly<TcbStats> {
    return this.core.stats;
  }

  /** RFC 9293 variables, read-only, for tests, traces and `ss`-like status output. */
  get vars(): Readonly<{
    iss: number; irs: number; sndUna: number; sndNxt: number; sndMax: number; sndWnd: number;
    rcvNxt: number; rcvWnd: number; sndMss: number; sndWscale: number; rcvWscale: number;
    timestamps: boolean; rto: number; srtt: number | undefined; cwnd: number; ssthresh: number;
  }> {
    const c = this.core;
    return {
      iss: c.iss, irs: c.irs, sndUna: c.sndUna, sndNxt: c.sndNxt, sndMax: c.sndMax, sndWnd: c.sndWnd,
      rcvNxt: c.rcvNxt, rcvWnd: c.rcvWnd, sndMss: c.sndMss, sndWscale: c.sndWscale, rcvWscale: c.rcvWscale,
      timestamps: c.tsEnabled, rto: c.rto.rto, srtt: c.rto.srtt, cwnd: c.cc.cwnd, ssthresh: c.cc.ssthresh,
    };
  }

  /** Replaces the event handler (undefined detaches; events are then dropped). */
  setHandler(handler: TcbHandler | undefined): void {
    this.core.handler = handler;
  }

  /**
   * Processes one incoming segment for this connection (already demuxed by 4-tuple). The Tcb keeps no
   * reference to `segment` or its payload after returning (data is copied into its buffers), so the
   * caller may hand in a view of a receive buffer it reuses.
   */
  handleSegment(segment: TcpSegment, now: number): TcbVerdict {
    this.core.lastNow = now;
    const verdict = processSegment(this.core, segment, now);
    output(this.core, now);
    this.flush();
    return verdict;
  }

  /**
   * Hands over a connection in TIME-WAIT as small state and closes this Tcb ('normal', closed event
   * delivered): the owner keeps the entry until its deadline and answers segments with timeWaitSegment
   * (time-wait.ts), so the buffers and timers of the full Tcb are released at once.
   * Throws TcpError 'ERR_TCP_NOT_TIME_WAIT' in any other state.
   */
  toTimeWait(now: number): TimeWaitState {
    const core = this.core;
    if (core.state !== TcpState.TIME_WAIT || core.closeReason !== undefined) {
      throw new TcpError('ERR_TCP_NOT_TIME_WAIT', `toTimeWait in state ${core.state}`);
    }
    const state: TimeWaitState = {
      localPort: core.endpoints.localPort,
      remotePort: core.endpoints.remotePort,
      sndNxt: core.sndMax,
      rcvNxt: core.rcvNxt,
      window: core.windowField(),
      tsEnabled: core.tsEnabled,
      tsOffset: core.tsOffset,
      tsRecent: core.tsRecent,
      deadline: core.timeWaitAt ?? now + 2 * core.config.mslMs,
      lastAckAt: -Infinity,
    };
    core.lastNow = now;
    core.finish(TcpCloseReason.NORMAL);
    this.flush();
    return state;
  }

  /** Earliest absolute time (ms) at which onTimer must run, or undefined if no timer is armed. */
  pollAt(): number | undefined {
    return pollAt(this.core);
  }

  /** Runs every timer due at `now` (retransmission, persist, delayed ACK, TIME-WAIT, timeouts). Safe to call early. */
  onTimer(now: number): void {
    this.core.lastNow = now;
    onTimer(this.core, now);
    this.flush();
  }

  /** Segments to transmit now, in order; the queue is emptied. Ports are set; addresses are the owner's job. */
  takeOutgoing(): TcpSegment[] {
    const out = this.core.outgoing;
    this.core.outgoing = [];
    return out;
  }

  /** True when takeOutgoing() would return at least one segment. */
  get hasOutgoing(): boolean {
    return this.core.outgoing.length > 0;
  }

  /**
   * Queues app data for sending; returns how many bytes were accepted (0..data.length, bounded by
   * writableSpace). Allowed in SYN-SENT, SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT; throws TcpError
   * code 'ERR_TCP_NOT_WRITABLE' after shutdownWrite/close/abort or once CLOSED.
   */
  write(data: Uint8Array, now: number): number {
    const core = this.core;
    if (core.closeReason !== undefined || core.finQueued || !canSendData(core.state)) {
      throw new TcpError('ERR_TCP_NOT_WRITABLE', `cannot write in state ${core.state}${core.finQueued ? ' after shutdown' : ''}`);
    }
    core.lastNow = now;
    const accepted = Math.min(data.length, this.writableSpace);
    if (accepted > 0) core.sendBuffer.append(data.subarray(0, accepted));
    output(core, now);
    this.flush();
    return accepted;
  }

  /**
   * Takes up to `max` in-order received bytes (all if omitted); undefined when none are buffered.
   * Reading opens the receive window; a window update is sent when it grows by at least
   * min(receiveBufferSize / 2, MSS) (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
   */
  read(max?: number, now?: number): Uint8Array | undefined {
    const core = this.core;
    const length = core.receiveBuffer.length;
    if (length === 0 || (max !== undefined && max <= 0)) return undefined;
    const at = now ?? core.lastNow;
    core.lastNow = at;
    const before = core.rcvWnd;
    const data = core.receiveBuffer.take(Math.min(max ?? length, length));
    if (canReceiveData(core.state) && !core.peerFinReceived) {
      const after = core.prospectiveWindow();
      // The window only reopens by at least the SWS threshold, so any reopening from zero is worth an update.
      if (after - before >= core.windowUpdateThreshold || (before === 0 && after > 0)) core.ackPending = true;
    }
    output(core, at);
    this.flush();
    return data;
  }

  /** Received in-order bytes not yet read. */
  get readableLength(): number {
    return this.core.receiveBuffer.length;
  }

  /** Free space in the send buffer (what write() would accept); 0 once the write side is closed. */
  get writableSpace(): number {
    const core = this.core;
    if (core.closeReason !== undefined || core.finQueued || !canSendData(core.state)) return 0;
    return Math.max(0, core.config.sendBufferSize - core.sendBuffer.length);
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get unacknowledgedLength(): number {
    return this.core.sendBuffer.length;
  }

  /** True once the peer's FIN arrived in order (EOF after readableLength bytes). */
  get peerFinished(): boolean {
    return this.core.peerFinReceived;
  }

  /** Half close (socket.end()): queues our FIN after the buffered data (RFC 9293 §3.10.4). Idempotent. */
  shutdownWrite(now: number): void {
    const core = this.core;
    if (core.closeReason !== undefined || core.finQueued) return;
    core.lastNow = now;
    switch (core.state) {
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED:
        core.finQueued = true; // sent once established (FIN-WAIT-1 then)
        break;
      case TcpState.ESTABLISHED:
        core.finQueued = true;
        core.setState(TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        core.finQueued = true;
        core.setState(TcpState.LAST_ACK);
        break;
      default:
        return;
    }
    output(core, now);
    this.flush();
  }

  /**
   * Full close (socket.destroy() after end): like shutdownWrite, and the app will read no more.
   * Unread received data (now or later) turns this into a RST (RFC 2525 §2.17, Linux behaviour);
   * FIN-WAIT-2 is then bounded by finWait2TimeoutMs. In SYN-SENT the Tcb just closes. Idempotent.
   */
  close(now: number): void {
    const core = this.core;
    if (core.closeReason !== undefined || core.orphaned) return;
    core.lastNow = now;
    core.orphaned = true;
    if (core.state === TcpState.SYN_SENT) {
      core.finish(TcpCloseReason.ABORTED);
    } else if (core.receiveBuffer.length > 0) {
      this.resetAndClose(now);
    } else {
      if (core.state === TcpState.FIN_WAIT_2) core.finWait2At = now + core.config.finWait2TimeoutMs;
      this.shutdownWrite(now);
    }
    this.flush();
  }

  /** Abort (RFC 9293 §3.10.5): sends RST if synchronized, goes to CLOSED, closed('ECONNABORTED'). */
  abort(now: number): void {
    if (this.core.closeReason !== undefined) return;
    this.core.lastNow = now;
    this.resetAndClose(now);
    this.flush();
  }

  private resetAndClose(now: number): void {
    const core = this.core;
    if (sendsResetOnAbort(core.state)) core.emit(TcpFlags.RST | TcpFlags.ACK, core.sndMax, now);
    core.finish(TcpCloseReason.ABORTED);
  }

  /** Delivers queued events, then `closed` once; re-entrant calls from handlers only queue. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    const core = this.core;
    try {
      for (;;) {
        const event = core.events.shift();
        if (event !== undefined) {
          core.handler?.[event]?.();
          continue;
        }
        if (core.closeReason !== undefined && !core.closedDelivered) {
          core.closedDelivered = true;
          core.handler?.closed?.(core.closeReason);
          continue;
        }
        break;
      }
    } finally {
      this.flushing = false;
    }
  }
}
