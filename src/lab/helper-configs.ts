// Configuration of the lab's helper programs, generated from the topology: tinyproxy (proxy-leak, proxy-auth),
// dnsmasq (DHCP with option 121, RFC 3442; and the lab's Azure DNS) and dhclient (requests option 121).
import type { LabTopology } from './lab-topology.ts';

/** tinyproxy 1.11 adds no X-Forwarded-For of its own; AddHeader makes it send one (as many proxies do). */
export function tinyproxyConfig(t: LabTopology): string {
  const proxy = t.proxy!;
  const lines = [
    '# tinyproxy for the imds-lab proxy-leak scenario (generated)',
    `Port ${proxy.port}`,
    `Listen ${proxy.ip}`,
    'Timeout 10',
    'MaxClients 16',
    'LogLevel Info',
    ...t.nics.map((n) => `Allow ${n.subnet}/${n.prefix}`),
    // proxy-vm: a quiet proxy (no Via, no X-Tinyproxy, no X-Forwarded-For): IMDS cannot tell it is one.
    ...(proxy.forwardedFor ? ['ViaProxyName "imds-lab-proxy"', 'XTinyproxy Yes'] : ['DisableViaHeader Yes', 'XTinyproxy No']),
  ];
  if (proxy.forwardedFor) lines.push(`AddHeader "X-Forwarded-For" "${t.nics[0]!.ips[0]}"`);
  // proxy-auth: a corporate proxy that wants credentials answers 407 with Proxy-Authenticate (RFC 9110 §15.5.8).
  if (proxy.behaviour === 'auth') lines.push(`BasicAuth ${PROXY_USER} ${PROXY_PASSWORD}`);
  return `${lines.join('\n')}\n`;
}

/** proxy-auth: the credentials tinyproxy accepts (an app without them gets 407). */
export const PROXY_USER = 'corp';
export const PROXY_PASSWORD = 'secret';

/**
 * dnsmasq as the lab's Azure DNS (DNS only, no DHCP) on 168.63.129.16:53 in the host namespace: it answers
 * the lab's own names and NXDOMAIN at once for everything else (`--local=/#/`: no upstream, the lab has no internet).
 */
export function resolverArgs(t: LabTopology, stateDir: string): string[] {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${t.dns.server}`,
    '--port=53',
    '--user=root',
    '--group=root',
    '--local=/#/',
    ...t.dns.records.map(([name, ip]) => `--host-record=${name},${ip}`),
    `--pid-file=${stateDir}/resolver.pid`,
    '--log-queries',
    '--log-facility=-',
  ];
}

/** dnsmasq as a DHCP-only server (no DNS: --port=0) on nic0 that leases the primary IP to eth0's MAC. */
export function dnsmasqArgs(t: LabTopology, stateDir: string): string[] {
  const nic = t.nics[0]!;
  const mask = prefixToMask(nic.prefix);
  // RFC 3442 §3: destination/prefix and router pairs; dnsmasq encodes the descriptors.
  const option121 = t.dhcpRoutes!.flatMap(([dest, gateway]) => [dest, gateway]).join(',');
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    '--interface=nic0',
    '--except-interface=lo',
    '--user=root',
    '--group=root',
    '--dhcp-authoritative',
    `--dhcp-range=${nic.subnet},static,${mask},1h`,
    `--dhcp-host=${nic.mac},${nic.ips[0]}`,
    `--dhcp-option=121,${option121}`,
    `--dhcp-leasefile=${stateDir}/dnsmasq.leases`,
    `--pid-file=${stateDir}/dnsmasq.pid`,
    '--log-dhcp',
    '--log-facility=-',
  ];
}

export function prefixToMask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join('.');
}

/** dhclient's configuration: declare and request option 121; nothing about DNS or hostnames. */
export function dhclientConfig(): string {
  return [
    '# dhclient for the imds-lab dhcp scenarios (generated)',
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
    'request subnet-mask, broadcast-address, routers, rfc3442-classless-static-routes;',
    'timeout 20;',
    'retry 2;',
    '',
  ].join('\n');
}
