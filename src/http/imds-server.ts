// createImdsServer: a node:http Server running the IMDS request rules and route table. It never listens by
// itself: the composition root either listens (socket mode) or emits 'connection' with any stream.Duplex.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ServiceSettings } from '../config/vm-profile.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Clock } from '../util/clock.ts';
import { HttpFaultSet } from './http-faults.ts';
import { resolveHttpTimeouts, serverTimeoutOptions, trackConnectionsWithoutListening, type HttpTimeouts } from './http-timeouts.ts';
import type { ImdsResponse, RouteDefinition } from './imds-request.ts';
import { bodyBytes } from './body-bytes.ts';
import { JSON_CONTENT_TYPE } from './error-response.ts';
import { readBody, type BodyResult } from './read-body.ts';
import { publishRequest } from './request-log.ts';
import { runPipeline, servedMethodsOf, type PipelineDeps, type PipelineInput, type PipelineResult } from './request-pipeline.ts';
import { NO_SLOT } from './rules/rate-limit-rule.ts';

export interface ImdsServerOptions {
  readonly routes: readonly RouteDefinition[];
  /** Current service settings (a getter: the profile may be swapped at runtime). */
  readonly settings: () => ServiceSettings;
  readonly clock: Clock;
  /** null disables rate limiting entirely (settings.rateLimit.enabled=false does too). */
  readonly rateLimiter: RateLimiter | null;
  /** api-versions checked on paths no route serves (the instance family), so `GET /metadata` yields E4. */
  readonly defaultVersions: () => readonly string[];
  /** Runtime fault set; default: one built from settings().faults. */
  readonly faults?: HttpFaultSet;
  /** Name of this VM in the request log; also the default rate-limit key. */
  readonly vmName?: string;
  /** Rate-limit key per request (several VMs behind one server); default: vmName. */
  readonly rateLimitKey?: (req: IncomingMessage) => string;
  /** Request body limit in bytes (default 64 KiB). */
  readonly maxBodyBytes?: number;
  /** Called with exceptions that were not HttpErrors (already answered 500). */
  readonly onUnexpectedError?: (error: unknown) => void;
  /** Header, request and keep-alive timeouts (default DEFAULT_HTTP_TIMEOUTS), the same in every capture mode. */
  readonly timeouts?: Partial<HttpTimeouts>;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * One request as the pipeline sees it. The remote address is a prototype getter: socket.remoteAddress costs a
 * getpeername(2) per connection and only the scheduled-events acknowledgement and the request log read it
 * (a getter in a per-request object literal would instead give each request its own hidden class).
 */
class RequestInput implements PipelineInput {
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly bodyTooLarge: boolean;
  readonly rateLimitKey: string;
  private readonly req: IncomingMessage;

