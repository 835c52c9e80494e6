// The embedded default VM: the full example VM of the docs/Swagger (2023-07-01 GetInstanceMetadata example,
// imds-spec §5.4–§5.6, §9), every compute field of the newest api-version populated; deep-frozen.
import type { VmProfile } from './vm-profile.ts';
import { deepFreeze } from './deep-freeze.ts';

const SUBSCRIPTION = '8d10da13-8125-4ba9-a717-bf7490507b3d';
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/macikgo-test-may-23`;
const VAULT = `${GROUP}/providers/Microsoft.KeyVault/vaults/test-kv`;

const RSA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBuzehNF3/FmhwAxJpdkfRDRMumGiVXsfYDapUiPctP7gOzPX72WcwBhmOtRR5DDEhhuLglQAhq/pOE5TEwNMzGYrwxewRuNar879cMIyeuRD9uV3MFaT/3fgMmZ9mtcrmi7Gxph+62Sez8sMnsEkKEXqeUY+Y9WzPpgt75HQxHFkzCvgyD+D//gcUFoDHHBLpB3Wrb05y45MEescp9ZOOSLZuYNcgjnvi7SuW5X0RaOh68vtS2tTlnHQuMUcnkh7FnkU0WBbv9ZiwOIUO9F/hm8mYovTOv2DhCB9Db5/QmhlniD16Ekqz/lF1D4CgjH8mqXVH/vS47FnKMTxDOsWj azureuser@examplevmname\n';
const ED25519_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEF+Iko0EnLESNiqdGlRp+IICRUN/W3FkTCfHob/SQeT azureuser@laptop\n';

/**
 * A plain (unfrozen) copy of the default profile, e.g. to write it out for editing (`imds-lab profile init`).
 * Values come from the docs/Swagger example VM; every field is populated so that every route and every
 * version gate has something to show. The combination (Spot + dedicated host group + edge zone + zone) is
 * the docs' example, not one Azure would actually allocate.
 */
export function defaultProfileDocument(): VmProfile {
  return {
    instance: {
      compute: {
        additionalCapabilities: { hibernationEnabled: 'true' },
        azEnvironment: 'AzurePublicCloud',
        customData: '',
        evictionPolicy: 'deallocate',
        extendedLocation: { name: 'microsoftlosangeles', type: 'edgeZone' },
        host: { id: '' },
        hostGroup: { id: 'testHostGroupId' },
        isHostCompatibilityLayerVm: 'true',
        licenseType: 'UBUNTU_PRO',
        location: 'westus',
        name: 'examplevmname',
        offer: 'UbuntuServer',
        osProfile: { adminUsername: 'azureuser', computerName: 'examplevmname', disablePasswordAuthentication: 'true' },
        osType: 'Linux',
        physicalZone: 'westus-AZ01',
        placementGroupId: 'f67c14ab-e92c-408c-ae2d-da15866ec79a',
        plan: { name: 'planName', product: 'planProduct', publisher: 'planPublisher' },
        platformFaultDomain: '36',
        platformSubFaultDomain: '15',
        platformUpdateDomain: '42',
        priority: 'Spot',
        provider: 'Microsoft.Compute',
        publicKeys: [
          { keyData: RSA_KEY, path: '/home/azureuser/.ssh/authorized_keys' },
          { keyData: ED25519_KEY, path: '/home/azureuser/.ssh/authorized_keys' },
        ],
        publisher: 'Canonical',
        resourceGroupName: 'macikgo-test-may-23',
        resourceId: `${GROUP}/providers/Microsoft.Compute/virtualMachines/examplevmname`,
        securityProfile: { encryptionAtHost: 'true', secureBootEnabled: 'true', securityType: 'TrustedLaunch', virtualTpmEnabled: 'true' },
        sku: '16.04.0-LTS',
        storageProfile: {
          dataDisks: [
            {
              bytesPerSecondThrottle: '979202048',
              caching: 'None',
              createOption: 'Empty',
              diskCapacityBytes: '274877906944',
              diskSizeGB: '1024',
              image: { uri: '' },
              isSharedDisk: 'false',
              isUltraDisk: 'true',
              lun: '0',
              managedDisk: { id: `${GROUP}/providers/Microsoft.Compute/disks/exampledatadiskname`, storageAccountType: 'UltraSSD_LRS' },
              name: 'exampledatadiskname',
              opsPerSecondThrottle: '65280',
              vhd: { uri: '' },
              writeAcceleratorEnabled: 'false',
            },
          ],
          imageReference: {
            communityGalleryImageId: '/CommunityGalleries/akstestgallery-ab568100-7a05-4b31-9f7d-3aede6df4420/Images/1804Gen2/Versions/latest',
            exactVersion: '1.1686127202.30113',
            id: '',
            offer: 'UbuntuServer',
            publisher: 'Canonical',
            sharedGalleryImageId: '/SharedGalleries/CblMariner.1P.Canary/Images/cbl-mariner-2-gen2/Versions/latest',
            sku: '16.04.0-LTS',
            version: 'latest',
          },
          osDisk: {
            caching: 'ReadWrite',
            createOption: 'FromImage',
            diffDiskSettings: { option: 'Local' },
            diskSizeGB: '30',
            encryptionSettings: {
              diskEncryptionKey: {
                secretUrl: 'https://test-disk.vault.azure.net/secrets/F825A67F-42B8-4F01-8BB5-A99223A9FD05/8e820e1f85be483ab51c028aa710acfc',
                sourceVault: { id: VAULT },
              },
              enabled: 'true',
              keyEncryptionKey: {
                keyUrl: 'https://test-key.vault.azure.net/secrets/F825A67F-42B8-4F01-8BB5-A99223A9FD05/8e820e1f85be483ab51c028aa710acfc',
                sourceVault: { id: VAULT },
              },
            },
            image: { uri: '' },
            managedDisk: { id: `${GROUP}/providers/Microsoft.Compute/disks/exampleosdiskname`, storageAccountType: 'Standard_LRS' },
            name: 'exampleosdiskname',
            osType: 'Linux',
            vhd: { uri: '' },
            writeAcceleratorEnabled: 'false',
          },
          resourceDisk: { size: '4096' },
        },
        subscriptionId: SUBSCRIPTION,
        tags: 'baz:bash;foo:bar',
        tagsList: [
          { name: 'baz', value: 'bash' },
          { name: 'foo', value: 'bar' },
        ],
        userData: 'Zm9vYmFy',
        version: '16.04.202109280',
        virtualMachineScaleSet: { id: `${GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/crpteste9vflji9` },
        vmId: '02aab8a4-74ef-476e-8182-f6d2ba4166a6',
        vmScaleSetName: 'crpteste9vflji9',
        vmSize: 'Standard_A3',
        zone: '1',
      },
      network: {
        interface: [
          {
            ipv4: {
              ipAddress: [{ privateIpAddress: '10.1.0.4', publicIpAddress: '51.0.0.1' }],
              subnet: [{ address: '10.1.0.0', prefix: '24' }],
            },
            ipv6: { ipAddress: [] },
            macAddress: '000D3AF806EC',
          },
        ],
      },
    },
    extended: { hasCustomData: false, ppsType: 'None' },
    identity: {
      tenantId: 'abd8daee-d393-4239-9377-883adda3d40f',
      systemAssigned: { clientId: 'be5947ed-3560-4afe-9504-59967a63f810', objectId: '3b3c8a6f-6d4e-4f7b-9d2a-1c5e8f0a7b21' },
      userAssigned: [
        {
          clientId: '6e8b2c4a-1f3d-4b5e-8a7c-9d0e1f2a3b4c',
          objectId: 'a1b2c3d4-e5f6-4789-8abc-def012345678',
          resourceId: `${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-identity`,
        },
        {
          clientId: '0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b',
          objectId: '5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070',
          resourceId: `${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-identity`,
        },
      ],
    },
    // imds-spec §9 (the docs' Standard load balancer example).
    loadBalancer: {
      publicIpAddresses: [{ frontendIpAddress: '51.0.0.1', privateIpAddress: '10.1.0.4' }],
      inboundRules: [
        { frontendIpAddress: '50.0.0.1', protocol: 'tcp', frontendPort: 80, backendPort: 443, privateIpAddress: '10.1.0.4' },
        { frontendIpAddress: '2603:10e1:100:2::1:1', protocol: 'tcp', frontendPort: 80, backendPort: 443, privateIpAddress: 'ace:cab:deca:deed::1' },
      ],
      outboundRules: [
        { frontendIpAddress: '50.0.0.1', privateIpAddress: '10.1.0.4' },
        { frontendIpAddress: '2603:10e1:100:2::1:1', privateIpAddress: 'ace:cab:deca:deed::1' },
      ],
    },
    scheduledEvents: { documentIncarnation: 0, events: [] },
    reprovisionData: null,
    service: {
      serverHeader: 'IMDS/150.870.65.1854',
      rateLimit: { enabled: true, generalPerSecond: 5, identityPerSecond: 20, identityConcurrent: 5 },
      strictIdentityMetadataCase: false,
      forwardedForStatus: 403,
      apiVersions: null,
      tokenLifetimeSeconds: 86400,
      faults: [],
    },
    sourcePolicy: 'drop',
  };
}

/** The embedded default profile (deep-frozen). */
export const DEFAULT_PROFILE: VmProfile = deepFreeze(defaultProfileDocument());
