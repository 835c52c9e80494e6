// The doctor's judgement of the container's path (S9), a pure function of gathered facts: the container's
// route, then what the VM's nftables rules do to its packet for 169.254.169.254:80 (DNAT, egress policy,
// SNAT) and which source IMDS therefore sees, checked against probes from the container.
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import { describeProbe, type DoctorCause, type DoctorFacts, type DoctorFinding, type DoctorReport, type ProbeFact, type RouteFact } from './doctor-analysis.ts';
import { evaluateHook, type NftPacket } from './nft-packet-path.ts';
import { describeRule, type NftRuleset } from './nft-ruleset.ts';

/** A TCP listener in the VM namespace (`ss -Htlnp`), with the command line of the process. */
export interface ListenerFact {
  readonly address: string;
  readonly port: number;
  readonly process: string;
  readonly pid: number | null;
  /** /proc/PID/cmdline, arguments joined by spaces ('' when unknown). */
  readonly cmdline: string;
}

export type RouteGetFact = DoctorFacts['routeGet'];

export interface ContainerFacts {
  /** The container's namespace (`<name>-ctr`). */
  readonly namespace: string;
  /** The container's address (the source of its requests). */
  readonly address: string;
  /** `ip route get 169.254.169.254` in the container. */
  readonly routeGet: RouteGetFact;
  /** The container's routes (its connected subnet names the source range to SNAT). */
  readonly routes: readonly RouteFact[];
  /** The VM's route back to the container: its device is the bridge the container's packets come in on. */
  readonly bridge: RouteGetFact;
  /** `ip route get 169.254.169.254 from <container> iif <bridge>` in the VM: where the VM forwards the request. */
  readonly forwardRoute: RouteGetFact;
  /** The VM's nftables ruleset. */
  readonly ruleset: NftRuleset;
  /** TCP listeners in the VM (who answers a DNAT to the node). */
  readonly listeners: readonly ListenerFact[];
  /** The metadata probe from the container (the app's environment). */
  readonly probe: ProbeFact;
  /** A managed-identity token request from the container (body kept only when it is not a token). */
  readonly tokenProbe: ProbeFact;
}

const TIMEOUT_EXIT = 28;

function routeDetail(r: RouteFact): string {
  return `dev ${r.dev}${r.gateway ? ` via ${r.gateway}` : ' (on-link)'}${r.prefsrc ? ` src ${r.prefsrc}` : ''}`;
}

/** The subnet the container's address is on (its connected route), for the masquerade rule. */
function containerSubnet(c: ContainerFacts): string {
  const connected = c.routes.find((r) => r.scope === 'link' && r.prefsrc === c.address && r.dst.includes('/'));
  return connected?.dst ?? `${c.address}/32`;
}

function shortBody(p: ProbeFact): string {
  const body = p.body.trim().replace(/\s+/g, ' ');
  return body ? ` "${body.length > 140 ? `${body.slice(0, 140)}…` : body}"` : '';
}

/** Who listens at addr:port in the VM (an exact address, or a wildcard one). */
function listenerAt(listeners: readonly ListenerFact[], addr: string, port: number): ListenerFact | undefined {
  return listeners.find((l) => l.port === port && l.address === addr) ?? listeners.find((l) => l.port === port && ['0.0.0.0', '*', '::', '[::]'].includes(l.address));
}

function describeListener(l: ListenerFact | undefined): string {
  if (!l) return 'nothing listens there';
  // The end of a command line names what runs (an interpreter's loader flags come first).
  const cmd = l.cmdline.length > 120 ? `…${l.cmdline.slice(-120)}` : l.cmdline;
  return `${l.process}${l.pid !== null ? ` (pid ${l.pid})` : ''}${cmd ? `: ${cmd}` : ''}`;
}

