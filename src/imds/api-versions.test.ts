// Tests for the api-version lists and helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_API_VERSIONS, SCHEDULED_EVENTS_API_VERSIONS, compareApiVersions, instanceVersionsOf, isAtLeast } from './api-versions.ts';
import { registryPaths } from '../config/instance-field-registry.ts';

/** imds-spec §3.1, copied as written there (newest first). */
const SPEC_3_1 =
  '2025-04-07, 2024-07-17, 2024-03-15, 2023-11-15, 2023-07-01, 2021-12-13, 2021-11-15, 2021-11-01, 2021-10-01, 2021-08-01, 2021-05-01, ' +
  '2021-03-01, 2021-02-01, 2021-01-01, 2020-12-01, 2020-10-01, 2020-09-01, 2020-07-15, 2020-06-01, 2019-11-01, 2019-08-15, 2019-08-01, ' +
  '2019-06-04, 2019-06-01, 2019-04-30, 2019-03-11, 2019-02-01, 2018-10-01, 2018-04-02, 2018-02-01, 2017-12-01, 2017-10-01, 2017-08-01, ' +
  '2017-04-02, 2017-03-01';

test('instance family: exactly the 35 versions of imds-spec §3.1, ascending, frozen', () => {
  assert.deepEqual([...INSTANCE_API_VERSIONS], SPEC_3_1.split(', ').reverse());
  assert.equal(INSTANCE_API_VERSIONS.length, 35);
  assert.ok(Object.isFrozen(INSTANCE_API_VERSIONS), 'frozen');
});

test('scheduled events: its own 7 versions (imds-spec §3.3), not the instance family', () => {
  assert.deepEqual(SCHEDULED_EVENTS_API_VERSIONS, ['2017-03-01', '2017-08-01', '2017-11-01', '2019-01-01', '2019-04-01', '2019-08-01', '2020-07-01']);
  assert.equal(SCHEDULED_EVENTS_API_VERSIONS.includes('2021-02-01'), false);
  assert.equal(INSTANCE_API_VERSIONS.includes('2020-07-01'), false);
  assert.ok(Object.isFrozen(SCHEDULED_EVENTS_API_VERSIONS), 'frozen');
});

test('instanceVersionsOf: the profile override, else the built-in list', () => {
  assert.equal(instanceVersionsOf({ apiVersions: null }), INSTANCE_API_VERSIONS);
  assert.deepEqual(instanceVersionsOf({ apiVersions: ['2019-06-01', '2025-11-11'] }), ['2019-06-01', '2025-11-11']);
});

test('compare helpers', () => {
  assert.ok(compareApiVersions('2019-06-01', '2019-06-04') < 0, 'older first');
  assert.ok(compareApiVersions('2021-01-01', '2020-12-01') > 0, 'newer after');
  assert.equal(compareApiVersions('2021-01-01', '2021-01-01'), 0);
  assert.equal(isAtLeast('2021-08-01', '2021-08-01'), true);
  assert.equal(isAtLeast('2021-05-01', '2021-08-01'), false);
  assert.equal(isAtLeast('2021-11-01', '2021-08-01'), true);
});

test('every field-registry version is a supported instance api-version', () => {
  for (const [path, since] of registryPaths()) assert.ok(INSTANCE_API_VERSIONS.includes(since), `${path}: ${since}`);
});
