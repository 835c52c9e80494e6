// The control plane's request log: subscribes to the HTTP layer's diagnostics channel (src/http/request-log.ts),
// keeps the last N entries of this daemon's VMs (numbered), answers filtered queries and feeds followers
// (streamed as JSON lines).
import { subscribeRequests, type RequestLogEntry } from '../http/request-log.ts';
import { fieldError } from './control-error.ts';
import type { Params } from './params.ts';

export interface LoggedRequest extends RequestLogEntry {
  /** 1, 2, 3… in arrival order (use as `since` to page). */
  readonly seq: number;
}

export interface LogFilter {
  readonly vm?: string;
  /** Only entries with seq > since. */
  readonly since?: number;
  /** Path prefix. */
  readonly path?: string;
  readonly status?: number;
  readonly rule?: string;
  /** At most this many (the newest) entries. */
  readonly limit?: number;
}

export const LOG_FILTER_KEYS = ['since', 'path', 'status', 'rule', 'limit'] as const;

/** Reads a filter from request params (vm comes from the request's own `vm` field; undefined: every VM). */
export function readLogFilter(params: Params, vm: string | undefined): LogFilter {
  const path = params.optionalString('path');
  if (path !== undefined && !path.startsWith('/')) throw fieldError(params.field('path'), `must start with "/", got ${JSON.stringify(path)}`);
  const since = params.optionalInteger('since', 0, Number.MAX_SAFE_INTEGER);
  const status = params.optionalInteger('status', 100, 599);
  const rule = params.optionalString('rule');
  const limit = params.optionalInteger('limit', 1, 1_000_000);
  return {
    ...(vm !== undefined ? { vm } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(rule !== undefined ? { rule } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

export function matchesFilter(entry: LoggedRequest, filter: LogFilter): boolean {
  return (
    (filter.vm === undefined || entry.vm === filter.vm) &&
    (filter.since === undefined || entry.seq > filter.since) &&
    (filter.path === undefined || entry.path.startsWith(filter.path)) &&
    (filter.status === undefined || entry.status === filter.status) &&
    (filter.rule === undefined || entry.rule === filter.rule)
  );
}

export class RequestLogBuffer {
  private readonly entries: LoggedRequest[] = [];
  private readonly followers = new Set<(entry: LoggedRequest) => void>();
  private readonly capacity: number;
  private readonly vms: ReadonlySet<string>;
  private seq = 0;
  private unsubscribe: (() => void) | undefined;

  /** Keeps entries whose `vm` is one of `vms` (the channel is process-wide). */
  constructor(vms: Iterable<string>, capacity = 10_000) {
    this.vms = new Set(vms);
    this.capacity = capacity;
    this.unsubscribe = subscribeRequests((entry) => this.record(entry));
  }

  /** Adds an entry (normally called by the channel subscription). */
  record(entry: RequestLogEntry): void {
    if (!this.vms.has(entry.vm)) return;
    const logged: LoggedRequest = { seq: ++this.seq, ...entry };
    this.entries.push(logged);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const follower of this.followers) follower(logged);
  }

  query(filter: LogFilter = {}): LoggedRequest[] {
    const found = this.entries.filter((e) => matchesFilter(e, filter));
    return filter.limit !== undefined && found.length > filter.limit ? found.slice(found.length - filter.limit) : found;
  }

  /** The newest seq so far (0 when nothing was logged). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Calls `listener` for every new matching entry; returns the stop function. */
  follow(filter: LogFilter, listener: (entry: LoggedRequest) => void): () => void {
    const follower = (entry: LoggedRequest): void => {
      if (matchesFilter(entry, filter)) listener(entry);
    };
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
    };
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.followers.clear();
  }
}
