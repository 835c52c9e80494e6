// Tests for GET /metadata/instance: version gating, route filtering, JSON/text rendering, extended, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_ENDPOINT_BODIES, extendedUnsupportedBody } from '../http/error-bodies.ts';
import { handleInstance, EXTENDED_MIN_API_VERSION } from './instance-handler.ts';
import { INSTANCE_API_VERSIONS } from './api-versions.ts';
import { HttpError } from '../http/http-error.ts';
import { DEFAULT_PROFILE, defaultProfileDocument } from '../config/default-profile.ts';
import { validateProfile } from '../config/load-profile.ts';
import { registryPaths } from '../config/instance-field-registry.ts';
import type { ImdsResponse } from '../http/imds-request.ts';
import { bodyText, contextFor, instanceRequest } from '../../test/helpers/imds-handler-support.ts';

const ctx = contextFor(DEFAULT_PROFILE);

function get(url: string): ImdsResponse {
  return handleInstance(instanceRequest(url), ctx);
}

function json(url: string): Record<string, unknown> {
  const response = get(url);
  assert.equal(response.status, 200);
  assert.equal(response.contentType, 'application/json; charset=utf-8');
  return JSON.parse(bodyText(response)) as Record<string, unknown>;
}

function text(url: string): string {
  const response = get(url);
  assert.equal(response.status, 200);
  assert.equal(response.contentType, 'text/plain; charset=utf-8');
  return bodyText(response);
}

