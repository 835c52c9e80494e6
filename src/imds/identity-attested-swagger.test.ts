// Validates the token, identity-info and attested responses (and their error bodies) against the official
// Swagger 2023-07-01 schemas, closed mode: no key the Swagger does not list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../http/http-error.ts';
import { validateAgainstSwagger } from '../../test/helpers/swagger-validator.ts';
import { handlerFixture, imdsRequest } from '../../test/helpers/signing-fixtures.ts';
import type { HandlerFixture } from '../../test/helpers/signing-fixtures.ts';
import { handleAttested } from './attested-handler.ts';
import { IDENTITY_ENDPOINT_BODIES } from '../http/error-bodies.ts';
import { handleIdentityInfo } from './identity-info-handler.ts';
import { handleIdentityToken } from './identity-token-handler.ts';

const VERSION = '2023-07-01';

describe('Swagger conformance of attested and identity responses', () => {
  let fx: HandlerFixture;
  before(async () => {
    fx = await handlerFixture();
  });
  after(() => fx.close());

  it('token response', () => {
    const response = handleIdentityToken(imdsRequest('/metadata/identity/oauth2/token', { 'api-version': '2018-02-01', resource: 'https://vault.azure.net' }), fx.ctx);
    assert.deepEqual(validateAgainstSwagger(VERSION, '/identity/oauth2/token', 200, response.body, { closed: true }), []);
  });

  it('identity info response', () => {
    const response = handleIdentityInfo(imdsRequest('/metadata/identity/info', { 'api-version': '2018-02-01' }), fx.ctx);
    assert.deepEqual(validateAgainstSwagger(VERSION, '/identity/info', 200, response.body, { closed: true }), []);
  });

  it('every identity error body (IdentityErrorResponse, error code from the Swagger enum)', () => {
    for (const [kind, body] of Object.entries(IDENTITY_ENDPOINT_BODIES)) {
      assert.deepEqual(validateAgainstSwagger(VERSION, '/identity/oauth2/token', 400, body, { closed: true }), [], kind);
      assert.deepEqual(validateAgainstSwagger(VERSION, '/identity/info', 400, body, { closed: true }), [], kind);
    }
    assert.deepEqual(validateAgainstSwagger(VERSION, '/identity/oauth2/token', 400, { error: 'no_such_code', error_description: 'x' }).length > 0, true, 'the validator rejects codes outside the enum');
  });

  it('attested response and its error bodies', async () => {
    const response = await handleAttested(imdsRequest('/metadata/attested/document', { 'api-version': '2021-02-01' }), fx.ctx);
    assert.deepEqual(validateAgainstSwagger(VERSION, '/attested/document', 200, response.body, { closed: true }), []);
    const queries: Record<string, string>[] = [{ 'api-version': '2021-02-01', nonce: '!' }, { 'api-version': '2018-02-01' }];
    for (const query of queries) {
      const error = await handleAttested(imdsRequest('/metadata/attested/document', query), fx.ctx).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof HttpError, 'error instanceof HttpError');
      assert.deepEqual(validateAgainstSwagger(VERSION, '/attested/document', error.status, error.body, { closed: true }), []);
    }
  });
});
