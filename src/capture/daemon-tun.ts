// The daemon's TUN capture wiring: profile -> primary IP and source policy, TUN + route + stack +
// TcpServer -> httpServer.emit('connection', socket). Used by src/daemon.ts for `--capture tun`.
import type http from 'node:http';
import type { VmProfile } from '../config/vm-profile.ts';
import type { NetFaults } from '../stack/net-faults.ts';
import { createSourcePolicy, type SourceReaction } from '../stack/source-policy.ts';
import type { Clock } from '../util/clock.ts';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { runIp } from './ip-runner.ts';
import type { NamespaceInodes } from './namespace-guard.ts';
import { primaryIpOf } from './primary-ip.ts';
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
  /** Overrides the profile's primary IP (several VMs: several IPs). */
  readonly primaryIps?: readonly string[];
  readonly namespaceInodes?: NamespaceInodes;
}

export interface DaemonTun {
  readonly capture: TunCapture;
  /** Re-reads primary IP and source policy after a profile swap. */
  updateProfile(profile: VmProfile): void;
  close(): Promise<void>;
}

export async function startDaemonTun(options: {
  readonly server: http.Server;
  readonly profile: VmProfile;
  readonly listen: { readonly host: string; readonly port: number };
  readonly settings: TunCaptureSettings;
  readonly clock: Clock;
}): Promise<DaemonTun> {
  const { settings } = options;
  const primaries = (profile: VmProfile): readonly string[] => settings.primaryIps ?? [primaryIpOf(profile)];
  const capture = await startTunCapture({
    clock: options.clock,
    address: options.listen.host,
    port: options.listen.port,
    tunName: settings.name ?? DEFAULT_TUN_NAME,
    mtu: settings.mtu ?? DEFAULT_TUN_MTU,
    primaryIps: primaries(options.profile),
    sourceReaction: settings.sourcePolicy ?? options.profile.sourcePolicy,
    ...(settings.netFaults ? { faults: settings.netFaults } : {}),
    ...(settings.pcapPath !== undefined ? { pcapPath: settings.pcapPath } : {}),
    ...(settings.namespaceInodes ? { namespaceInodes: settings.namespaceInodes } : {}),
    runIp,
    onConnection: (socket) => options.server.emit('connection', socket),
  });
  return {
    capture,
    updateProfile(profile) {
      capture.stack.setSourcePolicy(
        createSourcePolicy(primaries(profile).map(parseIpv4Address), settings.sourcePolicy ?? profile.sourcePolicy),
      );
    },
    close: () => capture.close(),
  };
}
