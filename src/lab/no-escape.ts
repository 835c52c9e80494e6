// The lab's safety check: no plan may create a path from a lab namespace to the root namespace or beyond.
// Every command must run inside a lab namespace, every veth end must live in one, and only the VM and
// proxy namespaces may route (via the host namespace, which is the lab's dead end: no default route).
import { cidrContains, parseCidr } from './lab-addressing.ts';
import { LabError } from './lab-error.ts';
import type { LabStep } from './lab-step.ts';
import { formatArgv, isBatchSafe, stepCommands } from './lab-step.ts';
import { isVmRole, LAB_ROLES, type LabRole } from './lab-naming.ts';
import type { LabTopology } from './lab-topology.ts';

export interface EscapeProblem {
  readonly where: string;
  readonly reason: string;
}

const FORBIDDEN_TOKENS = ['nsenter', '/proc/1/ns', '/var/run/netns/..', 'unshare'];

function checkTopology(t: LabTopology, labNamespaces: ReadonlySet<string>, problems: EscapeProblem[]): void {
  const scaleSet = (t.vms?.length ?? 1) > 1;
  for (const [role, name] of Object.entries(t.namespaces)) {
    // A scale set names VM 0's namespace <name>-vm0 (role vm) and VM k's <name>-vm<k>.
    const expected = role === 'vm' && scaleSet ? `${t.name}-vm0` : `${t.name}-${role}`;
    if (!((LAB_ROLES as readonly string[]).includes(role) || isVmRole(role)) || name !== expected) {
      problems.push({ where: `namespace ${name}`, reason: `not a lab namespace of ${t.name} (expected ${t.name}-<${LAB_ROLES.join('|')}|vm<N>>)` });
    }
  }
  const devices = new Map<string, Map<string, readonly string[]>>();
  const addDevice = (role: string, dev: string, addresses: readonly string[]): void => {
    if (!devices.has(role)) devices.set(role, new Map([['lo', []]]));
    devices.get(role)!.set(dev, addresses);
  };
  for (const pair of t.veths) {
    for (const end of [pair.a, pair.b]) {
      if (!t.namespaces[end.role as LabRole] || !labNamespaces.has(t.namespaces[end.role as LabRole]!)) {
        problems.push({ where: `veth ${pair.purpose}`, reason: `end ${end.dev} would live outside the lab (role ${end.role})` });
      }
      addDevice(end.role, end.dev, end.addresses);
    }
  }
  for (const bridge of t.bridges ?? []) {
    if (!t.namespaces[bridge.role] || !labNamespaces.has(t.namespaces[bridge.role]!)) {
      problems.push({ where: `bridge ${bridge.dev}`, reason: `would live outside the lab (role ${bridge.role})` });
    }
    addDevice(bridge.role, bridge.dev, bridge.addresses);
  }
  for (const route of [...t.routes, ...t.fixRoutes]) {
    const where = `route ${route.to} in ${route.role}`;
    const dev = devices.get(route.role)?.get(route.dev);
    if (!dev) {
      problems.push({ where, reason: `device ${route.dev} is not a lab device of the ${route.role} namespace` });
      continue;
    }
    // The container's one route leads to VM 0's bridge, and from there only where the VM itself routes.
    const viaVmBridge = route.role === 'ctr' && t.container !== null && t.container !== undefined && route.via === t.container.gateway && route.dev === 'eth0';
    if (viaVmBridge) continue;
    if (!isVmRole(route.role) && route.role !== 'proxy') {
      problems.push({ where, reason: `the ${route.role} namespace must not have routes beyond its own links (it is the lab's end)` });
    }
    if ((route.to === 'default' || route.to === '0.0.0.0/0') && !isVmRole(route.role)) {
      problems.push({ where, reason: 'a default route outside the VM namespace would point out of the lab' });
    }
  }
}

function labNamespaceAt(argv: readonly string[], index: number, labNamespaces: ReadonlySet<string>): string | null {
  const name = argv[index];
  return name !== undefined && labNamespaces.has(name) ? name : null;
}

/** Checks one argv: it must be `ip netns add|del LAB`, `ip -n LAB …` or `ip netns exec LAB …`. */
function checkArgv(argv: readonly string[], labNamespaces: ReadonlySet<string>, where: string, problems: EscapeProblem[]): void {
  const text = formatArgv(argv);
  for (const token of FORBIDDEN_TOKENS) {
    if (argv.some((a) => a.includes(token))) problems.push({ where, reason: `uses ${token}: ${text}` });
  }
  if (argv[0] !== 'ip') {
    problems.push({ where, reason: `runs in the root namespace (not ip -n/ip netns exec): ${text}` });
    return;
  }
  if (argv[1] === 'netns' && (argv[2] === 'add' || argv[2] === 'del' || argv[2] === 'delete')) {
    if (!labNamespaceAt(argv, 3, labNamespaces) || argv.length !== 4) problems.push({ where, reason: `touches a namespace outside the lab: ${text}` });
    return;
  }
  let rest: readonly string[];
  if (argv[1] === '-n' && labNamespaceAt(argv, 2, labNamespaces)) rest = argv.slice(3);
  else if (argv[1] === 'netns' && argv[2] === 'exec' && labNamespaceAt(argv, 3, labNamespaces)) rest = argv.slice(4);
  else {
    problems.push({ where, reason: `runs in the root namespace or a foreign one: ${text}` });
    return;
  }
  // Moving a device: the target namespace must be a lab namespace too.
  rest.forEach((token, i) => {
    if ((token === 'netns' || token === 'link-netns') && !labNamespaceAt(rest, i + 1, labNamespaces)) {
      problems.push({ where, reason: `moves or peers a device into a namespace outside the lab: ${text}` });
    }
  });
  if (rest[0] === 'ip' && argv[1] === 'netns') checkArgv(rest, labNamespaces, `${where} (nested)`, problems);
}

