// The doctor's judgement as a pure function of gathered facts (no I/O): which route the VM uses for
// 169.254.169.254, whether it is the primary NIC and primary IP, proxies, and what a probe saw.
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import { cidrContains, parseCidr } from './lab-addressing.ts';

export interface RouteFact {
  readonly dst: string;
  readonly dev: string;
  readonly gateway?: string;
  readonly prefsrc?: string;
  readonly metric?: number;
  readonly scope?: string;
}

export interface ProbeFact {
  /** curl exit code: 0 ok, 6/7 connect failed, 28 timeout. */
  readonly exitCode: number;
  /** HTTP status, null when no response. */
  readonly status: number | null;
  readonly timeMs: number;
  readonly body: string;
  readonly error: string;
  /** The proxy the probe went through, null for a direct connection. */
  readonly proxy: string | null;
}

export interface DoctorFacts {
  readonly lab: { readonly name: string; readonly scenario: string; readonly fixed: boolean; readonly dhcp: boolean; readonly vm?: string } | null;
  /** What Azure expects: the primary NIC, its primary IP and the subnet gateway. */
  readonly primary: { readonly device: string; readonly ip: string; readonly gateway: string };
  /** Result of `ip route get 169.254.169.254` in the VM; `error` when there is no route. */
  readonly routeGet: { readonly ok: true; readonly route: RouteFact } | { readonly ok: false; readonly error: string };
  readonly routes: readonly RouteFact[];
  readonly neighbors: readonly { readonly dst: string; readonly dev: string; readonly lladdr?: string; readonly state: readonly string[] }[];
  readonly env: Readonly<Record<string, string>>;
  /** Probe as the app would do it (honouring the proxy variables). */
  readonly appProbe: ProbeFact;
  /** Probe bypassing any proxy; only when a proxy was in effect. */
  readonly directProbe: ProbeFact | null;
  /** The VM's resolver (absent where not gathered). */
  readonly dns?: DnsFact;
  /** nftables rules in the VM that DNAT/redirect 169.254.169.254 (a foreign responder or a node agent). */
  readonly imdsNat?: readonly string[];
}

export interface DnsFact {
  readonly nameservers: readonly string[];
  /** `timeout 2 getent hosts <name>.invalid`: 2 = not found (the resolver answered), 124 = no answer in 2 s. */
  readonly lookupExitCode: number;
  readonly lookupMs: number;
}

/** Docker Desktop's 403 (S7): the Azure SDKs match on this sentence to mean "no managed identity here". */
const DOCKER_DESKTOP_TEXT = /A socket operation was attempted to an unreachable network/;


export const DOCTOR_CAUSES = [
  'ok',
  'no-route',
  'wrong-interface',
  'wrong-source',
  'wrong-gateway',
  'link-local-capture',
  'proxy',
  'throttled',
  'transient',
  'http-error',
  'no-answer',
  'no-dns',
  'docker-desktop',
  'foreign-responder',
  'ipv6-only',
  'container-routed',
  'netpol-drop',
  'netpol-reject',
  'pod-agent-dnat',
] as const;
export type DoctorCause = (typeof DOCTOR_CAUSES)[number];

export interface DoctorFinding {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DoctorReport {
  readonly healthy: boolean;
  readonly cause: DoctorCause;
  readonly summary: string;
  readonly fix: string;
  readonly findings: readonly DoctorFinding[];
}

/** The proxy an HTTP client would use for http://169.254.169.254, or null (curl/requests semantics). */
export function effectiveProxy(env: Readonly<Record<string, string>>): string | null {
  const proxy = env.http_proxy || env.HTTP_PROXY || env.all_proxy || env.ALL_PROXY || '';
  if (proxy === '') return null;
  const noProxy = `${env.no_proxy ?? ''},${env.NO_PROXY ?? ''}`;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry === '*' || entry === IMDS_ADDRESS) return null;
    if (/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(entry)) {
      try {
        if (cidrContains(parseCidr(entry), IMDS_ADDRESS)) return null;
      } catch {
        // not a CIDR after all: ignore, as clients do
      }
    }
  }
  return proxy;
}

