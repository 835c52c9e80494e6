// Unit tests of the attested document: field gating per api-version, timestamps, default nonce, leaf names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import {
  ATTESTED_FIELD_VERSIONS,
  attestedLeafNames,
  buildAttestedDocument,
  formatAttestedTimestamp,
  formatDefaultNonce,
} from './attested-document.ts';

const compute = defaultProfileDocument().instance.compute;
const NOW = Date.UTC(2020, 1, 21, 14, 56, 11, 789); // the Feb 2020 capture's createdOn

describe('attested document', () => {
  it('formats timestamps as MM/dd/yy HH:mm:ss -0000 and the default nonce as yyyyMMdd-HHmmss (UTC)', () => {
    assert.equal(formatAttestedTimestamp(NOW), '02/21/20 14:56:11 -0000');
    assert.equal(formatDefaultNonce(NOW + 6 * 3600_000), '20200221-205611');
    assert.equal(formatAttestedTimestamp(Date.UTC(2031, 11, 9, 3, 4, 5)), '12/09/31 03:04:05 -0000');
  });

  it('reproduces the 2018-10-01 capture shape: nonce = expiresOn, createdOn = now, +6 h', () => {
    const doc = buildAttestedDocument({ compute, apiVersion: '2018-10-01', now: NOW, nonce: undefined });
    assert.equal(
      doc,
      '{"nonce":"20200221-205611","plan":{"name":"planName","product":"planProduct","publisher":"planPublisher"},' +
        '"timeStamp":{"createdOn":"02/21/20 14:56:11 -0000","expiresOn":"02/21/20 20:56:11 -0000"},' +
        `"vmId":"${compute.vmId as string}"}`,
    );
  });

  it('gates every field by the version that introduced it', () => {
    const keysAt = (apiVersion: string) => Object.keys(JSON.parse(buildAttestedDocument({ compute, apiVersion, now: NOW, nonce: 'n1' })) as object);
    assert.deepEqual(keysAt('2018-10-01'), ['nonce', 'plan', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2019-03-11'), ['nonce', 'plan', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2019-04-30'), ['nonce', 'plan', 'subscriptionId', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2019-08-15'), ['nonce', 'plan', 'subscriptionId', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2019-11-01'), ['nonce', 'plan', 'sku', 'subscriptionId', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2020-07-15'), ['nonce', 'plan', 'sku', 'subscriptionId', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2020-09-01'), ['licenseType', 'nonce', 'plan', 'sku', 'subscriptionId', 'timeStamp', 'vmId']);
    assert.deepEqual(keysAt('2025-04-07'), Object.keys(ATTESTED_FIELD_VERSIONS));
  });

  it('uses the request nonce and the profile values; keys are alphabetical and the JSON compact', () => {
    const doc = buildAttestedDocument({ compute, apiVersion: '2021-02-01', now: NOW, nonce: 'abcde12345' });
    const parsed = JSON.parse(doc) as Record<string, unknown>;
    assert.equal(parsed.nonce, 'abcde12345');
    assert.equal(parsed.licenseType, compute.licenseType);
    assert.equal(parsed.sku, compute.sku);
    assert.equal(parsed.subscriptionId, compute.subscriptionId);
    assert.equal(doc, JSON.stringify(parsed));
    assert.ok(!/\s/.test(doc.replace(/"[^"]*"/g, '')), 'no whitespace outside strings');
    assert.deepEqual(Object.keys(parsed), [...Object.keys(parsed)].sort());
  });

  it('fills a missing plan and missing fields with empty strings', () => {
    const bare = { vmId: 'v' };
    const parsed = JSON.parse(buildAttestedDocument({ compute: bare, apiVersion: undefined, now: NOW, nonce: undefined })) as Record<string, unknown>;
    assert.deepEqual(parsed.plan, { name: '', product: '', publisher: '' });
    assert.equal(parsed.licenseType, '');
    assert.equal(parsed.sku, '');
    assert.equal(parsed.subscriptionId, '');
  });

  it('derives leaf names from location and azEnvironment', () => {
    assert.deepEqual(attestedLeafNames({ location: 'WestEurope', azEnvironment: 'AzurePublicCloud' }), { region: 'westeurope', domain: 'metadata.azure.com' });
    assert.deepEqual(attestedLeafNames({ location: 'US Gov Virginia', azEnvironment: 'AzureUSGovernmentCloud' }), { region: 'usgovvirginia', domain: 'metadata.azure.us' });
    assert.deepEqual(attestedLeafNames({ location: 'chinanorth', azEnvironment: 'AzureChinaCloud' }), { region: 'chinanorth', domain: 'metadata.azure.cn' });
    assert.deepEqual(attestedLeafNames({ location: '', azEnvironment: 'toString' }), { region: '', domain: 'metadata.azure.com' });
  });
});
