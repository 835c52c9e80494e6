// planLab(profile, options) -> steps: turns the topology model into argv steps with undo (mininet's
// "topology is data, realised separately"). Every command runs inside a lab namespace (checked by no-escape.ts).
import type { VmProfile } from '../config/vm-profile.ts';
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import type { BatchLine, BatchStep, LabStep, ParallelStep, Readiness, RunStep, SpawnStep } from './lab-step.ts';
import { isVmRole, type LabRole } from './lab-naming.ts';
import { buildTopology, type LabRoute, type LabTopology, type TopologyOptions } from './lab-topology.ts';
import { assertNoEscape } from './no-escape.ts';
import { dhclientConfig, dnsmasqArgs, resolverArgs, tinyproxyConfig } from './helper-configs.ts';
import { LAB_CA_ISSUERS_URI, resolvConf } from './lab-dns.ts';

export interface PlanOptions extends TopologyOptions {
  /** Directory for the lab's state, configuration files and logs (e.g. /run/imds-lab/<name>). */
  readonly stateDir: string;
  /** Argv prefix that runs this imds-lab CLI (e.g. [node, --import, tsx, src/cli/main.ts]). */
  readonly selfCommand: readonly string[];
  /** Profile file for the responder; null = the embedded default profile. */
  readonly profileFile: string | null;
  /** Capture every packet to/from 169.254.169.254 seen in the host namespace into this pcap file. */
  readonly pcapFile: string | null;
  /** `serve --state-dir`: where the responder keeps its PKI (shared by labs so keys are made once). */
  readonly serveStateDir: string;
  /** The dhclient script (netns/dhclient-script). */
  readonly dhclientScript: string;
  /** Run the responder on a virtual clock (moved only by ctl clock advance). */
  readonly virtualClock?: boolean;
}

export interface LabPlan {
  readonly topology: LabTopology;
  readonly steps: readonly LabStep[];
  /** Environment for programs run in the VM namespace. */
  readonly env: Readonly<Record<string, string>>;
  /** The responder runs on a virtual clock. */
  readonly virtualClock: boolean;
}

/** Name of the nftables table the lab adds in the host namespace (socket capture). */
export const NFT_TABLE = 'imds_lab';
/** no-dns: the table in the host namespace that silently drops DNS to the resolver address. */
export const NFT_DNS_TABLE = 'imds_lab_dns';
/** Foreign responders: the table in the VM that DNATs 169.254.169.254:80 to the persona. */
export const NFT_FOREIGN_TABLE = 'imds_lab_foreign';
/** S9: the table in the VM for the container: MASQUERADE, the egress policy and the agent's DNAT. */
export const NFT_CONTAINER_TABLE = 'imds_lab_container';

/** The responder's control socket: one per lab, in the lab's state directory (docs/control.md). */
export function controlSocketOf(stateDir: string): string {
  return `${stateDir}/control/control.sock`;
}

/** Where a scale-set VM's profile is written for the responder. */
export function vmProfileFile(stateDir: string, vmName: string): string {
  return `${stateDir}/${vmName}.profile.json`;
}

function ns(topology: LabTopology, role: LabRole): string {
  const name = topology.namespaces[role];
  if (!name) throw new Error(`internal: namespace role ${role} not in this lab`);
  return name;
}

function routeArgs(route: LabRoute): string[] {
  const args = [route.to];
  if (route.via) args.push('via', route.via);
  args.push('dev', route.dev);
  if (route.src) args.push('src', route.src);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  return args;
}

function ipIn(topology: LabTopology, role: LabRole, ...args: string[]): string[] {
  return ['ip', '-n', ns(topology, role), ...args];
}

function execIn(topology: LabTopology, role: LabRole, ...argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns(topology, role), ...argv];
}

function run(argv: string[], undo: string[] | null): RunStep {
  return { kind: 'run', argv, undo };
}

/** Independent set-up steps at most this many at a time (the lab's 2-core CI machine; `ip` mostly waits for RTNL). */
export const SETUP_CONCURRENCY = 6;

