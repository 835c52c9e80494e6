// Facts for the view's unit tests, shaped like the real `ip -j route show` output of the lab scenarios.
import type { TraceConnection } from '../../src/lab/trace-analysis.ts';
import type { PathFacts } from '../../src/view/path-model.ts';
import type { PathRoute } from '../../src/view/route-select.ts';

const BASE_ROUTES: PathRoute[] = [
  { dst: 'default', gateway: '10.1.0.1', dev: 'eth0' },
  { dst: '10.1.0.0/24', dev: 'eth0', scope: 'link', prefsrc: '10.1.0.4' },
  { dst: '168.63.129.16', gateway: '10.1.0.1', dev: 'eth0' },
];

export function healthyFacts(overrides: Partial<PathFacts> = {}): PathFacts {
  return {
    lab: 'v1',
    scenario: 'healthy',
    fixed: false,
    vmNamespace: 'v1-vm',
    capture: 'tun',
    primary: { device: 'eth0', ip: '10.1.0.4', gateway: '10.1.0.1' },
    interfaces: [{ device: 'eth0', addresses: ['10.1.0.4/24'], gateway: '10.1.0.1', role: 'primary' }],
    routes: [...BASE_ROUTES, { dst: '169.254.169.254', gateway: '10.1.0.1', dev: 'eth0' }],
    routeGet: null,
    env: {},
    proxy: null,
    ...overrides,
  };
}

export function secondaryNicFacts(): PathFacts {
  return healthyFacts({
    scenario: 'secondary-nic',
    interfaces: [
      { device: 'eth0', addresses: ['10.1.0.4/24'], gateway: '10.1.0.1', role: 'primary' },
      { device: 'eth1', addresses: ['10.1.1.4/24'], gateway: '10.1.1.1', role: 'secondary' },
    ],
    routes: [...BASE_ROUTES, { dst: '10.1.1.0/24', dev: 'eth1', scope: 'link', prefsrc: '10.1.1.4' }, { dst: '169.254.169.254', gateway: '10.1.1.1', dev: 'eth1' }],
    routeGet: { ok: true, route: { dst: '169.254.169.254', gateway: '10.1.1.1', dev: 'eth1', prefsrc: '10.1.1.4' } },
  });
}

export function failoverFacts(): PathFacts {
  return healthyFacts({
    scenario: 'failover-cluster',
    interfaces: [
      { device: 'eth0', addresses: ['10.1.0.4/24'], gateway: '10.1.0.1', role: 'primary' },
      { device: 'cluster0', addresses: ['169.254.77.10/16'], gateway: null, role: 'cluster' },
    ],
    routes: [...BASE_ROUTES, { dst: '169.254.0.0/16', dev: 'cluster0', scope: 'link', prefsrc: '169.254.77.10' }],
  });
}

export function proxyLeakFacts(): PathFacts {
  return healthyFacts({
    scenario: 'proxy-leak',
    env: { HTTP_PROXY: 'http://192.168.254.2:8888', http_proxy: 'http://192.168.254.2:8888' },
    proxy: { ip: '192.168.254.2', port: 8888, forwardedFor: true },
  });
}

/** A connection as analyzeTrace returns it. */
export function connection(overrides: Partial<TraceConnection> = {}): TraceConnection {
  return {
    client: '10.1.0.4',
    clientPort: 40000,
    server: '169.254.169.254',
    serverPort: 80,
    ifindexes: [2, 5],
    firstSynUs: 1_000_000,
    synCount: 1,
    synUs: [1_000_000],
    synAckUs: 1_000_300,
    ackUs: 1_000_400,
    resetBy: null,
    resetUs: null,
    fins: [],
    icmp: [],
    exchanges: [],
    packets: 3,
    ...overrides,
  };
}
