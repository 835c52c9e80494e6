// Gathers the doctor's facts from inside the VM namespace: `ip -j route get/show`, neighbours, and a probe
// with curl (Metadata header, short timeout) under the scenario's environment.
import type { DnsFact, DoctorFacts, ProbeFact, RouteFact } from './doctor-analysis.ts';
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import { effectiveProxy } from './doctor-analysis.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import { findLabVm, type LabState } from './lab-state.ts';
import { parseNftRuleset, type NftRule, type NftRuleset } from './nft-ruleset.ts';

export const PROBE_URL = `http://${IMDS_ADDRESS}/metadata/instance/compute/vmId?api-version=2021-02-01&format=text`;

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toRoute(r: Record<string, unknown>): RouteFact {
  const route: { -readonly [K in keyof RouteFact]: RouteFact[K] } = { dst: String(r.dst ?? ''), dev: String(r.dev ?? '') };
  if (typeof r.gateway === 'string') route.gateway = r.gateway;
  if (typeof r.prefsrc === 'string') route.prefsrc = r.prefsrc;
  if (typeof r.metric === 'number') route.metric = r.metric;
  if (typeof r.scope === 'string') route.scope = r.scope;
  return route;
}

/** curl in the VM namespace; `bypassProxy` adds --noproxy '*'. */
export async function probeImds(
  runner: LabRunner,
  vmNamespace: string,
  env: Readonly<Record<string, string>>,
  options: { readonly bypassProxy: boolean; readonly timeoutSeconds: number; readonly url?: string },
): Promise<ProbeFact> {
  const argv = ['ip', 'netns', 'exec', vmNamespace, 'curl', '-sS', '-m', String(options.timeoutSeconds), '-H', 'Metadata: true'];
  if (options.bypassProxy) argv.push('--noproxy', '*');
  argv.push('-w', '\n%{http_code}', options.url ?? PROBE_URL);
  const start = runner.now();
  const result = await runner.run(argv, { env, timeoutMs: (options.timeoutSeconds + 5) * 1000 });
  const timeMs = Math.round(runner.now() - start);
  const cut = result.stdout.lastIndexOf('\n');
  const code = Number(result.stdout.slice(cut + 1));
  return {
    exitCode: result.code,
    status: Number.isInteger(code) && code > 0 ? code : null,
    timeMs,
    body: cut >= 0 ? result.stdout.slice(0, cut) : '',
    error: result.stderr.trim().replace(/^curl: \(\d+\) /, ''),
    proxy: options.bypassProxy ? null : effectiveProxy(env),
  };
}

/** The VM the doctor looks from: its namespace and what Azure expects of it (primary NIC, primary IP, gateway). */
export interface DoctorTarget {
  readonly vm: string;
  readonly namespace: string;
  readonly primary: DoctorFacts['primary'];
}

/** VM 0 (the scenario's VM) by default, or another VM of a scale set by name; every VM's primary NIC is on VM 0's primary subnet. */
export function doctorTarget(state: LabState, vmName?: string): DoctorTarget {
  const vm = findLabVm(state, vmName);
  const nic0 = state.nics[0]!;
  return { vm: vm.name, namespace: vm.namespace, primary: { device: nic0.device, ip: vm.ip, gateway: nic0.gateway } };
}

/** `env` is what programs in the VM see: the caller's environment plus the scenario's (VM 0's only). */
export async function gatherDoctorFacts(
  runner: LabRunner,
  state: LabState,
  env: Readonly<Record<string, string>>,
  target: DoctorTarget = doctorTarget(state),
): Promise<DoctorFacts> {
  const vm = target.namespace;
  const proxy = effectiveProxy(env);
  const [routeFacts, appProbe, directProbe, dns, nat] = await Promise.all([
    gatherRouteFacts(runner, vm),
    probeImds(runner, vm, env, { bypassProxy: false, timeoutSeconds: 2 }),
    proxy ? probeImds(runner, vm, env, { bypassProxy: true, timeoutSeconds: 2 }) : Promise.resolve(null),
    gatherDnsFact(runner, vm),
    gatherNftRuleset(runner, vm),
  ]);
  // A rule on the prerouting hook never sees the VM's own requests (only forwarded ones, e.g. a container's).
  const hookOf = (r: NftRule): string | undefined => nat.chains.find((c) => c.family === r.family && c.table === r.table && c.name === r.chain)?.hook;
  return {
    dns,
    imdsNat: nat.rules.filter((r) => hookOf(r) !== 'prerouting' && r.text.includes(IMDS_ADDRESS) && /\b(dnat|redirect)\b/.test(r.text)).map((r) => r.text),
    lab: { name: state.name, scenario: state.scenario, fixed: state.fixed, dhcp: state.dhcp, vm: target.vm },
    primary: target.primary,
    ...routeFacts,
    env: Object.fromEntries(
      ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'].filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]),
    ),
    appProbe,
    directProbe,
  };
}

