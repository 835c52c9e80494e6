// Builds the lab's topology model (plain data) from the VM profile, netns/base.yaml and a scenario:
// namespaces, veth pairs, addresses, routes, neighbours, sysctls, firewall rules, helper programs and env.
import type { VmProfile } from '../config/vm-profile.ts';
import { formatIpv4Address, IMDS_ADDRESS, parseIpv4Address, WIRESERVER_ADDRESS } from '../util/ipv4-address.ts';
import { checkNicCollisions, ensureIpCount, ensureNicCount, proxySubnet } from './lab-addressing.ts';
import { planScaleSet, type LabVm } from './lab-scale-set.ts';
import { LabError } from './lab-error.ts';
import { checkLabName, namespaceName, renderTemplate, type CaptureMode, type LabRole } from './lab-naming.ts';
import { profileNics, type LabNic } from './lab-nics.ts';
import { LAB_PKI_HOST, labDnsRecords, resolvConfPath } from './lab-dns.ts';

/** The lab's IPv6 /64 on the primary NIC (unique local, RFC 4193): VM ::4, host side ::1. */
export const LAB_IPV6_PREFIX = 'fd00:1ab::';
import type { BaseTopology, DnsMode, ForeignResponder, ProxyBehaviour, RouteTemplate, ScenarioContainer, ScenarioDefinition } from './scenario-types.ts';

/** S9: the container network, docker's default bridge (docker0 172.17.0.1/16 in the VM; the container is .2). */
export const CONTAINER_NET = { bridge: 'docker0', subnet: '172.17.0.0', prefix: 16, gateway: '172.17.0.1', ip: '172.17.0.2', agentPort: 2579 } as const;

/** The container in VM 0 (role ctr) and how the VM treats its traffic. */
export interface LabContainer extends ScenarioContainer {
  readonly ip: string;
  readonly gateway: string;
  readonly subnet: string;
  readonly prefix: number;
  readonly bridge: string;
  /** Where the node-local agent listens (agent: true), the DNAT target. */
  readonly agentPort: number;
}

export interface VethEnd {
  readonly role: LabRole;
  readonly dev: string;
  readonly mac: string | null;
  /** CIDR strings (address/prefix). */
  readonly addresses: readonly string[];
  /** A bridge this end is enslaved to (scale sets: the host side of the shared subnet). */
  readonly master?: string;
}

/** A bridge in a lab namespace (scale sets: `nic0` in the host namespace is the shared subnet's gateway). */
export interface LabBridge {
  readonly role: LabRole;
  readonly dev: string;
  readonly mac: string | null;
  readonly addresses: readonly string[];
}

export interface VethPair {
  readonly purpose: string;
  readonly a: VethEnd;
  readonly b: VethEnd;
}

export interface LabRoute {
  readonly role: LabRole;
  readonly to: string;
  readonly via?: string;
  readonly dev: string;
  readonly src?: string;
  readonly metric?: number;
}

