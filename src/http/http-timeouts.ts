// Header, request and keep-alive idle timeouts of an IMDS http.Server, enforced alike for connections it
// accepts itself (socket mode) and for streams handed to it with emit('connection') (TUN mode, several VMs).
import type http from 'node:http';
import { ImdsLabError } from '../util/errors.ts';

export interface HttpTimeouts {
  /** A request head must be complete this long (ms) after its first byte (or after connect): else 408. */
  readonly headersMs: number;
  /** A whole request (head and body) must arrive within this (ms) after its first byte: else 408. */
  readonly requestMs: number;
  /** A keep-alive connection idle between requests is closed after this (ms), plus node:http's 1 s margin. */
  readonly keepAliveMs: number;
  /** How often (ms) node:http checks the header and request deadlines: a late client is closed within this. */
  readonly checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = Object.freeze({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });

export class HttpTimeoutsError extends ImdsLabError {}

/** Validates a partial override against the defaults (whole milliseconds; headers <= request, as node:http requires). */
export function resolveHttpTimeouts(overrides: Partial<HttpTimeouts> = {}, field = 'timeouts'): HttpTimeouts {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...overrides };
  for (const [key, value] of Object.entries(t)) {
    const min = key === 'checkIntervalMs' ? 1 : 0;
    if (!Number.isSafeInteger(value) || value < min) throw new HttpTimeoutsError('ERR_HTTP_TIMEOUTS', `${field}.${key}: expected a whole number of milliseconds >= ${min}, got ${String(value)}`);
  }
  if (t.requestMs > 0 && t.headersMs > t.requestMs) throw new HttpTimeoutsError('ERR_HTTP_TIMEOUTS', `${field}.headersMs (${t.headersMs}) must not exceed ${field}.requestMs (${t.requestMs})`);
  return Object.freeze(t);
}

/** The http.createServer options these timeouts need at construction. */
export function serverTimeoutOptions(t: HttpTimeouts): http.ServerOptions {
  return { headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval: t.checkIntervalMs };
}

/**
 * node:http keeps the connection list behind headersTimeout/requestTimeout (408 Request Timeout, then close)
 * and closeIdleConnections() only once the server emits 'listening' (setupConnectionsTracking in
 * lib/_http_server.js). A server fed with emit('connection') never listens, so its clients could stay
 * silent or trickle bytes forever (issue 11 point 3). Start that tracking now, before any connection
 * arrives; a later listen() keeps the same list. The checker timer is unref'd and stops on server.close().
 */
export function trackConnectionsWithoutListening(server: http.Server): void {
  const setup = server.listeners('listening').find((listener) => listener.name === 'setupConnectionsTracking');
  if (setup === undefined) {
    throw new HttpTimeoutsError('ERR_HTTP_TRACKING', `node:http ${process.version} has no setupConnectionsTracking 'listening' listener: header and request timeouts cannot be enforced for connections the server did not accept itself`);
  }
  setup.call(server);
}

const SPEC_KEYS: Record<string, keyof HttpTimeouts> = { headers: 'headersMs', request: 'requestMs', 'keep-alive': 'keepAliveMs', check: 'checkIntervalMs' };

/** Parses `headers=MS,request=MS,keep-alive=MS,check=MS` (any subset; whole milliseconds) into overrides. */
export function parseHttpTimeoutsSpec(spec: string, flag = '--http-timeouts'): Partial<HttpTimeouts> {
  const out: Partial<Record<keyof HttpTimeouts, number>> = {};
  for (const part of spec.split(',')) {
    const [name, value, extra] = part.split('=');
    const key = name === undefined ? undefined : SPEC_KEYS[name.trim()];
    if (key === undefined || value === undefined || extra !== undefined || !/^\d+$/.test(value.trim())) {
      throw new HttpTimeoutsError('ERR_HTTP_TIMEOUTS', `${flag}: expected NAME=MS pairs with NAME one of ${Object.keys(SPEC_KEYS).join(', ')}, got ${JSON.stringify(part)}`);
    }
    out[key] = Number(value.trim());
  }
  resolveHttpTimeouts(out, flag);
  return out;
}
