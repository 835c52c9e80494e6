// node:diagnostics_channel channels of the stack (undici style): subscribers get events, nobody logs.
import diagnosticsChannel from 'node:diagnostics_channel';

/** Connection lifecycle: { event: 'open' | 'close', 4-tuple as dotted strings, reason? }. */
export const tcpChannel = diagnosticsChannel.channel('imds-lab:tcp');
/** A packet the stack dropped: { reason, source? }. Published only when subscribed. */
export const dropChannel = diagnosticsChannel.channel('imds-lab:stack:drop');
/** A bug caught at the per-packet boundary (never a malformed packet): { error }. */
export const errorChannel = diagnosticsChannel.channel('imds-lab:stack:error');
/** A network fault applied: { fault, remoteAddress, remotePort }. */
export const faultChannel = diagnosticsChannel.channel('imds-lab:net-fault');

export interface TcpChannelMessage {
  readonly event: 'open' | 'close';
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** For 'close': normal, ECONNRESET, ETIMEDOUT, ECONNABORTED, reused. */
  readonly reason?: string;
}

export interface DropChannelMessage {
  readonly reason: string;
  readonly remoteAddress?: string;
}

export interface FaultChannelMessage {
  readonly fault: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly delayMs?: number;
}