function httpError(url: string): HttpError {
  try {
    get(url);
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected an HttpError for ${url}`);
    return error;
  }
  assert.fail(`expected ${url} to fail`);
}

function assertNotFound(url: string): void {
  const error = httpError(url);
  assert.equal(error.status, 404, url);
  assert.deepEqual(error.body, { error: 'Not found' });
}

const compute = (version: string): Record<string, unknown> => json(`/metadata/instance/compute?api-version=${version}`);

test('2017-04-02 compute has exactly the 11 GA fields (imds-spec §5.4 capture)', () => {
  assert.deepEqual(Object.keys(compute('2017-04-02')), [
    'location',
    'name',
    'offer',
    'osType',
    'platformFaultDomain',
    'platformUpdateDomain',
    'publisher',
    'sku',
    'version',
    'vmId',
    'vmSize',
  ]);
});

test('2019-08-15 and 2021-02-01 compute key sets match the raw captures of imds-spec §5.4', () => {
  const at2019 = [
    'azEnvironment', 'customData', 'location', 'name', 'offer', 'osType', 'placementGroupId', 'plan', 'platformFaultDomain',
    'platformUpdateDomain', 'provider', 'publicKeys', 'publisher', 'resourceGroupName', 'resourceId', 'sku', 'storageProfile',
    'subscriptionId', 'tags', 'tagsList', 'version', 'vmId', 'vmScaleSetName', 'vmSize', 'zone',
  ];
  assert.deepEqual(Object.keys(compute('2019-08-15')), at2019);
  const at2021 = [...at2019, 'evictionPolicy', 'isHostCompatibilityLayerVm', 'licenseType', 'osProfile', 'priority', 'securityProfile', 'userData'].sort();
  const c2021 = compute('2021-02-01');
  assert.deepEqual(Object.keys(c2021), at2021);
  assert.deepEqual(c2021.securityProfile, { secureBootEnabled: 'true', virtualTpmEnabled: 'true' });
  assert.deepEqual(Object.keys(c2021.storageProfile as object), ['dataDisks', 'imageReference', 'osDisk', 'resourceDisk']);
});

test('userData: absent at 2020-12-01 (route 404), present from 2021-01-01', () => {
  assert.equal('userData' in compute('2020-12-01'), false);
  assertNotFound('/metadata/instance/compute/userData?api-version=2020-12-01&format=text');
  assert.equal(compute('2021-01-01').userData, 'Zm9vYmFy');
  assert.equal(text('/metadata/instance/compute/userData?api-version=2021-01-01&format=text'), 'Zm9vYmFy');
});

test('storageProfile: absent before 2019-06-01, then grows with the documented versions', () => {
  assert.equal('storageProfile' in compute('2019-04-30'), false);
  assertNotFound('/metadata/instance/compute/storageProfile?api-version=2019-04-30');
  const at = (v: string) => json(`/metadata/instance/compute/storageProfile?api-version=${v}`) as Record<string, Record<string, unknown>>;
  const first = at('2019-06-01');
  assert.deepEqual(Object.keys(first), ['dataDisks', 'imageReference', 'osDisk']);
  assert.deepEqual(first.osDisk!.encryptionSettings, { enabled: 'true' }, 'key fields arrive in 2021-11-01');
  assert.deepEqual(Object.keys(first.imageReference!), ['id', 'offer', 'publisher', 'sku', 'version']);
  const disk = (v: string) => Object.keys((at(v).dataDisks as unknown as Record<string, unknown>[])[0]!);
  assert.equal(disk('2021-03-01').includes('isUltraDisk'), false);
  assert.deepEqual(
    disk('2021-05-01').filter((k) => !disk('2021-03-01').includes(k)),
    ['bytesPerSecondThrottle', 'diskCapacityBytes', 'isSharedDisk', 'isUltraDisk', 'opsPerSecondThrottle'],
  );
  assert.deepEqual(Object.keys(at('2021-11-01').osDisk!.encryptionSettings as object), ['diskEncryptionKey', 'enabled', 'keyEncryptionKey']);
  assert.equal('exactVersion' in at('2021-12-13').imageReference!, false);
  assert.equal(at('2023-07-01').imageReference!.exactVersion, '1.1686127202.30113');
});

test('every registry field appears exactly from its version: route 200 at `since`, 404 one version earlier', () => {
  const versions = INSTANCE_API_VERSIONS;
  let checked = 0;
  for (const [path, since] of registryPaths()) {
    const route = path.replaceAll('[]', '/0').replaceAll('.', '/');
    if (path.endsWith('[]')) continue; // arrays are covered through their members
    // Only routes the default profile can reach (every array in it has an element 0 except ipv6).
    if (route.includes('ipv6/ipAddress/0')) continue;
    text(`/metadata/instance/${route}?api-version=${since}&format=text`); // asserts 200 text/plain
    const earlier = versions[versions.indexOf(since) - 1];
    assert.ok(earlier !== undefined, `${path}: ${since} is not a supported version`);
    if (earlier >= '2017-04-02') assertNotFound(`/metadata/instance/${route}?api-version=${earlier}&format=text`);
    checked++;
  }
  assert.ok(checked > 90, `checked ${checked} fields`);
});

test('newer versions keep every older field; physicalZone only from 2023-11-15', () => {
  let previous = new Set<string>();
  for (const version of INSTANCE_API_VERSIONS.filter((v) => v >= '2017-04-02')) {
    const keys = new Set(Object.keys(compute(version)));
    for (const key of previous) assert.ok(keys.has(key), `${key} vanished at ${version}`);
    previous = keys;
  }
  assert.equal('physicalZone' in compute('2023-07-01'), false);
  assert.equal(compute('2023-11-15').physicalZone, 'westus-AZ01');
  assert.deepEqual(Object.keys(compute('2025-04-07')), Object.keys(DEFAULT_PROFILE.instance.compute).sort());
});

test('the 2017-03-01 preview is served like 2017-04-02', () => {
  assert.deepEqual(json('/metadata/instance?api-version=2017-03-01'), json('/metadata/instance?api-version=2017-04-02'));
});

test('JSON is compact with alphabetical keys at every level', () => {
  const body = bodyText(get('/metadata/instance?api-version=2025-04-07'));
  assert.doesNotMatch(body, /[\n\t]|": |, "/);
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}/${i}`));
    else if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      assert.deepEqual(keys, [...keys].sort(), `keys of ${where} are not sorted`);
      for (const key of keys) walk((value as Record<string, unknown>)[key], `${where}/${key}`);
    }
  };
  walk(JSON.parse(body), '');
  assert.ok(body.startsWith('{"compute":{"additionalCapabilities":{"hibernationEnabled":"true"},"azEnvironment":"AzurePublicCloud",'), body.slice(0, 120));
  assert.match(body, /"network":\{"interface":\[\{"ipv4":\{"ipAddress":\[\{"privateIpAddress":"10\.1\.0\.4","publicIpAddress":"51\.0\.0\.1"\}\],"subnet":\[\{"address":"10\.1\.0\.0","prefix":"24"\}\]\},"ipv6":\{"ipAddress":\[\]\},"macAddress":"000D3AF806EC"\}\]\}\}$/);
});

