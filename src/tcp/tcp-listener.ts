// A listening port (RFC 9293 §3.10.7.2, LISTEN): turns SYNs into SYN-RECEIVED Tcbs under a bounded SYN
// backlog with a per-source share; past either bound it answers with SYN cookies (RFC 4987 §3.6) and
// rebuilds the Tcb from a valid cookie ACK. Other ACKs get a RST, RSTs are ignored. Demux is the owner's.
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { Tcb, type TcbOpenOptions } from './tcb.ts';
import { defaultTcpConfig, type TcpConfig } from './tcp-config.ts';
import { TcpState } from './tcp-states.ts';
import type { TcbDropReason, TcbHandler, TcpEndpoints } from './tcb-types.ts';
import type { IsnSource } from './isn.ts';
import { resetForClosed } from './reset.ts';
import { clampPeerMss, receiveWindowShift } from './options-negotiation.ts';
import {
  COOKIE_MAX_AGE,
  COOKIE_PERIOD_MS,
  decodeCookieOptions,
  encodeCookieTimestamp,
  type SynCookies,
} from './syn-cookie.ts';

export interface TcpListenerOptions {
  readonly localAddress: number;
  readonly localPort: number;
  readonly isn: IsnSource;
  /** Keyed SYN cookies (createSynCookies); without them a full backlog drops SYNs. */
  readonly cookies?: SynCookies;
  /** Given to every Tcb it creates: told of each segment a Tcb drops. */
  readonly onDrop?: (reason: TcbDropReason) => void;
  /** Given to every Tcb it creates: a trace of its state changes. */
  readonly onStateChange?: TcbOpenOptions['onStateChange'];
  /** Resolved config for the listener and every Tcb it creates; default defaultTcpConfig. */
  readonly config?: TcpConfig;
}

/** What the owner must do with a segment handed to the listener. */
export type ListenerVerdict =
  /** A new SYN-RECEIVED Tcb: register it under its endpoints, attach a handler, send its takeOutgoing(). */
  | { readonly kind: 'accepted'; readonly tcb: Tcb }
  /**
   * A Tcb rebuilt from a valid SYN cookie (SYN-RECEIVED, nothing queued): register it like 'accepted',
   * then pass the same segment to tcb.handleSegment (it completes the handshake and takes any data).
   */
  | { readonly kind: 'cookie'; readonly tcb: Tcb }
  /** Send this segment back (a RST for an ACK in LISTEN, or a SYN cookie SYN-ACK). */
  | { readonly kind: 'reply'; readonly segment: TcpSegment }
  /** Nothing to send. */
  | { readonly kind: 'dropped'; readonly reason: ListenerDropReason };

export type ListenerDropReason = 'rst' | 'not-syn' | 'syn-fin' | 'backlog-full';

export class TcpListener {
  readonly localAddress: number;
  readonly localPort: number;
  private readonly isn: IsnSource;
  private readonly config: TcpConfig;
  private readonly cookies: SynCookies | undefined;
  private readonly hooks: Pick<TcbOpenOptions, 'onDrop' | 'onStateChange'>;
  private readonly embryonic = new Set<Tcb>();
  /** Half-open Tcbs per remote address (each VM has its own), so no one source takes every slot. */
  private readonly embryonicBySource = new Map<number, number>();
  private droppedForBacklog = 0;
  private lastCookieAt = -Infinity;
  /** SYN-ACKs sent as cookies, cookie ACKs that opened a connection, ACKs whose cookie did not check. */
  readonly cookieStats = { sent: 0, accepted: 0, rejected: 0 };

  constructor(options: TcpListenerOptions) {
    this.localAddress = options.localAddress >>> 0;
    this.localPort = options.localPort;
    this.isn = options.isn;
    this.cookies = options.config?.synCookies === false ? undefined : options.cookies;
    this.hooks = {
      ...(options.onDrop ? { onDrop: options.onDrop } : {}),
      ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
    };
    this.config = options.config ?? defaultTcpConfig;
  }

  /** Half-open (SYN-RECEIVED) connections created by this listener that are still half-open. */
  get synBacklogLength(): number {
    this.prune();
    return this.embryonic.size;
  }

  /** Half-open connections from one remote address. */
  halfOpenFrom(remoteAddress: number): number {
    this.prune();
    return this.embryonicBySource.get(remoteAddress >>> 0) ?? 0;
  }

  /** SYNs dropped because the backlog was full (monotonic). */
  get backlogDrops(): number {
    return this.droppedForBacklog;
  }

