// Tests for the profile loader: JSON/YAML files, defaults, every validation error kind (path + reason), freezing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkProfile, detectFormat, loadProfile, parseProfileText, validateProfile } from './load-profile.ts';
import { DEFAULT_PROFILE, defaultProfileDocument } from './default-profile.ts';
import { ProfileError } from './profile-error.ts';
import type { ProfileProblem } from './profile-error.ts';
import { ImdsLabError } from '../util/errors.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'imds-lab-profile-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function problemsOf(mutate: (doc: Doc) => void): readonly ProfileProblem[] {
  const doc = defaultProfileDocument() as unknown as Doc;
  mutate(doc);
  const { profile, problems } = checkProfile(doc);
  assert.equal(profile, undefined, 'expected the profile to be rejected');
  return problems;
}

function assertProblem(problems: readonly ProfileProblem[], path: string, reason: RegExp): void {
  const match = problems.find((p) => p.path === path && reason.test(p.message));
  assert.ok(match, `expected a problem at ${path} matching ${reason}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
}

function assertDeepFrozen(value: unknown, path = 'profile'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${path} is not frozen`);
  for (const [key, child] of Object.entries(value)) assertDeepFrozen(child, `${path}.${key}`);
}

test('the default profile document validates to exactly DEFAULT_PROFILE', () => {
  assert.deepEqual(validateProfile(defaultProfileDocument()), DEFAULT_PROFILE);
});

test('JSON and YAML files (by extension and by content) load to the same profile', async () => {
  await withDir(async (dir) => {
    const json = JSON.stringify(defaultProfileDocument(), null, 2);
    const yaml = stringify(defaultProfileDocument());
    const files = { 'a.json': json, 'b.yaml': yaml, 'c.yml': yaml, 'd.profile': json, 'e.profile': yaml };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      assert.deepEqual(await loadProfile(join(dir, name)), DEFAULT_PROFILE, name);
    }
  });
  assert.equal(detectFormat('x.JSON', 'a: 1'), 'json');
  assert.equal(detectFormat('x.txt', '  {"a":1}'), 'json');
  assert.equal(detectFormat('x.txt', 'a: 1'), 'yaml');
});

test('loaded profiles are deep-frozen and detached from the input', () => {
  const input = defaultProfileDocument() as unknown as Doc;
  const profile = validateProfile(input);
  assertDeepFrozen(profile);
  assert.throws(() => {
    (profile.instance.compute as Doc).name = 'changed';
  }, TypeError);
  input.instance.compute.name = 'mutated-after-load';
  assert.equal(profile.instance.compute.name, 'examplevmname');
  assert.notEqual(profile.service, DEFAULT_PROFILE.service, 'sections are copies, not the default objects');
});

test('a minimal profile: only instance; missing instance fields become empty, sections come from the default', () => {
  const profile = validateProfile({
    instance: {
      compute: { name: 'vm1', vmId: '11111111-2222-4333-8444-555555555555', tagsList: [{ name: 'env', value: 'dev' }] },
      network: { interface: [{ ipv4: { ipAddress: [{ privateIpAddress: '10.0.0.5' }], subnet: [{ address: '10.0.0.0', prefix: '24' }] }, macAddress: '0022486FA1B2' }] },
    },
  });
  const compute = profile.instance.compute as Doc;
  assert.equal(compute.location, '');
  assert.deepEqual(compute.plan, { name: '', product: '', publisher: '' });
  assert.deepEqual(compute.publicKeys, []);
  assert.deepEqual(compute.storageProfile.resourceDisk, { size: '' });
  assert.deepEqual(compute.storageProfile.osDisk.encryptionSettings.diskEncryptionKey, { secretUrl: '', sourceVault: { id: '' } });
  assert.equal(compute.tags, 'env:dev', 'tags derived from tagsList');
  const nic = (profile.instance.network as Doc).interface[0];
  assert.deepEqual(nic.ipv4.ipAddress[0], { privateIpAddress: '10.0.0.5', publicIpAddress: '' });
  assert.deepEqual(nic.ipv6, { ipAddress: [] });
  for (const section of ['extended', 'identity', 'loadBalancer', 'scheduledEvents', 'reprovisionData', 'service', 'sourcePolicy'] as const) {
    assert.deepEqual(profile[section], DEFAULT_PROFILE[section], section);
  }
});

test('tagsList is derived from tags when only tags is given', () => {
  const doc = defaultProfileDocument() as unknown as Doc;
  delete doc.instance.compute.tagsList;
  doc.instance.compute.tags = 'a:1;b:x:y;c';
  const compute = validateProfile(doc).instance.compute as Doc;
  assert.deepEqual(compute.tagsList, [
    { name: 'a', value: '1' },
    { name: 'b', value: 'x:y' },
    { name: 'c', value: '' },
  ]);
});