test('route filtering: object keys and array indexes return the bare sub-tree', () => {
  const v = 'api-version=2021-02-01';
  assert.deepEqual(json(`/metadata/instance/compute?${v}`), compute('2021-02-01'));
  const tagsList = JSON.parse(bodyText(get(`/metadata/instance/compute/tagsList?${v}`))) as unknown;
  assert.deepEqual(tagsList, [
    { name: 'baz', value: 'bash' },
    { name: 'foo', value: 'bar' },
  ]);
  assert.deepEqual(json(`/metadata/instance/network/interface/0/ipv4/subnet/0?${v}`), { address: '10.1.0.0', prefix: '24' });
  assert.equal(text(`/metadata/instance/network/interface/0/ipv4/ipAddress/0/publicIpAddress?${v}&format=text`), '51.0.0.1');
  assert.equal(text(`/metadata/instance/network/interface/0/macAddress?${v}&format=text`), '000D3AF806EC');
  assert.equal(text(`/metadata/instance/compute/publicKeys/1/path?${v}&format=text`), '/home/azureuser/.ssh/authorized_keys');
});

test('route filtering: unknown keys, out-of-range or malformed indexes and wrong case are 404', () => {
  const v = 'api-version=2021-02-01';
  for (const route of [
    'compute/vmid',
    'Compute',
    'compute/VMID',
    'compute/nosuchfield',
    'network/interface/1',
    'network/interface/01',
    'network/interface/-1',
    'network/interface/+0',
    'network/interface/0x0',
    'network/interface/interface',
    'compute/tagsList/2',
    'compute/tagsList/name',
    'compute/vmId/extra',
    'compute/__proto__',
    'compute/constructor',
    'compute/hasOwnProperty',
    'network/ipv6',
    'extended',
    'compute//vmId',
    'compute/%ZZ',
  ]) {
    assertNotFound(`/metadata/instance/${route}?${v}&format=text`);
  }
  assertNotFound(`/metadata/instancex?${v}`);
});

test('route filtering: one trailing slash is ignored; segments are percent-decoded', () => {
  const v = 'api-version=2021-02-01';
  assert.equal(text(`/metadata/instance/?${v}&format=text`), 'compute/\nnetwork/');
  assert.deepEqual(json(`/metadata/instance/compute/?${v}`), compute('2021-02-01'));
  assert.equal(text(`/metadata/instance/compute/vmId/?${v}&format=text`), '02aab8a4-74ef-476e-8182-f6d2ba4166a6');
  assert.equal(text(`/metadata/instance/compute/%76mId?${v}&format=text`), '02aab8a4-74ef-476e-8182-f6d2ba4166a6');
  assertNotFound(`/metadata/instance/compute//?${v}`);
});

test('text: root and object listings, leaves, tags, arrays, empty arrays', () => {
  assert.equal(text('/metadata/instance?api-version=2017-04-02&format=text'), 'compute/\nnetwork/');
  assert.equal(
    text('/metadata/instance/compute?api-version=2017-04-02&format=text'),
    'location\nname\noffer\nosType\nplatformFaultDomain\nplatformUpdateDomain\npublisher\nsku\nversion\nvmId\nvmSize',
  );
  assert.equal(text('/metadata/instance/compute/vmId?api-version=2017-04-02&format=text'), '02aab8a4-74ef-476e-8182-f6d2ba4166a6');
  assert.equal(text('/metadata/instance/compute/tags?api-version=2021-02-01&format=text'), 'baz:bash;foo:bar');
  assert.equal(text('/metadata/instance/compute/customData?api-version=2021-02-01&format=text'), '', 'empty leaf, empty body');
  assert.equal(text('/metadata/instance/compute/publicKeys?api-version=2021-02-01&format=text'), '0/\n1/');
  assert.equal(text('/metadata/instance/network/interface?api-version=2021-02-01&format=text'), '0/');
  assert.equal(text('/metadata/instance/network/interface/0?api-version=2021-02-01&format=text'), 'ipv4/\nipv6/\nmacAddress');
  assert.equal(text('/metadata/instance/network/interface/0/ipv6/ipAddress?api-version=2021-02-01&format=text'), '');
  const keyData = text('/metadata/instance/compute/publicKeys/0/keyData?api-version=2021-02-01&format=text');
  assert.match(keyData, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/]+ azureuser@examplevmname\n$/, 'raw value, its own trailing newline kept');
  const storage = text('/metadata/instance/compute/storageProfile/osDisk?api-version=2021-02-01&format=text');
  assert.equal(storage, 'caching\ncreateOption\ndiffDiskSettings/\ndiskSizeGB\nencryptionSettings/\nimage/\nmanagedDisk/\nname\nosType\nvhd/\nwriteAcceleratorEnabled');
  assert.equal(text('/metadata/instance/compute/location?api-version=2021-02-01&format=TEXT'), 'westus', 'format is case-insensitive');
});