/** The namespace's nftables ruleset (`nft -j` for the structure, `nft -a` for each rule's text). */
export async function gatherNftRuleset(runner: LabRunner, namespace: string): Promise<NftRuleset> {
  const [json, listing] = await Promise.all([
    runner.run(['ip', 'netns', 'exec', namespace, 'nft', '-j', 'list', 'ruleset']),
    runner.run(['ip', 'netns', 'exec', namespace, 'nft', '-a', 'list', 'ruleset']),
  ]);
  if (json.code !== 0) return { chains: [], rules: [], error: `nft -j list ruleset exited ${json.code}: ${json.stderr.trim()}` };
  return parseNftRuleset(json.stdout, listing.stdout);
}

/** The VM's resolver: its resolv.conf nameservers and how a lookup of a name that does not exist fares (2 s cap). */
export async function gatherDnsFact(runner: LabRunner, vm: string): Promise<DnsFact> {
  const conf = await runner.run(['ip', 'netns', 'exec', vm, 'cat', '/etc/resolv.conf']);
  const nameservers = [...conf.stdout.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  const start = runner.now();
  const lookup = await runner.run(['ip', 'netns', 'exec', vm, 'timeout', '2', 'getent', 'hosts', 'imds-lab-doctor.invalid'], { timeoutMs: 5000 });
  return { nameservers, lookupExitCode: lookup.code, lookupMs: Math.round(runner.now() - start) };
}

/** `ip -j route get ARGS` in a namespace: the route the kernel picks, or its error in words. */
export async function gatherRouteGet(runner: LabRunner, namespace: string, args: readonly string[]): Promise<DoctorFacts['routeGet']> {
  const get = await runner.run(['ip', '-n', namespace, '-j', 'route', 'get', ...args]);
  const got = parseJson<Record<string, unknown>[]>(get.stdout, []);
  return get.code === 0 && got[0]
    ? { ok: true, route: toRoute(got[0]) }
    : { ok: false, error: get.stderr.trim().replace(/^RTNETLINK answers: /, '') || `ip route get exited ${get.code}` };
}

/** The VM's routing facts only (no probe, so no traffic): route for 169.254.169.254, route table, neighbours. */
export async function gatherRouteFacts(runner: LabRunner, vm: string): Promise<Pick<DoctorFacts, 'routeGet' | 'routes' | 'neighbors'>> {
  const [routeGet, routes, neighbors] = await Promise.all([
    gatherRouteGet(runner, vm, [IMDS_ADDRESS]),
    runner.run(['ip', '-n', vm, '-j', 'route', 'show']),
    runner.run(['ip', '-n', vm, '-j', 'neigh', 'show']),
  ]);
  return {
    routeGet,
    routes: parseJson<Record<string, unknown>[]>(routes.stdout, []).map(toRoute),
    neighbors: parseJson<Record<string, unknown>[]>(neighbors.stdout, []).map((n) => {
      const entry: { dst: string; dev: string; lladdr?: string; state: string[] } = {
        dst: String(n.dst ?? ''),
        dev: String(n.dev ?? ''),
        state: Array.isArray(n.state) ? n.state.map(String) : [],
      };
      if (typeof n.lladdr === 'string') entry.lladdr = n.lladdr;
      return entry;
    }),
  };
}
