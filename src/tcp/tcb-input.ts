// Segment arrival (RFC 9293 §3.10.7): SYN-SENT handling, then for SYN-RECEIVED and synchronized states
// PAWS (RFC 7323 §5), the sequence check, RST/SYN checks with RFC 5961 challenge ACKs, ACK, text, FIN.
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { negotiate } from './options-negotiation.ts';
import { resetForClosed, segmentLength } from './reset.ts';
import { add, ge, gt, inWindow, le, lt, sub, seq, type Seq } from './seq.ts';
import { processAck } from './tcb-ack.ts';
import { sendSyn } from './tcb-output.ts';
import { processText } from './tcb-receive.ts';
import { TcpState } from './tcp-states.ts';
import { TcbDropReason, TcpCloseReason, type TcbVerdict } from './tcb-types.ts';
import type { TcbCore } from './tcb-core.ts';

export function processSegment(core: TcbCore, seg: TcpSegment, now: number): TcbVerdict {
  core.stats.segmentsIn++;
  switch (core.state) {
    case TcpState.CLOSED:
    case TcpState.LISTEN: {
      const reply = resetForClosed(seg);
      if (reply) core.outgoing.push(reply);
      return 'ok';
    }
    case TcpState.SYN_SENT:
      synSent(core, seg, now);
      return 'ok';
    case TcpState.TIME_WAIT:
      if (reusesTimeWait(core, seg)) {
        core.finish(TcpCloseReason.REUSED);
        return 'reuse';
      }
      break;
    default:
      break;
  }
  synchronized(core, seg, now);
  return 'ok';
}

/** Applies the peer's SYN: IRS, RCV.NXT, negotiated options, initial send window (never scaled in a SYN). */
export function applyPeerSyn(core: TcbCore, seg: TcpSegment): void {
  const agreed = negotiate(core.config, seg.options);
  core.windowScaling = agreed.windowScaling;
  core.sndWscale = agreed.sndWscale;
  core.rcvWscale = agreed.rcvWscale;
  core.tsEnabled = agreed.timestamps;
  core.sndMss = agreed.sndMss;
  core.cc.setMss(core.payloadMss);
  core.irs = seq(seg.seq);
  core.rcvNxt = add(seq(seg.seq), 1);
  core.rcvAdvEdge = add(core.rcvNxt, Math.min(65535, core.receiveSpace));
  if (core.tsEnabled && seg.options.timestamps) core.tsRecent = seq(seg.options.timestamps.tsVal);
  core.sndWnd = seg.window;
  core.maxSndWnd = seg.window;
  core.sndWl1 = seq(seg.seq);
  core.sndWl2 = seq(seg.ack);
}

/** RFC 9293 §3.10.7.3. */
function synSent(core: TcbCore, seg: TcpSegment, now: number): void {
  const hasAck = (seg.flags & TcpFlags.ACK) !== 0;
  const isRst = (seg.flags & TcpFlags.RST) !== 0;
  if (hasAck && (le(seq(seg.ack), core.iss) || gt(seq(seg.ack), core.sndMax))) {
    if (!isRst) core.emit(TcpFlags.RST, seq(seg.ack), now);
    core.dropSegment(TcbDropReason.SYN_SENT_BAD_ACK);
    return;
  }
  if (isRst) {
    if (hasAck) core.finish(TcpCloseReason.REFUSED);
    else core.dropSegment(TcbDropReason.SYN_SENT_RST_NO_ACK);
    return;
  }
  if (!(seg.flags & TcpFlags.SYN)) {
    core.dropSegment(TcbDropReason.SYN_SENT_NO_SYN);
    return;
  }
  applyPeerSyn(core, seg);
  if (!hasAck) {
    // Simultaneous open: SYN-RECEIVED, answer with SYN-ACK at ISS.
    core.setState(TcpState.SYN_RECEIVED);
    core.rtxAt = undefined;
    sendSyn(core, now);
    return;
  }
  core.sndUna = seq(seg.ack);
  const ts = seg.options.timestamps;
  if (core.tsEnabled && ts && ts.tsEcr !== 0) core.rto.sample(Math.max(0, sub(core.tsNow(now), seq(ts.tsEcr))));
  else if (core.rttSeq !== undefined) core.rto.sample(now - core.rttTime);
  core.rttSeq = undefined;
  core.rtxAt = undefined;
  core.retries = 0;
  establish(core);
  core.ackPending = true;
  processText(core, add(seq(seg.seq), 1), seg.payload, (seg.flags & TcpFlags.FIN) !== 0, now);
}

function establish(core: TcbCore): void {
  core.setState(core.finQueued ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED);
  core.synDeadline = undefined;
  core.queueEvent('established');
}

/** RFC 6191 / RFC 9293 §3.10.7.4: a new SYN may end TIME-WAIT if it is clearly newer. */
function reusesTimeWait(core: TcbCore, seg: TcpSegment): boolean {
  if ((seg.flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) !== TcpFlags.SYN) return false;
  const ts = seg.options.timestamps;
  if (core.tsEnabled && ts) return gt(seq(ts.tsVal), core.tsRecent);
  return gt(seq(seg.seq), core.rcvNxt);
}