test('a leaf requested as JSON (format=json or no format) is 400', () => {
  for (const url of ['/metadata/instance/compute/vmId?api-version=2018-04-02&format=json', '/metadata/instance/compute/vmId?api-version=2018-04-02']) {
    const error = httpError(url);
    assert.equal(error.status, 400);
    assert.deepEqual(error.body, INSTANCE_ENDPOINT_BODIES.leafNeedsText);
    assert.match((error.body as { error: string }).error, /^Bad request\. .*format=text/);
    assert.equal(error.rule, 'instance-leaf-format');
  }
  assert.deepEqual(json('/metadata/instance/compute/plan?api-version=2018-04-02&format=json'), { name: 'planName', product: 'planProduct', publisher: 'planPublisher' });
});

test('an unknown format is 400, checked before the route', () => {
  for (const url of ['/metadata/instance?api-version=2021-02-01&format=xml', '/metadata/instance/nope?api-version=2021-02-01&format=']) {
    const error = httpError(url);
    assert.equal(error.status, 400);
    assert.deepEqual(error.body, INSTANCE_ENDPOINT_BODIES.badFormat);
  }
});

test('extended=true adds extended.compute from 2021-08-01; older versions are 400', () => {
  assert.equal(EXTENDED_MIN_API_VERSION, '2021-08-01');
  const body = bodyText(get('/metadata/instance?api-version=2021-08-01&extended=true'));
  assert.deepEqual(Object.keys(JSON.parse(body) as object), ['compute', 'extended', 'network']);
  assert.match(body, /\},"extended":\{"compute":\{"hasCustomData":false,"ppsType":"None"\}\},"network":\{/);
  assert.equal(text('/metadata/instance/extended/compute/hasCustomData?api-version=2023-11-15&extended=true&format=text'), 'false');
  assert.equal(text('/metadata/instance/extended/compute?api-version=2023-11-15&extended=TRUE&format=text'), 'hasCustomData\nppsType');
  assert.equal(text('/metadata/instance?api-version=2023-11-15&extended=true&format=text'), 'compute/\nextended/\nnetwork/');
  assert.deepEqual(json('/metadata/instance?api-version=2021-08-01&extended=false'), json('/metadata/instance?api-version=2021-08-01'));
  assertNotFound('/metadata/instance/extended?api-version=2021-08-01');
  const old = httpError('/metadata/instance?api-version=2021-05-01&extended=true');
  assert.equal(old.status, 400);
  assert.deepEqual(old.body, extendedUnsupportedBody(EXTENDED_MIN_API_VERSION));
  assert.equal(httpError('/metadata/instance?api-version=2021-08-01&extended=yes').status, 400);
  const savable = validateProfile({ ...defaultProfileDocument(), extended: { hasCustomData: true, ppsType: 'Savable' } });
  const response = handleInstance(instanceRequest('/metadata/instance/extended?api-version=2021-08-01&extended=true'), contextFor(savable));
  assert.equal(bodyText(response), '{"compute":{"hasCustomData":true,"ppsType":"Savable"}}');
});

test('the handler follows the context profile (a swapped profile is served at once)', () => {
  let current = DEFAULT_PROFILE;
  const swapping = contextFor(DEFAULT_PROFILE, { profile: () => current });
  const doc = defaultProfileDocument();
  (doc.instance.compute as Record<string, unknown>).name = 'second-vm';
  const url = '/metadata/instance/compute/name?api-version=2021-02-01&format=text';
  assert.equal(bodyText(handleInstance(instanceRequest(url), swapping)), 'examplevmname');
  current = validateProfile(doc);
  assert.equal(bodyText(handleInstance(instanceRequest(url), swapping)), 'second-vm');
});
