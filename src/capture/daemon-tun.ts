// The daemon's TUN capture wiring: primary IPs and source policy, TUN + route + stack + TcpServer ->
// onConnection(socket). Used by src/daemon.ts for `--capture tun`. The stack and its TCP timers always run
// on the REAL clock (the caller passes systemClock): a virtual IMDS clock must never stall retransmissions.
import type { NetFaults } from '../stack/net-faults.ts';
import type { TcpSocket } from '../net/tcp-socket.ts';
import { createSourcePolicy, type SourceReaction } from '../stack/source-policy.ts';
import type { Clock } from '../util/clock.ts';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { runIp } from './ip-runner.ts';
import type { NamespaceInodes } from './namespace-guard.ts';
import { startTunCapture, type TunCapture } from './tun-capture.ts';

export const DEFAULT_TUN_NAME = 'imds0';
export const DEFAULT_TUN_MTU = 1500;

/** `serve --capture tun` settings; everything optional. */
export interface TunCaptureSettings {
  readonly name?: string;
  readonly mtu?: number;
  readonly pcapPath?: string;
  readonly netFaults?: NetFaults;
  /** Overrides profile.sourcePolicy. */
  readonly sourcePolicy?: SourceReaction;
  /** One VM: overrides the profile's primary IP. Several VMs: answered in addition to the VMs' primary IPs. */
  readonly primaryIps?: readonly string[];
  readonly namespaceInodes?: NamespaceInodes;
}

export interface DaemonTun {
  readonly capture: TunCapture;
  /** Re-reads the answered sources and the source reaction (after a profile swap). */
  refreshSourcePolicy(): void;
  close(): Promise<void>;
}

export async function startDaemonTun(options: {
  readonly listen: { readonly host: string; readonly port: number };
  readonly settings: TunCaptureSettings;
  /** The stack's clock: the real clock in production (see the header). */
  readonly clock: Clock;
  /** Sources answered (the VMs' primary IPs, plus extras); read again by refreshSourcePolicy(). */
  readonly primaryIps: () => readonly string[];
  /** Reaction to other sources (settings.sourcePolicy wins). */
  readonly sourceReaction: () => SourceReaction;
  readonly onConnection: (socket: TcpSocket) => void;
}): Promise<DaemonTun> {
  const { settings } = options;
  const reaction = (): SourceReaction => settings.sourcePolicy ?? options.sourceReaction();
  const capture = await startTunCapture({
    clock: options.clock,
    address: options.listen.host,
    port: options.listen.port,
    tunName: settings.name ?? DEFAULT_TUN_NAME,
    mtu: settings.mtu ?? DEFAULT_TUN_MTU,
    primaryIps: options.primaryIps(),
    sourceReaction: reaction(),
    ...(settings.netFaults ? { faults: settings.netFaults } : {}),
    ...(settings.pcapPath !== undefined ? { pcapPath: settings.pcapPath } : {}),
    ...(settings.namespaceInodes ? { namespaceInodes: settings.namespaceInodes } : {}),
    runIp,
    onConnection: options.onConnection,
  });
  return {
    capture,
    refreshSourcePolicy() {
      capture.stack.setSourcePolicy(createSourcePolicy(options.primaryIps().map(parseIpv4Address), reaction()));
    },
    close: () => capture.close(),
  };
}