function listening(topology: LabTopology, role: LabRole, protocol: '-t' | '-u', address: string, port: number): Readiness {
  const filter = address === '*' ? ['sport', '=', `:${port}`] : ['src', `${address}:${port}`];
  return { kind: 'command', argv: execIn(topology, role, 'ss', '-H', '-l', '-n', protocol, ...filter), match: `:${port}\\b` };
}

/** Batch lines per namespace, in the order they were added (one `ip -n NS -batch -` each). */
class LinesByRole {
  readonly byRole = new Map<LabRole, BatchLine[]>();
  add(role: LabRole, args: string[], undo: string[] | null): void {
    if (!this.byRole.has(role)) this.byRole.set(role, []);
    this.byRole.get(role)!.push({ args, undo });
  }
  steps(t: LabTopology): BatchStep[] {
    return [...this.byRole].map(([role, lines]) => ({ kind: 'batch', namespace: ns(t, role), lines }));
  }
}

/**
 * The network in four phases: the namespaces (one root `ip -batch` of `netns add`); the links (one batch per
 * namespace that creates them, the host for every link it ends: bridges, then veths whose peer moves into
 * the other namespace); then, in parallel, each namespace's addresses, bridge ports, links up, neighbours
 * and routes (one `ip -n NS -batch` each) and the checksum offload of every device that sends packets of
 * its own (an `ethtool` each: a bridge's ports need none); then sysctls.
 */
function networkSteps(t: LabTopology): LabStep[] {
  const roles: LabRole[] = ['vm', ...t.vms.slice(1).map((vm) => vm.role), 'host', 'proxy', 'dead', 'ctr'];
  const present = roles.filter((role) => t.namespaces[role] !== undefined);
  const namespaces: LabStep = { kind: 'batch', namespace: null, lines: present.map((role) => ({ args: ['netns', 'add', ns(t, role)], undo: ['netns', 'del', ns(t, role)] })) };
  const links = new LinesByRole();
  const config = new LinesByRole();
  const offload: RunStep[] = [];
  for (const role of present) config.add(role, ['link', 'set', 'lo', 'up'], null);
  for (const bridge of t.bridges) {
    const mac = bridge.mac ? ['address', bridge.mac] : [];
    links.add(bridge.role, ['link', 'add', bridge.dev, ...mac, 'type', 'bridge'], ['link', 'del', bridge.dev]);
    for (const cidr of bridge.addresses) config.add(bridge.role, ['addr', 'add', cidr, 'dev', bridge.dev], ['addr', 'del', cidr, 'dev', bridge.dev]);
    config.add(bridge.role, ['link', 'set', bridge.dev, 'up'], ['link', 'set', bridge.dev, 'down']);
    // The bridge checksums what its namespace sends in software (a port forwards only what others checksummed).
    offload.push(run(execIn(t, bridge.role, 'ethtool', '-K', bridge.dev, 'tx', 'off'), null));
  }
  for (const pair of t.veths) {
    // A link to the host namespace is made there: one process creates every VM's link, however many VMs.
    const [mine, peer] = pair.b.role === 'host' ? [pair.b, pair.a] : [pair.a, pair.b];
    const end = ['link', 'add', mine.dev, ...(mine.mac ? ['address', mine.mac] : [])];
    const other = ['peer', 'name', peer.dev, ...(peer.mac ? ['address', peer.mac] : []), 'netns', ns(t, peer.role)];
    links.add(mine.role, [...end, 'type', 'veth', ...other], ['link', 'del', mine.dev]);
    for (const end of [pair.a, pair.b]) {
      // Software checksums: captured packets then carry valid TCP checksums (veth offload leaves them partial).
      // A bridge port sends only what it forwards: packets its peers and the bridge (tx off too) checksummed.
      if (!end.master) offload.push(run(execIn(t, end.role, 'ethtool', '-K', end.dev, 'tx', 'off'), null));
      for (const cidr of end.addresses) {
        // IPv6: nodad, so the address is usable at once (no duplicate address detection wait, RFC 4862 §5.4).
        const nodad = cidr.includes(':') ? ['nodad'] : [];
        config.add(end.role, ['addr', 'add', cidr, 'dev', end.dev, ...nodad], ['addr', 'del', cidr, 'dev', end.dev]);
      }
      if (end.master) config.add(end.role, ['link', 'set', end.dev, 'master', end.master], null);
      // Scale-set VMs 1.. (IPv4 only) and the host bridge's ports get no IPv6 link-local address: no DAD, MLD
      // or router solicitations flooded by the bridge to every other VM (that traffic grows with VMs squared).
      if (end.role !== 'vm' && (isVmRole(end.role) || (end.role === 'host' && end.master))) config.add(end.role, ['link', 'set', end.dev, 'addrgenmode', 'none'], null);
      config.add(end.role, ['link', 'set', end.dev, 'up'], ['link', 'set', end.dev, 'down']);
    }
  }
  for (const lo of t.loopback) config.add(lo.role, ['addr', 'add', lo.cidr, 'dev', 'lo'], ['addr', 'del', lo.cidr, 'dev', 'lo']);
  for (const n of t.neighbors) {
    config.add(n.role, ['neigh', 'replace', n.address, 'lladdr', n.mac, 'dev', n.dev, 'nud', 'permanent'], ['neigh', 'del', n.address, 'dev', n.dev]);
  }
  for (const r of t.routes) config.add(r.role, ['route', 'add', ...routeArgs(r)], ['route', 'del', ...routeArgs(r)]);
  const parallel = (steps: readonly (RunStep | BatchStep)[]): ParallelStep => ({ kind: 'parallel', concurrency: SETUP_CONCURRENCY, steps });
  return [
    namespaces,
    parallel(links.steps(t)),
    parallel([...config.steps(t), ...offload]),
    ...t.sysctls.map((s) => run(execIn(t, s.role, 'sysctl', '-q', '-w', `${s.key}=${s.value}`), null)),
  ];
}

