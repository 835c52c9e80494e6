// Each request rule on its own: pass/answer decisions, statuses, bodies and the recorded rule name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSettings } from '../../config/vm-profile.ts';
import { createRateLimiter } from '../../ratelimit/rate-limiter.ts';
import { HttpError } from '../http-error.ts';
import type { RouteDefinition } from '../imds-request.ts';
import { parseQuery } from '../request-target.ts';
import { API_VERSION_ERROR, checkApiVersion, newestVersions } from './api-version-rule.ts';
import { checkBodySize } from './body-size-rule.ts';
import { checkDuplicateQuery } from './duplicate-query-rule.ts';
import { checkForwardedFor } from './forwarded-for-rule.ts';
import { checkMetadataHeader, metadataHeaderAccepted } from './metadata-header-rule.ts';
import { checkRateLimit } from './rate-limit-rule.ts';
import { routeOwning, type RuleContext } from './rule-context.ts';
import { checkRoute } from './route-rule.ts';
import { checkVerb } from './verb-rule.ts';

const SETTINGS: ServiceSettings = {
  serverHeader: null,
  rateLimit: { enabled: true, generalPerSecond: 1, identityPerSecond: 20, identityConcurrent: 1 },
  strictIdentityMetadataCase: false,
  forwardedForStatus: 403,
  apiVersions: null,
  tokenLifetimeSeconds: 86400,
  faults: [],
};

const ROUTE: RouteDefinition = {
  name: 'r',
  matches: () => true,
  methods: ['GET'],
  errorStyle: 'instance',
  versions: ['2019-01-01', '2020-01-01', '2021-01-01', '2022-01-01'],
  rateClass: 'general',
  handle: () => ({ status: 200, body: '' }),
};

function ctx(overrides: Partial<RuleContext> & { search?: string } = {}): RuleContext {
  const { search, ...rest } = overrides;
  return { method: 'GET', path: '/metadata/r', query: parseQuery(search ?? ''), headers: { metadata: 'true' }, route: ROUTE, style: 'instance', rateClass: 'general', settings: SETTINGS, ...rest };
}

function rejects(fn: () => unknown, status: number, rule: string, body?: unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError, 'e instanceof HttpError');
    assert.equal(e.status, status);
    assert.equal(e.rule, rule);
    if (body !== undefined) assert.deepEqual(e.body, body);
    return true;
  });
}

