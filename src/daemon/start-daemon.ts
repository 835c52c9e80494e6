// The one composition root: loads the signing material and the VMs (src/daemon-vm.ts: profile, IMDS context,
// route table, rate limiter, fault set, HTTP server), captures traffic (socket: node:net; tun: the userspace
// stack), hands each connection to the VM whose primary IP it came from, and starts the control plane.
import type http from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { HttpFault, VmProfile } from './config/vm-profile.ts';
import type { HttpFaultSet } from './http/http-faults.ts';
import type { ImdsContext } from './imds/imds-context.ts';
import { loadSigningMaterial } from './signing/signing-material.ts';
import { FakeClock, systemClock, type Clock } from './util/clock.ts';
import { buildVm, resetGate, tunNetFaultPort, type DaemonVm, type DaemonVmOptions } from './daemon-vm.ts';
import { startDaemonTun, type DaemonTun, type TunCaptureSettings } from './capture/daemon-tun.ts';
import { primaryIpOf } from './capture/primary-ip.ts';
import { closeServers, createDispatchListener, listenSocket, plainIpv4 } from './capture/socket-capture.ts';
import { ImdsLabError } from './util/errors.ts';
import { parseIpv4Address } from './util/ipv4-address.ts';
// Control plane: runtime control over a Unix socket (docs/control.md).
import { startControlServer, type ControlServer } from './control/control-server.ts';
import type { ControlledVm } from './control/controlled-vm.ts';
import { createListenerGate } from './control/listener-gate.ts';
import { NO_FAULTS } from './stack/net-faults.ts';

export type { DaemonVm, DaemonVmOptions } from './daemon-vm.ts';

export class DaemonError extends ImdsLabError {}

