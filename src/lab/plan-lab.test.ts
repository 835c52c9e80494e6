// Planner tests: every scenario's plan (both captures, broken and fixed), dry-run lines, names and addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import type { InstanceTree, VmProfile } from '../config/vm-profile.ts';
import { plan, planOptions } from '../../test/helpers/lab-plan-kit.ts';
import { loadScenarios, parseScenario } from './lab-data-files.ts';
import { LabError } from './lab-error.ts';
import { formatArgv, formatStep, stepCommands, type LabStep } from './lab-step.ts';
import { checkLabName } from './lab-naming.ts';
import { findEscapes } from './no-escape.ts';
import { planLab } from './plan-lab.ts';

/** The single commands the plan stands for (a batch line as `ip -n NS LINE`; a command's stdin is left out). */
function lines(steps: readonly LabStep[]): string[] {
  return steps.flatMap((s) => (s.kind === 'parallel' ? lines(s.steps) : s.kind === 'batch' || s.kind === 'run' ? stepCommands(s).map((c) => formatArgv(c.argv)) : [formatStep(s)]));
}

function withInterfaces(interfaces: readonly InstanceTree[]): VmProfile {
  return { ...DEFAULT_PROFILE, instance: { ...DEFAULT_PROFILE.instance, network: { interface: interfaces } } };
}

function nic(ips: readonly string[], subnet: string, prefix: string, mac: string): InstanceTree {
  return {
    ipv4: { ipAddress: ips.map((ip) => ({ privateIpAddress: ip, publicIpAddress: '' })), subnet: [{ address: subnet, prefix }] },
    ipv6: { ipAddress: [] },
    macAddress: mac,
  };
}

