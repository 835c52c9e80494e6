// The one composition root: loads the VM profile and the signing material, builds the IMDS context, route
// table, rate limiter, fault set and HTTP server, then captures traffic (socket mode: node:net listener).
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { deepFreeze } from './config/deep-freeze.ts';
import { DEFAULT_PROFILE } from './config/default-profile.ts';
import { loadProfile } from './config/load-profile.ts';
import type { HttpFault, VmProfile } from './config/vm-profile.ts';
import { HttpFaultSet } from './http/http-faults.ts';
import { createImdsServer } from './http/imds-server.ts';
import { createTokenIssuer } from './imds/identity-token-issuer.ts';
import type { ImdsContext } from './imds/imds-context.ts';
import { createRouteTable, defaultApiVersions } from './imds/route-table.ts';
import { ScheduledEventsState } from './imds/scheduled-events-state.ts';
import { createRateLimiter } from './ratelimit/rate-limiter.ts';
import { loadSigningMaterial } from './signing/signing-material.ts';
import { FakeClock, systemClock, type Clock } from './util/clock.ts';
import { startDaemonTun, type DaemonTun, type TunCaptureSettings } from './capture/daemon-tun.ts';
import { ImdsLabError } from './util/errors.ts';
// Control plane (engineer #9): runtime control over a Unix socket (docs/control.md).
import { startControlServer, type ControlServer } from './control/control-server.ts';
import type { ControlledVm, NetFaultPort } from './control/controlled-vm.ts';
import { createListenerGate } from './control/listener-gate.ts';
import { NO_FAULTS, parseNetFaults, type NetFaults } from './stack/net-faults.ts';

export class DaemonError extends ImdsLabError {}

export const CAPTURE_MODES = ['socket', 'tun'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

export interface DaemonOptions {
  readonly capture: CaptureMode;
  /** Socket mode: where to listen (port 0 picks a free port). */
  readonly listen: { readonly host: string; readonly port: number };
  /** A profile file (JSON or YAML), a loaded profile, or undefined for the embedded default VM. */
  readonly profile?: string | VmProfile;
  /** Holds the emulator PKI (<stateDir>/pki). */
  readonly stateDir: string;
  /** Overrides profile.service.rateLimit.enabled. */
  readonly rateLimit?: boolean;
  /** Overrides profile.service.serverHeader (null sends no Server header). */
  readonly serverHeader?: string | null;
  /** Faults added at start, after the profile's own. */
  readonly faults?: readonly HttpFault[];
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
  readonly server: http.Server;
  readonly context: ImdsContext;
  /** Runtime HTTP faults (add/remove/list). */
  readonly faults: HttpFaultSet;
  /** Where the profile came from ("embedded default" or the file name). */
  readonly profileSource: string;
  /** Swaps the VM profile at runtime (the control plane's hook); service overrides of the options still apply. */
  setProfile(profile: VmProfile): void;
  /** Capture 'tun': the userspace stack, its TcpServer and stats. */
  readonly tun?: DaemonTun;
  /** The control server, when options.control was given. */
  readonly control?: ControlServer;
  close(): Promise<void>;
}

/** Control plane port for the userspace path's network faults (capture tun). */
function tunNetFaultPort(tun: DaemonTun, initial: NetFaults): NetFaultPort {
  let current = initial;
  const apply = (faults: NetFaults): NetFaults => {
    tun.capture.stack.setFaults(faults);
    current = faults;
    return faults;
  };
  return {
    set: (spec) => apply(parseNetFaults(spec, 'faults')),
    check: (spec) => void parseNetFaults(spec, 'faults'),
    clear: () => void apply(NO_FAULTS),
    current: () => current,
    restore: (snapshot) => void apply(snapshot as NetFaults),
  };
}

/** Applies the command-line overrides to a profile's service settings (returns a new frozen profile). */
export function applyServiceOverrides(profile: VmProfile, options: Pick<DaemonOptions, 'rateLimit' | 'serverHeader'>): VmProfile {
  if (options.rateLimit === undefined && options.serverHeader === undefined) return profile;
  const service = {
    ...profile.service,
    serverHeader: options.serverHeader === undefined ? profile.service.serverHeader : options.serverHeader,
    rateLimit: { ...profile.service.rateLimit, enabled: options.rateLimit ?? profile.service.rateLimit.enabled },
  };
  return deepFreeze({ ...profile, service });
}

function listenSocket(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new DaemonError(error.code ?? 'ERR_LISTEN', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startDaemon(options: DaemonOptions): Promise<DaemonHandle> {
  const clock = options.clock ?? systemClock;
  const loaded = typeof options.profile === 'string' ? await loadProfile(options.profile) : (options.profile ?? DEFAULT_PROFILE);
  const profileSource = typeof options.profile === 'string' ? options.profile : options.profile ? 'given profile' : 'embedded default';
  let profile = applyServiceOverrides(loaded, options);
  const signing = await loadSigningMaterial(options.stateDir, clock);
  const context: ImdsContext = {
    profile: () => profile,
    clock,
    signing,
    tokens: createTokenIssuer({ signer: signing, clock }),
    scheduledEvents: new ScheduledEventsState(profile.scheduledEvents, clock),
  };
  const faults = new HttpFaultSet(profile.service.faults);
  for (const fault of options.faults ?? []) faults.add(fault);
  const vmName = String(profile.instance.compute['name'] ?? 'vm');
  const server = createImdsServer({
    routes: createRouteTable(context),
    settings: () => profile.service,
    clock,
    rateLimiter: createRateLimiter(profile.service.rateLimit),
    defaultVersions: () => defaultApiVersions(context),
    faults,
    vmName,
    ...(options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {}),
  });

  // The capture choice: how connections reach `server` (socket: a node:net listener; tun: the userspace
  // stack's TcpServer emitting 'connection' with its TcpSocket Duplexes).
  let address: AddressInfo;
  let tun: DaemonTun | undefined;
  switch (options.capture) {
    case 'socket':
      address = await listenSocket(server, options.listen.host, options.listen.port);
      break;
    case 'tun':
      tun = await startDaemonTun({ server, profile, listen: options.listen, settings: options.tun ?? {}, clock });
      address = { address: options.listen.host, port: options.listen.port, family: 'IPv4' };
      break;
  }
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const setProfile = (next: VmProfile): void => {
    profile = applyServiceOverrides(next, options);
    tun?.updateProfile(profile);
  };
  let control: ControlServer | undefined;
  if (options.control) {
    const controlled: ControlledVm = {
      name: vmName,
      capture: options.capture,
      context,
      faults,
      setProfile,
      ...(tun ? { net: tunNetFaultPort(tun, options.tun?.netFaults ?? NO_FAULTS) } : { listener: createListenerGate(server) }),
    };
    try {
      control = await startControlServer({
        socketPath: options.control.socketPath,
        vms: [controlled],
        clock,
        ...(clock instanceof FakeClock ? { virtualClock: clock } : {}),
      });
    } catch (error) {
      await tun?.close();
      await closeServer(server);
      throw error;
    }
  }
  return {
    address: { host, port: address.port, url: `http://${urlHost}:${address.port}` },
    capture: options.capture,
    server,
    context,
    faults,
    profileSource,
    setProfile,
    ...(tun ? { tun } : {}),
    ...(control ? { control } : {}),
    close: async () => {
      await control?.close();
      await tun?.close();
      await closeServer(server);
    },
  };
}