export const CAPTURE_MODES = ['socket', 'tun'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

export interface DaemonOptions {
  readonly capture: CaptureMode;
  /** Socket mode: where to listen (port 0 picks a free port). */
  readonly listen: { readonly host: string; readonly port: number };
  /** One VM: a profile file (JSON or YAML), a loaded profile, or undefined for the embedded default VM. */
  readonly profile?: string | VmProfile;
  /** Several VMs behind one responder, each answered by its primary IP (excludes `profile`). */
  readonly vms?: readonly DaemonVmOptions[];
  /** Holds the emulator PKI (<stateDir>/pki). */
  readonly stateDir: string;
  /** Overrides profile.service.rateLimit.enabled. */
  readonly rateLimit?: boolean;
  /** The attested-data leaf's CA Issuers URI (labs: one their resolver knows); default DEFAULT_CA_ISSUERS_URI. */
  readonly caIssuersUri?: string;
  /** Overrides profile.service.serverHeader (null sends no Server header). */
  readonly serverHeader?: string | null;
  /** Faults added at start (to every VM), after the profile's own. */
  readonly faults?: readonly HttpFault[];
  /** IMDS time: tokens, attested documents, timelines, fault delays, scheduled events, the request log. The TCP stack always uses the real clock. */
  readonly clock?: Clock;
  /** Called with exceptions a handler did not expect (already answered 500). */
  readonly onUnexpectedError?: (error: unknown) => void;
  /** Capture 'tun': TUN name, MTU, pcap, net faults (src/capture/daemon-tun.ts); `listen` is the served address. */
  readonly tun?: TunCaptureSettings;
  /** Control plane: listen on this Unix socket (created 0600 in a 0700 directory; docs/control.md). A FakeClock as `clock` makes it virtual (ctl clock advance). */
  readonly control?: { readonly socketPath: string };
}

export interface DaemonHandle {
  /** Where the server listens (socket mode). */
  readonly address: { readonly host: string; readonly port: number; readonly url: string };
  readonly capture: CaptureMode;
  /** The first VM's server (its context, faults and setProfile below). */
  readonly server: http.Server;
  readonly context: ImdsContext;
  /** Runtime HTTP faults of the first VM (add/remove/list). */
  readonly faults: HttpFaultSet;
  /** Where the first VM's profile came from ("embedded default" or the file name). */
  readonly profileSource: string;
  /** Swaps the first VM's profile at runtime; service overrides of the options still apply. */
  setProfile(profile: VmProfile): void;
  /** Every VM, in the order given. */
  readonly vms: readonly DaemonVm[];
  /** Capture 'tun': the userspace stack, its TcpServer and stats. */
  readonly tun?: DaemonTun;
  /** The control server, when options.control was given. */
  readonly control?: ControlServer;
  close(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<DaemonHandle> {
  const clock = options.clock ?? systemClock;
  if (options.vms !== undefined && options.profile !== undefined) throw new DaemonError('ERR_DAEMON_OPTIONS', 'give either profile (one VM) or vms (several), not both');
  if (options.vms !== undefined && options.vms.length === 0) throw new DaemonError('ERR_DAEMON_OPTIONS', 'vms: give at least one VM');
  const names = new Set(options.vms?.map((v) => v.name));
  if (options.vms && names.size !== options.vms.length) throw new DaemonError('ERR_DAEMON_OPTIONS', 'vms: VM names must be unique');
  const signing = await loadSigningMaterial(options.stateDir, clock, options.caIssuersUri !== undefined ? { caIssuersUri: options.caIssuersUri } : {});
  let tun: DaemonTun | undefined;
  const refresh = (): void => tun?.refreshSourcePolicy();
  const specs: readonly (DaemonVmOptions | undefined)[] = options.vms ?? [undefined];
  const vms: DaemonVm[] = [];
  for (const spec of specs) vms.push(await buildVm(spec, options, signing, clock, refresh));
  const first = vms[0]!;
  const several = vms.length > 1;
  const gates = new Map<DaemonVm, ReturnType<typeof resetGate>>();

  /** The VM a connection belongs to: by source = primary IP; other sources (e.g. a lab proxy) go to the first VM. */
  const vmFor = (remoteAddress: string | undefined): DaemonVm => {
    if (!several) return first;
    const source = plainIpv4(remoteAddress);
    return vms.find((vm) => vm.primaryIp() === source) ?? first;
  };

  let address: AddressInfo;
  let listener: NetServer | undefined;
  switch (options.capture) {
    case 'socket':
      if (several) {
        for (const vm of vms) gates.set(vm, resetGate(vm.server));
        listener = createDispatchListener((socket: Socket) => {
          const vm = vmFor(socket.remoteAddress);
          if (gates.get(vm)?.refusing) socket.resetAndDestroy();
          else vm.server.emit('connection', socket);
        });
      } else {
        listener = first.server;
      }
      address = await listenSocket(listener, options.listen.host, options.listen.port);
      break;
    case 'tun': {
      const settings = options.tun ?? {};
      const primaryIps = (): readonly string[] => {
        if (!several) return settings.primaryIps ?? [primaryIpOf(first.context.profile())];
        const ips = vms.map((vm) => vm.primaryIp()).filter((ip): ip is string => ip !== undefined);
        return [...new Set([...ips, ...(settings.primaryIps ?? [])])];
      };
      // The stack's TCP timers run on the real clock, whatever IMDS time does (a frozen virtual clock must
      // not stall retransmissions; docs/control.md).
      tun = await startDaemonTun({
        listen: options.listen,
        settings,
        clock: systemClock,
        primaryIps,
        sourceReaction: () => first.context.profile().sourcePolicy,
        onConnection: (socket) => vmFor(socket.remoteAddress).server.emit('connection', socket),
      });
      address = { address: options.listen.host, port: options.listen.port, family: 'IPv4' };
      break;
    }
  }
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const servers = vms.map((vm) => vm.server);
  const shutdown = async (): Promise<void> => {
    await tun?.close();
    await closeServers(listener, servers);
  };

  let control: ControlServer | undefined;
  if (options.control) {
    const controlled: ControlledVm[] = vms.map((vm) => {
      const ip = vm.primaryIp.bind(vm);
      const source = several ? (): number | undefined => (ip() === undefined ? undefined : parseIpv4Address(ip()!)) : undefined;
      return {
        name: vm.name,
        capture: options.capture,
        context: vm.context,
        faults: vm.faults,
        setProfile: (profile: VmProfile) => vm.setProfile(profile),
        ...(tun
          ? { net: tunNetFaultPort(tun.capture.stack, several ? NO_FAULTS : (options.tun?.netFaults ?? NO_FAULTS), source) }
          : { listener: several ? gates.get(vm)! : createListenerGate(first.server) }),
      };
    });
    try {
      control = await startControlServer({
        socketPath: options.control.socketPath,
        vms: controlled,
        clock,
        ...(clock instanceof FakeClock ? { virtualClock: clock } : {}),
      });
    } catch (error) {
      await shutdown();
      throw error;
    }
  }

  return {
    address: { host, port: address.port, url: `http://${urlHost}:${address.port}` },
    capture: options.capture,
    server: first.server,
    context: first.context,
    faults: first.faults,
    profileSource: first.profileSource,
    setProfile: (profile) => first.setProfile(profile),
    vms,
    ...(tun ? { tun } : {}),
    ...(control ? { control } : {}),
    close: async () => {
      await control?.close();
      await shutdown();
    },
  };
}
