// The one composition root: loads the signing material and the VMs (daemon-vm.ts: profile, IMDS context,
// route table, rate limiter, fault set, HTTP server), starts the capture (capture.ts: socket or tun), which
// hands each connection to the VM whose primary IP it came from, and starts the control plane.
import type http from 'node:http';
import type { HttpFault, VmProfile } from '../config/vm-profile.ts';
import type { HttpFaultSet } from '../http/http-faults.ts';
import type { ImdsContext } from '../imds/imds-context.ts';
import { loadSigningMaterial } from '../signing/signing-material.ts';
import type { CaptureMode } from '../util/capture-mode.ts';
import { FakeClock, systemClock, type Clock } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
// Control plane: runtime control over a Unix socket (docs/control.md).
import { startControlServer, type ControlServer } from '../control/control-server.ts';
import type { ControlledVm } from '../control/controlled-vm.ts';
import type { Capture, CaptureTarget } from './capture.ts';
import { buildVm, type DaemonVm, type DaemonVmOptions } from './daemon-vm.ts';
import { startSocketCapture } from './socket-capture.ts';
import { startTunCapture, type TunCapture, type TunSettings } from './tun-capture.ts';
import type { HttpTimeouts } from '../http/http-timeouts.ts';

export type { DaemonVm, DaemonVmOptions } from './daemon-vm.ts';

export class DaemonError extends ImdsLabError {}

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
  /** Header, request and keep-alive timeouts of every VM's server, in both capture modes (default DEFAULT_HTTP_TIMEOUTS). */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
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
  /** Called when the capture fails under the running daemon and shuts itself down (e.g. the TUN was deleted); IMDS is no longer served. Default: nothing. */
  readonly onFatalError?: (error: ImdsLabError) => void;
  /** Capture 'tun': TUN name, MTU, pcap, net faults (tun-capture.ts); `listen` is the served address. */
  readonly tun?: TunSettings;
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
  readonly tun?: Pick<TunCapture, 'stack' | 'server' | 'tunName'>;
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
  let onProfile = (): void => {};
  const specs: readonly (DaemonVmOptions | undefined)[] = options.vms ?? [undefined];
  const vms: DaemonVm[] = [];
  for (const spec of specs) vms.push(await buildVm(spec, options, signing, clock, () => onProfile()));
  const first = vms[0]!;
  const target: CaptureTarget = {
    vms,
    listen: options.listen,
    onFatalError: (error) => options.onFatalError?.(error),
    ...(options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {}),
  };
  const tun = options.capture === 'tun' ? await startTunCapture(target, options.tun ?? {}) : undefined;
  const capture: Capture = tun ?? (await startSocketCapture(target));
  onProfile = () => capture.profileChanged();
  const { host, port } = capture.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let control: ControlServer | undefined;
  if (options.control) {
    const started = capture;
    const controlled: ControlledVm[] = vms.map((vm) => ({
      name: vm.name,
      capture: options.capture,
      context: vm.context,
      faults: vm.faults,
      setProfile: (profile: VmProfile) => vm.setProfile(profile),
      ...started.controlPort(vm),
    }));
    try {
      control = await startControlServer({
        socketPath: options.control.socketPath,
        vms: controlled,
        clock,
        ...(clock instanceof FakeClock ? { virtualClock: clock } : {}),
      });
    } catch (error) {
      await capture.close();
      throw error;
    }
  }

  return {
    address: { host, port, url: `http://${urlHost}:${port}` },
    capture: options.capture,
    server: first.server,
    context: first.context,
    faults: first.faults,
    profileSource: first.profileSource,
    setProfile: (profile) => first.setProfile(profile),
    vms,
    ...(tun ? { tun: { stack: tun.stack, server: tun.server, tunName: tun.tunName } } : {}),
    ...(control ? { control } : {}),
    close: async () => {
      await control?.close();
      await capture.close();
    },
  };
}