export interface LabTopology {
  readonly name: string;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly capture: CaptureMode;
  /** Namespace name per role in use. */
  readonly namespaces: Readonly<Partial<Record<LabRole, string>>>;
  readonly nics: readonly LabNic[];
  /** The VMs: VM 0 (`vm`, the scenario's VM) first; a scale set has more (docs/lab.md "Scale sets"). */
  readonly vms: readonly LabVm[];
  readonly bridges: readonly LabBridge[];
  readonly veths: readonly VethPair[];
  /** Addresses on a namespace's lo (socket capture: 169.254.169.254/32 in the host namespace). */
  readonly loopback: readonly { readonly role: LabRole; readonly cidr: string }[];
  readonly sysctls: readonly { readonly role: LabRole; readonly key: string; readonly value: string }[];
  readonly neighbors: readonly { readonly role: LabRole; readonly address: string; readonly mac: string; readonly dev: string }[];
  readonly routes: readonly LabRoute[];
  /** Routes the documented fix adds or replaces (applied last with --fixed). */
  readonly fixRoutes: readonly LabRoute[];
  /** The HTTP proxy: in `<name>-proxy` (role proxy) or on a scale-set VM (proxy-vm). */
  readonly proxy: {
    readonly ip: string;
    readonly hostIp: string;
    readonly prefix: number;
    readonly port: number;
    readonly forwardedFor: boolean;
    readonly role: LabRole;
    /** forward (tinyproxy), auth (tinyproxy with BasicAuth: 407), refuse (persona: 400), bad-gateway (persona: 502). */
    readonly behaviour?: ProxyBehaviour;
  } | null;
  /**
   * The lab's Azure DNS at `server` (168.63.129.16 on the host namespace's lo): `azure` runs the resolver,
   * `silent` drops DNS there (no-dns). `resolvConf`: the /etc/netns files pointing each VM at it.
   */
  readonly dns: {
    readonly mode: DnsMode;
    readonly server: string;
    readonly records: readonly (readonly [string, string])[];
    readonly resolvConf: readonly { readonly role: LabRole; readonly namespace: string; readonly path: string }[];
  };
  /** A foreign responder in VM 0: an nftables DNAT of 169.254.169.254:80 to a persona on 127.0.0.1:port. */
  readonly foreign: ForeignResponder | null;
  readonly cluster: { readonly device: string; readonly ip: string; readonly prefix: number } | null;
  /** S9: a container namespace behind VM 0's bridge. */
  readonly container: LabContainer | null;
  /** Option 121 routes when eth0 is configured by DHCP: [destination CIDR, gateway]. */
  readonly dhcpRoutes: readonly (readonly [string, string])[] | null;
  readonly serve: { readonly faults: readonly string[]; readonly rateLimit: boolean };
  /** What IMDS does with traffic from other sources (profile.sourcePolicy). */
  readonly sourcePolicy: VmProfile['sourcePolicy'];
  /** Environment for programs run in the VM namespace. */
  readonly env: Readonly<Record<string, string>>;
  /** Placeholder values, for rendering the scenario's texts. */
  readonly vars: Readonly<Record<string, string>>;
}

export interface TopologyOptions {
  readonly name: string;
  readonly scenario: ScenarioDefinition;
  readonly base: BaseTopology;
  readonly fixed: boolean;
  readonly capture: CaptureMode;
  /** Number of VMs (default 1, or what the scenario needs); VMs 1.. are derived from `profile` … */
  readonly vmCount?: number;
  /** … unless given here: profiles of VMs 1, 2, … */
  readonly vmProfiles?: readonly VmProfile[];
  /** Azure's per-VM rate limits (default true; `up --no-rate-limit` passes false). */
  readonly rateLimit?: boolean;
}

function buildVars(name: string, nics: readonly LabNic[], proxy: LabTopology['proxy'], cluster: LabTopology['cluster']): Record<string, string> {
  const vars: Record<string, string> = { name, imds: IMDS_ADDRESS, wireserver: WIRESERVER_ADDRESS };
  for (const nic of nics) {
    const p = `nic${nic.index}`;
    vars[`${p}.ip`] = nic.ips[0]!;
    nic.ips.forEach((ip, i) => {
      if (i > 0) vars[`${p}.ip${i + 1}`] = ip;
    });
    vars[`${p}.gateway`] = nic.gateway;
    vars[`${p}.subnet`] = nic.subnet;
    vars[`${p}.prefix`] = String(nic.prefix);
    vars[`${p}.device`] = nic.device;
    vars[`${p}.mac`] = nic.mac;
  }
  const primary = nics[0]!;
  // The wrong gateway: the subnet's last host address, never one of the VM's own.
  const size = 2 ** (32 - primary.prefix);
  let wrong = parseIpv4Address(primary.subnet) + size - 2;
  while (primary.ips.includes(formatIpv4Address(wrong))) wrong--;
  vars['wrong.gateway'] = formatIpv4Address(wrong);
  vars['wrong.mac'] = '02:00:00:de:ad:01';
  if (proxy) {
    vars['proxy.ip'] = proxy.ip;
    vars['proxy.port'] = String(proxy.port);
    vars['proxy.hostIp'] = proxy.hostIp;
  }
  if (cluster) {
    vars['cluster.ip'] = cluster.ip;
    vars['cluster.device'] = cluster.device;
  }
  return vars;
}