test('service and extended merge field by field; identity/scheduledEvents fill their own defaults', () => {
  const profile = validateProfile({
    ...defaultProfileDocument(),
    service: { rateLimit: { enabled: false }, apiVersions: ['2019-06-01', '2021-02-01'] },
    extended: { ppsType: 'Savable' },
    identity: { tenantId: 'abd8daee-d393-4239-9377-883adda3d40f' },
    scheduledEvents: {
      events: [{ eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Freeze', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' }],
    },
    loadBalancer: null,
    reprovisionData: '<Environment/>',
  });
  assert.deepEqual(profile.service.rateLimit, { ...DEFAULT_PROFILE.service.rateLimit, enabled: false });
  assert.deepEqual(profile.service.apiVersions, ['2019-06-01', '2021-02-01']);
  assert.equal(profile.service.serverHeader, DEFAULT_PROFILE.service.serverHeader);
  assert.deepEqual(profile.extended, { hasCustomData: false, ppsType: 'Savable' });
  assert.deepEqual(profile.identity, { tenantId: 'abd8daee-d393-4239-9377-883adda3d40f', systemAssigned: null, userAssigned: [] });
  assert.deepEqual(profile.scheduledEvents, {
    documentIncarnation: 0,
    events: [
      {
        eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123',
        eventType: 'Freeze',
        eventStatus: 'Scheduled',
        resourceType: 'VirtualMachine',
        resources: ['examplevmname'],
        notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT',
        description: '',
        eventSource: 'Platform',
        durationInSeconds: -1,
      },
    ],
  });
  assert.equal(profile.loadBalancer, null);
  assert.equal(profile.reprovisionData, '<Environment/>');
});