export function analyzeContainerFacts(c: ContainerFacts, primary: DoctorFacts['primary']): DoctorReport {
  const findings: DoctorFinding[] = [];
  const from = `the container (${c.namespace}, ${c.address})`;
  const done = (cause: DoctorCause, summary: string, fix: string): DoctorReport => ({ healthy: cause === 'ok', cause, summary, fix, findings });
  const probeFinding = (): void => {
    findings.push({ check: 'probe from the container', ok: c.probe.status === 200, detail: describeProbe(c.probe) });
  };

  if (!c.routeGet.ok) {
    findings.push({ check: 'container route to 169.254.169.254', ok: false, detail: c.routeGet.error });
    probeFinding();
    const gw = c.bridge.ok ? (c.bridge.route.prefsrc ?? 'the bridge address') : 'the bridge address';
    return done('no-route', `${from} has no route to ${IMDS_ADDRESS}: connections fail at once with "Network is unreachable".`, `ip netns exec ${c.namespace} ip route add default via ${gw}`);
  }
  findings.push({ check: 'container route to 169.254.169.254', ok: true, detail: routeDetail(c.routeGet.route) });
  if (c.ruleset.error) findings.push({ check: "the VM's nftables rules", ok: false, detail: c.ruleset.error });
  const bridge = c.bridge.ok ? c.bridge.route.dev : '';
  const packet: NftPacket = { iifname: bridge, saddr: c.address, daddr: IMDS_ADDRESS, protocol: 'tcp', dport: 80 };
  const notRead = (rules: readonly { handle: number }[]): string => (rules.length ? ` (${rules.length} rule(s) not evaluated: matches the doctor does not read)` : '');

  // 1. A DNAT in the VM's prerouting: the container talks to whatever listens there (aad-pod-identity NMI).
  const pre = evaluateHook(c.ruleset, 'prerouting', packet);
  if (pre.nat && (pre.nat.kind === 'dnat' || pre.nat.kind === 'redirect')) {
    const addr = pre.nat.addr ?? (c.bridge.ok ? (c.bridge.route.prefsrc ?? '') : '');
    const port = pre.nat.port ?? 80;
    const target = `${addr}:${port}`;
    const who = listenerAt(c.listeners, addr, port);
    const rule = pre.nat.rule;
    findings.push({ check: 'nothing rewrites 169.254.169.254:80', ok: false, detail: `${pre.nat.kind} to ${target} (${describeRule(rule)})` });
    findings.push({ check: `who answers at ${target}`, ok: false, detail: describeListener(who) });
    probeFinding();
    findings.push({ check: 'token request from the container', ok: c.tokenProbe.status === 200, detail: `${describeProbe(c.tokenProbe)}${c.tokenProbe.status !== 200 ? shortBody(c.tokenProbe) : ''}` });
    const token = c.tokenProbe.status !== null ? `answered ${c.tokenProbe.status}${shortBody(c.tokenProbe)}` : describeProbe(c.tokenProbe);
    const metadata = c.probe.status === 200 ? 'metadata requests get 200 (the agent passes them on to IMDS from the node)' : `a metadata request ${describeProbe(c.probe)}`;
    return done(
      'pod-agent-dnat',
      `The VM DNATs ${IMDS_ADDRESS}:80 from ${from} to ${target} (${rule.text}): the app talks to ${who ? 'what listens there on the node' : 'that address'}, not to IMDS (${describeListener(who)}). A token request from the container ${token}; ${metadata}. A node-local identity agent (aad-pod-identity's NMI) hands out tokens only to pods it has a binding for.`,
      `Give the pod an identity binding in the agent (aad-pod-identity: an AzureIdentityBinding matching the pod's aadpodidbinding label), or take the agent out of the path: nft delete rule ${rule.family} ${rule.table} ${rule.chain} handle ${rule.handle} (the container then reaches IMDS through the VM's MASQUERADE). Egress policies must allow ${target}, not ${IMDS_ADDRESS}.`,
    );
  }
  findings.push({ check: 'nothing rewrites 169.254.169.254:80', ok: true, detail: `no DNAT for ${c.address}${notRead(pre.unevaluated)}` });

  // 2. Where the VM forwards it.
  if (!c.forwardRoute.ok) {
    findings.push({ check: 'the VM forwards it', ok: false, detail: c.forwardRoute.error });
    probeFinding();
    return done(
      'no-route',
      `The VM has no route for requests from ${from} to ${IMDS_ADDRESS} (${c.forwardRoute.error}): they fail at once.`,
      `ip route add ${IMDS_ADDRESS}/32 via ${primary.gateway} dev ${primary.device}   (and: sysctl -w net.ipv4.ip_forward=1)`,
    );
  }
  const out = c.forwardRoute.route;
  findings.push({ check: 'the VM forwards it', ok: out.dev === primary.device, detail: `from ${bridge || '?'} out of ${routeDetail(out)}` });
  const forwarded: NftPacket = { ...packet, oifname: out.dev };

  // 3. The egress policy (forward hook).
  const fwd = evaluateHook(c.ruleset, 'forward', forwarded);
  const deciding = fwd.rule ? describeRule(fwd.rule) : fwd.policyChain ? `the policy of ${fwd.policyChain.family} ${fwd.policyChain.table} ${fwd.policyChain.name}` : '';
  findings.push({
    check: 'egress policy lets it through',
    ok: fwd.verdict === 'accept',
    detail: `${fwd.verdict === 'accept' ? (fwd.rule ? `accepted by ${deciding}` : 'no rule stops it') : `${fwd.verdict === 'drop' ? 'dropped' : 'rejected'} by ${deciding}`}${notRead(fwd.unevaluated)}`,
  });

  // 4. Source NAT (postrouting): which source IMDS sees.
  const post = evaluateHook(c.ruleset, 'postrouting', forwarded);
  const snat = post.nat && (post.nat.kind === 'masquerade' || post.nat.kind === 'snat') ? post.nat : null;
  const source = !snat ? c.address : snat.kind === 'snat' ? (snat.addr ?? '?') : out.dev === primary.device ? primary.ip : `the address of ${out.dev}`;
  findings.push({
    check: 'source IMDS sees is the primary IP',
    ok: source === primary.ip,
    detail: snat ? `${source} (${snat.kind}: ${describeRule(snat.rule)})` : `${c.address}: nothing SNATs it out of ${out.dev}${notRead(post.unevaluated)}, expected ${primary.ip}`,
  });
  probeFinding();
  const probeText = describeProbe(c.probe);

  if (c.probe.status === 200) {
    const how = snat ? `its ${snat.kind} rule (${describeRule(snat.rule)}) rewrites the source ${c.address} to the primary IP ${source}` : `its source is ${source}`;
    return done('ok', `IMDS answers ${from}: ${probeText}. The VM forwards its request out of ${out.dev} and ${how}, the only source IMDS answers.`, 'Nothing to fix.');
  }
  const allowFix = (verdict: string): string => {
    const where = fwd.rule ?? fwd.policyChain;
    const chain = fwd.rule ? `${fwd.rule.family} ${fwd.rule.table} ${fwd.rule.chain}` : fwd.policyChain ? `${fwd.policyChain.family} ${fwd.policyChain.table} ${fwd.policyChain.name}` : '';
    return `Allow ${IMDS_ADDRESS}/32 TCP 80 before the ${verdict}${where ? `: nft insert rule ${chain} iifname ${bridge} ip daddr ${IMDS_ADDRESS} tcp dport 80 accept` : ''} (in Kubernetes: an egress NetworkPolicy rule to ${IMDS_ADDRESS}/32 port 80).`;
  };
  if (fwd.verdict === 'drop') {
    return done(
      'netpol-drop',
      `An egress policy in the VM drops packets from ${from} to ${IMDS_ADDRESS} (${deciding}): the SYN never leaves the VM, so the client waits for its own timeout (probe from the container: ${probeText}). The VM's own requests are not affected.`,
      allowFix('drop'),
    );
  }
  if (fwd.verdict === 'reject') {
    return done(
      'netpol-reject',
      `An egress policy in the VM rejects connections from ${from} to ${IMDS_ADDRESS} (${deciding}): the VM answers the SYN itself with a TCP reset (ICMP admin-prohibited for other protocols), so the client fails with "Connection refused" instead of waiting (probe from the container: ${probeText}). The refusal comes from the VM, not from IMDS.`,
      allowFix('reject'),
    );
  }
  if (source !== primary.ip) {
    const natChain = c.ruleset.chains.find((ch) => ch.hook === 'postrouting' && ch.type === 'nat' && (ch.family === 'ip' || ch.family === 'inet'));
    const rule = `oifname ${out.dev} ip saddr ${containerSubnet(c)} masquerade`;
    const fix = natChain
      ? `nft add rule ${natChain.family} ${natChain.table} ${natChain.name} ${rule}`
      : `nft add table ip nat; nft add chain ip nat postrouting '{ type nat hook postrouting priority 100 ; }'; nft add rule ip nat postrouting ${rule}`;
    const silent = c.probe.exitCode === TIMEOUT_EXIT ? 'silently drops every other source, so the request times out' : 'drops every other source';
    return done(
      'container-routed',
      `The VM forwards the request from ${from} out of ${out.dev} with the source ${source} unchanged: nothing SNATs it (no masquerade or snat for ${c.address}, as with a routed CNI or an SNAT exception list that leaves ${IMDS_ADDRESS} out). IMDS answers only the VM's primary IP ${primary.ip} and ${silent} (probe from the container: ${probeText}).`,
      `SNAT the container's traffic to ${IMDS_ADDRESS} to the VM's primary IP: ${fix} (or the CNI's masquerade setting; ip-masq-agent must not list ${IMDS_ADDRESS} as a non-masquerade CIDR).`,
    );
  }
  if (c.probe.status !== null) return done('http-error', `From ${from}, IMDS answered ${c.probe.status}${shortBody(c.probe)}.`, 'Check the request: Metadata: true header, api-version, path.');
  return done(
    'no-answer',
    `From ${from}, the path looks right (forwarded out of ${out.dev}, source ${source}), but the probe ${probeText}.`,
    'Check imds-lab status; and the VM\'s firewall for rules the doctor cannot read (iptables-legacy, named sets).',
  );
}

/** The doctor's combined report for a lab with a container: the VM's path decides first (the container's traffic crosses it), then the container's. */
export interface CombinedDoctorReport extends DoctorReport {
  readonly container: DoctorReport;
}

export function combineDoctorReports(vm: DoctorReport, container: DoctorReport): CombinedDoctorReport {
  if (!vm.healthy) return { ...vm, summary: `${vm.summary} The container's requests leave through the VM too, so they fail the same way.`, container };
  return { healthy: container.healthy, cause: container.cause, summary: container.summary, fix: container.fix, findings: vm.findings, container };
}
