// TCP connection states of RFC 9293 §3.3.2 as an `as const` object plus a union type.
export const TcpState = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
} as const;

export type TcpState = (typeof TcpState)[keyof typeof TcpState];

const S = TcpState;
/**
 * The legal transitions of RFC 9293 §3.3.2 (Figure 5) as this implementation takes them: CLOSED stands for
 * LISTEN (the listener is not a Tcb), SYN-SENT/SYN-RECEIVED go to FIN-WAIT-1 when the app shut down its
 * side before the handshake finished, FIN-WAIT-1 goes straight to TIME-WAIT on a FIN that also ACKs ours,
 * and every state may reach CLOSED (RST, abort, timeouts).
 */
const LEGAL_TRANSITIONS: Readonly<Record<TcpState, readonly TcpState[]>> = {
  [S.CLOSED]: [S.SYN_SENT, S.SYN_RECEIVED],
  [S.LISTEN]: [S.SYN_SENT, S.SYN_RECEIVED, S.CLOSED],
  [S.SYN_SENT]: [S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSED],
  [S.SYN_RECEIVED]: [S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSED],
  [S.ESTABLISHED]: [S.FIN_WAIT_1, S.CLOSE_WAIT, S.CLOSED],
  [S.FIN_WAIT_1]: [S.FIN_WAIT_2, S.CLOSING, S.TIME_WAIT, S.CLOSED],
  [S.FIN_WAIT_2]: [S.TIME_WAIT, S.CLOSED],
  [S.CLOSE_WAIT]: [S.LAST_ACK, S.CLOSED],
  [S.CLOSING]: [S.TIME_WAIT, S.CLOSED],
  [S.LAST_ACK]: [S.CLOSED],
  [S.TIME_WAIT]: [S.CLOSED],
};

/** Whether `from` -> `to` is a transition of the state diagram (LEGAL_TRANSITIONS). */
export function isLegalTransition(from: TcpState, to: TcpState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** States in which the peer may still send us data: its FIN has not been received (RFC 9293 §3.10.7.4). */
export function canReceiveData(state: TcpState): boolean {
  return state === TcpState.ESTABLISHED || state === TcpState.FIN_WAIT_1 || state === TcpState.FIN_WAIT_2;
}

/** States in which our data and FIN may be transmitted (synchronized, our FIN not yet acknowledged). */
export function canTransmit(state: TcpState): boolean {
  return (
    state === TcpState.ESTABLISHED ||
    state === TcpState.CLOSE_WAIT ||
    state === TcpState.FIN_WAIT_1 ||
    state === TcpState.CLOSING ||
    state === TcpState.LAST_ACK
  );
}

/** RFC 9293 §3.10.5 ABORT: the states in which a RST is sent before entering CLOSED. */
export function sendsResetOnAbort(state: TcpState): boolean {
  return (
    state === TcpState.SYN_RECEIVED ||
    state === TcpState.ESTABLISHED ||
    state === TcpState.FIN_WAIT_1 ||
    state === TcpState.FIN_WAIT_2 ||
    state === TcpState.CLOSE_WAIT
  );
}

/** States in which our side has not yet sent (queued) its FIN, so the app may still write. */
export function canSendData(state: TcpState): boolean {
  return (
    state === TcpState.SYN_SENT ||
    state === TcpState.SYN_RECEIVED ||
    state === TcpState.ESTABLISHED ||
    state === TcpState.CLOSE_WAIT
  );
}
