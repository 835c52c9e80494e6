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

/** States in which the connection is synchronized (RFC 9293 §3.5: after the three-way handshake). */
export function isSynchronized(state: TcpState): boolean {
  return (
    state !== TcpState.CLOSED &&
    state !== TcpState.LISTEN &&
    state !== TcpState.SYN_SENT &&
    state !== TcpState.SYN_RECEIVED
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
