// The contract between the HTTP layer and the IMDS handlers: a parsed request, a plain response, a route.
import type { IncomingHttpHeaders } from 'node:http';

export type ErrorStyle = 'instance' | 'identity';
export type RateClass = 'general' | 'identity';

export interface ImdsRequest {
  readonly method: string;
  /** URL pathname as received (no query). */
  readonly path: string;
  /** Query parameters, decoded; duplicates were already rejected by the request rules. */
  readonly query: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly remoteAddress: string;
  /** The validated api-version (undefined on unversioned routes). */
  readonly apiVersion: string | undefined;
}

export interface ImdsResponse {
  readonly status: number;
  readonly body: string | Buffer;
  /** Defaults to application/json; charset=utf-8. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteDefinition {
  /** Stable name, used in logs and rule reports ("instance", "identity-token", …). */
  readonly name: string;
  /** True when this route serves the path. */
  matches(path: string): boolean;
  readonly methods: readonly string[];
  readonly errorStyle: ErrorStyle;
  /** Supported api-versions (ascending), or null for an unversioned route. */
  readonly versions: readonly string[] | null;
  readonly rateClass: RateClass;
  handle(request: ImdsRequest): ImdsResponse | Promise<ImdsResponse>;
}
