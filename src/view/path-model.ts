// The path view model (pure): a VM's interfaces, routes and proxy variables -> the route the kernel picks
// for 169.254.169.254, the hops a request takes (app, NIC, gateway or ARP, proxy, responder) and where it stops.
import { effectiveProxy } from '../lab/doctor-analysis.ts';
import { IMDS_ADDRESS as IMDS } from '../util/ipv4-address.ts';
import { applyFixRoutes, type FixRoute, normalizeDestination, type PathRoute, selectRoute } from './route-select.ts';

export interface PathInterface {
  readonly device: string;
  /** Addresses with prefix, e.g. 10.1.0.4/24; the first is the interface's primary address. */
  readonly addresses: readonly string[];
  /** The subnet gateway (in the host namespace), null for an adapter without one (a cluster adapter). */
  readonly gateway: string | null;
  readonly role: 'primary' | 'secondary' | 'cluster';
}

/** What the view needs to know about one VM (a subset of the doctor's facts plus the lab's interfaces). */
export interface PathFacts {
  readonly lab: string;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly vmNamespace: string;
  readonly capture: string;
  readonly primary: { readonly device: string; readonly ip: string; readonly gateway: string };
  readonly interfaces: readonly PathInterface[];
  readonly routes: readonly PathRoute[];
  /** `ip route get 169.254.169.254`, or an error; null to compute it from `routes`. */
  readonly routeGet: { readonly ok: true; readonly route: PathRoute } | { readonly ok: false; readonly error: string } | null;
  readonly env: Readonly<Record<string, string>>;
  /** The lab's HTTP proxy and whether it adds X-Forwarded-For. */
  readonly proxy: { readonly ip: string; readonly port: number; readonly forwardedFor: boolean } | null;
}

/** What a request actually got (doctor probe or a captured exchange), when known. */
export interface PathObservation {
  readonly status: number | null;
  readonly text: string;
}

export type HopKind = 'app' | 'nic' | 'gateway' | 'arp' | 'proxy' | 'responder';

export interface PathHop {
  readonly kind: HopKind;
  readonly label: string;
  readonly detail: string;
}

export type StopKind = 'no-route' | 'arp-unanswered' | 'wrong-gateway' | 'source-dropped' | 'proxy-forwarded-for' | 'proxy-other-vm' | 'answered' | 'http-error' | 'no-answer';

export interface PathView {
  readonly caption: string;
  /** True when the path is computed from the fix rather than observed in a running lab. */
  readonly predicted: boolean;
  readonly vmNamespace: string;
  readonly primary: PathFacts['primary'];
  readonly capture: string;
  readonly interfaces: readonly (PathInterface & { readonly chosen: boolean })[];
  readonly routes: readonly (PathRoute & { readonly chosen: boolean })[];
  /** The route for 169.254.169.254, null when there is none. */
  readonly chosen: { readonly dev: string; readonly gateway: string | null; readonly src: string | null } | null;
  /** The proxy the app uses for http://169.254.169.254 (from its environment), null for direct. */
  readonly proxy: { readonly url: string; readonly forwardedFor: boolean | null } | null;
  /** The hops the request takes, in order; the last one is where it stops or is answered. */
  readonly hops: readonly PathHop[];
  readonly stop: { readonly kind: StopKind; readonly ok: boolean; readonly title: string; readonly detail: string };
}

function stripPrefix(address: string): string {
  return address.split('/')[0]!;
}

function routeFor(f: PathFacts): PathRoute | null {
  if (f.routeGet) return f.routeGet.ok ? f.routeGet.route : null;
  return selectRoute(f.routes, IMDS);
}

function sameRoute(a: PathRoute, b: PathRoute): boolean {
  return normalizeDestination(a.dst) === normalizeDestination(b.dst) && a.dev === b.dev && (a.gateway ?? '') === (b.gateway ?? '') && (a.metric ?? 0) === (b.metric ?? 0);
}

function statusStop(observed: PathObservation | null, responder: string): PathView['stop'] {
  if (!observed) return { kind: 'answered', ok: true, title: `${responder} answers`, detail: 'Primary NIC, primary IP, subnet gateway, no proxy: IMDS accepts the connection and answers.' };
  if (observed.status === 200) return { kind: 'answered', ok: true, title: `${responder} answers 200`, detail: observed.text };
  if (observed.status !== null) return { kind: 'http-error', ok: false, title: `${responder} answers ${observed.status}`, detail: observed.text };
  return { kind: 'no-answer', ok: false, title: 'no answer', detail: observed.text };
}