function resolveRoute(t: RouteTemplate, vars: Readonly<Record<string, string>>): LabRoute {
  const route: { -readonly [K in keyof LabRoute]: LabRoute[K] } = { role: t.ns, to: renderTemplate(t.to, vars), dev: renderTemplate(t.dev, vars) };
  if (t.via !== undefined) route.via = renderTemplate(t.via, vars);
  if (t.src !== undefined) route.src = renderTemplate(t.src, vars);
  if (t.metric !== undefined) route.metric = t.metric;
  return route;
}

export function buildTopology(profile: VmProfile, options: TopologyOptions): LabTopology {
  const { name, scenario, base, fixed, capture } = options;
  checkLabName(name);
  const t = scenario.topology;
  let nics = ensureNicCount(profileNics(profile), t.nics);
  nics = [ensureIpCount(nics[0]!, t.secondaryIps), ...nics.slice(1)];
  checkNicCollisions(nics);
  const vmCount = Math.max(options.vmCount ?? 1, 1 + (options.vmProfiles?.length ?? 0), t.vms, t.proxy?.vm !== undefined ? t.proxy.vm + 1 : 1);
  if (vmCount > 1 && t.dhcp !== null) throw new LabError('ERR_LAB_USAGE', `scenario ${scenario.name} configures eth0 by DHCP and runs with one VM only`);
  const vms = planScaleSet(name, profile, nics, vmCount, options.vmProfiles ?? []);
  const several = vms.length > 1;

  let proxy: LabTopology['proxy'] = null;
  if (t.proxy && t.proxy.vm !== undefined) {
    // proxy-vm: tinyproxy on another VM of the scale set; IMDS sees that VM's primary IP.
    const host = vms[t.proxy.vm]!;
    proxy = { ip: host.nic.ips[0]!, hostIp: host.nic.gateway, prefix: host.nic.prefix, port: t.proxy.port, forwardedFor: t.proxy.forwardedFor, role: host.role };
  } else if (t.proxy) {
    const proxyNet = proxySubnet(nics);
    proxy = { ip: proxyNet.proxyIp, hostIp: proxyNet.hostIp, prefix: proxyNet.prefix, port: t.proxy.port, forwardedFor: t.proxy.forwardedFor, role: 'proxy' };
  }
  if (proxy && t.proxy?.behaviour !== undefined && t.proxy.behaviour !== 'forward') proxy = { ...proxy, behaviour: t.proxy.behaviour };
  const cluster = t.clusterAdapter ? { device: 'cluster0', ip: t.clusterAdapter.address, prefix: t.clusterAdapter.prefix } : null;
  if (cluster && !/^169\.254\./.test(cluster.ip)) throw new LabError('ERR_LAB_DATA', `clusterAdapter.address ${cluster.ip} must be a 169.254.x.x address`);
  const vars = buildVars(name, nics, proxy, cluster);
  for (const vm of vms) {
    vars[`${vm.name}.ip`] = vm.nic.ips[0]!;
    vars[`${vm.name}.mac`] = vm.nic.mac;
    vars[`${vm.name}.namespace`] = vm.namespace;
  }

  const namespaces: Partial<Record<LabRole, string>> = { host: namespaceName(name, 'host') };
  for (const vm of vms) namespaces[vm.role] = vm.namespace;
  if (proxy?.role === 'proxy') namespaces.proxy = namespaceName(name, 'proxy');
  if (cluster) namespaces.dead = namespaceName(name, 'dead');
  const container: LabContainer | null = t.container
    ? { ...CONTAINER_NET, ...t.container, ...(fixed ? scenario.fixed.container : {}) }
    : null;
  if (container) {
    if (several) throw new LabError('ERR_LAB_USAGE', `scenario ${scenario.name} puts a container in the VM and runs with one VM only`);
    namespaces.ctr = namespaceName(name, 'ctr');
  }

  const dhcp = t.dhcp !== null;
  // S21: IPv6 (a ULA /64, RFC 4193) on the primary NIC; `only` leaves eth0 without any IPv4 address.
  const ipv6 = fixed && scenario.fixed.ipv6 ? scenario.fixed.ipv6 : t.ipv6;
  const v6 = (ip: string): string[] => (ipv6 === 'none' ? [] : [`${LAB_IPV6_PREFIX}${ip}/64`]);
  const veths: VethPair[] = nics.map((nic) => ({
    purpose: `${nic.index === 0 ? 'primary' : 'secondary'} NIC ${nic.device}`,
    a: {
      role: 'vm',
      dev: nic.device,
      mac: nic.mac,
      addresses: [
        ...((dhcp && nic.index === 0) || (ipv6 === 'only' && nic.index === 0) ? [] : nic.ips.map((ip) => `${ip}/${nic.prefix}`)),
        ...(nic.index === 0 ? v6('4') : []),
      ],
    },
    b:
      several && nic.index === 0
        ? { role: 'host', dev: 'nic0p0', mac: null, addresses: [], master: 'nic0' }
        : { role: 'host', dev: `nic${nic.index}`, mac: base.gatewayMac, addresses: [`${nic.gateway}/${nic.prefix}`, ...(nic.index === 0 ? v6('1') : [])] },
  }));
  // A scale set shares the primary subnet: the host side is a bridge nic0 (the gateway), one port per VM.
  const bridges: LabBridge[] = several
    ? [{ role: 'host', dev: 'nic0', mac: base.gatewayMac, addresses: [`${nics[0]!.gateway}/${nics[0]!.prefix}`, ...v6('1')] }]
    : [];
  for (const vm of vms.slice(1)) {
    veths.push({
      purpose: `primary NIC eth0 of scale-set VM ${vm.name}`,
      a: { role: vm.role, dev: 'eth0', mac: vm.nic.mac, addresses: [`${vm.nic.ips[0]}/${vm.nic.prefix}`] },
      b: { role: 'host', dev: `nic0p${vm.index}`, mac: null, addresses: [], master: 'nic0' },
    });
  }
  if (proxy?.role === 'proxy') {
    veths.push({
      purpose: 'proxy link',
      a: { role: 'host', dev: 'proxy0', mac: null, addresses: [`${proxy.hostIp}/${proxy.prefix}`] },
      b: { role: 'proxy', dev: 'eth0', mac: null, addresses: [`${proxy.ip}/${proxy.prefix}`] },
    });
  }
  if (cluster) {
    veths.push({
      purpose: 'cluster adapter (dead end: nothing answers ARP)',
      a: { role: 'vm', dev: cluster.device, mac: null, addresses: [`${cluster.ip}/${cluster.prefix}`] },
      b: { role: 'dead', dev: 'eth0', mac: null, addresses: [] },
    });
  }

  if (container) {
    bridges.push({ role: 'vm', dev: container.bridge, mac: null, addresses: [`${container.gateway}/${container.prefix}`] });
    veths.push({
      purpose: 'container link (docker-style veth on the VM bridge)',
      a: { role: 'vm', dev: 'veth0', mac: null, addresses: [], master: container.bridge },
      b: { role: 'ctr', dev: 'eth0', mac: null, addresses: [`${container.ip}/${container.prefix}`] },
    });
  }

  const removed = new Set(t.removeRoutes.map((r) => renderTemplate(r, vars)));
  const routes: LabRoute[] = [];
  if (!dhcp && ipv6 !== 'only') {
    for (const r of base.vmRoutes) {
      const route = resolveRoute(r, vars);
      if (!removed.has(route.to)) routes.push(route);
    }
  }
  routes.push(...t.routes.map((r) => resolveRoute(r, vars)));
  // The IPv6 default route via the host side (which does not forward IPv6: nothing leaves the lab).
  if (ipv6 !== 'none') routes.push({ role: 'vm', to: '::/0', via: `${LAB_IPV6_PREFIX}1`, dev: 'eth0' });
  // The other VMs of a scale set get Azure's routes on their eth0 (the scenario breaks VM 0 only).
  for (const vm of vms.slice(1)) {
    for (const r of base.vmRoutes) routes.push({ ...resolveRoute(r, vars), role: vm.role });
  }
  if (proxy?.role === 'proxy') {
    // The proxy reaches IMDS and answers the VM's subnets through the host namespace, nothing else.
    routes.push({ role: 'proxy', to: `${IMDS_ADDRESS}/32`, via: proxy.hostIp, dev: 'eth0' });
    for (const nic of nics) routes.push({ role: 'proxy', to: `${nic.subnet}/${nic.prefix}`, via: proxy.hostIp, dev: 'eth0' });
  }

  // The container's only route: its gateway, the VM's bridge (which then routes like the VM itself).
  if (container) routes.push({ role: 'ctr', to: 'default', via: container.gateway, dev: 'eth0' });

  const sysctls: { role: LabRole; key: string; value: string }[] = Object.entries(base.hostSysctls).map(([key, value]) => ({ role: 'host' as const, key, value }));
  if (container) sysctls.push({ role: 'vm', key: 'net.ipv4.ip_forward', value: '1' });
  const neighbors = t.neighbors.map((n) => ({
    role: 'vm' as const,
    address: renderTemplate(n.address, vars),
    mac: renderTemplate(n.mac, vars),
    dev: renderTemplate(n.dev, vars),
  }));

  const dhcpRoutes = t.dhcp
    ? t.dhcp.routes.map((text) => {
        const [dest, gateway, extra] = renderTemplate(text, vars).split(/\s+/);
        if (!dest || !gateway || extra !== undefined || !dest.includes('/')) {
          throw new LabError('ERR_LAB_DATA', `topology.dhcp.routes: expected "DEST/PREFIX GATEWAY", got ${JSON.stringify(text)}`);
        }
        return [dest, gateway] as const;
      })
    : null;

  const dnsMode: DnsMode = fixed && scenario.fixed.dns ? scenario.fixed.dns : t.dns;
  const dns: LabTopology['dns'] = {
    mode: dnsMode,
    server: WIRESERVER_ADDRESS,
    records: labDnsRecords(vms, WIRESERVER_ADDRESS),
    resolvConf: vms.map((vm) => ({ role: vm.role, namespace: vm.namespace, path: resolvConfPath(vm.namespace) })),
  };
  const foreign = t.foreign && !(fixed && scenario.fixed.removeForeign) ? t.foreign : null;
  vars['lab.pki'] = LAB_PKI_HOST;
  vars['ipv6.vm'] = `${LAB_IPV6_PREFIX}4`;
  vars['ipv6.gateway'] = `${LAB_IPV6_PREFIX}1`;
  if (t.foreign) vars['foreign.port'] = String(t.foreign.port);
  if (container) {
    vars['container.ip'] = container.ip;
    vars['container.gateway'] = container.gateway;
    vars['container.subnet'] = `${container.subnet}/${container.prefix}`;
    vars['agent.port'] = String(container.agentPort);
  }

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.env)) env[k] = renderTemplate(v, vars);
  if (fixed) for (const [k, v] of Object.entries(scenario.fixed.env)) env[k] = renderTemplate(v, vars);

  return {
    name,
    scenario: scenario.name,
    fixed,
    capture,
    namespaces,
    nics,
    vms,
    bridges,
    veths,
    // Socket capture answers 169.254.169.254 on the host's lo; Azure DNS and the lab's PKI host live at 168.63.129.16.
    loopback: [...(capture === 'socket' ? [{ role: 'host' as const, cidr: `${IMDS_ADDRESS}/32` }] : []), { role: 'host', cidr: `${WIRESERVER_ADDRESS}/32` }],
    sysctls,
    neighbors,
    routes,
    fixRoutes: fixed ? scenario.fixed.routes.map((r) => resolveRoute(r, vars)) : [],
    proxy,
    cluster,
    container,
    dhcpRoutes,
    dns,
    foreign,
    serve: { faults: t.serve.faults, rateLimit: t.serve.rateLimit && (options.rateLimit ?? true) },
    sourcePolicy: profile.sourcePolicy,
    env,
    vars,
  };
}
