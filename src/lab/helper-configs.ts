// Configuration of the lab's helper programs, generated from the topology: tinyproxy (proxy-leak),
// dnsmasq (DHCP with option 121, RFC 3442) and dhclient (requests option 121; our -sf script applies it).
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
  return `${lines.join('\n')}\n`;
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