describe('planLab', () => {
  const scenarios = loadScenarios().map((s) => s.name);

  it('has the scenarios the lab documents', () => {
    for (const name of ['healthy', 'no-route', 'wrong-gateway', 'secondary-nic', 'secondary-ip', 'failover-cluster', 'proxy-leak', 'dhcp', 'dhcp-no-imds-route', 'throttled', 'transient']) {
      assert.ok(scenarios.includes(name), name);
    }
  });

  for (const name of scenarios) {
    for (const capture of ['tun', 'socket'] as const) {
      for (const fixed of [false, true]) {
        it(`${name} (${capture}${fixed ? ', fixed' : ''}) stays inside the lab`, () => {
          const p = plan(name, { capture, fixed });
          assert.deepEqual(findEscapes(p), []);
          const text = lines(p.steps);
          for (const line of text) assert.match(line, /^(ip (-n imds-(vm[0-9]*|host|proxy|dead|ctr) |netns (add|exec) imds-(vm[0-9]*|host|proxy|dead|ctr)\b)|# write \/run\/imds-lab\/imds\/|# write \/etc\/netns\/imds-vm[0-9]*\/resolv\.conf )/);
          // One VM: imds-vm; a scale set (proxy-vm): imds-vm0, imds-vm1, …
          assert.match(text[0]!, /^ip netns add imds-vm0?$/);
          assert.ok(text.includes('ip netns add imds-host'));
          // Exactly one responder, started in the host namespace with the right capture.
          const responders = text.filter((l) => l.includes(' serve --capture '));
          assert.equal(responders.length, 1);
          assert.ok(responders[0]!.startsWith(`ip netns exec imds-host /usr/bin/node /opt/imds-lab/dist/src/cli/main.js serve --capture ${capture} --listen 169.254.169.254:80`));
          // Only the host namespace routes 169.254.169.254 to the responder; no default route outside the VM.
          // (The container's one default route leads to the VM's bridge, and on only where the VM routes.)
          assert.equal(text.filter((l) => / route add default /.test(l) && !/^ip -n imds-vm[0-9]* /.test(l) && l !== 'ip -n imds-ctr route add default via 172.17.0.1 dev eth0').length, 0);
        });
      }
    }
  }

  it('healthy: eth0 with the profile MAC and IP, Azure routes via the subnet gateway', () => {
    const text = lines(plan('healthy').steps);
    assert.ok(text.includes('ip -n imds-host link add nic0 address 12:34:56:78:9a:bc type veth peer name eth0 address 00:0d:3a:f8:06:ec netns imds-vm'));
    assert.ok(text.includes('ip -n imds-vm addr add 10.1.0.4/24 dev eth0'));
    assert.ok(text.includes('ip -n imds-host addr add 10.1.0.1/24 dev nic0'));
    for (const to of ['default', '168.63.129.16/32', '169.254.169.254/32']) assert.ok(text.includes(`ip -n imds-vm route add ${to} via 10.1.0.1 dev eth0`), to);
    assert.ok(text.includes('ip netns exec imds-host sysctl -q -w net.ipv4.ip_forward=1'));
  });

  it('socket capture puts 169.254.169.254 on the host lo and filters sources; tun does neither', () => {
    const socket = lines(plan('healthy', { capture: 'socket' }).steps);
    assert.ok(socket.includes('ip -n imds-host addr add 169.254.169.254/32 dev lo'));
    // One nftables transaction (nft -f -), so deleting the table undoes exactly what it added.
    const nft = plan('healthy', { capture: 'socket' }).steps.find((s) => s.kind === 'run' && s.argv.join(' ') === 'ip netns exec imds-host nft -f -');
    assert.ok(nft?.kind === 'run' && nft.input!.split('\n').includes('add rule ip imds_lab input ip daddr 169.254.169.254 iifname nic0 ip saddr 10.1.0.4 accept'));
    assert.deepEqual(nft.undo, ['ip', 'netns', 'exec', 'imds-host', 'nft', 'delete', 'table', 'ip', 'imds_lab']);
    assert.equal(socket.find((l) => l.includes(' serve '))!.includes('--primary-ip'), false);
    const tun = lines(plan('healthy', { capture: 'tun' }).steps);
    assert.equal(tun.some((l) => l.includes('169.254.169.254/32 dev lo') || l.includes(' nft ')), false);
    assert.ok(tun.find((l) => l.includes(' serve '))!.includes('--primary-ip 10.1.0.4'));
  });

  it('no-route leaves out the default and the /32 route; --fixed restores them', () => {
    const broken = lines(plan('no-route').steps);
    assert.equal(broken.some((l) => l.includes('route add default') || l.includes('route add 169.254.169.254/32')), false);
    assert.ok(broken.includes('ip -n imds-vm route add 168.63.129.16/32 via 10.1.0.1 dev eth0'));
    const fixed = lines(plan('no-route', { fixed: true }).steps);
    assert.equal(fixed.at(-2), 'ip -n imds-vm route replace 169.254.169.254/32 via 10.1.0.1 dev eth0');
    assert.equal(fixed.at(-1), 'ip -n imds-vm route replace default via 10.1.0.1 dev eth0');
  });

  it('wrong-gateway routes via a black-hole neighbour in the same subnet', () => {
    const text = lines(plan('wrong-gateway').steps);
    assert.ok(text.includes('ip -n imds-vm neigh replace 10.1.0.254 lladdr 02:00:00:de:ad:01 dev eth0 nud permanent'));
    assert.ok(text.includes('ip -n imds-vm route add 169.254.169.254/32 via 10.1.0.254 dev eth0'));
  });

  it('secondary-nic synthesizes eth1 in the next free /24 and routes IMDS through it', () => {
    const p = plan('secondary-nic');
    assert.equal(p.topology.nics.length, 2);
    assert.deepEqual({ ...p.topology.nics[1]!, mac: undefined }, {
      index: 1, device: 'eth1', mac: undefined, ips: ['10.1.1.4'], subnet: '10.1.1.0', prefix: 24, gateway: '10.1.1.1', synthesized: true,
    });
    const text = lines(p.steps);
    assert.ok(text.includes('ip -n imds-vm route add 169.254.169.254/32 via 10.1.1.1 dev eth1'));
    assert.equal(text.some((l) => l.includes('route add 169.254.169.254/32 via 10.1.0.1')), false);
    assert.ok(lines(plan('secondary-nic', { fixed: true }).steps).includes('ip -n imds-vm route replace 169.254.169.254/32 via 10.1.0.1 dev eth0'));
  });

  it('secondary-nic uses the profile NIC when there is one', () => {
    const profile = withInterfaces([nic(['10.1.0.4'], '10.1.0.0', '24', '000D3AF806EC'), nic(['10.9.0.7'], '10.9.0.0', '24', '000D3AF806ED')]);
    const text = lines(plan('secondary-nic', {}, profile).steps);
    assert.ok(text.includes('ip -n imds-vm addr add 10.9.0.7/24 dev eth1'));
    assert.ok(text.includes('ip -n imds-vm route add 169.254.169.254/32 via 10.9.0.1 dev eth1'));
  });

  it('secondary-ip adds the next free address and routes with src', () => {
    const text = lines(plan('secondary-ip').steps);
    assert.ok(text.includes('ip -n imds-vm addr add 10.1.0.5/24 dev eth0'));
    assert.ok(text.includes('ip -n imds-vm route add 169.254.169.254/32 via 10.1.0.1 dev eth0 src 10.1.0.5'));
  });

  it('failover-cluster adds a cluster adapter to a dead-end namespace and no /32 route', () => {
    const p = plan('failover-cluster');
    const text = lines(p.steps);
    assert.ok(text.includes('ip -n imds-vm link add cluster0 type veth peer name eth0 netns imds-dead'));
    assert.ok(text.includes('ip -n imds-vm addr add 169.254.77.10/16 dev cluster0'));
    assert.equal(text.some((l) => l.startsWith('ip -n imds-dead addr')), false, 'nothing in the dead end has an address');
    assert.equal(text.some((l) => l.includes('route add 169.254.169.254/32')), false);
    assert.equal(lines(plan('failover-cluster', { fixed: true }).steps).at(-1), 'ip -n imds-vm route replace 169.254.169.254/32 via 10.1.0.1 dev eth0 metric 1');
  });

  it('proxy-leak starts tinyproxy in its own namespace and sets the proxy variables', () => {
    const p = plan('proxy-leak');
    const text = lines(p.steps);
    assert.ok(text.some((l) => l.startsWith('ip netns exec imds-proxy tinyproxy -d -c /run/imds-lab/imds/tinyproxy.conf')));
    assert.ok(text.includes('ip -n imds-proxy route add 169.254.169.254/32 via 192.168.254.1 dev eth0'));
    assert.deepEqual(p.env, { HTTP_PROXY: 'http://192.168.254.2:8888', http_proxy: 'http://192.168.254.2:8888' });
    const conf = p.steps.find((s) => s.kind === 'write-file' && s.path.endsWith('tinyproxy.conf'));
    assert.ok(conf && conf.kind === 'write-file' && conf.content.includes('AddHeader "X-Forwarded-For" "10.1.0.4"'));
    assert.deepEqual(plan('proxy-leak', { fixed: true }).env, {
      HTTP_PROXY: 'http://192.168.254.2:8888', http_proxy: 'http://192.168.254.2:8888', NO_PROXY: '169.254.169.254', no_proxy: '169.254.169.254',
    });
    assert.ok(lines(plan('proxy-leak', { capture: 'tun' }).steps).some((l) => l.includes('--primary-ip 10.1.0.4 --primary-ip 192.168.254.2')));
  });

  it('the proxy subnet avoids the NIC subnets', () => {
    const profile = withInterfaces([nic(['192.168.254.5'], '192.168.254.0', '24', '000D3AF806EC')]);
    assert.equal(plan('proxy-leak', {}, profile).topology.proxy!.ip, '172.31.254.2');
  });

  it('dhcp: no static address or routes on eth0; dnsmasq offers option 121; dhclient uses the lab script', () => {
    const text = lines(plan('dhcp').steps);
    assert.equal(text.some((l) => l.startsWith('ip -n imds-vm addr add') || l.startsWith('ip -n imds-vm route add')), false);
    const dnsmasq = text.find((l) => l.includes(' dnsmasq ') && l.includes('--dhcp-option'))!;
    assert.ok(dnsmasq.includes('--dhcp-option=121,169.254.169.254/32,10.1.0.1,168.63.129.16/32,10.1.0.1,0.0.0.0/0,10.1.0.1'));
    assert.ok(dnsmasq.includes('--dhcp-host=00:0d:3a:f8:06:ec,10.1.0.4'));
    assert.ok(dnsmasq.includes('--port=0'));
    const dhclient = text.find((l) => l.includes(' dhclient '))!;
    assert.ok(dhclient.includes('-sf /opt/imds-lab/netns/dhclient-script -lf /run/imds-lab/imds/dhclient.leases'));
    const noRoute = lines(plan('dhcp-no-imds-route').steps).find((l) => l.includes(' dnsmasq ') && l.includes('--dhcp-option'))!;
    assert.ok(noRoute.includes('--dhcp-option=121,168.63.129.16/32,10.1.0.1 '));
  });

  it('throttled and transient pass HTTP faults to the responder', () => {
    assert.ok(lines(plan('throttled').steps).some((l) => l.includes("--fault 'path=/metadata/*,status=429,count=3'")));
    const transient = lines(plan('transient').steps).find((l) => l.includes(' serve '))!;
    assert.ok(transient.includes("--fault 'path=/metadata/*,status=410,count=1' --fault 'path=/metadata/*,status=500,count=1'"));
  });

  it('--pcap starts tcpdump in the host namespace before the responder', () => {
    const text = lines(plan('healthy', { pcapFile: '/tmp/x.pcap' }).steps);
    const tcpdump = text.findIndex((l) => l.startsWith('ip netns exec imds-host tcpdump -i any -y LINUX_SLL2'));
    assert.ok(tcpdump > 0 && tcpdump < text.findIndex((l) => l.includes(' serve ')));
  });

  it('a lab name prefixes every namespace, so labs run side by side', () => {
    const a = plan('healthy', { name: 'a1' });
    const b = plan('healthy', { name: 'b2' });
    assert.deepEqual(a.topology.namespaces, { vm: 'a1-vm', host: 'a1-host' });
    assert.equal(lines(b.steps).some((l) => l.includes('a1-')), false);
  });

  it('every step has an undo, or lives inside a namespace whose deletion undoes it', () => {
    const p = plan('proxy-leak');
    const commands = p.steps.flatMap(stepCommands);
    for (const c of commands) if (c.undo === null) assert.match(c.argv.join(' '), /^ip (-n|netns exec) imds-/);
    assert.deepEqual(commands.find((c) => c.argv.join(' ') === 'ip netns add imds-vm')?.undo, ['ip', 'netns', 'del', 'imds-vm']);
    // Batch lines: `ip -n NS` with each line's own undo.
    assert.deepEqual(commands.find((c) => c.argv.join(' ') === 'ip -n imds-vm addr add 10.1.0.4/24 dev eth0')?.undo, ['ip', '-n', 'imds-vm', 'addr', 'del', '10.1.0.4/24', 'dev', 'eth0']);
  });

  it('planLab itself refuses a scenario whose plan would leave the lab (ERR_LAB_ESCAPE)', () => {
    // A data file whose fix gives the host namespace (the lab's dead end) a default route out of the lab.
    const uplink = parseScenario({
      name: 'uplink', title: 'u', symptom: 's', explanation: 'e', fix: 'f', fixKind: 'environment',
      expect: { broken: 'ok', fixed: 'ok' }, doctor: { broken: 'ok' },
      fixed: { routes: [{ ns: 'host', to: 'default', via: '10.1.0.4', dev: 'nic0' }] },
    }, 'uplink.yaml');
    assert.throws(
      () => planLab(DEFAULT_PROFILE, { ...planOptions('healthy', { fixed: true }), scenario: uplink }),
      (e: unknown) => e instanceof LabError && e.code === 'ERR_LAB_ESCAPE' && /route default in host: a default route outside the VM namespace/.test(e.message),
    );
  });
});

describe('names and addresses', () => {
  it('refuses bad lab names', () => {
    for (const bad of ['', 'Imds', '1lab', 'a_b', 'x'.repeat(16), 'lab-', 'a-vm', 'a-host', 'x-proxy', 'q-dead']) {
      assert.throws(() => checkLabName(bad), (e: unknown) => e instanceof LabError && e.code === 'ERR_LAB_NAME', bad);
    }
    for (const good of ['imds', 'a', 'ci-42', 'lab8t']) checkLabName(good);
  });

  it('refuses overlapping NIC subnets, duplicate addresses and MACs, reserved ranges', () => {
    const cases: [InstanceTree[], RegExp][] = [
      [[nic(['10.1.0.4'], '10.1.0.0', '24', '000D3AF806EC'), nic(['10.1.0.9'], '10.1.0.0', '16', '000D3AF806ED')], /overlaps eth0's 10\.1\.0\.0\/24/],
      [[nic(['10.1.0.4'], '10.1.0.0', '24', '000D3AF806EC'), nic(['10.2.0.4'], '10.2.0.0', '24', '000D3AF806EC')], /MAC 00:0d:3a:f8:06:ec is already used/],
      [[nic(['169.254.1.4'], '169.254.1.0', '24', '000D3AF806EC')], /link-local/],
      [[nic(['168.63.129.20'], '168.63.129.0', '24', '000D3AF806EC')], /wireserver/],
      [[nic(['10.1.0.1'], '10.1.0.0', '24', '000D3AF806EC')], /gateway address/],
      [[nic(['10.2.0.4'], '10.1.0.0', '24', '000D3AF806EC')], /outside the subnet/],
      [[nic(['10.1.0.4', '10.1.0.4'], '10.1.0.0', '24', '000D3AF806EC')], /already used/],
      [[nic(['10.1.0.4'], '10.1.0.0', '24', '010D3AF806EC')], /multicast MAC/],
      [[], /interface is empty/],
    ];
    for (const [interfaces, message] of cases) {
      assert.throws(() => plan('healthy', {}, withInterfaces(interfaces)), (e: unknown) => e instanceof LabError && message.test(e.message), String(message));
    }
  });

  it('names the profile field that is missing', () => {
    const broken = withInterfaces([{ ipv4: { ipAddress: [{ privateIpAddress: '10.1.0.4' }] }, macAddress: '000D3AF806EC' }]);
    assert.throws(() => plan('healthy', {}, broken), /instance\.network\.interface\[0\]\.ipv4\.subnet is missing/);
  });

  it('every lab gets Azure DNS at 168.63.129.16: dnsmasq in the host, the VM resolv.conf in /etc/netns/<vm>/ (undo removes the folder)', () => {
    const p = plan('healthy', { capture: 'tun' });
    const text = lines(p.steps);
    assert.ok(text.includes('ip -n imds-host addr add 168.63.129.16/32 dev lo'));
    const resolver = text.find((l) => l.includes(' dnsmasq '))!;
    for (const arg of ['--listen-address=168.63.129.16', '--port=53', '--no-resolv', '--local=/#/', '--host-record=examplevmname,10.1.0.4', '--host-record=examplevmname.internal.cloudapp.net,10.1.0.4', '--host-record=pki.imds-lab.test,168.63.129.16']) {
      assert.ok(resolver.includes(arg), `${arg} in ${resolver}`);
    }
    const conf = p.steps.find((s) => s.kind === 'write-file' && s.path === '/etc/netns/imds-vm/resolv.conf');
    assert.ok(conf && conf.kind === 'write-file');
    assert.match(conf.content, /^nameserver 168\.63\.129\.16$/m);
    assert.equal(conf.removeOnUndo, '/etc/netns/imds-vm');
    // A scale set: one resolv.conf per VM namespace.
    const several = plan('healthy', { vmCount: 3 }).steps.filter((s) => s.kind === 'write-file' && s.path.startsWith('/etc/netns/'));
    assert.deepEqual(several.map((s) => (s.kind === 'write-file' ? s.path : '')), ['/etc/netns/imds-vm0/resolv.conf', '/etc/netns/imds-vm1/resolv.conf', '/etc/netns/imds-vm2/resolv.conf']);
  });

  it('no-dns: no resolver, DNS to 168.63.129.16 silently dropped; --fixed runs the resolver', () => {
    const broken = lines(plan('no-dns').steps);
    assert.equal(broken.some((l) => l.includes(' dnsmasq ')), false);
    assert.ok(broken.includes("ip netns exec imds-host nft add rule ip imds_lab_dns input ip daddr 168.63.129.16 meta l4proto '{ tcp, udp }' th dport 53 drop"));
    const fixed = lines(plan('no-dns', { fixed: true }).steps);
    assert.ok(fixed.some((l) => l.includes(' dnsmasq ') && l.includes('--listen-address=168.63.129.16')));
    assert.equal(fixed.some((l) => l.includes('imds_lab_dns')), false);
  });

  it('rate limits are on unless rateLimit: false (up --no-rate-limit); the leaf names the lab PKI host', () => {
    const serve = (o: Parameters<typeof plan>[1]) => lines(plan('healthy', o).steps).find((l) => l.includes(' serve '))!;
    assert.equal(serve({}).includes('--no-rate-limit'), false);
    assert.ok(serve({ rateLimit: false }).includes('--no-rate-limit'));
    assert.ok(serve({}).includes('--ca-issuers-uri http://pki.imds-lab.test/pki/imds-lab%20Emulator%20TLS%20Issuing%20CA%2005.crt'));
    assert.ok(lines(plan('healthy').steps).some((l) => l.includes(' persona ca-issuers --listen 168.63.129.16:80 ')));
  });

  it('foreign responders: a persona on the VM loopback behind an nftables DNAT; --fixed removes both', () => {
    for (const kind of ['docker-desktop', 'foreign-html', 'http10-close', 'tls-only']) {
      const text = lines(plan(kind).steps);
      const port = kind === 'tls-only' ? 8443 : 8080;
      assert.ok(text.some((l) => l.startsWith(`ip netns exec imds-vm /usr/bin/node /opt/imds-lab/dist/src/cli/main.js persona ${kind} --listen 127.0.0.1:${port} `)), kind);
      assert.ok(text.includes(`ip netns exec imds-vm nft add rule ip imds_lab_foreign output ip daddr 169.254.169.254 tcp dport 80 dnat to 127.0.0.1:${port}`), kind);
      assert.equal(lines(plan(kind, { fixed: true }).steps).some((l) => l.includes('imds_lab_foreign') || l.includes(` persona ${kind} `)), false, kind);
    }
  });

  it('refusing proxies: tinyproxy with BasicAuth (407), persona proxies for 400 and 502', () => {
    const auth = plan('proxy-auth');
    const conf = auth.steps.find((s) => s.kind === 'write-file' && s.path.endsWith('tinyproxy.conf'));
    assert.ok(conf && conf.kind === 'write-file' && conf.content.includes('BasicAuth corp secret'));
    assert.ok(lines(plan('proxy-refuse').steps).some((l) => l.startsWith('ip netns exec imds-proxy ') && l.includes(' persona proxy-refuse --listen 192.168.254.2:3128 ')));
    assert.ok(lines(plan('proxy-bad-gateway').steps).some((l) => l.includes(' persona proxy-bad-gateway --listen 192.168.254.2:8888 ')));
    assert.equal(lines(plan('proxy-refuse').steps).some((l) => l.includes('tinyproxy')), false);
  });

  it('container scenarios: imds-ctr behind docker0 in the VM, its one route via the bridge, the VM forwards', () => {
    const text = lines(plan('container-nat').steps);
    assert.ok(text.includes('ip netns add imds-ctr'));
    assert.ok(text.includes('ip -n imds-vm link add docker0 type bridge'));
    assert.ok(text.includes('ip -n imds-vm addr add 172.17.0.1/16 dev docker0'));
    assert.ok(text.includes('ip -n imds-vm link add veth0 type veth peer name eth0 netns imds-ctr'));
    assert.ok(text.includes('ip -n imds-vm link set veth0 master docker0'));
    assert.ok(text.includes('ip -n imds-ctr addr add 172.17.0.2/16 dev eth0'));
    assert.ok(text.includes('ip -n imds-ctr route add default via 172.17.0.1 dev eth0'));
    assert.ok(text.includes('ip netns exec imds-vm sysctl -q -w net.ipv4.ip_forward=1'));
    assert.ok(text.includes('ip netns exec imds-vm nft add rule ip imds_lab_container postrouting oifname eth0 ip saddr 172.17.0.0/16 masquerade'));
    // No container, no ctr namespace and no container table.
    assert.equal(lines(plan('healthy').steps).some((l) => l.includes('imds-ctr') || l.includes('imds_lab_container')), false);
  });

  it('container-routed: no MASQUERADE; --fixed adds it', () => {
    const masquerade = (l: string): boolean => l.includes(' masquerade');
    assert.equal(lines(plan('container-routed').steps).some(masquerade), false);
    assert.equal(lines(plan('container-routed', { fixed: true }).steps).filter(masquerade).length, 1);
  });

  it('netpol-drop/-reject: deny-all in the VM forward chain; --fixed accepts 169.254.169.254:80 first', () => {
    const forward = (name: string, fixed: boolean): string[] =>
      lines(plan(name, { fixed }).steps).filter((l) => l.startsWith('ip netns exec imds-vm nft add rule ip imds_lab_container forward '));
    const accept = 'ip netns exec imds-vm nft add rule ip imds_lab_container forward iifname docker0 ip daddr 169.254.169.254 tcp dport 80 accept';
    assert.deepEqual(forward('netpol-drop', false), ['ip netns exec imds-vm nft add rule ip imds_lab_container forward iifname docker0 drop']);
    assert.deepEqual(forward('netpol-drop', true), [accept, 'ip netns exec imds-vm nft add rule ip imds_lab_container forward iifname docker0 drop']);
    const reject = forward('netpol-reject', false);
    assert.ok(reject[0]!.endsWith('iifname docker0 meta l4proto tcp reject with tcp reset'));
    assert.ok(reject[1]!.endsWith('iifname docker0 reject with icmp type admin-prohibited'));
    assert.equal(forward('netpol-reject', true)[0], accept);
  });

  it('container steps undo: the table delete undoes every rule; the ctr namespace and docker0 are removed', () => {
    const steps = plan('netpol-reject').steps.flatMap(stepCommands);
    const table = steps.find((s) => s.argv.join(' ') === 'ip netns exec imds-vm nft add table ip imds_lab_container');
    assert.deepEqual(table?.undo, ['ip', 'netns', 'exec', 'imds-vm', 'nft', 'delete', 'table', 'ip', 'imds_lab_container']);
    assert.deepEqual(steps.find((s) => s.argv.join(' ') === 'ip netns add imds-ctr')?.undo, ['ip', 'netns', 'del', 'imds-ctr']);
    assert.deepEqual(steps.find((s) => s.argv.join(' ') === 'ip -n imds-vm link add docker0 type bridge')?.undo, ['ip', '-n', 'imds-vm', 'link', 'del', 'docker0']);
  });

  it('pod-agent-dnat: the agent persona in the VM on the bridge address, a DNAT from docker0 to it; --fixed removes both', () => {
    const text = lines(plan('pod-agent-dnat').steps);
    const agent = text.findIndex((l) => l.startsWith('ip netns exec imds-vm ') && l.includes(' persona pod-identity-agent --listen 172.17.0.1:2579 '));
    const dnat = text.indexOf('ip netns exec imds-vm nft add rule ip imds_lab_container prerouting iifname docker0 ip daddr 169.254.169.254 tcp dport 80 dnat to 172.17.0.1:2579');
    assert.ok(agent >= 0 && dnat > agent, 'the agent listens before the DNAT sends it traffic');
    const fixed = lines(plan('pod-agent-dnat', { fixed: true }).steps);
    assert.equal(fixed.some((l) => l.includes('pod-identity-agent') || l.includes(' dnat ')), false);
    assert.ok(fixed.some((l) => l.endsWith(' masquerade')));
  });

  it('no-escape refuses a container route that does not lead to the VM bridge', () => {
    const p = plan('container-nat');
    const routes = p.topology.routes.map((r) => (r.role === 'ctr' ? { ...r, via: '172.17.0.9' } : r));
    const problems = findEscapes({ ...p, topology: { ...p.topology, routes } });
    assert.ok(problems.some((x) => x.where === 'route default in ctr'), JSON.stringify(problems));
  });

  it('ipv6-only: eth0 has only the ULA address and an IPv6 default route; --fixed (dual stack) brings IPv4 back', () => {
    const text = lines(plan('ipv6-only').steps);
    assert.ok(text.includes('ip -n imds-vm addr add fd00:1ab::4/64 dev eth0 nodad'));
    assert.ok(text.includes('ip -n imds-host addr add fd00:1ab::1/64 dev nic0 nodad'));
    assert.ok(text.includes('ip -n imds-vm route add ::/0 via fd00:1ab::1 dev eth0'));
    assert.equal(text.some((l) => l.includes('addr add 10.1.0.4/24') || l.includes('route add 169.254.169.254/32')), false);
    const fixed = lines(plan('ipv6-only', { fixed: true }).steps);
    assert.ok(fixed.includes('ip -n imds-vm addr add 10.1.0.4/24 dev eth0') && fixed.includes('ip -n imds-vm route add 169.254.169.254/32 via 10.1.0.1 dev eth0'));
  });
});
