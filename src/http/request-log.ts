// The request log: every answered request is published on the node:diagnostics_channel channel
// 'imds-lab:http:request' (undici style: no logging here; the CLI, the lab and a control plane subscribe).
import diagnosticsChannel from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, diagnosticsChannelOf } from '../util/diagnostics.ts';

export const REQUEST_CHANNEL_NAME = DIAGNOSTICS_CHANNELS.httpRequest;
export const requestChannel = diagnosticsChannelOf(REQUEST_CHANNEL_NAME);

export interface RequestLogEntry {
  /** Wall-clock time the request arrived (ISO 8601, from the injected clock). */
  readonly time: string;
  /** Name of the serving VM (the rate-limit key). */
  readonly vm: string;
  readonly remoteAddress: string;
  readonly remotePort: number | undefined;
  readonly method: string;
  readonly path: string;
  /** Query parameters in order, duplicates kept. */
  readonly query: readonly (readonly [string, string])[];
  readonly headers: {
    readonly metadata: string | undefined;
    readonly xForwardedFor: string | undefined;
    readonly userAgent: string | undefined;
  };
  readonly status: number;
  /** The rule that decided the answer (see RULES), or the handler's own rule for handler errors. */
  readonly rule: string;
  /** The route that served the path, or null. */
  readonly route: string | null;
  /** Id of the HTTP fault applied to this request, if any. */
  readonly faultId: number | null;
  readonly latencyMs: number;
  readonly responseBytes: number;
  /** The unexpected exception behind a 500 (never an HttpError), else null. */
  readonly error: string | null;
}

/** Publishes one request; `entry` builds it, and runs only when someone subscribes. */
export function publishRequest(entry: () => RequestLogEntry): void {
  if (requestChannel.hasSubscribers) requestChannel.publish(entry());
}

/** Subscribes to the request log; returns the unsubscribe function. */
export function subscribeRequests(listener: (entry: RequestLogEntry) => void): () => void {
  const handler = (message: unknown): void => listener(message as RequestLogEntry);
  diagnosticsChannel.subscribe(REQUEST_CHANNEL_NAME, handler);
  return () => {
    diagnosticsChannel.unsubscribe(REQUEST_CHANNEL_NAME, handler);
  };
}
