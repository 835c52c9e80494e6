// node:diagnostics_channel channels of the stack (undici style; names in src/util/diagnostics.ts): subscribers
// get events, nobody logs.
import { DIAGNOSTICS_CHANNELS, diagnosticsChannelOf } from '../util/diagnostics.ts';
import { formatIpv4Address } from '../util/ipv4-address.ts';
import type { StackConnection } from './stack-connection.ts';
import type { TcpEndpoints } from '../tcp/tcb-types.ts';

/** Connection lifecycle: { event: 'open' | 'close', 4-tuple as dotted strings, reason? }. */
export const tcpChannel = diagnosticsChannelOf(DIAGNOSTICS_CHANNELS.stackConnection);
/** Every TCP state change (a trace): { remoteAddress, remotePort, from, to }. Published only when subscribed. */
export const stateChannel = diagnosticsChannelOf(DIAGNOSTICS_CHANNELS.tcpState);
/** A packet the stack dropped: { reason, source? }. Published only when subscribed. */
export const dropChannel = diagnosticsChannelOf(DIAGNOSTICS_CHANNELS.stackDrop);
/** A network fault applied: { fault, remoteAddress, remotePort }. */
export const faultChannel = diagnosticsChannelOf(DIAGNOSTICS_CHANNELS.stackNetFault);

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

/** Publishes a connection's 'open' or 'close' (with its reason) when someone listens. */
export function publishTcp(event: 'open' | 'close', c: StackConnection, reason?: string): void {
  if (!tcpChannel.hasSubscribers) return;
  const message: TcpChannelMessage = { event, localAddress: c.localAddressText, localPort: c.localPort, remoteAddress: c.remoteAddressText, remotePort: c.remotePort };
  tcpChannel.publish(reason === undefined ? message : { ...message, reason });
}

export interface StateChannelMessage {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly from: string;
  readonly to: string;
}

export function publishState(endpoints: TcpEndpoints, from: string, to: string): void {
  if (!stateChannel.hasSubscribers) return;
  const message: StateChannelMessage = { remoteAddress: formatIpv4Address(endpoints.remoteAddress), remotePort: endpoints.remotePort, from, to };
  stateChannel.publish(message);
}

export function publishDrop(reason: string, source?: number): void {
  if (!dropChannel.hasSubscribers) return;
  const message: DropChannelMessage = source === undefined ? { reason } : { reason, remoteAddress: formatIpv4Address(source) };
  dropChannel.publish(message);
}

export function publishFault(fault: string, remote: number, port: number, delayMs?: number): void {
  if (!faultChannel.hasSubscribers) return;
  const message: FaultChannelMessage = { fault, remoteAddress: formatIpv4Address(remote), remotePort: port, delayMs };
  faultChannel.publish(message);
}
