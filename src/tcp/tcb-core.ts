// The connection's state (RFC 9293 §3.3.1 variables) and the helpers shared by input, output and
// timers: building segments, the advertised window, state changes and event queueing.
import { TcpFlags, type TcpOptions, type TcpSegment } from '../wire/tcp-segment.ts';
import { ByteQueue } from './byte-queue.ts';
import { NewReno } from './congestion.ts';
import { DEFAULT_IPV4_MSS, TIMESTAMP_OPTION_BYTES } from './options-negotiation.ts';
import { ChallengeAckLimiter } from './challenge-ack-limiter.ts';
import { Reassembly } from './reassembly.ts';
import { RtoEstimator } from './rto.ts';
import { add, gt, seq, sub, type Seq } from './seq.ts';
import type { TcpConfig } from './tcp-config.ts';
import { isLegalTransition, TcpState } from './tcp-states.ts';
import { TcpError } from './tcp-error.ts';
import type { TcbDropReason, TcbHandler, TcbStats, TcpCloseReason, TcpEndpoints } from './tcb-types.ts';

export type TcbEvent = 'established' | 'readable' | 'writable' | 'peerFin';

const EMPTY = new Uint8Array(0);
/** Shared by every segment without options; frozen so no holder can change it for the others. */
const NO_OPTIONS: TcpOptions = Object.freeze({});

export class TcbCore {
  readonly config: TcpConfig;
  readonly endpoints: TcpEndpoints;
  private current: TcpState = TcpState.CLOSED;
  /** Opened by a listener (SYN-RECEIVED from LISTEN) rather than connect(). */
  passive = false;

  // Send sequence space (RFC 9293 §3.3.1).
  readonly iss: Seq;
  sndUna: Seq;
  sndNxt: Seq;
  /** Highest sequence number sent so far (sndNxt is pulled back to sndUna on a timeout). */
  sndMax: Seq;
  /** Peer's window in bytes (already scaled). */
  sndWnd = 0;
  sndWl1: Seq = seq(0);
  sndWl2: Seq = seq(0);
  /** Largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND, sender SWS avoidance). */
  maxSndWnd = 0;
  /** Sequence number of sendBuffer's first byte. */
  sndBufSeq: Seq;
  readonly sendBuffer = new ByteQueue();
  /** The app shut down its write side: a FIN follows the buffered data. */
  finQueued = false;
  /** Outstanding 1-byte zero-window probe (not counted in sndNxt). */
  probeOutstanding = false;

  // Receive sequence space.
  irs: Seq = seq(0);
  rcvNxt: Seq = seq(0);
  /** Right edge of the window we last advertised (never moved left, RFC 9293 §3.8.6.2.1). */
  rcvAdvEdge: Seq = seq(0);
  readonly receiveBuffer = new ByteQueue();
  readonly reassembly: Reassembly;
  peerFinReceived = false;
  /** close() called: the app reads no more (RFC 2525 §2.17 RST on data). */
  orphaned = false;

  // Negotiated options.
  sndMss = DEFAULT_IPV4_MSS;
  windowScaling = false;
  sndWscale = 0;
  rcvWscale = 0;
  tsEnabled = false;
  readonly tsOffset: number;
  tsRecent: Seq = seq(0);
  lastAckSent: Seq = seq(0);

  // Timers: absolute ms deadlines, undefined when idle.
  rtxAt: number | undefined;
  persistAt: number | undefined;
  delayedAckAt: number | undefined;
  timeWaitAt: number | undefined;
  finWait2At: number | undefined;
  synDeadline: number | undefined;

  readonly rto: RtoEstimator;
  /** Consecutive timeouts without progress. */
  retries = 0;
  persistBackoff = 0;
  /** Zero-window probes sent without any acceptable ACK in between. */
  probesUnanswered = 0;
  /** Karn timing of one segment when timestamps are off: ack >= rttSeq gives a sample. */
  rttSeq: Seq | undefined;
  rttTime = 0;

  readonly cc: NewReno;
  dupAcks = 0;
  inRecovery = false;
  recover: Seq;

  ackPending = false;
  unackedSegments = 0;
  readonly challengeLimiter: ChallengeAckLimiter;

  outgoing: TcpSegment[] = [];
  events: TcbEvent[] = [];
  closeReason: TcpCloseReason | undefined;
  closedDelivered = false;
  handler: TcbHandler | undefined;
  /** Told of every state change (a trace hook; synchronous, must not call back into the Tcb). */
  onStateChange: ((from: TcpState, to: TcpState) => void) | undefined;
  /** Told of every dropped segment (the stack counts them in its statistics). */
  onDrop: ((reason: TcbDropReason) => void) | undefined;
  lastNow: number;