const ERROR_CASES: { name: string; mutate: (d: Doc) => void; path: string; reason: RegExp }[] = [
  { name: 'non-string leaf', mutate: (d) => (d.instance.compute.tagsList[1].value = 5), path: 'instance.compute.tagsList[1].value', reason: /must be a string, got number 5.*write "5"/ },
  { name: 'boolean leaf', mutate: (d) => (d.instance.compute.securityProfile.secureBootEnabled = true), path: 'instance.compute.securityProfile.secureBootEnabled', reason: /must be a string, got boolean true/ },
  { name: 'object where a leaf belongs', mutate: (d) => (d.instance.compute.name = { a: 'b' }), path: 'instance.compute.name', reason: /must be a string, got an object/ },
  { name: 'array expected', mutate: (d) => (d.instance.compute.publicKeys = 'key'), path: 'instance.compute.publicKeys', reason: /must be an array/ },
  { name: 'unknown instance key with hint', mutate: (d) => (d.instance.compute.vmSzie = 'x'), path: 'instance.compute.vmSzie', reason: /unknown key \(did you mean "vmSize"\?\)/ },
  { name: 'wrong-case key with hint', mutate: (d) => (d.instance.network.interface[0].MacAddress = 'x'), path: 'instance.network.interface[0].MacAddress', reason: /did you mean "macAddress"/ },
  { name: 'unknown top-level key with hint', mutate: (d) => (d.loadbalancer = null), path: 'loadbalancer', reason: /did you mean "loadBalancer"/ },
  { name: 'unknown key without a close match', mutate: (d) => (d.service.zzzzzzzzzzzz = 1), path: 'service.zzzzzzzzzzzz', reason: /^unknown key$/ },
  { name: 'instance missing', mutate: (d) => delete d.instance, path: 'instance', reason: /is required/ },
  { name: 'network missing', mutate: (d) => delete d.instance.network, path: 'instance.network', reason: /is required/ },
  { name: 'bad private IPv4', mutate: (d) => (d.instance.network.interface[0].ipv4.ipAddress[0].privateIpAddress = '10.1.0.256'), path: 'instance.network.interface[0].ipv4.ipAddress[0].privateIpAddress', reason: /must be an IPv4 address/ },
  { name: 'bad public IPv4', mutate: (d) => (d.instance.network.interface[0].ipv4.ipAddress[0].publicIpAddress = 'none'), path: 'instance.network.interface[0].ipv4.ipAddress[0].publicIpAddress', reason: /IPv4 address or ""/ },
  { name: 'bad prefix', mutate: (d) => (d.instance.network.interface[0].ipv4.subnet[0].prefix = '33'), path: 'instance.network.interface[0].ipv4.subnet[0].prefix', reason: /prefix length from 0 to 32/ },
  { name: 'prefix with slash', mutate: (d) => (d.instance.network.interface[0].ipv4.subnet[0].prefix = '/24'), path: 'instance.network.interface[0].ipv4.subnet[0].prefix', reason: /prefix length/ },
  { name: 'subnet host bits', mutate: (d) => (d.instance.network.interface[0].ipv4.subnet[0].address = '10.1.0.4'), path: 'instance.network.interface[0].ipv4.subnet[0].address', reason: /host bits set/ },
  { name: 'address outside subnet', mutate: (d) => (d.instance.network.interface[0].ipv4.ipAddress[0].privateIpAddress = '10.2.0.4'), path: 'instance.network.interface[0].ipv4.ipAddress[0].privateIpAddress', reason: /not inside any subnet.*10\.1\.0\.0\/24/ },
  { name: 'primary NIC without IPv4', mutate: (d) => (d.instance.network.interface[0].ipv4.ipAddress = []), path: 'instance.network.interface[0].ipv4.ipAddress', reason: /primary NIC.*needs an IPv4 address/ },
  { name: 'primary NIC without subnet', mutate: (d) => (d.instance.network.interface[0].ipv4.subnet = []), path: 'instance.network.interface[0].ipv4.subnet', reason: /needs its subnet/ },
  { name: 'no NIC', mutate: (d) => (d.instance.network.interface = []), path: 'instance.network.interface', reason: /at least the primary NIC/ },
  { name: 'MAC format', mutate: (d) => (d.instance.network.interface[0].macAddress = '00-0D-3A-F8-06-EC'), path: 'instance.network.interface[0].macAddress', reason: /12 upper-case hex digits/ },
  { name: 'lower-case MAC', mutate: (d) => (d.instance.network.interface[0].macAddress = '000d3af806ec'), path: 'instance.network.interface[0].macAddress', reason: /upper-case/ },
  {
    name: 'duplicate MAC and address',
    mutate: (d) => d.instance.network.interface.push(structuredClone(d.instance.network.interface[0])),
    path: 'instance.network.interface[1].macAddress',
    reason: /duplicates interface\[0\]\.macAddress/,
  },
  { name: 'bad IPv6', mutate: (d) => (d.instance.network.interface[0].ipv6.ipAddress = [{ privateIpAddress: '10.0.0.1' }]), path: 'instance.network.interface[0].ipv6.ipAddress[0].privateIpAddress', reason: /IPv6/ },
  { name: 'vmId not a GUID', mutate: (d) => (d.instance.compute.vmId = 'vm-1'), path: 'instance.compute.vmId', reason: /must be a GUID/ },
  { name: 'boolean string', mutate: (d) => (d.instance.compute.isHostCompatibilityLayerVm = 'yes'), path: 'instance.compute.isHostCompatibilityLayerVm', reason: /"true", "false" or ""/ },
  { name: 'decimal string', mutate: (d) => (d.instance.compute.storageProfile.dataDisks[0].lun = 'zero'), path: 'instance.compute.storageProfile.dataDisks[0].lun', reason: /decimal number/ },
  { name: 'tags disagree with tagsList', mutate: (d) => (d.instance.compute.tags = 'baz:bash'), path: 'instance.compute.tags', reason: /must equal tagsList joined.*"baz:bash;foo:bar"/ },
  { name: 'userData not base64', mutate: (d) => (d.instance.compute.userData = 'not base64!'), path: 'instance.compute.userData', reason: /base64/ },
  { name: 'userData too large', mutate: (d) => (d.instance.compute.userData = Buffer.alloc(65537).toString('base64')), path: 'instance.compute.userData', reason: /64 KB/ },
  { name: 'tenantId', mutate: (d) => (d.identity.tenantId = 'contoso'), path: 'identity.tenantId', reason: /GUID/ },
  {
    name: 'duplicate clientId across system and user identities',
    mutate: (d) => (d.identity.userAssigned[1].clientId = d.identity.systemAssigned.clientId.toUpperCase()),
    path: 'identity.userAssigned[1].clientId',
    reason: /duplicate clientId.*identity\.systemAssigned\.clientId/,
  },
  { name: 'duplicate objectId', mutate: (d) => (d.identity.userAssigned[1].objectId = d.identity.userAssigned[0].objectId), path: 'identity.userAssigned[1].objectId', reason: /duplicate objectId/ },
  {
    name: 'duplicate resourceId (case-insensitive)',
    mutate: (d) => (d.identity.userAssigned[1].resourceId = d.identity.userAssigned[0].resourceId.toLowerCase()),
    path: 'identity.userAssigned[1].resourceId',
    reason: /duplicate resourceId/,
  },
  { name: 'bad resourceId', mutate: (d) => (d.identity.userAssigned[0].resourceId = '/subscriptions/x/identity'), path: 'identity.userAssigned[0].resourceId', reason: /userAssignedIdentities/ },
  { name: 'LB port', mutate: (d) => (d.loadBalancer.inboundRules[0].frontendPort = 70000), path: 'loadBalancer.inboundRules[0].frontendPort', reason: /integer from 0 to 65535/ },
  { name: 'LB port as string', mutate: (d) => (d.loadBalancer.inboundRules[1].backendPort = '443'), path: 'loadBalancer.inboundRules[1].backendPort', reason: /integer/ },
  { name: 'LB address', mutate: (d) => (d.loadBalancer.outboundRules[0].frontendIpAddress = 'lb'), path: 'loadBalancer.outboundRules[0].frontendIpAddress', reason: /IPv4 or IPv6/ },
  { name: 'SE incarnation', mutate: (d) => (d.scheduledEvents.documentIncarnation = -1), path: 'scheduledEvents.documentIncarnation', reason: /integer from 0/ },
  {
    name: 'SE event type with hint',
    mutate: (d) => (d.scheduledEvents.events = [{ eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'reboot', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' }]),
    path: 'scheduledEvents.events[0].eventType',
    reason: /one of "Freeze".*did you mean "Reboot"/,
  },
  {
    name: 'SE notBefore not RFC 1123',
    mutate: (d) => (d.scheduledEvents.events = [{ eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Reboot', notBefore: '2016-09-19T18:29:47Z' }]),
    path: 'scheduledEvents.events[0].notBefore',
    reason: /RFC 1123/,
  },
  {
    name: 'SE notBefore wrong weekday',
    mutate: (d) => (d.scheduledEvents.events = [{ eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Reboot', notBefore: 'Tue, 19 Sep 2016 18:29:47 GMT' }]),
    path: 'scheduledEvents.events[0].notBefore',
    reason: /RFC 1123/,
  },
  {
    name: 'SE Started keeps notBefore',
    mutate: (d) =>
      (d.scheduledEvents.events = [
        { eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Reboot', eventStatus: 'Started', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' },
      ]),
    path: 'scheduledEvents.events[0].notBefore',
    reason: /must be "" once the event is Started/,
  },
  {
    name: 'SE duplicate id',
    mutate: (d) =>
      (d.scheduledEvents.events = [
        { eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Reboot', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' },
        { eventId: 'c7061bac-afdc-4513-b24b-aa5f13a16123', eventType: 'Freeze', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' },
      ]),
    path: 'scheduledEvents.events[1].eventId',
    reason: /duplicates events\[0\]/,
  },
  {
    name: 'SE duration',
    mutate: (d) =>
      (d.scheduledEvents.events = [{ eventId: 'C7061BAC-AFDC-4513-B24B-AA5F13A16123', eventType: 'Freeze', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT', durationInSeconds: -2 }]),
    path: 'scheduledEvents.events[0].durationInSeconds',
    reason: /integer from -1/,
  },
  { name: 'SE eventId', mutate: (d) => (d.scheduledEvents.events = [{ eventId: 'evt-1', eventType: 'Freeze', notBefore: 'Mon, 19 Sep 2016 18:29:47 GMT' }]), path: 'scheduledEvents.events[0].eventId', reason: /GUID/ },
  { name: 'forwardedForStatus', mutate: (d) => (d.service.forwardedForStatus = 200), path: 'service.forwardedForStatus', reason: /from 400 to 599/ },
  { name: 'rate limit', mutate: (d) => (d.service.rateLimit.generalPerSecond = 0), path: 'service.rateLimit.generalPerSecond', reason: /from 1/ },
  { name: 'apiVersions order', mutate: (d) => (d.service.apiVersions = ['2021-02-01', '2019-06-01']), path: 'service.apiVersions[1]', reason: /ascending/ },
  { name: 'apiVersions date', mutate: (d) => (d.service.apiVersions = ['2021-02-30']), path: 'service.apiVersions[0]', reason: /YYYY-MM-DD/ },
  { name: 'fault without effect', mutate: (d) => (d.service.faults = [{ path: '/metadata/identity/*' }]), path: 'service.faults[0]', reason: /needs a status, a delayMs/ },
  { name: 'fault status', mutate: (d) => (d.service.faults = [{ path: '/metadata', status: 418 }]), path: 'service.faults[0].status', reason: /one of 404, 410, 429, 500, 503/ },
  { name: 'fault path', mutate: (d) => (d.service.faults = [{ path: 'metadata', status: 500 }]), path: 'service.faults[0].path', reason: /must start with "\/"/ },
  { name: 'fault probability', mutate: (d) => (d.service.faults = [{ path: '/', status: 500, probability: 2 }]), path: 'service.faults[0].probability', reason: /from 0 to 1/ },
  { name: 'serverHeader', mutate: (d) => (d.service.serverHeader = 'IMDS\r\nX: y'), path: 'service.serverHeader', reason: /printable ASCII/ },
  { name: 'ppsType', mutate: (d) => (d.extended.ppsType = 'Saveable'), path: 'extended.ppsType', reason: /did you mean "Savable"/ },
  { name: 'hasCustomData', mutate: (d) => (d.extended.hasCustomData = 'false'), path: 'extended.hasCustomData', reason: /true or false/ },
  { name: 'sourcePolicy', mutate: (d) => (d.sourcePolicy = 'reject'), path: 'sourcePolicy', reason: /one of "drop", "rst", "icmp"/ },
  { name: 'reprovisionData', mutate: (d) => (d.reprovisionData = 42), path: 'reprovisionData', reason: /must be a string/ },
];

for (const { name, mutate, path, reason } of ERROR_CASES) {
  test(`rejects: ${name} (names ${path})`, () => {
    assertProblem(problemsOf(mutate), path, reason);
  });
}

test('every problem is reported at once, and the ProfileError message lists each path', () => {
  const doc = defaultProfileDocument() as unknown as Doc;
  doc.instance.compute.tagsList[1].value = 5;
  doc.instance.network.interface[0].macAddress = 'bad';
  doc.identity.tenantId = 'x';
  doc.service.forwardedForStatus = 'x';
  doc.extra = true;
  let error: unknown;
  try {
    validateProfile(doc, 'vm.yaml');
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ProfileError, 'validateProfile throws a ProfileError');
  assert.ok(error instanceof ImdsLabError, 'ProfileError is an ImdsLabError');
  assert.equal(error.code, 'ERR_PROFILE');
  assert.equal(error.source, 'vm.yaml');
  assert.deepEqual(
    error.problems.map((p) => p.path),
    ['extra', 'instance.compute.tagsList[1].value', 'instance.network.interface[0].macAddress', 'identity.tenantId', 'service.forwardedForStatus'],
  );
  assert.match(error.message, /^invalid VM profile vm\.yaml \(5 problems\):\n {2}extra: unknown key/);
  assert.match(error.message, /\n {2}instance\.compute\.tagsList\[1\]\.value: must be a string/);
  assert.doesNotMatch(error.message, /instance\.compute\.tags:/, 'no follow-on tags/tagsList mismatch for an already-bad tagsList');
});

test('YAML numbers and booleans in the instance document are named with their path', () => {
  const yaml = stringify(defaultProfileDocument()).replace('platformFaultDomain: "36"', 'platformFaultDomain: 36').replace('enabled: "true"', 'enabled: true');
  const { problems } = checkProfile(parseProfileText(yaml, { format: 'yaml' }));
  assertProblem(problems, 'instance.compute.platformFaultDomain', /must be a string, got number 36/);
  assertProblem(problems, 'instance.compute.storageProfile.osDisk.encryptionSettings.enabled', /must be a string, got boolean true/);
});

test('syntax errors, missing files and non-object documents are ProfileErrors', async () => {
  assert.throws(() => parseProfileText('{"instance": {"compute": {},\n  "network": [1, 2}}', { source: 'x.json' }), /x\.json \(1 problem\):\n {2}not valid JSON at line 2, column \d+/);
  assert.throws(() => parseProfileText('a: 1\na: 2\n', { source: 'dup.yaml' }), /not valid YAML: .*[Mm]ap keys must be unique/);
  assert.throws(() => parseProfileText('a: [1, 2\n', { source: 'bad.yaml' }), /not valid YAML/);
  assert.throws(() => parseProfileText('a: &x\n  b: *x\n', { source: 'cycle.yaml' }), /circular reference/);
  await assert.rejects(loadProfile('/nonexistent/imds-lab/profile.json'), (e: unknown) => {
    assert.ok(e instanceof ProfileError, 'a ProfileError');
    assert.equal(e.code, 'ERR_PROFILE');
    assert.match(e.message, /file not found/);
    return true;
  });
  for (const value of [null, [], 'instance', 5]) {
    const { profile, problems } = checkProfile(value);
    assert.equal(profile, undefined);
    assert.match(problems[0]!.message, /must be an object with an "instance" section/);
  }
});