describe('request rules', () => {
  it('routeOwning: the serving route, else the first route whose family covers the path', () => {
    const family: RouteDefinition = { ...ROUTE, name: 'fam', matches: (p) => p === '/a/x', family: (p) => p.startsWith('/a/'), errorStyle: 'identity', rateClass: 'identity' };
    const other: RouteDefinition = { ...ROUTE, name: 'other', matches: (p) => p === '/b' };
    const routes = [other, family];
    assert.deepEqual([routeOwning(routes, '/a/x').route?.name, routeOwning(routes, '/a/x').owner?.name], ['fam', 'fam']);
    assert.deepEqual([routeOwning(routes, '/a/y').route, routeOwning(routes, '/a/y').owner?.name], [undefined, 'fam']);
    assert.deepEqual([routeOwning(routes, '/b').route?.name, routeOwning(routes, '/b').owner?.name], ['other', 'other']);
    assert.deepEqual(routeOwning(routes, '/c'), { route: undefined, owner: undefined });
  });

  it('verb: GET/POST pass, others 405, HEAD 400 text/xml', () => {
    const served = new Set(['GET', 'POST']);
    checkVerb(ctx({ method: 'POST' }), served);
    rejects(() => checkVerb(ctx({ method: 'OPTIONS' }), served), 405, 'verb', { error: 'Not allowed' });
    assert.throws(() => checkVerb(ctx({ method: 'HEAD' }), served), (e: unknown) => e instanceof HttpError && e.status === 400 && e.contentType === 'text/xml; charset=utf-8');
  });

  it('x-forwarded-for: any value, status from settings', () => {
    checkForwardedFor(ctx());
    rejects(() => checkForwardedFor(ctx({ headers: { 'x-forwarded-for': '' } })), 403, 'x-forwarded-for', { error: 'Forbidden' });
    rejects(() => checkForwardedFor(ctx({ headers: { 'x-forwarded-for': '1.1.1.1' }, settings: { ...SETTINGS, forwardedForStatus: 400 } })), 400, 'x-forwarded-for');
  });

  it('metadata header: values', () => {
    assert.equal(metadataHeaderAccepted('true', false), true);
    assert.equal(metadataHeaderAccepted('TrUe', false), true);
    assert.equal(metadataHeaderAccepted('True', true), false);
    assert.equal(metadataHeaderAccepted('true, true', false), false);
    assert.equal(metadataHeaderAccepted('1', false), false);
    assert.equal(metadataHeaderAccepted(undefined, false), false);
    rejects(() => checkMetadataHeader(ctx({ headers: {} })), 400, 'metadata-header', '{ "error": "Bad request: . Required metadata header not specified" }');
    rejects(() => checkMetadataHeader(ctx({ headers: { metadata: 'false' }, style: 'identity' })), 400, 'metadata-header', {
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    });
  });

  it('rate limit: refusal is 429 in the style; disabled settings skip the limiter', async () => {
    const limiter = createRateLimiter(SETTINGS.rateLimit);
    await checkRateLimit(ctx(), limiter, 'k');
    await assert.rejects(async () => checkRateLimit(ctx({ style: 'identity' }), limiter, 'k'), (e: unknown) => {
      assert.ok(e instanceof HttpError, 'e instanceof HttpError');
      assert.equal(e.status, 429);
      assert.deepEqual(e.body, { error: 'too_many_requests', error_description: 'Too many requests' });
      return true;
    });
    const off = { ...SETTINGS, rateLimit: { ...SETTINGS.rateLimit, enabled: false } };
    for (let i = 0; i < 3; i++) await checkRateLimit(ctx({ settings: off }), limiter, 'k');
    await checkRateLimit(ctx(), null, 'k');
  });

  it('rate limit: draws from the rate class the route (or its family) declares, even without a route', async () => {
    const limiter = createRateLimiter(SETTINGS.rateLimit);
    const release = await checkRateLimit(ctx({ route: undefined, rateClass: 'identity' }), limiter, 'k');
    await assert.rejects(async () => checkRateLimit(ctx({ route: undefined, rateClass: 'identity' }), limiter, 'k'), HttpError);
    release();
    await checkRateLimit(ctx({ route: undefined, rateClass: 'identity' }), limiter, 'k');
  });

  it('api-version: returns the version; E4 with the top 3 otherwise; unversioned routes skip', () => {
    assert.deepEqual(newestVersions(['a', 'b', 'c', 'd']), ['d', 'c', 'b']);
    assert.deepEqual(newestVersions(['a']), ['a']);
    assert.deepEqual(newestVersions(['2018-04-02', '2018-10-01', '2017-12-01', '2018-02-01']), ['2018-10-01', '2018-04-02', '2018-02-01'], 'any order in');
    assert.equal(checkApiVersion(ctx({ search: 'api-version=2020-01-01' }), []), '2020-01-01');
    const e4 = JSON.stringify({ error: API_VERSION_ERROR, 'newest-versions': ['2022-01-01', '2021-01-01', '2020-01-01'] });
    rejects(() => checkApiVersion(ctx(), []), 400, 'api-version', e4);
    rejects(() => checkApiVersion(ctx({ search: 'api-version=2020-1-1' }), []), 400, 'api-version', e4);
    rejects(() => checkApiVersion(ctx({ search: 'api-version=' }), []), 400, 'api-version', e4);
    assert.equal(checkApiVersion(ctx({ route: { ...ROUTE, versions: null } }), []), undefined);
    assert.equal(checkApiVersion(ctx({ route: undefined, search: 'api-version=x' }), ['x']), 'x');
    rejects(() => checkApiVersion(ctx({ route: undefined }), ['x']), 400, 'api-version');
  });

  it('duplicate query: lists every repeated name', () => {
    checkDuplicateQuery(ctx({ search: 'a=1&b=2' }));
    rejects(() => checkDuplicateQuery(ctx({ search: 'a=1&b=2&a=3&b=4' })), 400, 'duplicate-query', {
      error: 'Bad request. Duplicate query parameter names are not allowed: a, b',
    });
  });

  it('route: 404 bodies by area, 405 when the route lacks the verb', () => {
    assert.equal(checkRoute(ctx()), ROUTE);
    rejects(() => checkRoute(ctx({ route: undefined })), 404, 'route', { error: 'Not found' });
    rejects(() => checkRoute(ctx({ route: undefined, path: '/metadata/identity', style: 'identity' })), 404, 'route', '{"error": "Not Found"}');
    rejects(() => checkRoute(ctx({ method: 'POST' })), 405, 'route', { error: 'Not allowed' });
  });

  it('body size: 400 naming the limit', () => {
    checkBodySize(ctx(), false, 10);
    rejects(() => checkBodySize(ctx({ style: 'identity' }), true, 10), 400, 'body-size', {
      error: 'invalid_request',
      error_description: 'Request body is larger than MaxBodyLength: 10',
    });
  });
});