function checkStep(step: LabStep, index: number, labNamespaces: ReadonlySet<string>, problems: EscapeProblem[]): void {
  const where = `step ${index + 1}`;
  if (step.kind === 'parallel') {
    for (const sub of step.steps) checkStep(sub, index, labNamespaces, problems);
  } else if (step.kind === 'run' || step.kind === 'batch') {
    // A batch line is checked as the single command it stands for (`ip -n NS LINE`, or `ip LINE` in the root
    // namespace, where only `netns add|del LAB` passes), and must read back from stdin exactly as checked.
    if (step.kind === 'batch') {
      for (const line of step.lines) if (!isBatchSafe(line)) problems.push({ where, reason: `batch line ${JSON.stringify(line.args.join(' '))} has blanks, quotes or #` });
    }
    for (const command of stepCommands(step)) {
      checkArgv(command.argv, labNamespaces, where, problems);
      if (command.undo) checkArgv(command.undo, labNamespaces, `${where} undo`, problems);
    }
  } else if (step.kind === 'write-file') {
    // Files outside the lab's state go only to /etc/netns/<lab namespace>/ (what ip netns exec bind-mounts).
    const m = /^\/etc\/netns\/([^/]+)\//.exec(step.path);
    if (step.path.startsWith('/etc/') && (!m || !labNamespaces.has(m[1]!) || step.path.includes('..'))) {
      problems.push({ where, reason: `writes ${step.path}, outside the lab's state and /etc/netns/<lab namespace>/` });
    }
    if (step.removeOnUndo?.startsWith('/etc/') && (!m || step.removeOnUndo !== `/etc/netns/${m[1]}`)) {
      problems.push({ where, reason: `undo would remove ${step.removeOnUndo}` });
    }
  } else if (step.kind === 'spawn') {
    checkArgv(step.argv, labNamespaces, where, problems);
    if (step.ready.kind === 'command') checkArgv(step.ready.argv, labNamespaces, `${where} readiness`, problems);
  }
}

/** All problems found (empty = the plan cannot reach outside the lab). */
export function findEscapes(plan: { readonly topology: LabTopology; readonly steps: readonly LabStep[] }): EscapeProblem[] {
  const labNamespaces = new Set(Object.values(plan.topology.namespaces).filter((n): n is string => n !== undefined));
  const problems: EscapeProblem[] = [];
  checkTopology(plan.topology, labNamespaces, problems);
  plan.steps.forEach((step, i) => checkStep(step, i, labNamespaces, problems));
  // A VM route must use a gateway on one of the VM's own lab links (so it ends in the host namespace).
  for (const route of plan.topology.routes) {
    if (isVmRole(route.role) && route.via) {
      const pair = plan.topology.veths.find((p) => p.a.role === route.role && p.a.dev === route.dev);
      const via = route.via;
      const v6 = via.includes(':');
      const peerSubnets = pair ? [...pair.a.addresses, ...pair.b.addresses].filter((cidr) => cidr.includes(':') === v6) : [];
      const dhcp = plan.topology.dhcpRoutes !== null;
      // IPv6 (the lab's /64 only): the gateway must share the link's prefix.
      const onLink = (cidr: string): boolean => (v6 ? cidr.split('/')[0]!.replace(/[^:]+$/, '') === via.replace(/[^:]+$/, '') : cidrContains(parseCidr(cidr), via));
      if (pair && !dhcp && (peerSubnets.length > 0 || v6) && !peerSubnets.some(onLink)) {
        problems.push({ where: `route ${route.to} in vm`, reason: `gateway ${route.via} is not on ${route.dev}'s lab subnet` });
      }
    }
  }
  return problems;
}

/** Throws ERR_LAB_ESCAPE listing every problem. */
export function assertNoEscape(plan: { readonly topology: LabTopology; readonly steps: readonly LabStep[] }): void {
  const problems = findEscapes(plan);
  if (problems.length > 0) {
    throw new LabError(
      'ERR_LAB_ESCAPE',
      `refusing a lab plan that could reach outside the lab namespaces:\n${problems.map((p) => `  - ${p.where}: ${p.reason}`).join('\n')}`,
    );
  }
}
