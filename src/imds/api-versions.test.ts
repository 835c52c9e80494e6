// Tests for the api-version lists and helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INSTANCE_API_VERSIONS,
  SCHEDULED_EVENTS_API_VERSIONS,
  compareApiVersions,
  isAtLeast,
  isSupportedVersion,
  newestVersion,
  newestVersions,
} from './api-versions.ts';
import { registryPaths } from '../config/instance-field-registry.ts';

test('instance family: 35 unique versions, ascending, 2017-03-01 … 2025-04-07 (imds-spec §3.1)', () => {
  assert.equal(INSTANCE_API_VERSIONS.length, 35);
  assert.equal(new Set(INSTANCE_API_VERSIONS).size, 35);
  assert.deepEqual([...INSTANCE_API_VERSIONS], [...INSTANCE_API_VERSIONS].sort());
  assert.equal(INSTANCE_API_VERSIONS[0], '2017-03-01');
  assert.equal(INSTANCE_API_VERSIONS.at(-1), '2025-04-07');
  for (const v of ['2021-08-01', '2023-07-01', '2023-11-15', '2019-06-04']) assert.ok(INSTANCE_API_VERSIONS.includes(v), v);
  assert.ok(Object.isFrozen(INSTANCE_API_VERSIONS), 'frozen');
});

test('scheduled events: its own 7 versions (imds-spec §3.3)', () => {
  assert.deepEqual(SCHEDULED_EVENTS_API_VERSIONS, ['2017-03-01', '2017-08-01', '2017-11-01', '2019-01-01', '2019-04-01', '2019-08-01', '2020-07-01']);
  assert.equal(isSupportedVersion(SCHEDULED_EVENTS_API_VERSIONS, '2021-02-01'), false);
  assert.equal(isSupportedVersion(INSTANCE_API_VERSIONS, '2020-07-01'), false);
});

test('newestVersions: top three, newest first (the newest-versions member)', () => {
  assert.deepEqual(newestVersions(INSTANCE_API_VERSIONS), ['2025-04-07', '2024-07-17', '2024-03-15']);
  assert.deepEqual(newestVersions(['2018-02-01', '2018-10-01', '2017-12-01', '2018-04-02']), ['2018-10-01', '2018-04-02', '2018-02-01']);
  assert.deepEqual(newestVersions(['2020-07-01']), ['2020-07-01']);
  assert.equal(newestVersion(SCHEDULED_EVENTS_API_VERSIONS), '2020-07-01');
  assert.equal(newestVersion([]), undefined);
});

test('compare helpers', () => {
  assert.ok(compareApiVersions('2019-06-01', '2019-06-04') < 0, 'older first');
  assert.ok(compareApiVersions('2021-01-01', '2020-12-01') > 0, 'newer after');
  assert.equal(compareApiVersions('2021-01-01', '2021-01-01'), 0);
  assert.equal(isAtLeast('2021-08-01', '2021-08-01'), true);
  assert.equal(isAtLeast('2021-05-01', '2021-08-01'), false);
  assert.equal(isSupportedVersion(INSTANCE_API_VERSIONS, '2021-02-01'), true);
  assert.equal(isSupportedVersion(INSTANCE_API_VERSIONS, '2021-02-1'), false);
});

test('every field-registry version is a supported instance api-version', () => {
  for (const [path, since] of registryPaths()) assert.ok(INSTANCE_API_VERSIONS.includes(since), `${path}: ${since}`);
});
