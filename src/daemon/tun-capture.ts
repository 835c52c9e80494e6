// TUN capture: create the TUN, route the served address into it, and answer there with the userspace
// stack + TcpServer (the same node:http server as socket mode). Refuses the root network namespace.
// Each setup step has an undo; a failed setup rolls back what ran.
import { capturePcap } from '../link/pcap-writer.ts';
import { openTun, type TunLink } from '../link/tun.ts';
import type { Link } from '../link/link.ts';
import { TcpServer } from '../net/tcp-server.ts';
import type { TcpSocket } from '../net/tcp-socket.ts';
import { NO_FAULTS, type NetFaults } from '../stack/net-faults.ts';
import { createSourcePolicy, type SourceReaction } from '../stack/source-policy.ts';
import { TcpStack } from '../stack/tcp-stack.ts';
import type { Clock } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
import { parseIpv4Address } from '../util/ipv4-address.ts';
import { assertNotRootNamespace, type NamespaceInodes } from './namespace-guard.ts';

/** Runs `ip` with an argv array (the lab executor in production). Rejects on a non-zero exit. */
export type IpRunner = (argv: readonly string[]) => Promise<void>;

export interface TunCaptureOptions {
  readonly clock: Clock;
  /** Served address and port (169.254.169.254:80). */
  readonly address: string;
  readonly port: number;
  readonly tunName: string;
  readonly mtu: number;
  /** Sources answered: the VMs' primary IPs. */
  readonly primaryIps: readonly string[];
  readonly sourceReaction: SourceReaction;
  readonly faults?: NetFaults;
  readonly pcapPath?: string;
  readonly runIp: IpRunner;
  readonly onConnection: (socket: TcpSocket) => void;
  /** Injected in tests; read from /proc otherwise. */
  readonly namespaceInodes?: NamespaceInodes;
  /** Opens the link (tests inject a memory link); default openTun. */
  readonly openLink?: (name: string, mtu: number) => TunLink | Link;
}

export interface TunCapture {
  readonly stack: TcpStack;
  readonly server: TcpServer;
  readonly tunName: string;
  /** Undoes every step (route, pcap, TUN), stops the stack. Idempotent. */
  close(): Promise<void>;
}

export class TunCaptureError extends ImdsLabError {}

export async function startTunCapture(options: TunCaptureOptions): Promise<TunCapture> {
  // Hard safety rule, before anything is created.
  assertNotRootNamespace(options.namespaceInodes);
  const served = parseIpv4Address(options.address);
  const primaries = options.primaryIps.map((ip) => parseIpv4Address(ip));
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
    const tun = (options.openLink ?? ((name, mtu) => openTun({ name, mtu, up: true })))(options.tunName, options.mtu);
    undo.push(() => tun.close());
    if ('onError' in tun) {
      // The TUN failed under a running capture (e.g. the interface was deleted): one clear line, then the
      // rollback below (route, pcap, stack, sockets), instead of an uncaught ERR_TUN_IO ending the process.
      tun.onError((error) => {
        process.stderr.write(`imds-lab: TUN ${tun.name} stopped (${error.errno ?? error.code}): ${error.message}; TUN capture shut down\n`);
        process.exitCode = 1;
        void rollback();
      });
    }
    const tunName = 'name' in tun ? tun.name : options.tunName;
    const route = [`${options.address}/32`, 'dev', tunName];
    try {
      await options.runIp(['route', 'add', ...route]);
    } catch (error) {
      throw new TunCaptureError('ERR_TUN_ROUTE', `cannot add route ${route.join(' ')}: ${(error as Error).message}`, { cause: error });
    }
    undo.push(() => options.runIp(['route', 'del', ...route]));
    let link: Link = tun;
    if (options.pcapPath !== undefined) {
      const captured = capturePcap(tun, options.pcapPath, { clock: options.clock });
      link = captured.link;
      undo.push(() => captured.writer.close());
    }
    const stack = new TcpStack({
      link,
      clock: options.clock,
      localAddress: served,
      localPort: options.port,
      sourcePolicy: createSourcePolicy(primaries, options.sourceReaction),
      faults: options.faults ?? NO_FAULTS,
    });
    undo.push(() => stack.close());
    const server = new TcpServer(stack, options.onConnection, { clock: options.clock, allowHalfOpen: true });
    undo.push(() => server.close({ destroyAll: true }));
    let closed = false;
    return {
      stack,
      server,
      tunName,
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
