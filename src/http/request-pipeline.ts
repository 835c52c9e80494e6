// The request rules in the order of imds-spec §2.10 (each in its own file under rules/), then the handler.
// Pure of node:http: takes a parsed request, returns the response, the deciding rule and the slot release.
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceSettings } from '../config/vm-profile.ts';
import type { RateLimitClass, RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Clock } from '../util/clock.ts';
import { errorToResponse } from './error-response.ts';
import type { HttpFaultSet } from './http-faults.ts';
import type { ErrorStyle, ImdsRequest, ImdsResponse, RouteDefinition } from './imds-request.ts';
import { parseRequestTarget, type ParsedQuery } from './request-target.ts';
import { RULES } from './rule-names.ts';
import { checkApiVersion } from './rules/api-version-rule.ts';
import { checkBodySize } from './rules/body-size-rule.ts';
import { checkDuplicateQuery } from './rules/duplicate-query-rule.ts';
import { applyFault, type FaultOutcome } from './rules/fault-rule.ts';
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

/**
 * Runs the rules and the handler. Synchronous (no promise, no microtask) unless a step is asynchronous: a rate
 * limit (limits on), a fault's delay or an asynchronous handler; from that step on it continues in a promise.
 */
export function runPipeline(input: PipelineInput, deps: PipelineDeps): PipelineResult | Promise<PipelineResult> {
  return new PipelineRun(input, deps).start();
}

/** One request's way through the pipeline; each step returns the result, or a promise of it from an asynchronous step on. */
class PipelineRun {
  private readonly input: PipelineInput;
  private readonly deps: PipelineDeps;
  private readonly path: string;
  private readonly query: ParsedQuery;
  private readonly route: RouteDefinition | undefined;
  private readonly routeName: string | null;
  private readonly style: ErrorStyle;
  private readonly rateClass: RateLimitClass;
  private release: () => void = NO_SLOT;
  private faultId: number | null = null;

  constructor(input: PipelineInput, deps: PipelineDeps) {
    this.input = input;
    this.deps = deps;
    const { path, query } = parseRequestTarget(input.target);
    const { route, owner } = routeOwning(deps.routes, path);
    this.path = path;
    this.query = query;
    this.route = route;
    this.routeName = route?.name ?? null;
    this.style = owner?.errorStyle ?? 'instance';
    this.rateClass = owner?.rateClass ?? 'general';
  }

  start(): PipelineResult | Promise<PipelineResult> {
    try {
      const out = this.rules();
      return out instanceof Promise ? out.catch((error: unknown) => this.failed(error)) : out;
    } catch (error) {
      return this.failed(error);
    }
  }

  private rules(): PipelineResult | Promise<PipelineResult> {
    const { input, deps } = this;
    const ctx: RuleContext = { method: input.method, path: this.path, query: this.query, headers: input.headers, route: this.route, style: this.style, rateClass: this.rateClass, settings: deps.settings() };
    checkBodySize(ctx, input.bodyTooLarge, deps.maxBodyBytes);
    checkVerb(ctx, deps.servedMethods);
    checkForwardedFor(ctx);
    checkMetadataHeader(ctx);
    const gate = checkRateLimit(ctx, deps.rateLimiter, input.rateLimitKey);
    if (typeof gate !== 'function') {
      return gate.then((release) => {
        this.release = release;
        return this.afterGate(ctx);
      });
    }
    this.release = gate;
    return this.afterGate(ctx);
  }

  private afterGate(ctx: RuleContext): PipelineResult | Promise<PipelineResult> {
    const apiVersion = checkApiVersion(ctx, this.deps.defaultVersions());
    checkDuplicateQuery(ctx);
    const served = checkRoute(ctx);
    const fault = applyFault(ctx, this.deps.faults, this.deps.clock);
    if (fault instanceof Promise) {
      // Read the peer before waiting: a client that gives up during the delay leaves no address to read after it.
      void this.input.remoteAddress;
      return fault.then((settled) => this.afterFault(settled, served, apiVersion));
    }
    return this.afterFault(fault, served, apiVersion);
  }

  private afterFault(fault: FaultOutcome | undefined, served: RouteDefinition, apiVersion: string | undefined): PipelineResult | Promise<PipelineResult> {
    if (fault) {
      this.faultId = fault.id;
      if (fault.error) throw fault.error;
    }
    const handled = served.handle(new PipelineRequest(this.input, this.path, this.query.first, apiVersion));
    if (handled instanceof Promise) return handled.then((response) => this.answered(response));
    return this.answered(handled);
  }

  private answered(response: ImdsResponse): PipelineResult {
    return { route: this.routeName, path: this.path, query: this.query.entries, response, rule: RULES.handler, faultId: this.faultId, release: this.release, unexpected: undefined };
  }

  private failed(error: unknown): PipelineResult {
    const outcome = errorToResponse(error, this.style);
    return { route: this.routeName, path: this.path, query: this.query.entries, response: outcome.response, rule: outcome.rule, faultId: this.faultId, release: this.release, unexpected: outcome.unexpected };
  }
}
