// What a Tcb transmits (RFC 9293 §3.8): SYN/SYN-ACK, new data within min(peer window, cwnd) with
// sender SWS avoidance and optional Nagle, FIN after the data, retransmissions, zero-window probes
// (RFC 9293 §3.8.6.1) and pending ACKs.
import { TcpFlags, type TcpOptions } from '../wire/tcp-segment.ts';
import { ourSynOptions } from './options-negotiation.ts';
import { add, gt, lt, seqMax, sub, type Seq } from './seq.ts';
import { canTransmit, TcpState } from './tcp-states.ts';
import type { TcbCore } from './tcb-core.ts';

/** (Re)sends our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED, only the negotiated options) at ISS. */
export function sendSyn(core: TcbCore, now: number): void {
  const synAck = core.state === TcpState.SYN_RECEIVED;
  const options: TcpOptions = synAck
    ? {
        mss: core.config.mss,
        ...(core.windowScaling ? { windowScale: core.rcvWscale } : {}),
        ...(core.tsEnabled ? { timestamps: { tsVal: core.tsNow(now), tsEcr: core.tsRecent } } : {}),
      }
    : ourSynOptions(core.config, core.tsNow(now));
  core.emit(synAck ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.SYN, core.iss, now, undefined, options);
  core.sndNxt = seqMax(core.sndNxt, add(core.iss, 1));
  core.sndMax = seqMax(core.sndMax, core.sndNxt);
  core.rtxAt ??= now + core.rto.rto;
}

/**
 * Resends one segment of up to one MSS of already-sent data starting at `seq` (>= sndBufSeq); sndNxt only
 * moves forward past it. Never beyond sndMax: bytes not sent before are new data, which output() sends
 * within the peer's window and cwnd (and an ACK for them must not look like an ACK of unsent data).
 */
export function retransmitAt(core: TcbCore, seq: Seq, now: number): void {
  const offset = sub(seq, core.sndBufSeq);
  if (offset < 0) return;
  const sent = Math.min(sub(core.sndMax, seq), core.sendBuffer.length - offset);
  const length = Math.max(0, Math.min(core.payloadMss, sent));
  const fin = core.finSent && offset + length === core.sendBuffer.length;
  if (length === 0 && !fin) return;
  const payload = core.sendBuffer.peek(offset, length);
  const flags = TcpFlags.ACK | (fin ? TcpFlags.FIN : 0) | (length > 0 && fin ? TcpFlags.PSH : 0);
  core.emit(flags, seq, now, payload);
  core.stats.retransmits++;
  core.rttSeq = undefined; // Karn: never time a retransmitted range
  const end = add(seq, length + (fin ? 1 : 0));
  if (gt(end, core.sndNxt)) core.sndNxt = end;
  core.rtxAt ??= now + core.rto.rto;
}

/** Sends a 1-byte zero-window probe at sndNxt (RFC 9293 §3.8.6.1) without advancing sndNxt. */
export function sendWindowProbe(core: TcbCore, now: number): void {
  const offset = sub(core.sndNxt, core.sndBufSeq);
  if (offset < core.sendBuffer.length) {
    core.emit(TcpFlags.ACK, core.sndNxt, now, core.sendBuffer.peek(offset, 1));
    core.probeOutstanding = true;
  } else {
    core.sendAck(now);
  }
  core.stats.zeroWindowProbes++;
}

/** Sends whatever may go now: new data, FIN, or a pending ACK. Then (re)arms send timers. */
export function output(core: TcbCore, now: number): void {
  if (core.closeReason !== undefined) return;
  if (canTransmit(core.state)) sendData(core, now);
  if (core.ackPending && core.state !== TcpState.SYN_SENT && core.state !== TcpState.CLOSED) core.sendAck(now);
  armPersist(core, now);
}

function sendData(core: TcbCore, now: number): void {
  const mss = core.payloadMss;
  for (;;) {
    const offset = sub(core.sndNxt, core.sndBufSeq);
    const unsent = core.sendBuffer.length - offset;
    const finPending = core.finQueued && unsent <= 0 && !gt(core.sndNxt, core.finSeq);
    if (unsent <= 0 && !finPending) return;
    const inflight = core.flight;
    const usable = Math.min(core.sndWnd, core.cc.cwnd) - inflight;
    let length = Math.max(0, Math.min(unsent, mss, usable));
    if (unsent > 0) {
      if (length === 0) return;
      // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a short segment only if it ends the data, is at least
      // half the largest window offered, or nothing is in flight (so no ACK will come to trigger more).
      const short = length < mss && length < unsent;
      if (short && inflight > 0 && length < core.maxSndWnd / 2) return;
      // Nagle (RFC 9293 §3.7.4): hold a sub-MSS segment while data is unacknowledged.
      if (core.config.nagle && length < mss && inflight > 0) return;
    } else {
      length = 0;
    }
    const fin = core.finQueued && offset + length === core.sendBuffer.length;
    const payload = core.sendBuffer.peek(offset, length);
    const retransmission = lt(core.sndNxt, core.sndMax);
    const flags = TcpFlags.ACK | (fin ? TcpFlags.FIN : 0) | (length > 0 && length === unsent ? TcpFlags.PSH : 0);
    core.emit(flags, core.sndNxt, now, payload);
    const end = add(core.sndNxt, length + (fin ? 1 : 0));
    if (retransmission) {
      core.stats.retransmits++;
      core.rttSeq = undefined;
    } else if (!core.tsEnabled && core.rttSeq === undefined) {
      core.rttSeq = end;
      core.rttTime = now;
    }
    core.sndNxt = end;
    core.sndMax = seqMax(core.sndMax, end);
    core.probeOutstanding = false;
    core.rtxAt ??= now + core.rto.rto;
    core.persistAt = undefined;
    if (fin) return;
  }
}

/** Arms the persist timer when data waits on a zero window with nothing in flight (RFC 9293 §3.8.6.1). */
function armPersist(core: TcbCore, now: number): void {
  if (!canTransmit(core.state)) {
    core.persistAt = undefined;
    return;
  }
  const waiting = sub(core.sndNxt, core.sndBufSeq) < core.sendBuffer.length;
  const blocked = waiting && core.sndWnd === 0 && core.sndMax === core.sndUna;
  if (!blocked) {
    core.persistAt = undefined;
    core.persistBackoff = 0;
    return;
  }
  core.persistAt ??= now + persistInterval(core);
}

export function persistInterval(core: TcbCore): number {
  const base = Math.max(core.config.rtoMinMs, core.rto.rto);
  return Math.min(core.config.rtoMaxMs, base * 2 ** core.persistBackoff);
}
