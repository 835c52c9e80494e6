// What the control plane drives for one VM, built by the composition root (src/daemon/): the VM's IMDS
// context and fault set, a profile swap hook, and capture-specific ports (net faults; listener gate).
import type { VmProfile } from '../config/vm-profile.ts';
import type { HttpFaultSet } from '../http/http-faults.ts';
import type { ImdsContext } from '../imds/imds-context.ts';
import type { CaptureMode } from '../util/capture-mode.ts';

/**
 * Network faults of the userspace path (capture tun only). The daemon implements it with the stack's
 * net-faults module; specs use the `serve --net-fault` syntax (e.g. "drop-syn,seed=7", "rst", "loss=0.3").
 */
export interface NetFaultPort {
  /** Parses and applies a spec to this VM's traffic (throws an ImdsLabError naming the bad item); returns the faults as JSON. */
  set(spec: string): unknown;
  /** Parses a spec without applying it (throws like set). */
  check(spec: string): void;
  /** Removes every network fault of this VM. */
  clear(): void;
  /** The faults in force (JSON) — also an opaque snapshot for restore(). */
  current(): unknown;
  restore(snapshot: unknown): void;
}

/** Socket mode's "refuse": stop listening (the kernel answers SYNs with RST: ECONNREFUSED), then resume. */
export interface ListenerGate {
  readonly refusing: boolean;
  refuse(): Promise<void>;
  accept(): Promise<void>;
}

export interface ControlledVm {
  /** The VM's name (compute.name at start): how control requests address it. */
  readonly name: string;
  readonly capture: CaptureMode;
  readonly context: ImdsContext;
  readonly faults: HttpFaultSet;
  /** Swaps the profile the context's profile() getter returns (already validated). */
  setProfile(profile: VmProfile): void;
  /** Capture tun: network faults. Undefined in socket mode. */
  readonly net?: NetFaultPort;
  /** Socket mode: refuse connections. */
  readonly listener?: ListenerGate;
}
