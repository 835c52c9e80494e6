// Types of the lab's data files (netns/base.yaml and netns/scenarios/*.yaml); strings may hold {placeholders}.

/** A route in a lab namespace; `ns` defaults to vm. */
export interface RouteTemplate {
  readonly ns: 'vm' | 'host' | 'proxy';
  readonly to: string;
  readonly via?: string;
  readonly dev: string;
  readonly src?: string;
  readonly metric?: number;
}

export interface NeighborTemplate {
  readonly address: string;
  readonly mac: string;
  readonly dev: string;
}

export interface BaseTopology {
  readonly gatewayMac: string;
  readonly vmRoutes: readonly RouteTemplate[];
  readonly hostSysctls: Readonly<Record<string, string>>;
}

/** Who has to change for the fix: the lab environment (routes, env) or the client program. */
export const FIX_KINDS = ['none', 'environment', 'client'] as const;
export type FixKind = (typeof FIX_KINDS)[number];

/**
 * What a client in the VM sees: ok (200), other-vm (200 with another VM's metadata), unreachable (immediate ENETUNREACH), timeout (no answer within the
 * client's timeout), status:N (one HTTP status), statuses:A,B,… (successive requests).
 */
export type ExpectedOutcome = string;

export interface ScenarioTopology {
  /** How many NICs the VM needs (extra ones are synthesized when the profile has fewer). */
  readonly nics: number;
  /** How many IPs eth0 needs. */
  readonly secondaryIps: number;
  /** How many VMs the lab needs at least (a scale set; extra VMs are derived from the profile). */
  readonly vms: number;
  /** `to` values of base VM routes to leave out. */
  readonly removeRoutes: readonly string[];
  readonly routes: readonly RouteTemplate[];
  readonly neighbors: readonly NeighborTemplate[];
  readonly clusterAdapter: { readonly address: string; readonly prefix: number } | null;
  /**
   * An HTTP proxy (tinyproxy): in its own namespace (`vm` absent), or on VM number `vm` of the scale set
   * (proxy-vm: the app's requests reach IMDS from that VM's primary IP).
   */
  readonly proxy: ScenarioProxy | null;
  /** Option 121 routes "DEST/PREFIX GATEWAY"; when set, eth0 gets address and routes from DHCP instead. */
  readonly dhcp: { readonly routes: readonly string[] } | null;
  /** `serve --fault` specs, and whether the real rate limiter stays on (default true: Azure's limits; `up --no-rate-limit` turns them off). */
  readonly serve: { readonly faults: readonly string[]; readonly rateLimit: boolean };
  /** Environment for programs run in the VM (exec, run, doctor). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The VM's resolver (resolv.conf names 168.63.129.16): `azure` = a resolver there that answers the lab's
   * names and NXDOMAIN for the rest (as Azure DNS); `silent` = nothing answers (every lookup stalls).
   */
  readonly dns: DnsMode;
  /** Something in the VM answers for 169.254.169.254:80 instead of IMDS (a DNAT to a persona server). */
  readonly foreign: ForeignResponder | null;
  /** IPv6 on eth0 (S21): none (Azure's default here), dual (IPv4 and IPv6 with an IPv6 default route), only (no IPv4 at all). */
  readonly ipv6: Ipv6Mode;
  /** S9: a container namespace behind a docker-style bridge in the VM (the app runs there). */
  readonly container: ScenarioContainer | null;
}

/** Egress policy for the container (nftables in the VM's forward chain): none, drop (timeout) or reject (RST: refused at once). */
export const CONTAINER_POLICIES = ['none', 'drop', 'reject'] as const;
export type ContainerPolicy = (typeof CONTAINER_POLICIES)[number];

export interface ScenarioContainer {
  /** MASQUERADE the container's traffic out of the VM's eth0 (docker's default); false = pod addresses routed as they are. */
  readonly snat: boolean;
  /** Deny-all egress policy for the container. */
  readonly policy: ContainerPolicy;
  /** The policy lets 169.254.169.254:80 through before it denies the rest. */
  readonly allowImds: boolean;
  /** A node-local agent (aad-pod-identity's NMI style) gets 169.254.169.254:80 by DNAT. */
  readonly agent: boolean;
}

export const IPV6_MODES = ['none', 'dual', 'only'] as const;
export type Ipv6Mode = (typeof IPV6_MODES)[number];

/**
 * How the proxy behaves: tinyproxy forwarding (`forward`), tinyproxy demanding Basic credentials (`auth`:
 * 407 + Proxy-Authenticate), or a persona proxy that refuses (`refuse`: 400) or fails upstream (`bad-gateway`: 502).
 */
export const PROXY_BEHAVIOURS = ['forward', 'auth', 'refuse', 'bad-gateway'] as const;
export type ProxyBehaviour = (typeof PROXY_BEHAVIOURS)[number];

export interface ScenarioProxy {
  readonly port: number;
  readonly forwardedFor: boolean;
  readonly vm?: number;
  readonly behaviour?: ProxyBehaviour;
}

export const DNS_MODES = ['azure', 'silent'] as const;
export type DnsMode = (typeof DNS_MODES)[number];

/** Foreign responders (S7, S8) and refusing proxies (S5): what `imds-lab persona` can be. */
export const FOREIGN_KINDS = ['docker-desktop', 'foreign-html', 'http10-close', 'tls-only'] as const;
export type ForeignKind = (typeof FOREIGN_KINDS)[number];

export interface ForeignResponder {
  readonly kind: ForeignKind;
  /** Port on the VM's loopback where the persona listens (the DNAT target). */
  readonly port: number;
}

export interface ScenarioFix {
  readonly routes: readonly RouteTemplate[];
  readonly env: Readonly<Record<string, string>>;
  /** The fix replaces the resolver (no-dns: Azure DNS answers again). */
  readonly dns?: DnsMode;
  /** The fix removes the foreign responder's DNAT. */
  readonly removeForeign?: boolean;
  /** The fix changes the VM's IPv6 mode (ipv6-only: give it IPv4 back, i.e. dual stack). */
  readonly ipv6?: Ipv6Mode;
  /** The fix changes the container's networking (e.g. snat: true, allowImds: true, agent: false). */
  readonly container?: Partial<ScenarioContainer>;
}

export interface ScenarioDefinition {
  readonly name: string;
  readonly title: string;
  readonly reports: readonly string[];
  readonly symptom: string;
  readonly explanation: string;
  readonly fix: string;
  readonly fixKind: FixKind;
  readonly expect: { readonly broken: ExpectedOutcome; readonly fixed: ExpectedOutcome };
  /** The cause the doctor must name for the broken variant (see doctor-analysis.ts). */
  readonly doctorCause: string;
  readonly topology: ScenarioTopology;
  readonly fixed: ScenarioFix;
}