/** Socket capture: the host namespace answers only the VMs' primary IPs on the primary NIC (and the proxy): one atomic `nft -f`. */
function firewallSteps(t: LabTopology): LabStep[] {
  if (t.capture !== 'socket') return [];
  const rule = (...args: string[]): string => ['add', 'rule', 'ip', NFT_TABLE, 'input', ...args].join(' ');
  const verdict =
    t.sourcePolicy === 'rst' ? ['reject', 'with', 'tcp', 'reset'] : t.sourcePolicy === 'icmp' ? ['reject', 'with', 'icmp', 'type', 'admin-prohibited'] : ['drop'];
  const lines: string[] = [
    `add table ip ${NFT_TABLE}`,
    `add chain ip ${NFT_TABLE} input { type filter hook input priority 0 ; policy accept ; }`,
    rule('ip', 'daddr', IMDS_ADDRESS, 'iifname', 'nic0', 'ip', 'saddr', t.nics[0]!.ips[0]!, 'accept'),
  ];
  for (const vm of t.vms.slice(1)) lines.push(rule('ip', 'daddr', IMDS_ADDRESS, 'iifname', 'nic0', 'ip', 'saddr', vm.nic.ips[0]!, 'accept'));
  if (t.proxy?.role === 'proxy') lines.push(rule('ip', 'daddr', IMDS_ADDRESS, 'iifname', 'proxy0', 'ip', 'saddr', t.proxy.ip, 'accept'));
  if (t.sourcePolicy === 'rst') lines.push(rule('ip', 'daddr', IMDS_ADDRESS, 'meta', 'l4proto', 'tcp', ...verdict));
  lines.push(rule('ip', 'daddr', IMDS_ADDRESS, t.sourcePolicy === 'rst' ? 'drop' : verdict[0]!, ...verdict.slice(1)));
  // nft -f applies the file as one transaction: either every rule is in or none is, so the table's delete undoes it exactly.
  return [{ ...run(execIn(t, 'host', 'nft', '-f', '-'), execIn(t, 'host', 'nft', 'delete', 'table', 'ip', NFT_TABLE)), input: `${lines.join('\n')}\n` }];
}