  readonly stats: TcbStats = {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    drops: { 'syn-sent-bad-ack': 0, 'syn-sent-rst-without-ack': 0, 'syn-sent-no-syn': 0, paws: 0, 'rst-out-of-window': 0, 'out-of-window': 0, 'no-ack': 0 },
    outOfOrderSegments: 0,
    zeroWindowProbes: 0,
  };

  constructor(config: TcpConfig, endpoints: TcpEndpoints, iss: number, tsOffset: number, now: number) {
    this.config = config;
    this.endpoints = endpoints;
    this.iss = seq(iss);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.sndBufSeq = add(this.iss, 1);
    this.recover = this.iss;
    this.tsOffset = tsOffset >>> 0;
    this.lastNow = now;
    this.reassembly = new Reassembly(config.reassemblyMaxBytes, config.reassemblyMaxSegments);
    this.rto = new RtoEstimator(config.rtoInitialMs, config.rtoMinMs, config.rtoMaxMs);
    this.cc = new NewReno(DEFAULT_IPV4_MSS);
    this.challengeLimiter = new ChallengeAckLimiter(config.challengeAckLimit, config.challengeAckWindowMs);
  }

  /** Payload bytes per segment: the send MSS minus the options every segment carries (RFC 6691). */
  get payloadMss(): number {
    return Math.max(1, this.sndMss - (this.tsEnabled ? TIMESTAMP_OPTION_BYTES : 0));
  }

  /** Sequence number of our FIN (valid when finQueued). */
  get finSeq(): Seq {
    return add(this.sndBufSeq, this.sendBuffer.length);
  }

  get finSent(): boolean {
    return this.finQueued && gt(this.sndMax, this.finSeq);
  }

  get finAcked(): boolean {
    return this.finQueued && gt(this.sndUna, this.finSeq);
  }

  /** Bytes in flight (sent, not acknowledged). */
  get flight(): number {
    return sub(this.sndNxt, this.sndUna);
  }

  /** RCV.WND: what is left of the window we advertised. */
  get rcvWnd(): number {
    return Math.max(0, sub(this.rcvAdvEdge, this.rcvNxt));
  }

  /** Free receive-buffer space (the window we would like to offer). */
  get receiveSpace(): number {
    return Math.max(0, this.config.receiveBufferSize - this.receiveBuffer.length);
  }

  tsNow(now: number): Seq {
    return seq(Math.floor(now) + this.tsOffset);
  }

  /**
   * The scaled window field a non-SYN segment would carry now (RFC 7323 §2.3): the free buffer space
   * rounded down to the scale unit, but never less than what is left of the window already advertised
   * (rounded up), so the right edge never moves left (RFC 9293 §3.8.6.2.1), and unchanged until the
   * free space exceeds it by the SWS threshold.
   */
  private windowUnits(): number {
    const shift = this.rcvWscale;
    const kept = Math.ceil(this.rcvWnd / 2 ** shift);
    // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the right edge moves only by a worthwhile amount.
    if (this.receiveSpace - this.rcvWnd < this.windowUpdateThreshold) return Math.min(65535, kept);
    const free = Math.floor(this.receiveSpace / 2 ** shift);
    return Math.min(65535, Math.max(free, kept));
  }

  /** min(Fr·RCV.BUFF, MSS) with Fr = 1/2 (RFC 9293 §3.8.6.2.2): the least worth offering to the peer. */
  get windowUpdateThreshold(): number {
    return Math.min(Math.floor(this.config.receiveBufferSize / 2), this.config.mss);
  }

  /** The window field for a non-SYN segment; moves rcvAdvEdge (never left). */
  windowField(): number {
    const field = this.windowUnits();
    const edge = add(this.rcvNxt, field * 2 ** this.rcvWscale);
    if (gt(edge, this.rcvAdvEdge)) this.rcvAdvEdge = edge;
    return field;
  }

  /** The window a non-SYN segment would advertise now, in bytes, without side effects. */
  prospectiveWindow(): number {
    return this.windowUnits() * 2 ** this.rcvWscale;
  }