/** What kind of not-IMDS answered the probe, or null when the answer could be IMDS's. */
function foreignAnswer(p: ProbeFact): 'docker-desktop' | string | null {
  if (p.status === 403 && DOCKER_DESKTOP_TEXT.test(p.body)) return 'docker-desktop';
  if (p.status !== null && (/^\s*</.test(p.body) || (p.status === 200 && p.body.trim() === ''))) {
    const shape = /^\s*</.test(p.body) ? 'an HTML page' : p.body.trim() === '' ? 'an empty body' : `"${p.body.trim().slice(0, 60)}"`;
    return `HTTP ${p.status} with ${shape}`;
  }
  // curl 1/8/35/52/56: the server spoke no HTTP (e.g. TLS on port 80) or hung up without an answer.
  if (p.status === null && [1, 8, 35, 52, 56].includes(p.exitCode)) return `no HTTP answer (curl exit ${p.exitCode}: ${p.error})`;
  return null;
}

/** One line for a probe: status and time, or why it failed, and whether it went through a proxy. */
export function describeProbe(p: ProbeFact): string {
  const how = p.proxy ? `through proxy ${p.proxy}` : 'direct';
  if (p.status !== null) return `HTTP ${p.status} in ${p.timeMs} ms (${how})`;
  const reason = p.exitCode === 28 ? 'timed out' : p.exitCode === 7 ? 'could not connect' : `failed (curl exit ${p.exitCode})`;
  return `${reason} after ${p.timeMs} ms (${how})${p.error ? `: ${p.error}` : ''}`;
}

function routeCause(f: DoctorFacts, findings: DoctorFinding[]): { cause: DoctorCause; summary: string; fix: string } | null {
  const p = f.primary;
  const pin = `ip route replace ${IMDS_ADDRESS}/32 via ${p.gateway} dev ${p.device}`;
  if (!f.routeGet.ok) {
    findings.push({ check: 'route to 169.254.169.254', ok: false, detail: f.routeGet.error });
    if (f.routes.length === 0) {
      // Not even a connected IPv4 subnet: the VM has no IPv4 address (S21).
      return {
        cause: 'ipv6-only',
        summary: `The VM has no IPv4 address or route at all (IPv6 only); IMDS exists only at the IPv4 address ${IMDS_ADDRESS}, so connections fail at once with "Network is unreachable".`,
        fix: `Run dual-stack: give ${p.device} its IPv4 address (${p.ip}) and Azure's routes (ip route add ${IMDS_ADDRESS}/32 via ${p.gateway} dev ${p.device}).`,
      };
    }
    const dhcp = f.lab?.dhcp ? ' The DHCP lease (option 121) did not include it.' : '';
    return {
      cause: 'no-route',
      summary: `The VM has no route to ${IMDS_ADDRESS}: connections fail at once with "Network is unreachable".${dhcp}`,
      fix: `ip route add ${IMDS_ADDRESS}/32 via ${p.gateway} dev ${p.device}`,
    };
  }
  const r = f.routeGet.route;
  findings.push({
    check: 'route to 169.254.169.254',
    ok: true,
    detail: `dev ${r.dev}${r.gateway ? ` via ${r.gateway}` : ' (on-link, no gateway)'}${r.prefsrc ? ` src ${r.prefsrc}` : ''}`,
  });
  const linkLocal = f.routes.find((route) => route.dev === r.dev && /^169\.254\.\d+\.\d+\/(1[6-9]|2\d|3[01])$/.test(route.dst));
  if (r.dev !== p.device && !r.gateway && linkLocal) {
    findings.push({ check: 'outgoing interface is the primary NIC', ok: false, detail: `${r.dev} has the on-link route ${linkLocal.dst}, which captures ${IMDS_ADDRESS}` });
    return {
      cause: 'link-local-capture',
      summary: `The on-link route ${linkLocal.dst} on ${r.dev} (a cluster or IPv4LL adapter) captures ${IMDS_ADDRESS}: the VM ARPs for it on ${r.dev}, nothing answers, requests hang and then fail with "No route to host".`,
      fix: `ip route add ${IMDS_ADDRESS}/32 via ${p.gateway} dev ${p.device} metric 1`,
    };
  }
  if (r.dev !== p.device) {
    findings.push({ check: 'outgoing interface is the primary NIC', ok: false, detail: `${r.dev}, expected ${p.device}` });
    return {
      cause: 'wrong-interface',
      summary: `Requests to ${IMDS_ADDRESS} leave through ${r.dev}, not the primary NIC ${p.device}; IMDS only answers the primary NIC's primary IP and silently drops the rest, so requests time out.`,
      fix: pin,
    };
  }
  findings.push({ check: 'outgoing interface is the primary NIC', ok: true, detail: r.dev });
  if (r.prefsrc && r.prefsrc !== p.ip) {
    findings.push({ check: 'source is the primary IP', ok: false, detail: `${r.prefsrc}, expected ${p.ip}` });
    return {
      cause: 'wrong-source',
      summary: `Requests leave ${p.device} from ${r.prefsrc}, a secondary IP; IMDS only answers the primary IP ${p.ip}, so requests time out.`,
      fix: `${pin} src ${p.ip}`,
    };
  }
  findings.push({ check: 'source is the primary IP', ok: true, detail: r.prefsrc ?? p.ip });
  if (r.gateway !== p.gateway) {
    const neighbor = f.neighbors.find((n) => n.dst === r.gateway && n.dev === r.dev);
    const arp = neighbor ? ` (neighbour ${neighbor.lladdr ?? 'no MAC'}, ${neighbor.state.join(',') || 'unknown'})` : '';
    findings.push({ check: 'gateway is the subnet gateway', ok: false, detail: `${r.gateway ?? 'none (on-link)'}${arp}, expected ${p.gateway}` });
    return {
      cause: 'wrong-gateway',
      summary: `Requests to ${IMDS_ADDRESS} go via ${r.gateway ?? 'no gateway'} instead of the subnet gateway ${p.gateway}${arp}; nothing forwards them, so they disappear and the client times out.`,
      fix: `${pin}   (and: ip route replace default via ${p.gateway} dev ${p.device})`,
    };
  }
  findings.push({ check: 'gateway is the subnet gateway', ok: true, detail: p.gateway });
  return null;
}

