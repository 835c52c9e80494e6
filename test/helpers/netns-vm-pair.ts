// Two VM namespaces behind one host namespace (a scale set of two, built directly with `ip`): vm0 10.1.0.4
// via h0 10.1.0.1, vm1 10.2.0.4 via h1 10.2.0.1, each routing 169.254.169.254/32 to the host. Nothing in root.
import type { ChildProcess } from 'node:child_process';
import { addNetns, deleteNetns, execIn, ip, nsRun, nsSpawn, stopChild, uniqueSuffix, waitForOutput } from './netns.ts';
import { MAIN } from './netns-imds.ts';

export interface VmPair {
  readonly host: string;
  readonly vms: readonly [string, string];
  readonly addresses: readonly [string, string];
  /** Starts `imds-lab serve --capture tun ... ARGS` in the host answering both VMs; resolves once ready. */
  serveTun(stateDir: string, args?: readonly string[]): Promise<ChildProcess>;
  /** Drops the VM's own RSTs to IMDS (so SYN-ACKs to a raw-socket flood leave half-open connections). */
  suppressRsts(vm: string): Promise<void>;
  destroy(): Promise<void>;
}

const NO_RST = 'table ip imdslab_flood {\n chain out {\n  type filter hook output priority 0;\n  ip daddr 169.254.169.254 tcp flags & rst == rst drop\n }\n}\n';

export function createVmPair(prefix = 'imdslab-p'): VmPair {
  const suffix = uniqueSuffix();
  const host = `${prefix}h-${suffix}`;
  const vms = [`${prefix}0-${suffix}`, `${prefix}1-${suffix}`] as const;
  const addresses = ['10.1.0.4', '10.2.0.4'] as const;
  const created: string[] = [];
  const children: ChildProcess[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.all(children.splice(0).map((c) => stopChild(c, 3000)));
    for (const ns of created.splice(0).reverse()) deleteNetns(ns);
  };
  try {
    addNetns(host);
    created.push(host);
    vms.forEach((vm, i) => {
      addNetns(vm);
      created.push(vm);
      ip(['-n', host, 'link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm]);
      ip(['-n', host, 'addr', 'add', `10.${i + 1}.0.1/24`, 'dev', `h${i}`]);
      ip(['-n', vm, 'addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0']);
      ip(['-n', host, 'link', 'set', `h${i}`, 'up']);
      ip(['-n', vm, 'link', 'set', 'eth0', 'up']);
      ip(['-n', vm, 'route', 'add', '169.254.169.254/32', 'via', `10.${i + 1}.0.1`, 'dev', 'eth0']);
    });
    nsRun(host, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  } catch (error) {
    for (const ns of created.splice(0).reverse()) deleteNetns(ns);
    throw error;
  }
  return {
    host,
    vms,
    addresses,
    async serveTun(stateDir, args = []) {
      const child = nsSpawn(host, [process.execPath, '--import', 'tsx', MAIN, 'serve', '--capture', 'tun', '--state-dir', stateDir, '--primary-ip', addresses[0], '--primary-ip', addresses[1], ...args]);
      children.push(child);
      await waitForOutput(child, (t) => t.includes('serving on'), 30_000);
      return child;
    },
    async suppressRsts(vm) {
      const r = await execIn(vm, ['nft', '-f', '-'], { input: NO_RST });
      if (r.code !== 0) throw new Error(`nft in ${vm} failed: ${r.stderr.toString()}`);
    },
    destroy,
  };
}