/** `imds-lab persona KIND --listen ADDR:PORT` in a lab namespace (src/lab/persona-*.ts). */
function personaStep(t: LabTopology, o: PlanOptions, role: LabRole, id: string, kind: string, address: string, port: number): SpawnStep {
  return {
    kind: 'spawn',
    id,
    argv: execIn(t, role, ...o.selfCommand, 'persona', kind, '--listen', `${address}:${port}`, '--state-dir', o.serveStateDir),
    log: `${o.stateDir}/${id}.log`,
    ready: { kind: 'log', match: `persona ${kind} listening` },
    readyTimeoutMs: 20_000,
  };
}

/** The lab's Azure DNS (or, in no-dns, a resolver address that swallows every query) and each VM's resolv.conf. */
function dnsSteps(t: LabTopology, o: PlanOptions): { resolver: SpawnStep | null; steps: LabStep[] } {
  const steps: LabStep[] = [];
  let resolver: SpawnStep | null = null;
  const server = t.dns.server;
  if (t.dns.mode === 'azure') {
    resolver = {
      kind: 'spawn',
      id: 'resolver',
      argv: execIn(t, 'host', ...resolverArgs(t, o.stateDir)),
      log: `${o.stateDir}/resolver.log`,
      ready: listening(t, 'host', '-u', server, 53),
      readyTimeoutMs: 10_000,
    };
  } else {
    const nft = (...args: string[]): string[] => execIn(t, 'host', 'nft', ...args);
    steps.push(run(nft('add', 'table', 'ip', NFT_DNS_TABLE), nft('delete', 'table', 'ip', NFT_DNS_TABLE)));
    steps.push(run(nft('add', 'chain', 'ip', NFT_DNS_TABLE, 'input', '{ type filter hook input priority 0 ; policy accept ; }'), null));
    steps.push(run(nft('add', 'rule', 'ip', NFT_DNS_TABLE, 'input', 'ip', 'daddr', server, 'meta', 'l4proto', '{ tcp, udp }', 'th', 'dport', '53', 'drop'), null));
  }
  for (const file of t.dns.resolvConf) {
    steps.push({ kind: 'write-file', path: file.path, content: resolvConf(server), removeOnUndo: file.path.slice(0, file.path.lastIndexOf('/')) });
  }
  return { resolver, steps };
}

/** S7/S8: a persona on the VM's loopback and an nftables DNAT that hands it 169.254.169.254:80 (the S8 user's own repro). */
function foreignSteps(t: LabTopology, o: PlanOptions): LabStep[] {
  if (!t.foreign) return [];
  const nft = (...args: string[]): string[] => execIn(t, 'vm', 'nft', ...args);
  return [
    personaStep(t, o, 'vm', 'foreign', t.foreign.kind, '127.0.0.1', t.foreign.port),
    run(nft('add', 'table', 'ip', NFT_FOREIGN_TABLE), nft('delete', 'table', 'ip', NFT_FOREIGN_TABLE)),
    run(nft('add', 'chain', 'ip', NFT_FOREIGN_TABLE, 'output', '{ type nat hook output priority -100 ; }'), null),
    run(nft('add', 'rule', 'ip', NFT_FOREIGN_TABLE, 'output', 'ip', 'daddr', IMDS_ADDRESS, 'tcp', 'dport', '80', 'dnat', 'to', `127.0.0.1:${t.foreign.port}`), null),
  ];
}

/**
 * S9: what the VM does with the container's traffic, in one nftables table (deleting it undoes every rule):
 * docker's MASQUERADE out of eth0, a deny-all egress policy (drop, or reject with a TCP reset) that may let
 * 169.254.169.254:80 through first, and aad-pod-identity NMI's DNAT of 169.254.169.254:80 to a node-local agent.
 */
