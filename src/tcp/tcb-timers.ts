// Tcb timers: the earliest deadline (pollAt) and expiry handling: SYN/SYN-ACK and data retransmission
// with RFC 6298 backoff and a retry limit, zero-window probes (RFC 9293 §3.8.6.1), delayed ACK,
// TIME-WAIT (2*MSL), FIN-WAIT-2 after close(), and the SYN-RECEIVED lifetime.
import { TcpState } from './tcp-states.ts';
import { TcpCloseReason } from './tcb-types.ts';
import { output, persistInterval, retransmitAt, sendSyn, sendWindowProbe } from './tcb-output.ts';
import { sub } from './seq.ts';
import type { TcbCore } from './tcb-core.ts';

/** The earliest armed deadline; called after every segment, so it allocates nothing. */
export function pollAt(core: TcbCore): number | undefined {
  if (core.closeReason !== undefined) return undefined;
  let earliest = earlier(core.rtxAt, core.persistAt);
  earliest = earlier(earliest, core.delayedAckAt);
  earliest = earlier(earliest, core.timeWaitAt);
  earliest = earlier(earliest, core.finWait2At);
  return earlier(earliest, core.synDeadline);
}

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || a <= b ? a : b;
}

export function onTimer(core: TcbCore, now: number): void {
  if (core.closeReason !== undefined) return;
  if (due(core.synDeadline, now) && core.state === TcpState.SYN_RECEIVED) {
    core.finish(TcpCloseReason.TIMEOUT);
    return;
  }
  if (due(core.timeWaitAt, now)) {
    core.finish(TcpCloseReason.NORMAL);
    return;
  }
  if (due(core.finWait2At, now)) {
    core.finish(TcpCloseReason.TIMEOUT);
    return;
  }
  if (due(core.rtxAt, now)) {
    core.rtxAt = undefined;
    retransmissionTimeout(core, now);
    if (core.closeReason !== undefined) return;
  }
  if (due(core.persistAt, now)) {
    core.persistAt = undefined;
    if (++core.probesUnanswered > core.config.maxRetransmits) {
      core.finish(TcpCloseReason.TIMEOUT);
      return;
    }
    sendWindowProbe(core, now);
    core.persistBackoff++;
    core.persistAt = now + persistInterval(core);
  }
  if (due(core.delayedAckAt, now)) {
    core.delayedAckAt = undefined;
    core.ackPending = true;
  }
  output(core, now);
}

function due(at: number | undefined, now: number): boolean {
  return at !== undefined && at <= now;
}

/** RFC 6298 §5.4-5.7 plus RFC 5681 §3.1 loss window; go-back-N from SND.UNA. */
function retransmissionTimeout(core: TcbCore, now: number): void {
  core.stats.timeouts++;
  if (core.state === TcpState.SYN_SENT || core.state === TcpState.SYN_RECEIVED) {
    const limit = core.state === TcpState.SYN_SENT ? core.config.synRetries : core.config.synAckRetries;
    if (++core.retries > limit) {
      core.finish(TcpCloseReason.TIMEOUT);
      return;
    }
    core.rto.backoff();
    core.rttSeq = undefined;
    core.stats.retransmits++;
    sendSyn(core, now);
    return;
  }
  if (core.sndMax === core.sndUna) return;
  if (++core.retries > core.config.maxRetransmits) {
    core.finish(TcpCloseReason.TIMEOUT);
    return;
  }
  core.cc.onTimeout(sub(core.sndMax, core.sndUna));
  core.inRecovery = false;
  core.recover = core.sndMax;
  core.dupAcks = 0;
  core.rttSeq = undefined;
  core.rto.backoff();
  core.sndNxt = core.sndUna;
  // The first unacknowledged segment goes out even if the peer shrank its window to zero.
  retransmitAt(core, core.sndUna, now);
}
