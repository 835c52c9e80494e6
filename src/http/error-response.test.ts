// error-response: HttpError → response (status, body, content type, rule), unexpected → 500 per style.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_KINDS } from './error-bodies.ts';
import { errorBody, errorBodyForStatus, errorToResponse, styledError } from './error-response.ts';
import { HttpError } from './http-error.ts';

describe('errorToResponse', () => {
  it('sends a string body byte for byte and an object body as compact JSON', () => {
    const exact = errorToResponse(new HttpError(400, '{ "error": "x" }', { rule: 'r1' }), 'instance');
    assert.deepEqual(exact, { response: { status: 400, body: '{ "error": "x" }', contentType: 'application/json; charset=utf-8' }, rule: 'r1' });
    const compact = errorToResponse(new HttpError(404, { error: 'Not found' }, { rule: 'r2', contentType: 'text/plain' }), 'identity');
    assert.deepEqual(compact.response, { status: 404, body: '{"error":"Not found"}', contentType: 'text/plain' });
  });

  it('turns anything else into a 500 in the style, keeping the exception', () => {
    const boom = new Error('boom');
    const instance = errorToResponse(boom, 'instance');
    assert.equal(instance.response.status, 500);
    assert.equal(instance.response.body, '{"error":"Server error"}');
    assert.equal(instance.rule, 'internal-error');
    assert.equal(instance.unexpected, boom);
    assert.equal(errorToResponse('a string', 'identity').response.body, '{"error":"server_error","error_description":"Server error"}');
  });
});

describe('standard bodies', () => {
  it('match the captured metadata-header bodies exactly', () => {
    assert.equal(errorBody('metadata-header', 'instance'), '{ "error": "Bad request: . Required metadata header not specified" }');
    assert.equal(
      JSON.stringify(errorBody('metadata-header', 'identity')),
      '{"error":"invalid_request","error_description":"Required metadata header not specified"}',
    );
  });

  it('every kind has an instance body with `error` and an identity body with `error` (+ description)', () => {
    for (const kind of ERROR_KINDS) {
      const i = errorBody(kind, 'instance');
      const parsed = typeof i === 'string' ? JSON.parse(i) : i;
      assert.equal(typeof parsed.error, 'string', kind);
      const d = errorBody(kind, 'identity');
      assert.equal(typeof (typeof d === 'string' ? JSON.parse(d) : d).error, 'string', kind);
    }
  });

  it('a path no route serves: the captured identity body (E8, byte-exact), the instance 404 otherwise', () => {
    assert.equal(errorBody('no-route', 'identity'), '{"error": "Not Found"}');
    assert.deepEqual(errorBody('no-route', 'instance'), { error: 'Not found' });
    assert.deepEqual(errorBody('not-found', 'identity'), { error: 'not_found', error_description: 'Not found' });
  });

  it('maps fault statuses to bodies', () => {
    assert.deepEqual(errorBodyForStatus(410, 'instance'), { error: 'Gone' });
    assert.deepEqual(errorBodyForStatus(503, 'identity'), { error: 'service_unavailable', error_description: 'Service unavailable' });
    assert.deepEqual(errorBodyForStatus(429, 'identity'), { error: 'too_many_requests', error_description: 'Too many requests' });
    const e = styledError(404, 'not-found', 'instance', 'route');
    assert.equal(e.status, 404);
    assert.equal(e.rule, 'route');
  });
});
