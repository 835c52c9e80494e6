// The capture seam of the composition root: how connections reach the VMs' HTTP servers. Two
// implementations, chosen once in start-daemon.ts: socket-capture.ts (node:net) and tun-capture.ts (TUN + stack).
import type { ListenerGate, NetFaultPort } from '../control/controlled-vm.ts';
import type { CaptureMode } from '../util/capture-mode.ts';
import type { ImdsLabError } from '../util/errors.ts';
import type { DaemonVm } from './daemon-vm.ts';

/** What a capture is given by the daemon. */
export interface CaptureTarget {
  /** Every VM, the first one answers sources that are no VM's primary IP. */
  readonly vms: readonly DaemonVm[];
  /** Socket: where to listen (port 0 picks one). TUN: the served address. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The capture failed under a running daemon and has shut itself down (e.g. the TUN was deleted). */
  readonly onFatalError: (error: ImdsLabError) => void;
  /** Bugs caught below the daemon (the TUN stack's internal errors); without it the stack rethrows them. */
  readonly onUnexpectedError?: (error: unknown) => void;
}

/** A running capture. */
export interface Capture {
  readonly mode: CaptureMode;
  /** Where IMDS is served (socket mode: the bound address). */
  readonly address: { readonly host: string; readonly port: number };
  /** The control plane's capture-specific port for one VM: network faults (tun) or a listener gate (socket). */
  controlPort(vm: DaemonVm): { readonly net: NetFaultPort } | { readonly listener: ListenerGate };
  /** A VM's profile changed: re-read the answered sources (primary IPs, source reaction). */
  profileChanged(): void;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/** "::ffff:10.1.0.4" -> "10.1.0.4" (dual-stack listeners report IPv4 peers mapped). */
export function plainIpv4(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The VM a connection belongs to: by source = primary IP; other sources (e.g. a lab proxy) go to the first VM. */
export function vmForSource(vms: readonly DaemonVm[], remoteAddress: string | undefined): DaemonVm {
  const first = vms[0]!;
  if (vms.length === 1) return first;
  const source = plainIpv4(remoteAddress);
  return vms.find((vm) => vm.primaryIp() === source) ?? first;
}
