// GET /metadata/loadbalancer (imds-spec §9): the Standard-LB document with keys in the documented order and
// ports as JSON numbers; a VM without one answers the captured 404 (E17, byte-exact).
import { INSTANCE_BODIES, INSTANCE_ENDPOINT_BODIES } from '../http/error-bodies.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest, ImdsResponse } from '../http/imds-request.ts';
import type { LoadBalancerProfile } from '../config/vm-profile.ts';
import type { ImdsContext } from './imds-context.ts';

/** First api-version with the load-balancer category (imds-spec §3.1). */
export const LOADBALANCER_MIN_API_VERSION = '2020-10-01';


export function renderLoadBalancer(lb: LoadBalancerProfile): string {
  return JSON.stringify({
    loadbalancer: {
      publicIpAddresses: lb.publicIpAddresses.map((p) => ({ frontendIpAddress: p.frontendIpAddress, privateIpAddress: p.privateIpAddress })),
      inboundRules: lb.inboundRules.map((r) => ({
        frontendIpAddress: r.frontendIpAddress,
        protocol: r.protocol,
        frontendPort: Number(r.frontendPort),
        backendPort: Number(r.backendPort),
        privateIpAddress: r.privateIpAddress,
      })),
      outboundRules: lb.outboundRules.map((o) => ({ frontendIpAddress: o.frontendIpAddress, privateIpAddress: o.privateIpAddress })),
    },
  });
}

export function handleLoadBalancer(request: ImdsRequest, ctx: ImdsContext): ImdsResponse {
  if (request.apiVersion !== undefined && request.apiVersion < LOADBALANCER_MIN_API_VERSION) {
    // An accepted api-version older than the category: Azure's answer is unknown (imds-spec §16 Q7); like the
    // attested handler we answer 404 {"error":"Not found"}, a path that version does not have.
    throw new HttpError(404, INSTANCE_BODIES['not-found'], { rule: 'loadbalancer-version-floor' });
  }
  const lb = ctx.profile().loadBalancer;
  if (!lb) throw new HttpError(404, INSTANCE_ENDPOINT_BODIES.noLoadBalancer, { rule: 'loadbalancer-none' });
  return { status: 200, body: renderLoadBalancer(lb) };
}