  constructor(req: IncomingMessage, body: BodyResult, rateLimitKey: string) {
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '/';
    this.headers = req.headers;
    this.body = body.body;
    this.bodyTooLarge = body.tooLarge;
    this.rateLimitKey = rateLimitKey;
    this.req = req;
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function writeResponse(req: IncomingMessage, res: ServerResponse, response: ImdsResponse, serverHeader: string | null): number {
  const body = bodyBytes(response.body);
  if (response.headers === undefined) {
    // The common case as a flat header list (no object to build and walk).
    const contentType = response.contentType ?? JSON_CONTENT_TYPE;
    res.writeHead(
      response.status,
      serverHeader ? ['Content-Type', contentType, 'Content-Length', String(body.length), 'Server', serverHeader] : ['Content-Type', contentType, 'Content-Length', String(body.length)],
    );
    if (req.method === 'HEAD') res.end();
    else res.end(body);
    return body.length;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': response.contentType ?? JSON_CONTENT_TYPE,
    'Content-Length': body.length,
  };
  if (serverHeader) headers['Server'] = serverHeader;
  Object.assign(headers, response.headers);
  res.writeHead(response.status, headers);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
  return body.length;
}

export function createImdsServer(options: ImdsServerOptions): http.Server {
  const vmName = options.vmName ?? 'vm';
  const deps: PipelineDeps = {
    routes: options.routes,
    servedMethods: servedMethodsOf(options.routes),
    defaultVersions: options.defaultVersions,
    settings: options.settings,
    rateLimiter: options.rateLimiter,
    faults: options.faults ?? new HttpFaultSet(options.settings().faults),
    clock: options.clock,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  const timeouts = resolveHttpTimeouts(options.timeouts);
  const server = http.createServer(serverTimeoutOptions(timeouts));
  // A client may half-close right after its request (shutdown(SHUT_WR), `nc -N`, HTTP/1.0 scripts). node:http's
  // default (httpAllowHalfOpen=false) ends the socket on the client's FIN, so an answer still being computed is
  // lost; with true it marks the in-flight response as the last and closes after it (issue 11 point 2).
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Keep-alive sockets idle for keepAliveMs (+1 s) are closed (socket.setTimeout, works on any Duplex); a request
  // head and a whole request must arrive within headersMs / requestMs, else 408 and close: node:http checks that
  // every checkIntervalMs, also for connections handed over with emit('connection') once tracking is started.
  trackConnectionsWithoutListening(server);

  // Synchronous from the request event to the written response unless a step is asynchronous (a request body,
  // a rate limit, a fault's delay, an asynchronous handler): no promise or microtask on the common path.
  function handle(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const started = options.clock.now();
    const arrived = options.clock.wallTime();
    const body = readBody(req, deps.maxBodyBytes);
    if (body instanceof Promise) {
      return body.then(
        (settled) => afterBody(req, res, settled, started, arrived),
        () => {
          res.destroy();
        },
      );
    }
    return afterBody(req, res, body, started, arrived);
  }

  function afterBody(req: IncomingMessage, res: ServerResponse, body: BodyResult, started: number, arrived: number): void | Promise<void> {
    const result = runPipeline(new RequestInput(req, body, options.rateLimitKey ? options.rateLimitKey(req) : vmName), deps);
    if (result instanceof Promise) return result.then((settled) => respond(req, res, body, settled, started, arrived));
    respond(req, res, body, result, started, arrived);
  }

  function respond(req: IncomingMessage, res: ServerResponse, body: BodyResult, result: PipelineResult, started: number, arrived: number): void {
    const release = result.release;
    if (res.writableEnded || res.destroyed) {
      release();
    } else {
      // The identity slot (if one was taken) is freed when the response finishes or the connection closes.
      if (release !== NO_SLOT) {
        res.once('finish', release);
        res.once('close', release);
      }
      if (body.tooLarge) {
        res.shouldKeepAlive = false;
        req.resume();
      }
      const bytes = writeResponse(req, res, result.response, deps.settings().serverHeader);
      publishRequest(() => ({
        time: new Date(arrived).toISOString(),
        vm: vmName,
        remoteAddress: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort,
        method: req.method ?? '',
        path: result.path,
        query: result.query,
        headers: {
          metadata: headerText(req.headers['metadata']),
          xForwardedFor: headerText(req.headers['x-forwarded-for']),
          userAgent: headerText(req.headers['user-agent']),
        },
        status: result.response.status,
        rule: result.rule,
        route: result.route,
        faultId: result.faultId,
        latencyMs: options.clock.now() - started,
        responseBytes: req.method === 'HEAD' ? 0 : bytes,
        error: result.unexpected === undefined ? null : String(result.unexpected),
      }));
    }
    if (result.unexpected !== undefined) options.onUnexpectedError?.(result.unexpected);
  }

  /** An exception no rule or handler turned into an answer: 500, or the connection destroyed once headers went out. */
  function failed(res: ServerResponse, error: unknown): void {
    options.onUnexpectedError?.(error);
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': JSON_CONTENT_TYPE });
      res.end('{"error":"Server error"}');
    } else {
      res.destroy();
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      const pending = handle(req, res);
      if (pending !== undefined) pending.catch((error: unknown) => failed(res, error));
    } catch (error) {
      failed(res, error);
    }
  });
  return server;
}