  /** Queues a segment; every non-RST segment after our SYN carries ACK and our current window. */
  emit(flags: number, at: Seq, now: number, payload: Uint8Array = EMPTY, synOptions?: TcpOptions): void {
    const isSyn = (flags & TcpFlags.SYN) !== 0;
    const isRst = (flags & TcpFlags.RST) !== 0;
    const hasAck = (flags & TcpFlags.ACK) !== 0;
    let window = 0;
    if (!isRst) {
      if (isSyn) {
        window = Math.min(65535, this.receiveSpace);
        if (hasAck && gt(add(this.rcvNxt, window), this.rcvAdvEdge)) this.rcvAdvEdge = add(this.rcvNxt, window);
      } else {
        window = this.windowField();
      }
    }
    let options: TcpOptions = synOptions ?? NO_OPTIONS;
    if (!synOptions && this.tsEnabled && !isRst) {
      // RFC 7323 §3.2: once negotiated, every non-RST segment carries TSopt, echoing TS.Recent.
      options = { timestamps: { tsVal: this.tsNow(now), tsEcr: this.tsRecent } };
    }
    this.outgoing.push({
      srcPort: this.endpoints.localPort,
      dstPort: this.endpoints.remotePort,
      seq: at,
      ack: hasAck ? this.rcvNxt : 0,
      flags,
      window,
      urgentPointer: 0,
      options,
      payload,
    });
    this.stats.segmentsOut++;
    this.stats.bytesOut += payload.length;
    if (hasAck) {
      this.lastAckSent = this.rcvNxt;
      this.ackPending = false;
      this.unackedSegments = 0;
      this.delayedAckAt = undefined;
    }
  }

  /** An ACK in reply to an unacceptable segment (RFC 9293 §3.10.7.4) or a challenge ACK (RFC 5961). */
  sendAck(now: number): void {
    // SND.NXT in RFC terms is our highest sent sequence (sndNxt may have been pulled back on a timeout).
    this.emit(TcpFlags.ACK, this.sndMax, now);
  }

  /** Sends a rate-limited ACK (RFC 5961 §7); returns whether it was sent. */
  sendChallengeAck(now: number): boolean {
    if (!this.challengeLimiter.allow(now)) {
      this.stats.challengeAcksSuppressed++;
      return false;
    }
    this.stats.challengeAcks++;
    this.sendAck(now);
    return true;
  }

  /** Asks for an ACK: at once, or delayed (RFC 9293 §3.8.6.3) when enabled and allowed. */
  scheduleAck(now: number, immediate: boolean): void {
    if (immediate || this.config.delayedAckMs === 0) {
      this.ackPending = true;
      return;
    }
    this.unackedSegments++;
    if (this.unackedSegments >= 2) this.ackPending = true;
    else this.delayedAckAt ??= now + this.config.delayedAckMs;
  }

  /** The connection state (RFC 9293 §3.3.2); changed only by setState. */
  get state(): TcpState {
    return this.current;
  }

  /** The one place the state changes: checks the transition (a bug otherwise) and tells onStateChange. */
  setState(to: TcpState): void {
    const from = this.current;
    if (from === to) return;
    if (!isLegalTransition(from, to)) throw new TcpError('ERR_TCP_ILLEGAL_TRANSITION', `illegal TCP state transition ${from} -> ${to}`);
    this.current = to;
    this.onStateChange?.(from, to);
  }

  /** Counts a segment dropped for `reason` (and tells onDrop). */
  dropSegment(reason: TcbDropReason): void {
    this.stats.drops[reason]++;
    this.onDrop?.(reason);
  }

  queueEvent(event: TcbEvent): void {
    if (this.closeReason === undefined && !this.events.includes(event)) this.events.push(event);
  }

  /** Enters CLOSED, drops buffers and timers, and queues the closed event. */
  finish(reason: TcpCloseReason): void {
    if (this.closeReason !== undefined) return;
    this.setState(TcpState.CLOSED);
    this.closeReason = reason;
    this.rtxAt = this.persistAt = this.delayedAckAt = this.timeWaitAt = this.finWait2At = this.synDeadline = undefined;
    this.ackPending = false;
    this.reassembly.clear();
    this.sendBuffer.drop(this.sendBuffer.length);
    this.events = this.events.filter((event) => event === 'readable' || event === 'peerFin');
  }

  /** Enters TIME-WAIT (RFC 9293 §3.10.7.4): wait 2*MSL, no retransmissions left. */
  enterTimeWait(now: number): void {
    this.setState(TcpState.TIME_WAIT);
    this.timeWaitAt = now + 2 * this.config.mslMs;
    this.rtxAt = this.persistAt = this.finWait2At = undefined;
  }
}
