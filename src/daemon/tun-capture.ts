// TUN capture: create the TUN, route the served address into it, and answer there with the userspace stack +
// TcpServer, handing each connection to its VM's node:http server. Refuses the root network namespace; each
// set-up step has an undo and a failed set-up rolls back what ran. The stack's TCP timers run on the real
// clock whatever IMDS time does: a frozen virtual clock must never stall retransmissions (docs/control.md).
import { runIp, type IpRunner } from '../capture/ip-runner.ts';
import { assertNotRootNamespace, type NamespaceInodes } from '../capture/namespace-guard.ts';
import { primaryIpOf } from '../capture/primary-ip.ts';
import { capturePcap } from '../link/pcap-writer.ts';
import { openTun, type TunLink } from '../link/tun.ts';
import type { Link } from '../link/link.ts';
import { TcpServer } from '../net/tcp-server.ts';
import { NO_FAULTS, parseNetFaults, type NetFaults } from '../stack/net-faults.ts';
import { createSourcePolicy, type SourceReaction } from '../stack/source-policy.ts';
import { TcpStack } from '../stack/tcp-stack.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { vmForSource, type Capture, type CaptureTarget } from './capture.ts';
import type { NetFaultPort } from '../control/controlled-vm.ts';

export const DEFAULT_TUN_NAME = 'imds0';
export const DEFAULT_TUN_MTU = 1500;

/** The TUN options (`serve --capture tun` flags, DaemonOptions.tun); everything optional. */
export interface TunSettings {
  readonly name?: string;
  readonly mtu?: number;
  readonly pcapPath?: string;
  readonly netFaults?: NetFaults;
  /** Overrides profile.sourcePolicy. */
  readonly sourcePolicy?: SourceReaction;
  /** One VM: overrides the profile's primary IP. Several VMs: answered in addition to the VMs' primary IPs. */
  readonly primaryIps?: readonly string[];
  /** Injected in tests; read from /proc otherwise. */
  readonly namespaceInodes?: NamespaceInodes;
}

/** Test seams; production uses the defaults. */
export interface TunIo {
  /** The stack's clock (default the real clock; see the header). */
  readonly clock?: Clock;
  /** Runs `ip` for the route step (default the process runner). */
  readonly runIp?: IpRunner;
  /** Opens the link (tests inject a memory link); default openTun. */
  readonly openLink?: (name: string, mtu: number) => TunLink | Link;
}

export interface TunCapture extends Capture {
  readonly stack: TcpStack;
  readonly server: TcpServer;
  readonly tunName: string;
}

export class TunCaptureError extends ImdsLabError {}

export async function startTunCapture(target: CaptureTarget, settings: TunSettings, io: TunIo = {}): Promise<TunCapture> {
  // Hard safety rule, before anything is created.
  assertNotRootNamespace(settings.namespaceInodes);
  const { vms, listen } = target;
  const clock = io.clock ?? systemClock;
  const runRoute = io.runIp ?? runIp;
  const several = vms.length > 1;
  const first = vms[0]!;
  /** Sources answered: the VMs' primary IPs (one VM: --primary-ip overrides), plus the extra ones. */
  const primaryIps = (): readonly string[] => {
    if (!several) return settings.primaryIps ?? [primaryIpOf(first.context.profile())];
    const ips = vms.map((vm) => vm.primaryIp()).filter((ip): ip is string => ip !== undefined);
    return [...new Set([...ips, ...(settings.primaryIps ?? [])])];
  };
  const reaction = (): SourceReaction => settings.sourcePolicy ?? first.context.profile().sourcePolicy;
  const sourcePolicy = (): ReturnType<typeof createSourcePolicy> => createSourcePolicy(primaryIps().map(parseIpv4Address), reaction());
  const served = parseIpv4Address(listen.host);
  const initialPolicy = sourcePolicy();
  const undo: (() => Promise<void> | void)[] = [];
  const rollback = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // keep undoing the rest
      }
    }
  };
  try {
    const tunName0 = settings.name ?? DEFAULT_TUN_NAME;
    const tun = (io.openLink ?? ((name, mtu) => openTun({ name, mtu, up: true })))(tunName0, settings.mtu ?? DEFAULT_TUN_MTU);
    undo.push(() => tun.close());
    if ('onError' in tun) {
      // The TUN failed under a running capture (e.g. the interface was deleted): roll back (route, pcap, stack,
      // sockets) and tell the daemon, instead of an uncaught ERR_TUN_IO ending the process.
      tun.onError((error) => {
        void rollback();
        target.onFatalError(new TunCaptureError('ERR_TUN_STOPPED', `TUN ${tun.name} stopped (${error.errno ?? error.code}): ${error.message}; TUN capture shut down`, { cause: error }));
      });
    }
    const tunName = 'name' in tun ? tun.name : tunName0;
    const route = [`${listen.host}/32`, 'dev', tunName];
    try {
      await runRoute(['route', 'add', ...route]);
    } catch (error) {
      throw new TunCaptureError('ERR_TUN_ROUTE', `cannot add route ${route.join(' ')}: ${(error as Error).message}`, { cause: error });
    }
    undo.push(() => runRoute(['route', 'del', ...route]));
    let link: Link = tun;
    if (settings.pcapPath !== undefined) {
      const captured = capturePcap(tun, settings.pcapPath, { clock });
      link = captured.link;
      undo.push(() => captured.writer.close());
    }
    const stack = new TcpStack({
      link,
      clock,
      localAddress: served,
      localPort: listen.port,
      sourcePolicy: initialPolicy,
      faults: settings.netFaults ?? NO_FAULTS,
      ...(target.onUnexpectedError ? { onUnexpectedError: target.onUnexpectedError } : {}),
    });
    undo.push(() => stack.close());
    const server = new TcpServer(stack, (socket) => vmForSource(vms, socket.remoteAddress).server.emit('connection', socket), { clock, allowHalfOpen: true });
    undo.push(() => server.close({ destroyAll: true }));
    let closed = false;
    return {
      mode: 'tun',
      address: { host: listen.host, port: listen.port },
      stack,
      server,
      tunName,
      controlPort(vm) {
        // One VM: the stack's default faults (every source, e.g. a proxy too). Several: this VM's primary IP only.
        if (!several) return { net: tunNetFaultPort(stack, settings.netFaults ?? NO_FAULTS, undefined) };
        const source = (): number | undefined => {
          const ip = vm.primaryIp();
          return ip === undefined ? undefined : parseIpv4Address(ip);
        };
        return { net: tunNetFaultPort(stack, NO_FAULTS, source) };
      },
      profileChanged: () => stack.setSourcePolicy(sourcePolicy()),
      async close() {
        if (closed) return;
        closed = true;
        await rollback();
      },
    };
  } catch (error) {
    await rollback();
    throw error;
  }
}

/** The control plane's port for one VM's network faults on the userspace path. */
function tunNetFaultPort(stack: TcpStack, initial: NetFaults, source: (() => number | undefined) | undefined): NetFaultPort {
  let current = initial;
  const apply = (faults: NetFaults): NetFaults => {
    // One VM: the stack's default faults (every source, e.g. a proxy too). Several: this VM's primary IP only.
    stack.setFaults(faults, source?.());
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