export function analyzeDoctorFacts(f: DoctorFacts): DoctorReport {
  const findings: DoctorFinding[] = [];
  const routeProblem = routeCause(f, findings);
  const proxy = effectiveProxy(f.env);
  const proxyVars = ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'].filter((k) => f.env[k] !== undefined);
  findings.push({
    check: 'no proxy for 169.254.169.254',
    ok: proxy === null,
    detail: proxy ? `requests go through ${proxy} (${proxyVars.map((k) => `${k}=${f.env[k]}`).join(' ')})` : proxyVars.length ? `bypassed (${proxyVars.map((k) => `${k}=${f.env[k]}`).join(' ')})` : 'no proxy variables',
  });
  findings.push({ check: 'probe as the app', ok: f.appProbe.status === 200, detail: describeProbe(f.appProbe) });
  if (f.directProbe) findings.push({ check: 'probe bypassing the proxy', ok: f.directProbe.status === 200, detail: describeProbe(f.directProbe) });
  const done = (cause: DoctorCause, summary: string, fix: string): DoctorReport => ({ healthy: cause === 'ok', cause, summary, fix, findings });

  if (routeProblem) return done(routeProblem.cause, routeProblem.summary, routeProblem.fix);
  const app = f.appProbe;
  const nat = f.imdsNat ?? [];
  if (nat.length > 0) findings.push({ check: 'nothing in the VM rewrites 169.254.169.254', ok: false, detail: nat.join('; ') });
  const foreign = foreignAnswer(app);
  if (!effectiveProxy(f.env) && foreign) {
    const via = nat.length > 0 ? ` An nftables rule in the VM sends it elsewhere: ${nat[0]}.` : '';
    if (foreign === 'docker-desktop') {
      return done(
        'docker-desktop',
        `Not IMDS: the answer is Docker Desktop's own 403 "… ${app.body.trim().slice(-70)}" — the request never left the container host (there is no IMDS outside Azure).${via}`,
        `In the client, treat a 403 whose body says "unreachable network" as "no managed identity here" and use the next credential (the Azure SDKs do); run on an Azure VM for IMDS.${nat.length > 0 ? ' In the lab: nft delete table ip imds_lab_foreign.' : ''}`,
      );
    }
    return done(
      'foreign-responder',
      `Something that is not IMDS answers for ${IMDS_ADDRESS}: ${foreign}.${via}`,
      `Remove what intercepts ${IMDS_ADDRESS}:80${nat.length > 0 ? ' (nft delete table ip imds_lab_foreign)' : ''}; in clients, check the answer's format before treating IMDS as available.`,
    );
  }
  if (proxy && (app.status !== 200 || (f.directProbe?.status === 200 && app.status === 200))) {
    const result = app.status !== null ? `answered ${app.status}${app.body ? ` ${app.body.trim().slice(0, 80)}` : ''}` : describeProbe(app);
    const appVmId = app.body.trim();
    const ownVmId = f.directProbe?.body.trim() ?? '';
    if (app.status === 200 && f.directProbe?.status === 200 && appVmId !== ownVmId) {
      // proxy-vm: a proxy without X-Forwarded-For on another VM; IMDS answers as THAT VM.
      return done(
        'proxy',
        `The app's environment sends IMDS requests through the proxy ${proxy}, which adds no X-Forwarded-For: IMDS answers as the proxy's VM. Through the proxy the app gets vmId ${appVmId}, but this VM is ${ownVmId}: the app silently receives another VM's metadata and managed-identity tokens.`,
        `Bypass the proxy for the metadata address: NO_PROXY=${IMDS_ADDRESS} and no_proxy=${IMDS_ADDRESS} (curl: --noproxy '*').`,
      );
    }
    return done(
      'proxy',
      `The app's environment sends IMDS requests through the proxy ${proxy}; IMDS does not support proxies (a forwarding proxy adds X-Forwarded-For, which IMDS rejects with 403). Through the proxy the request ${result}.`,
      `Bypass the proxy for the metadata address: NO_PROXY=${IMDS_ADDRESS} and no_proxy=${IMDS_ADDRESS} (curl: --noproxy '*').`,
    );
  }
  if (f.dns) {
    const d = f.dns;
    const stalled = d.lookupExitCode === 124;
    findings.push({
      check: 'name lookups answer',
      ok: !stalled,
      detail: `${stalled ? 'no answer within 2 s' : `answered in ${d.lookupMs} ms`} (nameserver ${d.nameservers.join(', ') || 'none'})`,
    });
    if (stalled && app.status === 200) {
      return done(
        'no-dns',
        `IMDS answers, but the resolver ${d.nameservers.join(', ') || '(none in resolv.conf)'} does not: every name lookup waits the resolver timeout (5 s per try), so token flows and the CA Issuers download stall.`,
        'Point resolv.conf at Azure DNS 168.63.129.16 and make sure UDP/TCP 53 to it is not blocked (restore systemd-resolved or the virtual network DNS setting).',
      );
    }
  }
  if (app.status === 200) return done('ok', `IMDS answers: ${describeProbe(app)}. Route via ${f.primary.device} and ${f.primary.gateway} from ${f.primary.ip}.`, 'Nothing to fix.');
  if (app.status === 429) {
    return done('throttled', `IMDS answered 429 Too Many Requests: the VM exceeded the rate limit (5 requests/s; identity 20/s and 5 concurrent).`, 'Retry 429 with exponential backoff and avoid request bursts (cache tokens and metadata).');
  }
  if (app.status === 410 || (app.status !== null && app.status >= 500)) {
    return done('transient', `IMDS answered ${app.status}: it is updating or briefly failing.`, 'Retry 410 for up to 70 s and 5xx with exponential backoff (cloud-init retries 404, 410, 429 and 500).');
  }
  if (app.status !== null) return done('http-error', `IMDS answered ${app.status}${app.body ? `: ${app.body.trim().slice(0, 120)}` : ''}.`, 'Check the request: Metadata: true header, api-version, path.');
  return done(
    'no-answer',
    `The route looks right, but the probe ${describeProbe(app)}. Is the responder running (imds-lab status)?`,
    'Check imds-lab status; restart the lab with imds-lab up.',
  );
}
