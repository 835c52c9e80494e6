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
  readonly proxy: { readonly port: number; readonly forwardedFor: boolean; readonly vm?: number } | null;
  /** Option 121 routes "DEST/PREFIX GATEWAY"; when set, eth0 gets address and routes from DHCP instead. */
  readonly dhcp: { readonly routes: readonly string[] } | null;
  /** `serve --fault` specs, and whether the real rate limiter stays on. */
  readonly serve: { readonly faults: readonly string[]; readonly rateLimit: boolean };
  /** Environment for programs run in the VM (exec, run, doctor). */
  readonly env: Readonly<Record<string, string>>;
}

export interface ScenarioFix {
  readonly routes: readonly RouteTemplate[];
  readonly env: Readonly<Record<string, string>>;
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