/** The path of a request from the app to IMDS, where it stops and why. */
export function buildPathView(f: PathFacts, options: { readonly caption: string; readonly predicted: boolean; readonly observed?: PathObservation | null }): PathView {
  const observed = options.observed ?? null;
  const chosenRoute = routeFor(f);
  // `ip route get` names the destination, not the table entry: find the entry for the table's highlight.
  const selected = selectRoute(f.routes, IMDS);
  const tableRoute = chosenRoute && selected && selected.dev === chosenRoute.dev && (selected.gateway ?? '') === (chosenRoute.gateway ?? '') ? selected : null;
  const proxyUrl = effectiveProxy(f.env);
  const responder = `IMDS ${IMDS}`;
  const app: PathHop = { kind: 'app', label: 'app in the VM', detail: `${f.vmNamespace}, connects to ${proxyUrl ? proxyUrl : `${IMDS}:80`}` };
  const hops: PathHop[] = [app];
  let stop: PathView['stop'];
  let usedDev: string | null = null;
  let highlight: PathRoute | null = tableRoute;
  const nicHop = (dev: string, src: string | null): PathHop => {
    const nic = f.interfaces.find((i) => i.device === dev);
    const role = nic ? (nic.role === 'primary' ? 'primary NIC' : nic.role === 'secondary' ? 'secondary NIC' : 'cluster adapter') : 'interface';
    return { kind: 'nic', label: dev, detail: `${role}${src ? `, source ${src}` : ''}` };
  };
  const responderHop: PathHop = { kind: 'responder', label: responder, detail: `host namespace, ${f.capture === 'socket' ? 'kernel socket on lo' : 'TUN imds0 and the userspace TCP stack'}` };

  if (proxyUrl) {
    // The app talks to the proxy, not to 169.254.169.254; the proxy's own connection reaches IMDS.
    let proxyHost = '';
    try {
      proxyHost = new URL(proxyUrl).hostname;
    } catch {
      proxyHost = '';
    }
    const toProxy = selectRoute(f.routes, proxyHost) ?? chosenRoute;
    highlight = toProxy;
    if (toProxy) {
      usedDev = toProxy.dev;
      hops.push(nicHop(toProxy.dev, toProxy.prefsrc ?? null));
      if (toProxy.gateway) hops.push({ kind: 'gateway', label: toProxy.gateway, detail: 'gateway (host namespace forwards)' });
    }
    const forwardedFor = f.proxy && f.proxy.ip === proxyHost ? f.proxy.forwardedFor : null;
    hops.push({ kind: 'proxy', label: `proxy ${proxyHost || proxyUrl}`, detail: forwardedFor ? 'forwards, adds X-Forwarded-For' : forwardedFor === false ? 'forwards from its own address, no X-Forwarded-For' : 'forwards the request' });
    hops.push(responderHop);
    if (forwardedFor === false && (observed === null || observed.status === 200)) {
      stop = { kind: 'proxy-other-vm', ok: false, title: `${responder} answers the proxy's VM`, detail: `IMDS sees the proxy's address, so the app receives the proxy's VM's metadata and tokens.${observed ? ` ${observed.text}` : ''}` };
    } else if (observed && observed.status !== 403) {
      stop = statusStop(observed, responder);
    } else {
      stop = { kind: 'proxy-forwarded-for', ok: false, title: `${responder} answers 403`, detail: `IMDS rejects requests that carry X-Forwarded-For (a proxy forwarded them).${observed ? ` ${observed.text}` : ''}` };
    }
  } else if (!chosenRoute) {
    const error = f.routeGet && !f.routeGet.ok ? f.routeGet.error : 'no matching route';
    stop = { kind: 'no-route', ok: false, title: 'no route', detail: `The kernel has no route to ${IMDS} (${error}): connect() fails at once with "Network is unreachable".` };
  } else {
    usedDev = chosenRoute.dev;
    const src = chosenRoute.prefsrc ?? null;
    hops.push(nicHop(chosenRoute.dev, src));
    const nic = f.interfaces.find((i) => i.device === chosenRoute.dev);
    if (!chosenRoute.gateway) {
      hops.push({ kind: 'arp', label: `ARP who-has ${IMDS}`, detail: `on-link on ${chosenRoute.dev}: nothing answers` });
      stop = { kind: 'arp-unanswered', ok: false, title: 'ARP unanswered', detail: `The on-link route ${tableRoute ? `${tableRoute.dst} ` : ''}on ${chosenRoute.dev} sends the VM ARPing for ${IMDS} on that link; nothing answers, the connection hangs and fails with "No route to host".` };
    } else if (nic && nic.gateway !== null && chosenRoute.gateway !== nic.gateway) {
      hops.push({ kind: 'gateway', label: chosenRoute.gateway, detail: `not the subnet gateway ${nic.gateway}` });
      stop = { kind: 'wrong-gateway', ok: false, title: 'wrong gateway', detail: `The route goes via ${chosenRoute.gateway} instead of the subnet gateway ${nic.gateway}; nothing forwards the packets, so the client times out.` };
    } else {
      hops.push({ kind: 'gateway', label: chosenRoute.gateway, detail: 'subnet gateway (host namespace)' });
      hops.push(responderHop);
      const source = src ?? (nic ? stripPrefix(nic.addresses[0] ?? '') : null);
      if (chosenRoute.dev !== f.primary.device || (source !== null && source !== f.primary.ip)) {
        const what = chosenRoute.dev !== f.primary.device ? `through ${chosenRoute.dev}, not the primary NIC ${f.primary.device}` : `from ${source}, a secondary IP`;
        stop = { kind: 'source-dropped', ok: false, title: 'silently dropped', detail: `The request leaves ${what}; IMDS only answers the primary IP ${f.primary.ip} and drops everything else, so the client times out.` };
      } else {
        stop = statusStop(observed, responder);
      }
    }
  }
  return {
    caption: options.caption,
    predicted: options.predicted,
    vmNamespace: f.vmNamespace,
    primary: f.primary,
    capture: f.capture,
    interfaces: f.interfaces.map((i) => ({ ...i, chosen: i.device === usedDev })),
    routes: f.routes.map((r) => ({ ...r, chosen: highlight !== null && sameRoute(r, highlight) })),
    chosen: chosenRoute ? { dev: chosenRoute.dev, gateway: chosenRoute.gateway ?? null, src: chosenRoute.prefsrc ?? null } : null,
    proxy: proxyUrl ? { url: proxyUrl, forwardedFor: f.proxy ? f.proxy.forwardedFor : null } : null,
    hops,
    stop,
  };
}

/** The same VM after the scenario's documented fix (routes replaced, environment added), route re-selected. */
export function applyFix(f: PathFacts, fix: { readonly routes: readonly FixRoute[]; readonly env: Readonly<Record<string, string>> }): PathFacts {
  return { ...f, fixed: true, routes: applyFixRoutes(f.routes, fix.routes), routeGet: null, env: { ...f.env, ...fix.env } };
}
