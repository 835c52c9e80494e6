// The request rules in the order of imds-spec §2.10 (each in its own file under rules/), then the handler.
// Pure of node:http: takes a parsed request, returns the response, the deciding rule and the slot release.
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceSettings } from '../config/vm-profile.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Clock } from '../util/clock.ts';
import { errorToResponse } from './error-response.ts';
import type { HttpFaultSet } from './http-faults.ts';
import type { ImdsRequest, ImdsResponse, RouteDefinition } from './imds-request.ts';
import { parseRequestTarget } from './request-target.ts';
import { RULES } from './rule-names.ts';
import { checkApiVersion } from './rules/api-version-rule.ts';
import { checkBodySize } from './rules/body-size-rule.ts';
import { checkDuplicateQuery } from './rules/duplicate-query-rule.ts';
import { applyFault } from './rules/fault-rule.ts';
import { checkForwardedFor } from './rules/forwarded-for-rule.ts';
import { checkMetadataHeader } from './rules/metadata-header-rule.ts';
import { checkRateLimit, NO_SLOT } from './rules/rate-limit-rule.ts';
import { routeOwning, type RuleContext } from './rules/rule-context.ts';
import { checkRoute } from './rules/route-rule.ts';
import { checkVerb } from './rules/verb-rule.ts';

export interface PipelineDeps {
  readonly routes: readonly RouteDefinition[];
  /** Union of every route's methods (rule 1). */
  readonly servedMethods: ReadonlySet<string>;
  /** api-versions checked on paths no route serves. */
  readonly defaultVersions: () => readonly string[];
  readonly settings: () => ServiceSettings;
  readonly rateLimiter: RateLimiter | null;
  readonly faults: HttpFaultSet;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
}

export interface PipelineInput {
  readonly method: string;
  /** The request-target as received (`/metadata/instance?api-version=…`). */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly bodyTooLarge: boolean;
  readonly remoteAddress: string;
  /** Rate-limit key (one VM). */
  readonly rateLimitKey: string;
}

export interface PipelineResult {
  readonly response: ImdsResponse;
  readonly rule: string;
  readonly route: string | null;
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly faultId: number | null;
  /** Releases the identity concurrency slot; call once the response has finished. */
  readonly release: () => void;
  /** An exception that was not an HttpError (answered 500). */
  readonly unexpected: unknown;
}

/** The handler's request; the remote address is read from the input only if a handler asks (see imds-server.ts). */
class PipelineRequest implements ImdsRequest {
  readonly method: string;
  readonly path: string;
  readonly query: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly apiVersion: string | undefined;
  private readonly input: PipelineInput;

  constructor(input: PipelineInput, path: string, query: ReadonlyMap<string, string>, apiVersion: string | undefined) {
    this.method = input.method;
    this.path = path;
    this.query = query;
    this.headers = input.headers;
    this.body = input.body;
    this.apiVersion = apiVersion;
    this.input = input;
  }

  get remoteAddress(): string {
    return this.input.remoteAddress;
  }
}

export function servedMethodsOf(routes: readonly RouteDefinition[]): Set<string> {
  return new Set(routes.flatMap((r) => r.methods));
}

export async function runPipeline(input: PipelineInput, deps: PipelineDeps): Promise<PipelineResult> {
  const { path, query } = parseRequestTarget(input.target);
  const { route, owner } = routeOwning(deps.routes, path);
  const style = owner?.errorStyle ?? 'instance';
  const rateClass = owner?.rateClass ?? 'general';
  let release = NO_SLOT;
  let faultId: number | null = null;
  const routeName = route?.name ?? null;
  try {
    const ctx: RuleContext = { method: input.method, path, query, headers: input.headers, route, style, rateClass, settings: deps.settings() };
    checkBodySize(ctx, input.bodyTooLarge, deps.maxBodyBytes);
    checkVerb(ctx, deps.servedMethods);
    checkForwardedFor(ctx);
    checkMetadataHeader(ctx);
    const gate = checkRateLimit(ctx, deps.rateLimiter, input.rateLimitKey);
    release = typeof gate === 'function' ? gate : await gate;
    const apiVersion = checkApiVersion(ctx, deps.defaultVersions());
    checkDuplicateQuery(ctx);
    const served = checkRoute(ctx);
    const pendingFault = applyFault(ctx, deps.faults, deps.clock);
    const fault = pendingFault instanceof Promise ? await pendingFault : pendingFault;
    if (fault) {
      faultId = fault.id;
      if (fault.error) throw fault.error;
    }
    const handled = served.handle(new PipelineRequest(input, path, query.first, apiVersion));
    const response = handled instanceof Promise ? await handled : handled;
    return { route: routeName, path, query: query.entries, response, rule: RULES.handler, faultId, release, unexpected: undefined };
  } catch (error) {
    const outcome = errorToResponse(error, style);
    return { route: routeName, path, query: query.entries, response: outcome.response, rule: outcome.rule, faultId, release, unexpected: outcome.unexpected };
  }
}