/** RFC 9293 §3.10.7.4 "Otherwise" (SYN-RECEIVED and synchronized states). */
function synchronized(core: TcbCore, incoming: TcpSegment, now: number): void {
  let seg = incoming;
  // RFC 7323 §2.2: the window field of a segment with SYN set is never scaled.
  const window = seg.flags & TcpFlags.SYN ? seg.window : seg.window * 2 ** core.sndWscale;
  if (
    core.state === TcpState.SYN_RECEIVED &&
    !core.passive &&
    (seg.flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === (TcpFlags.SYN | TcpFlags.ACK) &&
    add(seq(seg.seq), 1) === core.rcvNxt &&
    seq(seg.ack) === core.sndMax
  ) {
    // Simultaneous open: the peer's SYN-ACK completes our SYN-RECEIVED (as Linux); its SYN is a duplicate.
    // Its window stays unscaled (computed above, while SYN was still set).
    seg = { ...seg, seq: core.rcvNxt, flags: seg.flags & ~TcpFlags.SYN };
  }
  const isRst = (seg.flags & TcpFlags.RST) !== 0;
  const isSyn = (seg.flags & TcpFlags.SYN) !== 0;
  const hasAck = (seg.flags & TcpFlags.ACK) !== 0;
  if (core.state === TcpState.SYN_RECEIVED && isSyn && !hasAck && !isRst && seq(seg.seq) === core.irs) {
    // The peer retransmitted its SYN: our SYN-ACK was probably lost; resend it (rate limited).
    if (core.challengeLimiter.allow(now)) sendSyn(core, now);
    return;
  }
  const ts = core.tsEnabled ? seg.options.timestamps : undefined;
  if (ts && !isRst && lt(seq(ts.tsVal), core.tsRecent)) {
    // RFC 7323 §5.3 R1 (PAWS): an old duplicate; ACK it and drop.
    unacceptable(core, seg, now, TcbDropReason.PAWS);
    return;
  }
  const segLen = segmentLength(seg);
  const wnd = core.rcvWnd;
  let ackOnly = false;
  if (!acceptable(seq(seg.seq), segLen, core.rcvNxt, wnd)) {
    if (isRst) {
      core.dropSegment(TcbDropReason.RST_OUT_OF_WINDOW); // RFC 5961 §3.2: silently
      return;
    }
    if (core.state === TcpState.TIME_WAIT && seg.flags & TcpFlags.FIN) core.enterTimeWait(now); // restart 2*MSL
    if (wnd === 0 && seq(seg.seq) === core.rcvNxt && hasAck && !isSyn) {
      // RFC 9293 §3.10.7.4: with a zero window, still process ACKs (e.g. on window probes). A bare FIN
      // takes no buffer space and is accepted, as Linux does (tcp_data_queue), so the close is not stalled.
      ackOnly = seg.payload.length > 0 || (seg.flags & TcpFlags.FIN) === 0;
      core.ackPending = true;
    } else {
      unacceptable(core, seg, now);
      return;
    }
  }
  if (ts && le(seq(seg.seq), core.lastAckSent) && ge(seq(ts.tsVal), core.tsRecent)) core.tsRecent = seq(ts.tsVal);
  if (isRst) {
    // RFC 5961 §3.2: reset only on an exact match, otherwise a challenge ACK.
    if (seq(seg.seq) === core.rcvNxt) {
      if (core.state !== TcpState.TIME_WAIT) core.finish(TcpCloseReason.RESET); // RFC 1337: TIME-WAIT ignores RST
    } else {
      core.sendChallengeAck(now);
    }
    return;
  }
  if (isSyn) {
    core.sendChallengeAck(now); // RFC 5961 §4.2, RFC 9293 §3.10.7.4 fourth step
    return;
  }
  if (!hasAck) {
    core.dropSegment(TcbDropReason.NO_ACK);
    return;
  }
  if (core.state === TcpState.SYN_RECEIVED) {
    if (!(gt(seq(seg.ack), core.sndUna) && le(seq(seg.ack), core.sndMax))) {
      core.emit(TcpFlags.RST, seq(seg.ack), now);
      return;
    }
    establish(core);
    core.sndWnd = window;
    core.maxSndWnd = Math.max(core.maxSndWnd, core.sndWnd);
    core.sndWl1 = seq(seg.seq);
    core.sndWl2 = seq(seg.ack);
  }
  if (!processAck(core, seg, window, now)) return;
  if (ackOnly) return;
  if (core.state === TcpState.TIME_WAIT) {
    if (seg.flags & TcpFlags.FIN) {
      core.enterTimeWait(now);
      core.ackPending = true;
    }
    return;
  }
  processText(core, seq(seg.seq), seg.payload, (seg.flags & TcpFlags.FIN) !== 0, now);
}

/** RFC 9293 §3.10.7.4 first step acceptability; zero-length segments may sit at the right edge (as Linux). */
export function acceptable(seq: Seq, segLen: number, rcvNxt: Seq, wnd: number): boolean {
  if (segLen === 0) return wnd === 0 ? seq === rcvNxt : inWindow(seq, rcvNxt, wnd + 1);
  if (wnd === 0) return false;
  return inWindow(seq, rcvNxt, wnd) || inWindow(add(seq, segLen - 1), rcvNxt, wnd);
}

/**
 * Reply to an unacceptable segment with an ACK. Segments carrying no sequence space (pure ACKs) and SYNs
 * are answered through the RFC 5961 §7 limiter so two stacks can never ACK each other forever.
 */
function unacceptable(core: TcbCore, seg: TcpSegment, now: number, reason: TcbDropReason = TcbDropReason.OUT_OF_WINDOW): void {
  core.dropSegment(reason);
  if (seg.flags & TcpFlags.RST) return;
  if (seg.flags & TcpFlags.SYN || segmentLength(seg) === 0) core.sendChallengeAck(now);
  else core.sendAck(now);
}
