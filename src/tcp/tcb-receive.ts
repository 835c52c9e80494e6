// Segment text and FIN (RFC 9293 §3.10.7.4 seventh and eighth steps): trimming to RCV.NXT and the
// advertised window, in-order delivery, bounded out-of-order reassembly, FIN state transitions.
import { TcpFlags } from '../wire/tcp-segment.ts';
import { add, gt, lt, sub, type Seq } from './seq.ts';
import { canReceiveData, TcpState } from './tcp-states.ts';
import { TcpCloseReason } from './tcb-types.ts';
import type { TcbCore } from './tcb-core.ts';

/**
 * Processes text starting at `dataSeq` (the sequence number after any SYN) and a FIN after it.
 * Segment acceptability was already checked by the caller.
 */
export function processText(core: TcbCore, dataSeq: Seq, payload: Uint8Array, fin: boolean, now: number): void {
  const hadText = payload.length > 0 || fin;
  if (!hadText) return;
  if (!canReceiveData(core.state)) {
    // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer's FIN was already received; just ACK.
    core.ackPending = true;
    return;
  }
  let seq = dataSeq;
  let data = payload;
  const finSeq = add(dataSeq, payload.length);
  if (lt(seq, core.rcvNxt)) {
    const cut = Math.min(sub(core.rcvNxt, seq), data.length);
    data = data.subarray(cut);
    seq = add(seq, cut);
  }
  if (fin && lt(finSeq, core.rcvNxt)) fin = false; // an old FIN cannot be: it would be before our RCV.NXT
  const edge = core.rcvAdvEdge;
  if (gt(add(seq, data.length), edge)) {
    data = data.subarray(0, Math.max(0, sub(edge, seq)));
    fin = false; // text beyond the window was cut, so the FIN is not acceptable yet
  }
  if (core.orphaned && data.length > 0) {
    // RFC 2525 §2.17: the app closed and will never read this; reset the connection.
    core.emit(TcpFlags.RST | TcpFlags.ACK, core.sndMax, now);
    core.finish(TcpCloseReason.ABORTED);
    return;
  }
  if (seq !== core.rcvNxt) {
    if (data.length > 0 || fin) {
      core.stats.outOfOrderSegments++;
      if (data.length > 0) core.reassembly.insert(seq, data);
      if (fin && data.length === payload.length) core.reassembly.setFin(finSeq);
    }
    core.ackPending = true; // RFC 5681 §4.2: immediate duplicate ACK for out-of-order data
    return;
  }
  const filledHole = !core.reassembly.isEmpty;
  let delivered = 0;
  if (data.length > 0) {
    core.receiveBuffer.append(data);
    core.rcvNxt = add(core.rcvNxt, data.length);
    delivered += data.length;
  }
  let finInOrder = fin && finSeq === core.rcvNxt;
  if (filledHole) {
    const drained = core.reassembly.drain(core.rcvNxt);
    for (const chunk of drained.chunks) {
      core.receiveBuffer.append(chunk);
      core.rcvNxt = add(core.rcvNxt, chunk.length);
      delivered += chunk.length;
    }
    finInOrder ||= drained.fin;
  }
  core.stats.bytesIn += delivered;
  if (delivered > 0) core.queueEvent('readable');
  if (finInOrder) {
    processFin(core, now);
  } else {
    core.scheduleAck(now, filledHole);
  }
}

/** The peer's FIN is in order at RCV.NXT (RFC 9293 §3.10.7.4 eighth step). */
function processFin(core: TcbCore, now: number): void {
  core.rcvNxt = add(core.rcvNxt, 1);
  core.peerFinReceived = true;
  core.reassembly.clear();
  core.queueEvent('peerFin');
  core.ackPending = true;
  switch (core.state) {
    case TcpState.ESTABLISHED:
      core.setState(TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT_1:
      if (core.finAcked) core.enterTimeWait(now);
      else core.setState(TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      core.finWait2At = undefined;
      core.enterTimeWait(now);
      break;
    default:
      break;
  }
}
