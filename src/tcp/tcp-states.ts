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
