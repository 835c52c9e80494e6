// The one registry of node:diagnostics_channel channels, named `imds-lab:<layer>:<event>` (docs/design.md):
// each layer publishes on its channel only when someone subscribes; the CLI, the control plane and tests subscribe.
import diagnosticsChannel from 'node:diagnostics_channel';

export const DIAGNOSTICS_CHANNELS = {
  /** http/: one answered request (RequestLogEntry, src/http/request-log.ts). */
  httpRequest: 'imds-lab:http:request',
  /** stack/: a connection opened or closed (TcpChannelMessage). */
  stackConnection: 'imds-lab:stack:connection',
  /** stack/: a packet dropped, with its reason (DropChannelMessage). */
  stackDrop: 'imds-lab:stack:drop',
  /** stack/: a network fault applied (FaultChannelMessage). */
  stackNetFault: 'imds-lab:stack:net-fault',
  /** tcp/ state machine: every TCP state change, published by the stack (StateChannelMessage). */
  tcpState: 'imds-lab:tcp:state',
} as const;

export type DiagnosticsChannelName = (typeof DIAGNOSTICS_CHANNELS)[keyof typeof DIAGNOSTICS_CHANNELS];

/** The channel object of a registered name. */
export function diagnosticsChannelOf(name: DiagnosticsChannelName): diagnosticsChannel.Channel {
  return diagnosticsChannel.channel(name);
}