function containerSteps(t: LabTopology, o: PlanOptions): LabStep[] {
  const c = t.container;
  if (!c) return [];
  const nft = (...args: string[]): string[] => execIn(t, 'vm', 'nft', ...args);
  const rule = (chain: string, ...args: string[]): LabStep => run(nft('add', 'rule', 'ip', NFT_CONTAINER_TABLE, chain, ...args), null);
  const chain = (name: string, spec: string): LabStep => run(nft('add', 'chain', 'ip', NFT_CONTAINER_TABLE, name, spec), null);
  const steps: LabStep[] = [run(nft('add', 'table', 'ip', NFT_CONTAINER_TABLE), nft('delete', 'table', 'ip', NFT_CONTAINER_TABLE))];
  if (c.agent) {
    steps.unshift(personaStep(t, o, 'vm', 'agent', 'pod-identity-agent', c.gateway, c.agentPort));
    steps.push(chain('prerouting', '{ type nat hook prerouting priority -100 ; }'));
    steps.push(rule('prerouting', 'iifname', c.bridge, 'ip', 'daddr', IMDS_ADDRESS, 'tcp', 'dport', '80', 'dnat', 'to', `${c.gateway}:${c.agentPort}`));
  }
  if (c.policy !== 'none') {
    steps.push(chain('forward', '{ type filter hook forward priority 0 ; policy accept ; }'));
    if (c.allowImds) steps.push(rule('forward', 'iifname', c.bridge, 'ip', 'daddr', IMDS_ADDRESS, 'tcp', 'dport', '80', 'accept'));
    if (c.policy === 'reject') {
      steps.push(rule('forward', 'iifname', c.bridge, 'meta', 'l4proto', 'tcp', 'reject', 'with', 'tcp', 'reset'));
      steps.push(rule('forward', 'iifname', c.bridge, 'reject', 'with', 'icmp', 'type', 'admin-prohibited'));
    } else steps.push(rule('forward', 'iifname', c.bridge, 'drop'));
  }
  if (c.snat) {
    steps.push(chain('postrouting', '{ type nat hook postrouting priority 100 ; }'));
    steps.push(rule('postrouting', 'oifname', 'eth0', 'ip', 'saddr', `${c.subnet}/${c.prefix}`, 'masquerade'));
  }
  return steps;
}

