// A listening port (RFC 9293 §3.10.7.2, LISTEN): turns SYNs into SYN-RECEIVED Tcbs under a bounded
// SYN backlog, answers ACKs with RST, ignores RSTs. Connection demux stays with the owner (stack).
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { Tcb } from './tcb.ts';
import { defaultTcpConfig, type TcpConfig } from './tcp-config.ts';
import { TcpState } from './tcp-states.ts';
import type { TcbHandler, TcpEndpoints } from './tcb-types.ts';
import type { IsnSource } from './isn.ts';
import { resetForClosed } from './reset.ts';

export interface TcpListenerOptions {
  readonly localAddress: number;
  readonly localPort: number;
  readonly isn: IsnSource;
  /** Resolved config for the listener and every Tcb it creates; default defaultTcpConfig. */
  readonly config?: TcpConfig;
}

/** What the owner must do with a segment handed to the listener. */
export type ListenerVerdict =
  /** A new SYN-RECEIVED Tcb: register it under its endpoints, attach a handler, send its takeOutgoing(). */
  | { readonly kind: 'accepted'; readonly tcb: Tcb }
  /** Send this segment back (a RST for an ACK in LISTEN). */
  | { readonly kind: 'reply'; readonly segment: TcpSegment }
  /** Nothing to send. */
  | { readonly kind: 'dropped'; readonly reason: ListenerDropReason };

export type ListenerDropReason = 'rst' | 'not-syn' | 'syn-fin' | 'backlog-full';

export class TcpListener {
  readonly localAddress: number;
  readonly localPort: number;
  private readonly isn: IsnSource;
  private readonly config: TcpConfig;
  private readonly embryonic = new Set<Tcb>();
  private droppedForBacklog = 0;

  constructor(options: TcpListenerOptions) {
    this.localAddress = options.localAddress >>> 0;
    this.localPort = options.localPort;
    this.isn = options.isn;
    this.config = options.config ?? defaultTcpConfig;
  }

  /** Half-open (SYN-RECEIVED) connections created by this listener that are still half-open. */
  get synBacklogLength(): number {
    this.prune();
    return this.embryonic.size;
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
      const reply = resetForClosed(segment);
      return reply ? { kind: 'reply', segment: reply } : { kind: 'dropped', reason: 'rst' };
    }
    if (!(flags & TcpFlags.SYN)) return { kind: 'dropped', reason: 'not-syn' };
    if (flags & TcpFlags.FIN) return { kind: 'dropped', reason: 'syn-fin' };
    this.prune();
    if (this.embryonic.size >= this.config.synBacklog) {
      this.droppedForBacklog++;
      return { kind: 'dropped', reason: 'backlog-full' };
    }
    const endpoints: TcpEndpoints = {
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: remoteAddress >>> 0,
      remotePort: segment.srcPort,
    };
    const tcb = Tcb.acceptSyn(segment, {
      endpoints,
      iss: this.isn.iss(endpoints, now),
      tsOffset: this.isn.tsOffset(endpoints),
      now,
      config: this.config,
      handler,
    });
    this.embryonic.add(tcb);
    return { kind: 'accepted', tcb };
  }

  private prune(): void {
    for (const tcb of this.embryonic) {
      if (tcb.state !== TcpState.SYN_RECEIVED) this.embryonic.delete(tcb);
    }
  }
}
