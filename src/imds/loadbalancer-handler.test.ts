// /metadata/loadbalancer: documented body shape and key order, numeric ports, exact 404 (imds-spec §9, E17).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest } from '../http/imds-request.ts';
import { FakeClock } from '../util/clock.ts';
import type { ImdsContext } from './imds-context.ts';
import { handleLoadBalancer } from './loadbalancer-handler.ts';

function context(profile: VmProfile): ImdsContext {
  return { profile: () => profile, clock: new FakeClock() } as unknown as ImdsContext;
}
const request: ImdsRequest = { method: 'GET', path: '/metadata/loadbalancer', query: new Map(), headers: {}, body: Buffer.alloc(0), remoteAddress: '', apiVersion: '2020-10-01' };

describe('handleLoadBalancer', () => {
  it('renders the documented example with ports as numbers and keys in documented order', () => {
    const profile = defaultProfileDocument();
    const res = handleLoadBalancer(request, context({ ...profile, loadBalancer: {
      publicIpAddresses: [{ frontendIpAddress: '51.0.0.1', privateIpAddress: '10.1.0.4' }],
      inboundRules: [{ frontendIpAddress: '50.0.0.1', protocol: 'tcp', frontendPort: 80, backendPort: 443, privateIpAddress: '10.1.0.4' }],
      outboundRules: [{ frontendIpAddress: '50.0.0.1', privateIpAddress: '10.1.0.4' }],
    } }));
    assert.equal(res.status, 200);
    assert.equal(
      res.body,
      '{"loadbalancer":{"publicIpAddresses":[{"frontendIpAddress":"51.0.0.1","privateIpAddress":"10.1.0.4"}],"inboundRules":[{"frontendIpAddress":"50.0.0.1","protocol":"tcp","frontendPort":80,"backendPort":443,"privateIpAddress":"10.1.0.4"}],"outboundRules":[{"frontendIpAddress":"50.0.0.1","privateIpAddress":"10.1.0.4"}]}}',
    );
  });

  it('answers the captured 404 body byte for byte when the VM has no Standard load balancer', () => {
    const profile = { ...defaultProfileDocument(), loadBalancer: null };
    assert.throws(
      () => handleLoadBalancer(request, context(profile)),
      (e: unknown) =>
        e instanceof HttpError &&
        e.status === 404 &&
        e.body ===
          '{"error": "No load balancer metadata is found. Please check if your VM is using any non-basic SKU load balancer and retry later."}',
    );
  });
});

describe('handleLoadBalancer version floor', () => {
  it('answers 404 {"error":"Not found"} to an instance-family version older than 2020-10-01', () => {
    const profile = defaultProfileDocument();
    assert.throws(
      () => handleLoadBalancer({ ...request, apiVersion: '2020-09-01' }, context(profile)),
      (e: unknown) => e instanceof HttpError && e.status === 404 && JSON.stringify(e.body) === '{"error":"Not found"}',
    );
    assert.equal(handleLoadBalancer(request, context(profile)).status, 200);
  });
});
