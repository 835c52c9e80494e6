// Route selection as the kernel does it for one destination (longest prefix, then lowest metric), and the
// documented fix applied to a VM's route table (`ip route replace` semantics), to predict the --fixed path.
import { cidrContains, parseCidr } from '../lab/lab-addressing.ts';
import type { RouteFact } from '../lab/doctor-analysis.ts';

/** A route as the doctor gathers it (`ip -j route`). */
export type PathRoute = RouteFact;

/** `default` -> 0.0.0.0/0, a bare address (as `ip -j route` prints a /32) -> address/32. */
export function normalizeDestination(dst: string): string {
  if (dst === 'default') return '0.0.0.0/0';
  return dst.includes('/') ? dst : `${dst}/32`;
}

function matches(route: PathRoute, address: string): number | null {
  try {
    const cidr = parseCidr(normalizeDestination(route.dst));
    return cidr.prefix === 0 || cidrContains(cidr, address) ? cidr.prefix : null;
  } catch {
    return null;
  }
}

/** The route the kernel picks for `address` in one table: longest prefix, then lowest metric, then first listed. */
export function selectRoute(routes: readonly PathRoute[], address: string): PathRoute | null {
  let best: { route: PathRoute; prefix: number; metric: number } | null = null;
  for (const route of routes) {
    const prefix = matches(route, address);
    if (prefix === null) continue;
    const metric = route.metric ?? 0;
    if (!best || prefix > best.prefix || (prefix === best.prefix && metric < best.metric)) best = { route, prefix, metric };
  }
  if (!best) return null;
  const { route } = best;
  if (route.prefsrc !== undefined) return route;
  // The source of a route without one: the address of the connected route on the same device.
  const link = routes.find((r) => r.dev === route.dev && r.prefsrc !== undefined && r.scope === 'link');
  return link?.prefsrc !== undefined ? { ...route, prefsrc: link.prefsrc } : route;
}

export interface FixRoute {
  readonly to: string;
  readonly dev: string;
  readonly via?: string;
  readonly src?: string;
  readonly metric?: number;
}

/** The table after `ip route replace` of each fix route: same destination and metric is replaced, else added. */
export function applyFixRoutes(routes: readonly PathRoute[], fix: readonly FixRoute[]): PathRoute[] {
  const out = [...routes];
  for (const f of fix) {
    const route: { -readonly [K in keyof PathRoute]: PathRoute[K] } = { dst: f.to.endsWith('/32') ? f.to.slice(0, -3) : f.to, dev: f.dev };
    if (f.via !== undefined) route.gateway = f.via;
    if (f.src !== undefined) route.prefsrc = f.src;
    if (f.metric !== undefined) route.metric = f.metric;
    const same = out.findIndex((r) => normalizeDestination(r.dst) === normalizeDestination(f.to) && (r.metric ?? 0) === (f.metric ?? 0));
    if (same >= 0) out[same] = route;
    else out.push(route);
  }
  return out;
}