  /**
   * Handles a segment addressed to this port that matched no existing connection
   * (including a SYN re-dispatched after a Tcb returned 'reuse' from TIME-WAIT).
   * `handler`, if given, is attached to a newly created Tcb before its first event. Like
   * Tcb.handleSegment, keeps no reference to `segment` or its payload.
   */
  handleSegment(segment: TcpSegment, remoteAddress: number, now: number, handler?: TcbHandler): ListenerVerdict {
    const flags = segment.flags;
    if (flags & TcpFlags.RST) return { kind: 'dropped', reason: 'rst' };
    if (flags & TcpFlags.ACK) {
      if (!(flags & TcpFlags.SYN)) {
        const tcb = this.fromCookie(segment, remoteAddress >>> 0, now, handler);
        if (tcb !== undefined) return { kind: 'cookie', tcb };
      }
      const reply = resetForClosed(segment);
      return reply ? { kind: 'reply', segment: reply } : { kind: 'dropped', reason: 'rst' };
    }
    if (!(flags & TcpFlags.SYN)) return { kind: 'dropped', reason: 'not-syn' };
    if (flags & TcpFlags.FIN) return { kind: 'dropped', reason: 'syn-fin' };
    this.prune();
    const source = remoteAddress >>> 0;
    const fromSource = this.embryonicBySource.get(source) ?? 0;
    const endpoints = this.endpointsFor(source, segment.srcPort);
    if (this.embryonic.size >= this.config.synBacklog || fromSource >= this.config.synBacklogPerSource) {
      if (this.cookies !== undefined) return { kind: 'reply', segment: this.cookieSynAck(segment, endpoints, now) };
      this.droppedForBacklog++;
      return { kind: 'dropped', reason: 'backlog-full' };
    }
    const tcb = Tcb.acceptSyn(segment, {
      endpoints,
      iss: this.isn.iss(endpoints, now),
      tsOffset: this.isn.tsOffset(endpoints),
      now,
      config: this.config,
      handler,
      ...this.hooks,
    });
    this.embryonic.add(tcb);
    this.embryonicBySource.set(source, fromSource + 1);
    return { kind: 'accepted', tcb };
  }

  private endpointsFor(remoteAddress: number, remotePort: number): TcpEndpoints {
    return { localAddress: this.localAddress, localPort: this.localPort, remoteAddress, remotePort };
  }

  /** RFC 4987 §3.6: the SYN-ACK a SYN-RECEIVED Tcb would send, with the cookie as ISN; no state kept. */
  private cookieSynAck(syn: TcpSegment, endpoints: TcpEndpoints, now: number): TcpSegment {
    const config = this.config;
    const peer = syn.options;
    const peerMss = clampPeerMss(peer.mss);
    const iss = this.cookies!.isn(endpoints, syn.seq >>> 0, peerMss, now);
    const scaling = config.windowScaling && peer.windowScale !== undefined;
    const timestamps = config.timestamps && peer.timestamps !== undefined;
    const peerShift = Math.max(0, Math.min(14, Math.floor(peer.windowScale ?? 0)));
    const tsNow = (Math.floor(now) + this.isn.tsOffset(endpoints)) >>> 0;
    this.cookieStats.sent++;
    this.lastCookieAt = now;
    return {
      srcPort: this.localPort,
      dstPort: syn.srcPort,
      seq: iss,
      ack: (syn.seq + 1) >>> 0,
      flags: TcpFlags.SYN | TcpFlags.ACK,
      window: Math.min(65535, config.receiveBufferSize),
      urgentPointer: 0,
      options: {
        mss: config.mss,
        ...(scaling ? { windowScale: receiveWindowShift(config.receiveBufferSize) } : {}),
        ...(timestamps
          ? { timestamps: { tsVal: encodeCookieTimestamp(tsNow, scaling ? peerShift : undefined, peer.sackPermitted === true), tsEcr: peer.timestamps!.tsVal >>> 0 } }
          : {}),
      },
      payload: new Uint8Array(0),
    };
  }

  /** An ACK for no connection: a Tcb if it carries a valid cookie (checked only while cookies are recent). */
  private fromCookie(ack: TcpSegment, remoteAddress: number, now: number, handler: TcbHandler | undefined): Tcb | undefined {
    if (this.cookies === undefined || now - this.lastCookieAt >= COOKIE_PERIOD_MS * COOKIE_MAX_AGE) return undefined;
    const endpoints = this.endpointsFor(remoteAddress, ack.srcPort);
    const mss = this.cookies.check(endpoints, ack.seq >>> 0, ack.ack >>> 0, now);
    const ts = ack.options.timestamps;
    const peer = mss === undefined ? undefined : decodeCookieOptions(mss, this.config.timestamps ? ts?.tsEcr : undefined);
    if (peer === undefined) {
      this.cookieStats.rejected++;
      return undefined;
    }
    this.cookieStats.accepted++;
    return Tcb.fromCookie(ack, {
      endpoints,
      iss: (ack.ack - 1) >>> 0,
      tsOffset: this.isn.tsOffset(endpoints),
      now,
      config: this.config,
      handler,
      peer,
      ...this.hooks,
    });
  }

  private prune(): void {
    for (const tcb of this.embryonic) {
      if (tcb.state === TcpState.SYN_RECEIVED) continue;
      this.embryonic.delete(tcb);
      const source = tcb.endpoints.remoteAddress;
      const left = (this.embryonicBySource.get(source) ?? 1) - 1;
      if (left > 0) this.embryonicBySource.set(source, left);
      else this.embryonicBySource.delete(source);
    }
  }
}
