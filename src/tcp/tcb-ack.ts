// ACK processing in synchronized states (RFC 9293 §3.10.7.4 fifth step): RFC 5961 §5.2 acceptance,
// send-buffer release, RTT samples (RFC 6298 with Karn's rule, RFC 7323 RTTM), NewReno fast
// retransmit/recovery (RFC 5681 §3.2, RFC 6582), window updates and FIN-acknowledged transitions.
import { TcpFlags, type TcpSegment } from '../wire/tcp-segment.ts';
import { retransmitAt } from './tcb-output.ts';
import { add, ge, gt, le, lt, sub, seq, type Seq } from './seq.ts';
import { TcpState } from './tcp-states.ts';
import { TcpCloseReason } from './tcb-types.ts';
import type { TcbCore } from './tcb-core.ts';

/**
 * Processes SEG.ACK; `window` is SEG.WND in bytes (scaled unless the segment is a SYN, RFC 7323 §2.2).
 * Returns false when the segment must be dropped (or the Tcb closed).
 */
export function processAck(core: TcbCore, seg: TcpSegment, window: number, now: number): boolean {
  const ack = seq(seg.ack);
  const probeEdge = core.probeOutstanding && core.sndNxt === core.sndMax ? add(core.sndMax, 1) : core.sndMax;
  const oldest = add(core.sndUna, -core.maxSndWnd);
  if (gt(ack, probeEdge) || lt(ack, oldest)) {
    // RFC 5961 §5.2 / RFC 9293: ACK of unsent data or far too old: ACK back (rate limited) and drop.
    core.sendChallengeAck(now);
    return false;
  }
  core.probesUnanswered = 0;
  const una = core.sndUna;
  if (gt(ack, una)) {
    newAck(core, seg, ack, now);
    if (core.closeReason !== undefined) return false;
  } else if (ack === una && isDuplicateAck(core, seg, window)) {
    duplicateAck(core, ack, now);
  }
  // RFC 9293 §3.10.7.4: update the send window from the newest segment (SND.WL1/SND.WL2 rule).
  if (ge(ack, una) && (lt(core.sndWl1, seq(seg.seq)) || (core.sndWl1 === seq(seg.seq) && le(core.sndWl2, ack)))) {
    core.sndWnd = window;
    core.sndWl1 = seq(seg.seq);
    core.sndWl2 = ack;
    if (window > core.maxSndWnd) core.maxSndWnd = window;
    if (window > 0) core.persistBackoff = 0;
  }
  return true;
}

/** RFC 5681 §2 duplicate ACK: no data, no SYN/FIN, same window, data outstanding. */
function isDuplicateAck(core: TcbCore, seg: TcpSegment, window: number): boolean {
  return (
    seg.payload.length === 0 &&
    (seg.flags & (TcpFlags.SYN | TcpFlags.FIN)) === 0 &&
    window === core.sndWnd &&
    core.sndMax !== core.sndUna
  );
}

function duplicateAck(core: TcbCore, ack: Seq, now: number): void {
  core.dupAcks++;
  if (core.inRecovery) {
    core.cc.onDupAckInRecovery();
    return;
  }
  // RFC 6582 §3.2 step 2: only if the ACK covers more than `recover` (no false fast retransmit after RTO).
  if (core.dupAcks === 3 && gt(ack, core.recover)) {
    core.cc.enterRecovery(sub(core.sndMax, core.sndUna));
    core.recover = core.sndMax;
    core.inRecovery = true;
    core.stats.fastRetransmits++;
    retransmitAt(core, core.sndUna, now);
  }
}

function newAck(core: TcbCore, seg: TcpSegment, ack: Seq, now: number): void {
  const acked = sub(ack, core.sndUna);
  const dataAcked = Math.max(0, Math.min(sub(ack, core.sndBufSeq), core.sendBuffer.length));
  core.sendBuffer.drop(dataAcked);
  core.sndBufSeq = add(core.sndBufSeq, dataAcked);
  core.sndUna = ack;
  if (gt(ack, core.sndNxt)) core.sndNxt = ack;
  if (gt(ack, core.sndMax)) core.sndMax = ack;
  core.probeOutstanding = false;
  sampleRtt(core, seg, ack, now);
  if (core.inRecovery) {
    if (ge(ack, core.recover)) {
      core.inRecovery = false;
      core.cc.exitRecovery(core.flight);
    } else {
      // RFC 6582 §3.2 step 3: partial ACK, retransmit the next hole at once and stay in recovery.
      core.cc.onPartialAck(acked);
      retransmitAt(core, core.sndUna, now);
    }
  } else {
    core.cc.onAck(acked);
  }
  core.dupAcks = 0;
  core.retries = 0;
  core.persistBackoff = 0;
  // RFC 6298 §5.2/§5.3: stop the timer when all is acknowledged, else restart it.
  core.rtxAt = core.sndMax === core.sndUna ? undefined : now + core.rto.rto;
  if (dataAcked > 0 && !core.finQueued) core.queueEvent('writable');
  if (!core.finAcked) return;
  switch (core.state) {
    case TcpState.FIN_WAIT_1:
      core.setState(TcpState.FIN_WAIT_2);
      if (core.orphaned) core.finWait2At = now + core.config.finWait2TimeoutMs;
      break;
    case TcpState.CLOSING:
      core.enterTimeWait(now);
      break;
    case TcpState.LAST_ACK:
      core.finish(TcpCloseReason.NORMAL);
      break;
    default:
      break;
  }
}

/** RFC 7323 §4.1 RTTM from the echoed timestamp, else RFC 6298 Karn timing of one segment. */
function sampleRtt(core: TcbCore, seg: TcpSegment, ack: Seq, now: number): void {
  const ts = seg.options.timestamps;
  if (core.tsEnabled && ts && ts.tsEcr !== 0) {
    const rtt = sub(core.tsNow(now), seq(ts.tsEcr));
    if (rtt >= 0 && rtt < core.config.rtoMaxMs * 4) core.rto.sample(rtt);
    core.rttSeq = undefined;
    return;
  }
  if (core.rttSeq !== undefined && ge(ack, core.rttSeq)) {
    core.rto.sample(now - core.rttTime);
    core.rttSeq = undefined;
  }
}
