// Tests for GET /metadata/versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleVersions } from './versions-handler.ts';
import { INSTANCE_API_VERSIONS } from './api-versions.ts';
import { DEFAULT_PROFILE, defaultProfileDocument } from '../config/default-profile.ts';
import { validateProfile } from '../config/load-profile.ts';
import { bodyText, contextFor, instanceRequest } from '../../test/helpers/imds-handler-support.ts';

test('lists the 35 instance-family versions, ascending, compact', () => {
  const response = handleVersions(instanceRequest('/metadata/versions'), contextFor(DEFAULT_PROFILE));
  assert.equal(response.status, 200);
  assert.equal(response.contentType, 'application/json; charset=utf-8');
  const body = bodyText(response);
  assert.equal(body, `{"apiVersions":[${INSTANCE_API_VERSIONS.map((v) => `"${v}"`).join(',')}]}`);
  assert.ok(body.startsWith('{"apiVersions":["2017-03-01","2017-04-02",'), body.slice(0, 50));
  assert.ok(body.endsWith('"2024-07-17","2025-04-07"]}'), body.slice(-40));
});

test('honours profile.service.apiVersions', () => {
  const doc = defaultProfileDocument();
  const profile = validateProfile({ ...doc, service: { apiVersions: ['2019-06-01', '2021-02-01', '2025-11-11'] } });
  const response = handleVersions(instanceRequest('/metadata/versions'), contextFor(profile));
  assert.equal(bodyText(response), '{"apiVersions":["2019-06-01","2021-02-01","2025-11-11"]}');
});
