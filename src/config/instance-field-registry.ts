// The instance-document field registry: every field path and the api-version that introduced it
// (imds-spec §3.4, §5.4, §5.5, §5.6), compiled into a schema tree used by the profile loader and by imds/ gating.

/**
 * Field path -> api-version that introduced it. `name[]` declares an array (of objects) and `name[].x` a member
 * of its elements. An object's own version is the oldest version of anything under it (derived, not listed).
 * Where the Swagger files and the docs disagree, the docs win (imds-spec §3.2: "§5.4 is authoritative").
 */
export const INSTANCE_FIELD_VERSIONS: Readonly<Record<string, string>> = {
  // compute (imds-spec §5.4)
  'compute.additionalCapabilities.hibernationEnabled': '2021-11-01',
  'compute.azEnvironment': '2018-10-01',
  'compute.customData': '2019-02-01',
  'compute.evictionPolicy': '2020-12-01',
  'compute.extendedLocation.name': '2021-03-01',
  'compute.extendedLocation.type': '2021-03-01',
  'compute.host.id': '2021-11-15',
  'compute.hostGroup.id': '2021-11-15',
  'compute.isHostCompatibilityLayerVm': '2020-06-01',
  'compute.licenseType': '2020-09-01',
  'compute.location': '2017-04-02',
  'compute.name': '2017-04-02',
  'compute.offer': '2017-04-02',
  'compute.osProfile.adminUsername': '2020-07-15',
  'compute.osProfile.computerName': '2020-07-15',
  'compute.osProfile.disablePasswordAuthentication': '2020-10-01',
  'compute.osType': '2017-04-02',
  'compute.physicalZone': '2023-11-15',
  'compute.placementGroupId': '2017-08-01',
  'compute.plan.name': '2018-04-02',
  'compute.plan.product': '2018-04-02',
  'compute.plan.publisher': '2018-04-02',
  'compute.platformFaultDomain': '2017-04-02',
  'compute.platformSubFaultDomain': '2021-10-01',
  'compute.platformUpdateDomain': '2017-04-02',
  'compute.priority': '2020-12-01',
  'compute.provider': '2018-10-01',
  'compute.publicKeys[]': '2018-04-02',
  'compute.publicKeys[].keyData': '2018-04-02',
  'compute.publicKeys[].path': '2018-04-02',
  'compute.publisher': '2017-04-02',
  'compute.resourceGroupName': '2017-08-01',
  'compute.resourceId': '2019-03-11',
  'compute.securityProfile.encryptionAtHost': '2021-11-01',
  'compute.securityProfile.secureBootEnabled': '2020-06-01',
  'compute.securityProfile.securityType': '2021-12-13',
  'compute.securityProfile.virtualTpmEnabled': '2020-06-01',
  'compute.sku': '2017-04-02',
  // compute.storageProfile (imds-spec §5.5)
  'compute.storageProfile.dataDisks[]': '2019-06-01',
  'compute.storageProfile.dataDisks[].bytesPerSecondThrottle': '2021-05-01',
  'compute.storageProfile.dataDisks[].caching': '2019-06-01',
  'compute.storageProfile.dataDisks[].createOption': '2019-06-01',
  'compute.storageProfile.dataDisks[].diskCapacityBytes': '2021-05-01',
  'compute.storageProfile.dataDisks[].diskSizeGB': '2019-06-01',
  'compute.storageProfile.dataDisks[].image.uri': '2019-06-01',
  'compute.storageProfile.dataDisks[].isSharedDisk': '2021-05-01',
  'compute.storageProfile.dataDisks[].isUltraDisk': '2021-05-01',
  'compute.storageProfile.dataDisks[].lun': '2019-06-01',
  'compute.storageProfile.dataDisks[].managedDisk.id': '2019-06-01',
  'compute.storageProfile.dataDisks[].managedDisk.storageAccountType': '2019-06-01',
  'compute.storageProfile.dataDisks[].name': '2019-06-01',
  'compute.storageProfile.dataDisks[].opsPerSecondThrottle': '2021-05-01',
  'compute.storageProfile.dataDisks[].vhd.uri': '2019-06-01',
  'compute.storageProfile.dataDisks[].writeAcceleratorEnabled': '2019-06-01',
  'compute.storageProfile.imageReference.communityGalleryImageId': '2023-07-01',
  'compute.storageProfile.imageReference.exactVersion': '2023-07-01',
  'compute.storageProfile.imageReference.id': '2019-06-01',
  'compute.storageProfile.imageReference.offer': '2019-06-01',
  'compute.storageProfile.imageReference.publisher': '2019-06-01',
  'compute.storageProfile.imageReference.sharedGalleryImageId': '2023-07-01',
  'compute.storageProfile.imageReference.sku': '2019-06-01',
  'compute.storageProfile.imageReference.version': '2019-06-01',
  'compute.storageProfile.osDisk.caching': '2019-06-01',
  'compute.storageProfile.osDisk.createOption': '2019-06-01',
  'compute.storageProfile.osDisk.diffDiskSettings.option': '2019-06-01',
  'compute.storageProfile.osDisk.diskSizeGB': '2019-06-01',
  'compute.storageProfile.osDisk.encryptionSettings.diskEncryptionKey.secretUrl': '2021-11-01',
  'compute.storageProfile.osDisk.encryptionSettings.diskEncryptionKey.sourceVault.id': '2021-11-01',
  'compute.storageProfile.osDisk.encryptionSettings.enabled': '2019-06-01',
  'compute.storageProfile.osDisk.encryptionSettings.keyEncryptionKey.keyUrl': '2021-11-01',
  'compute.storageProfile.osDisk.encryptionSettings.keyEncryptionKey.sourceVault.id': '2021-11-01',
  'compute.storageProfile.osDisk.image.uri': '2019-06-01',
  'compute.storageProfile.osDisk.managedDisk.id': '2019-06-01',
  'compute.storageProfile.osDisk.managedDisk.storageAccountType': '2019-06-01',
  'compute.storageProfile.osDisk.name': '2019-06-01',
  'compute.storageProfile.osDisk.osType': '2019-06-01',
  'compute.storageProfile.osDisk.vhd.uri': '2019-06-01',
  'compute.storageProfile.osDisk.writeAcceleratorEnabled': '2019-06-01',
  'compute.storageProfile.resourceDisk.size': '2021-02-01',
  'compute.subscriptionId': '2017-08-01',
  'compute.tags': '2017-08-01',
  'compute.tagsList[]': '2019-06-04',
  'compute.tagsList[].name': '2019-06-04',
  'compute.tagsList[].value': '2019-06-04',
  'compute.userData': '2021-01-01',
  'compute.version': '2017-04-02',
  'compute.virtualMachineScaleSet.id': '2021-03-01',
  'compute.vmId': '2017-04-02',
  'compute.vmScaleSetName': '2017-12-01',
  'compute.vmSize': '2017-04-02',
  'compute.zone': '2017-12-01',
  // network (imds-spec §5.6): all since 2017-04-02
  'network.interface[]': '2017-04-02',
  'network.interface[].ipv4.ipAddress[]': '2017-04-02',
  'network.interface[].ipv4.ipAddress[].privateIpAddress': '2017-04-02',
  'network.interface[].ipv4.ipAddress[].publicIpAddress': '2017-04-02',
  'network.interface[].ipv4.subnet[]': '2017-04-02',
  'network.interface[].ipv4.subnet[].address': '2017-04-02',
  'network.interface[].ipv4.subnet[].prefix': '2017-04-02',
  'network.interface[].ipv6.ipAddress[]': '2017-04-02',
  'network.interface[].ipv6.ipAddress[].privateIpAddress': '2017-04-02',
  'network.interface[].macAddress': '2017-04-02',
};

