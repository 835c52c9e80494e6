// Puts an impaired path between two existing namespaces: a relay namespace joined to each by a veth pair, whose
// policy routing (`ip rule iif ... lookup N`) sends each direction through its own TUN of the impair relay.
import { execFileSync } from 'node:child_process';
import type { ImpairmentOptions } from '../../src/link/impairment.ts';
import { ImpairRelay, type ImpairRelayStats } from './impair-relay.ts';
import { addNetns, deleteNetns, ip, nsRun, uniqueNsName } from '../helpers/netns.ts';

export type ImpairedPathOptions = ImpairmentOptions & {
  clientNs: string;
  serverNs: string;
  /** Per-direction impairments; each falls back to the shared fields (the server-to-client seed is seed + 1). */
  clientToServer?: ImpairmentOptions;
  serverToClient?: ImpairmentOptions;
  /** Destinations (in or behind serverNs) the client reaches through the relay; default the server's veth address. */
  routes?: readonly string[];
  /** Source address the client uses (must already exist in clientNs); default its veth address. */
  clientSource?: string;
  /** Veth name inside clientNs and serverNs (default 'imprelay0'). */
  interfaceName?: string;
};

export type ImpairedPath = {
  readonly relayNs: string;
  /** Address of the client's veth (10.200.250.2) and of the server's veth (10.200.251.2). */
  readonly clientAddress: string;
  readonly serverAddress: string;
  /** Source address the server sees (clientSource or clientAddress). */
  readonly clientSource: string;
  stats(): ImpairRelayStats;
  close(): void;
};

const CLIENT_ADDRESS = '10.200.250.2';
const CLIENT_GATEWAY = '10.200.250.1';
const SERVER_ADDRESS = '10.200.251.2';
const SERVER_GATEWAY = '10.200.251.1';
const FORWARD_TABLE = '100';
const BACKWARD_TABLE = '101';

const hostRoute = (address: string) => (address.includes('/') ? address : `${address}/32`);

/** Replaces the route to `dest` in `ns`, remembering what was there; returns the undo. */
function replaceRoute(ns: string, dest: string, args: readonly string[]): () => void {
  const saved = ip(['-n', ns, 'route', 'show', 'exact', dest]).trim().split('\n').filter(Boolean);
  ip(['-n', ns, 'route', 'replace', dest, ...args]);
  return () => {
    try {
      ip(['-n', ns, 'route', 'del', dest]);
    } catch {
      // went away with the veth
    }
    for (const line of saved) {
      const [first, ...rest] = line.split(/\s+/);
      ip(['-n', ns, 'route', 'replace', hostRoute(first!), ...rest]);
    }
  };
}

function offloadsOff(ns: string, dev: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'rx', 'off', 'tx', 'off', 'gro', 'off', 'gso', 'off', 'tso', 'off'], { stdio: 'ignore' });
}

/** Builds the relay path; on any failure everything done so far is undone before the error is rethrown. */
export function setupImpairedPath(options: ImpairedPathOptions): ImpairedPath {
  const { clientNs, serverNs } = options;
  const dev = options.interfaceName ?? 'imprelay0';
  const clientSource = options.clientSource ?? CLIENT_ADDRESS;
  const routes = (options.routes ?? [SERVER_ADDRESS]).map(hostRoute);
  const shared: ImpairmentOptions = { loss: options.loss, reorder: options.reorder, duplicate: options.duplicate, corrupt: options.corrupt, seed: options.seed, reorderHoldMs: options.reorderHoldMs };
  const forward = { ...shared, ...options.clientToServer };
  const backward = { ...shared, seed: (shared.seed ?? 1) + 1, ...options.serverToClient };
  const relayNs = uniqueNsName('imdslab-relay');
  const undo: (() => void)[] = [];
  let relay: ImpairRelay | undefined;
  const teardown = () => {
    relay?.close();
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest
      }
    }
    undo.length = 0;
  };
  try {
    addNetns(relayNs);
    undo.push(() => deleteNetns(relayNs)); // deleting it also deletes both veth pairs
    nsRun(relayNs, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0']);
    ip(['-n', relayNs, 'link', 'add', 'name', 'rc', 'type', 'veth', 'peer', 'name', dev, 'netns', clientNs]);
    ip(['-n', relayNs, 'link', 'add', 'name', 'rs', 'type', 'veth', 'peer', 'name', dev, 'netns', serverNs]);
    for (const [ns, name, cidr] of [[relayNs, 'rc', `${CLIENT_GATEWAY}/30`], [relayNs, 'rs', `${SERVER_GATEWAY}/30`], [clientNs, dev, `${CLIENT_ADDRESS}/30`], [serverNs, dev, `${SERVER_ADDRESS}/30`]] as const) {
      ip(['-n', ns, 'addr', 'add', cidr, 'dev', name]);
      offloadsOff(ns, name);
      ip(['-n', ns, 'link', 'set', name, 'up']);
    }
    relay = new ImpairRelay({ netns: relayNs, forward, backward });
    for (const name of ['rc', 'rs', 'tc2s', 'ts2c']) nsRun(relayNs, ['sysctl', '-q', '-w', `net.ipv4.conf.${name}.rp_filter=0`]);
    // Each direction enters its TUN by the interface it arrived on; written back, it follows the main table.
    ip(['-n', relayNs, 'route', 'add', 'default', 'dev', 'tc2s', 'table', FORWARD_TABLE]);
    ip(['-n', relayNs, 'route', 'add', 'default', 'dev', 'ts2c', 'table', BACKWARD_TABLE]);
    ip(['-n', relayNs, 'rule', 'add', 'iif', 'rc', 'lookup', FORWARD_TABLE, 'pref', '100']);
    ip(['-n', relayNs, 'rule', 'add', 'iif', 'rs', 'lookup', BACKWARD_TABLE, 'pref', '101']);
    for (const dest of routes) {
      if (dest !== `${SERVER_ADDRESS}/32`) ip(['-n', relayNs, 'route', 'add', dest, 'via', SERVER_ADDRESS, 'dev', 'rs']);
      undo.push(replaceRoute(clientNs, dest, ['via', CLIENT_GATEWAY, 'dev', dev, ...(options.clientSource ? ['src', clientSource] : [])]));
    }
    if (clientSource !== CLIENT_ADDRESS) {
      ip(['-n', relayNs, 'route', 'add', hostRoute(clientSource), 'via', CLIENT_ADDRESS, 'dev', 'rc']);
      undo.push(replaceRoute(serverNs, hostRoute(clientSource), ['via', SERVER_GATEWAY, 'dev', dev]));
    } else {
      undo.push(replaceRoute(serverNs, hostRoute(CLIENT_ADDRESS), ['via', SERVER_GATEWAY, 'dev', dev]));
    }
    relay.start();
  } catch (error) {
    teardown();
    throw error;
  }
  const started = relay;
  return {
    relayNs,
    clientAddress: CLIENT_ADDRESS,
    serverAddress: SERVER_ADDRESS,
    clientSource,
    stats: () => started.stats(),
    close: teardown,
  };
}

/**
 * Runs `fn` with an impaired path between clientNs and serverNs, then removes the relay namespace, its veths,
 * and restores the routes it replaced. Example: withImpairedPath({ clientNs, serverNs, loss: 0.1, seed: 7 }, async (p) => ...).
 */
export async function withImpairedPath<T>(options: ImpairedPathOptions, fn: (path: ImpairedPath) => Promise<T>): Promise<T> {
  const path = setupImpairedPath(options);
  try {
    return await fn(path);
  } finally {
    path.close();
  }
}