function processSteps(t: LabTopology, o: PlanOptions): LabStep[] {
  const steps: LabStep[] = [];
  const sd = o.stateDir;
  if (o.pcapFile) {
    steps.push({
      kind: 'spawn',
      id: 'tcpdump',
      // IMDS's TCP, and ICMP destination-unreachable errors quoting a datagram to 169.254.169.254 (0xa9fea9fe at
      // ICMP offset 8 + 16, RFC 792) whoever sends them: the responder's stack or a router on the way.
      argv: execIn(t, 'host', 'tcpdump', '-i', 'any', '-y', 'LINUX_SLL2', '-n', '-U', '-Z', 'root', '-w', o.pcapFile, `(tcp and host ${IMDS_ADDRESS}) or (icmp[icmptype] = icmp-unreach and icmp[24:4] = 0xa9fea9fe)`),
      log: `${sd}/tcpdump.log`,
      ready: { kind: 'log', match: 'listening on' },
      readyTimeoutMs: 10_000,
    });
  }
  const serve = [...o.selfCommand, 'serve', '--capture', t.capture, '--listen', `${IMDS_ADDRESS}:80`, '--log-requests'];
  const several = t.vms.length > 1;
  if (t.capture === 'tun') {
    // The userspace stack answers the VMs' primary IPs (and the proxy's, whose request IMDS must see and reject).
    if (!several) serve.push('--primary-ip', t.nics[0]!.ips[0]!);
    if (t.proxy?.role === 'proxy') serve.push('--primary-ip', t.proxy.ip);
  }
  serve.push('--state-dir', o.serveStateDir);
  // The leaf's CA Issuers URI names the lab's PKI host, which the lab resolver knows and the ca-issuers persona serves.
  serve.push('--ca-issuers-uri', LAB_CA_ISSUERS_URI);
  if (several) {
    // One responder answers every VM by its primary IP; each VM has its own profile file.
    for (const vm of t.vms) {
      const file = vmProfileFile(sd, vm.name);
      steps.push({ kind: 'write-file', path: file, content: `${JSON.stringify(vm.profile, null, 2)}\n` });
      serve.push('--vm', `${vm.name}=${file}`);
    }
  } else if (o.profileFile) serve.push('--profile', o.profileFile);
  serve.push('--control-socket', controlSocketOf(sd));
  if (o.virtualClock) serve.push('--virtual-clock');
  if (!t.serve.rateLimit) serve.push('--no-rate-limit');
  for (const fault of t.serve.faults) serve.push('--fault', fault);
  const responder: SpawnStep = {
    kind: 'spawn',
    id: 'responder',
    argv: execIn(t, 'host', ...serve),
    log: `${sd}/responder.log`,
    ready: { kind: 'log', match: 'serving on http' },
    readyTimeoutMs: 30_000,
  };
  const dns = dnsSteps(t, o);
  // The responder, the CA Issuers persona and the resolver need nothing of each other: they start together.
  const services = [responder, personaStep(t, o, 'host', 'ca-issuers', 'ca-issuers', t.dns.server, 80), ...(dns.resolver ? [dns.resolver] : [])];
  steps.push({ kind: 'parallel', concurrency: services.length, steps: services });
  steps.push(...dns.steps);
  steps.push(...foreignSteps(t, o));
  steps.push(...containerSteps(t, o));
  if (t.proxy && (t.proxy.behaviour === 'refuse' || t.proxy.behaviour === 'bad-gateway')) {
    // Proxies that refuse with a body of our choosing (tinyproxy cannot answer 400 or 502 this way): a persona proxy.
    steps.push(personaStep(t, o, t.proxy.role, 'proxy', `proxy-${t.proxy.behaviour}`, t.proxy.ip, t.proxy.port));
  } else if (t.proxy) {
    const conf = `${sd}/tinyproxy.conf`;
    steps.push({ kind: 'write-file', path: conf, content: tinyproxyConfig(t) });
    steps.push({
      kind: 'spawn',
      id: 'tinyproxy',
      argv: execIn(t, t.proxy.role, 'tinyproxy', '-d', '-c', conf),
      log: `${sd}/tinyproxy.log`,
      ready: listening(t, t.proxy.role, '-t', t.proxy.ip, t.proxy.port),
      readyTimeoutMs: 10_000,
    });
  }
  if (t.dhcpRoutes) {
    steps.push({
      kind: 'spawn',
      id: 'dnsmasq',
      argv: execIn(t, 'host', ...dnsmasqArgs(t, sd)),
      log: `${sd}/dnsmasq.log`,
      ready: listening(t, 'host', '-u', '*', 67),
      readyTimeoutMs: 10_000,
    });
    const conf = `${sd}/dhclient.conf`;
    steps.push({ kind: 'write-file', path: conf, content: dhclientConfig() });
    const last = t.dhcpRoutes[t.dhcpRoutes.length - 1]!;
    const dest = last[0] === '0.0.0.0/0' ? 'default' : last[0].endsWith('/32') ? last[0].slice(0, -3) : last[0];
    steps.push({
      kind: 'spawn',
      id: 'dhclient',
      argv: execIn(t, 'vm', 'dhclient', '-4', '-d', '-v', '-cf', conf, '-sf', o.dhclientScript, '-lf', `${sd}/dhclient.leases`, '-pf', `${sd}/dhclient.pid`, 'eth0'),
      log: `${sd}/dhclient.log`,
      ready: { kind: 'command', argv: ipIn(t, 'vm', '-4', 'route', 'show'), match: `(^|\\n)${dest.replace(/\./g, '\\.')} via ` },
      readyTimeoutMs: 30_000,
    });
  }
  return steps;
}

function fixSteps(t: LabTopology): LabStep[] {
  return t.fixRoutes.map((r) => run(ipIn(t, r.role, 'route', 'replace', ...routeArgs(r)), ipIn(t, r.role, 'route', 'del', ...routeArgs(r))));
}

/** The whole lab as steps; refuses (LabError ERR_LAB_ESCAPE) any plan that could reach the root namespace. */
export function planLab(profile: VmProfile, options: PlanOptions): LabPlan {
  const topology = buildTopology(profile, options);
  const steps = [...networkSteps(topology), ...firewallSteps(topology), ...processSteps(topology, options), ...fixSteps(topology)];
  const plan = { topology, steps, env: topology.env, virtualClock: options.virtualClock ?? false };
  assertNoEscape(plan);
  return plan;
}

/** Only the fix's steps (to apply the documented fix to a running lab, as the demo does). */
export function planFix(topology: LabTopology): LabStep[] {
  return fixSteps(topology);
}