/** A node of the compiled schema. `since` = the api-version from which the node appears in responses. */
export type FieldNode = LeafField | ObjectField | ArrayField;
export interface LeafField {
  readonly kind: 'leaf';
  readonly since: string;
}
export interface ObjectField {
  readonly kind: 'object';
  readonly since: string;
  readonly fields: ReadonlyMap<string, FieldNode>;
}
export interface ArrayField {
  readonly kind: 'array';
  readonly since: string;
  /** The element schema (every instance-document array holds objects). */
  readonly items: ObjectField;
}

interface Draft {
  kind: 'leaf' | 'object' | 'array';
  since: string | undefined;
  fields: Map<string, Draft>;
  items: Draft | undefined;
}

function draft(kind: Draft['kind']): Draft {
  return { kind, since: undefined, fields: new Map(), items: kind === 'array' ? draft('object') : undefined };
}

function finish(node: Draft, where: string): FieldNode {
  if (node.kind === 'leaf') return { kind: 'leaf', since: node.since! };
  if (node.kind === 'array') {
    if (!node.since) throw new Error(`field registry: array ${where}[] has members but no version of its own`);
    return { kind: 'array', since: node.since, items: finish(node.items!, `${where}[]`) as ObjectField };
  }
  const fields = new Map<string, FieldNode>();
  for (const key of [...node.fields.keys()].sort()) fields.set(key, finish(node.fields.get(key)!, where ? `${where}.${key}` : key));
  let since: string | undefined;
  for (const child of fields.values()) if (since === undefined || child.since < since) since = child.since;
  return { kind: 'object', since: since ?? '0000-00-00', fields };
}

/** Compiles the flat table into a tree; throws on an inconsistent table (a programming error). */
export function compileFieldRegistry(table: Readonly<Record<string, string>>): ObjectField {
  const root = draft('object');
  for (const [path, since] of Object.entries(table)) {
    let node = root;
    const segments = path.split('.');
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      const isArray = segment.endsWith('[]');
      const name = isArray ? segment.slice(0, -2) : segment;
      const container = node.kind === 'array' ? node.items! : node;
      let child = container.fields.get(name);
      const kind = isArray ? 'array' : last ? 'leaf' : 'object';
      if (!child) {
        child = draft(kind);
        container.fields.set(name, child);
      } else if (child.kind !== kind) {
        throw new Error(`field registry: ${path} uses ${name} as ${kind}, elsewhere as ${child.kind}`);
      }
      if (last) child.since = since;
      node = isArray && !last ? child.items! : child;
    });
  }
  return finish(root, '') as ObjectField;
}

/** The compiled instance-document schema (root object with `compute` and `network`). */
export const INSTANCE_SCHEMA: ObjectField = compileFieldRegistry(INSTANCE_FIELD_VERSIONS);

/** Flattened view: every registry path (as in the table) with its version, for docs and tests. */
export function registryPaths(): readonly (readonly [path: string, since: string])[] {
  return Object.entries(INSTANCE_FIELD_VERSIONS).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
