// The default profile's IMDS responses checked against the official Swagger files and their examples:
// instance at 2018-10-01, 2019-06-01, 2020-09-01, 2021-02-01, 2023-07-01, and /metadata/versions at 2023-07-01.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleInstance } from '../src/imds/instance-handler.ts';
import { handleVersions } from '../src/imds/versions-handler.ts';
import { HttpError } from '../src/http/http-error.ts';
import { DEFAULT_PROFILE } from '../src/config/default-profile.ts';
import { keyPaths, swaggerExample, validateAgainstSwagger } from './helpers/swagger-validator.ts';
import { bodyText, contextFor, instanceRequest } from './helpers/imds-handler-support.ts';

const ctx = contextFor(DEFAULT_PROFILE);
const VERSIONS = ['2018-10-01', '2019-06-01', '2020-09-01', '2021-02-01', '2023-07-01'];

function instanceBody(version: string): unknown {
  const response = handleInstance(instanceRequest(`/metadata/instance?api-version=${version}`), ctx);
  assert.equal(response.status, 200);
  return JSON.parse(bodyText(response));
}

/**
 * Keys we serve that the Swagger file of that version does not list — each one a documented docs-vs-Swagger
 * difference (imds-spec §3.2: the docs' per-field versions win): customData (2019-02-01, never in Swagger),
 * osDisk.diffDiskSettings (docs: 2019-06-01; Swagger adds it in 2020-09-01).
 */
const NOT_IN_SWAGGER: Record<string, string[]> = {
  '2018-10-01': [],
  '2019-06-01': ['/compute must NOT have additional properties (customData)', '/compute/storageProfile/osDisk must NOT have additional properties (diffDiskSettings)'],
  '2020-09-01': ['/compute must NOT have additional properties (customData)'],
  '2021-02-01': ['/compute must NOT have additional properties (customData)'],
  '2023-07-01': ['/compute must NOT have additional properties (customData)'],
};

for (const version of VERSIONS) {
  test(`instance at ${version} validates against the ${version} Swagger schema`, () => {
    const body = instanceBody(version);
    assert.deepEqual(validateAgainstSwagger(version, '/instance', 200, body), []);
    assert.deepEqual(validateAgainstSwagger(version, '/instance', 200, body, { closed: true }).sort(), NOT_IN_SWAGGER[version]!.sort());
  });
}

/**
 * Key-path differences from the Swagger example of the same version (the examples have no `network`).
 * Extra keys: customData (never in examples), provider (docs: 2018-10-01; the 2018-10-01 and 2019-06-01
 * examples omit it), diffDiskSettings (docs: 2019-06-01; example from 2020-09-01), host (2021-11-15; the
 * example VM has a hostGroup only).
 */
const EXTRA_VS_EXAMPLE: Record<string, string[]> = {
  '2018-10-01': ['compute.provider'],
  '2019-06-01': ['compute.customData', 'compute.provider', 'compute.storageProfile.osDisk.diffDiskSettings', 'compute.storageProfile.osDisk.diffDiskSettings.option'],
  '2020-09-01': ['compute.customData'],
  '2021-02-01': ['compute.customData'],
  '2023-07-01': ['compute.customData', 'compute.host', 'compute.host.id'],
};

for (const version of VERSIONS) {
  test(`instance at ${version} has the key paths of the ${version} Swagger example (documented differences only)`, () => {
    const ours = keyPaths(instanceBody(version));
    const example = keyPaths(swaggerExample(version, 'GetInstanceMetadata'));
    const computeOurs = [...ours].filter((p) => p.startsWith('compute'));
    assert.deepEqual([...example].filter((p) => !ours.has(p)), [], 'every example key is served');
    assert.deepEqual(computeOurs.filter((p) => !example.has(p)).sort(), EXTRA_VS_EXAMPLE[version]!.sort());
  });
}

test('/metadata/versions validates against the 2023-07-01 Swagger and matches its example up to 2023-07-01', () => {
  const response = handleVersions(instanceRequest('/metadata/versions'), ctx);
  const body = JSON.parse(bodyText(response)) as { apiVersions: string[] };
  assert.deepEqual(validateAgainstSwagger('2023-07-01', '/versions', 200, body, { closed: true }), []);
  const example = swaggerExample('2023-07-01', 'GetVersions') as { apiVersions: string[] };
  assert.deepEqual(body.apiVersions.filter((v) => v <= '2023-07-01'), example.apiVersions);
  assert.deepEqual(body.apiVersions.filter((v) => v > '2023-07-01'), ['2023-11-15', '2024-03-15', '2024-07-17', '2025-04-07']);
});

test('instance errors validate against the Swagger error schema', () => {
  for (const [url, status] of [
    ['/metadata/instance/nope?api-version=2023-07-01', 404],
    ['/metadata/instance/compute/vmId?api-version=2023-07-01', 400],
  ] as const) {
    assert.throws(
      () => handleInstance(instanceRequest(url), ctx),
      (error: unknown) => {
        assert.ok(error instanceof HttpError, `${url}: an HttpError`);
        assert.equal(error.status, status);
        assert.deepEqual(validateAgainstSwagger('2018-10-01', '/instance', status, error.body, { closed: true }), [], url);
        return true;
      },
    );
  }
});
