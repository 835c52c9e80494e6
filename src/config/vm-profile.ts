// The VM profile: one emulated VM, as plain data (types only). Loaded and validated by load-profile.ts.
// `instance` holds the IMDS instance document at the newest api-version, exactly as IMDS returns it.

/** A node of the instance document: every primitive is a string (imds-spec §2.9). */
export type InstanceNode = string | readonly InstanceNode[] | InstanceTree;
export interface InstanceTree {
  readonly [key: string]: InstanceNode;
}

export interface SystemAssignedIdentity {
  readonly clientId: string;
  readonly objectId: string;
}

export interface UserAssignedIdentity {
  readonly clientId: string;
  readonly objectId: string;
  /** ARM resource id: /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME */
  readonly resourceId: string;
}

export interface IdentityProfile {
  readonly tenantId: string;
  readonly systemAssigned: SystemAssignedIdentity | null;
  readonly userAssigned: readonly UserAssignedIdentity[];
}

/** The /metadata/loadbalancer document body under "loadbalancer" (ports are JSON numbers, imds-spec §9). */
export interface LoadBalancerProfile {
  readonly publicIpAddresses: readonly { readonly frontendIpAddress: string; readonly privateIpAddress: string }[];
  readonly inboundRules: readonly {
    readonly frontendIpAddress: string;
    readonly protocol: string;
    readonly frontendPort: number;
    readonly backendPort: number;
    readonly privateIpAddress: string;
  }[];
  readonly outboundRules: readonly { readonly frontendIpAddress: string; readonly privateIpAddress: string }[];
}

export const SCHEDULED_EVENT_TYPES = ['Freeze', 'Reboot', 'Redeploy', 'Preempt', 'Terminate'] as const;
export type ScheduledEventType = (typeof SCHEDULED_EVENT_TYPES)[number];

export interface ScheduledEventProfile {
  readonly eventId: string;
  readonly eventType: ScheduledEventType;
  readonly eventStatus: 'Scheduled' | 'Started';
  readonly resourceType: 'VirtualMachine';
  readonly resources: readonly string[];
  /** RFC 1123 GMT date, or "" once Started. */
  readonly notBefore: string;
  readonly description: string;
  readonly eventSource: 'Platform' | 'User';
  readonly durationInSeconds: number;
}

export const HTTP_FAULT_STATUSES = [404, 410, 429, 500, 503] as const;
export type HttpFaultStatus = (typeof HTTP_FAULT_STATUSES)[number];

/** An HTTP-level fault for client retry tests: a status and/or a delay for matching paths. */
export interface HttpFault {
  /** Path prefix, or a glob with `*` (e.g. "/metadata/identity/*"). */
  readonly path: string;
  readonly status?: HttpFaultStatus;
  readonly delayMs?: number;
  /** Applies to the next `count` matching requests, then stops. */
  readonly count?: number;
  /** Applies with this probability (0..1), decided by a generator seeded with `seed`. */
  readonly probability?: number;
  readonly seed?: number;
}

export interface RateLimitSettings {
  readonly enabled: boolean;
  readonly generalPerSecond: number;
  readonly identityPerSecond: number;
  readonly identityConcurrent: number;
}

/** Service behaviour, including the spec's UNK points, each configurable (imds-spec §16). */
export interface ServiceSettings {
  /** Server response header; null sends none. */
  readonly serverHeader: string | null;
  readonly rateLimit: RateLimitSettings;
  /** Require exactly `Metadata: true` (lower case) on /metadata/identity/* (imds-spec §16 Q3). */
  readonly strictIdentityMetadataCase: boolean;
  /** Status for a request carrying X-Forwarded-For (imds-spec §2.2, UNK: 403 recommended). */
  readonly forwardedForStatus: number;
  /** Supported instance-family api-versions, ascending; null = the built-in list (imds-spec §3.1). */
  readonly apiVersions: readonly string[] | null;
  /** Managed-identity token lifetime in seconds (86400 on Azure since ~2021). */
  readonly tokenLifetimeSeconds: number;
  readonly faults: readonly HttpFault[];
}

/** What the network path does with packets from a source that is not the primary IP (issue 3). */
export const SOURCE_POLICIES = ['drop', 'rst', 'icmp'] as const;
export type SourcePolicy = (typeof SOURCE_POLICIES)[number];

export interface VmProfile {
  readonly instance: { readonly compute: InstanceTree; readonly network: InstanceTree };
  readonly extended: { readonly hasCustomData: boolean; readonly ppsType: 'None' | 'Running' | 'Savable' | 'PreprovisionedOSDisk' };
  readonly identity: IdentityProfile;
  readonly loadBalancer: LoadBalancerProfile | null;
  readonly scheduledEvents: { readonly documentIncarnation: number; readonly events: readonly ScheduledEventProfile[] };
  /** OVF environment XML served by /metadata/reprovisiondata; null answers 404 (not yet assigned). */
  readonly reprovisionData: string | null;
  readonly service: ServiceSettings;
  readonly sourcePolicy: SourcePolicy;
}
