// Handler tests for /metadata/identity/info: the tenant of the system-assigned identity, or our 400 without one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { HttpError } from '../http/http-error.ts';
import { FakeClock } from '../util/clock.ts';
import { imdsRequest } from '../../test/helpers/signing-fixtures.ts';
import { handleIdentityInfo } from './identity-info-handler.ts';

const request = imdsRequest('/metadata/identity/info', { 'api-version': '2018-02-01' });
const context = (profile: VmProfile) => ({ profile: () => profile, clock: new FakeClock() });

describe('handleIdentityInfo', () => {
  it('answers {"tenantId":…} for a VM with a system-assigned identity', () => {
    const profile = defaultProfileDocument();
    const response = handleIdentityInfo(request, context(profile));
    assert.equal(response.status, 200);
    assert.equal(response.body, `{"tenantId":"${profile.identity.tenantId}"}`);
  });

  it('answers api-versions before 2018-02-01 with the identity-style category-floor 404', () => {
    assert.throws(
      () => handleIdentityInfo(imdsRequest('/metadata/identity/info', { 'api-version': '2017-12-01' }), context(defaultProfileDocument())),
      (error: unknown) => error instanceof HttpError && error.status === 404 && JSON.stringify(error.body) === '{"error":"not_found","error_description":"Not found"}',
    );
  });

  it('answers 400 "Identity not found" without a system-assigned identity (even with user-assigned ones)', () => {
    const base = defaultProfileDocument();
    const profile = { ...base, identity: { ...base.identity, systemAssigned: null } };
    assert.ok(profile.identity.userAssigned.length > 0, 'profile.identity.userAssigned.length > 0');
    assert.throws(
      () => handleIdentityInfo(request, context(profile)),
      (error: unknown) =>
        error instanceof HttpError &&
        error.status === 400 &&
        JSON.stringify(error.body) === '{"error":"invalid_request","error_description":"Identity not found"}',
    );
  });
});
