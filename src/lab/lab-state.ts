// The state file of a running lab (<state dir>/lab.json): what `up` created, the PIDs it started, the VM
// environment; `down`, `status`, `exec`, `doctor` and `trace` read it. `down` also works without it.
import { createHash } from 'node:crypto';
import { LabError } from './lab-error.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import { formatStep, type LabStep } from './lab-step.ts';
import type { LabTopology } from './lab-topology.ts';
import { controlSocketOf } from './plan-lab.ts';

/** A VM of the lab as recorded in the state file. */
export interface LabVmRecord {
  /** vm0, vm1, … */
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly mac: string;
  /** compute.name and compute.vmId of its profile. */
  readonly computeName: string;
  readonly vmId: string;
}

export interface LabProcessRecord {
  readonly id: string;
  readonly pid: number;
  /** The program's argv after `ip netns exec NS` (checked against /proc/PID/cmdline before a kill). */
  readonly argv: readonly string[];
  readonly log: string;
}

/** The state file: the topology's identity, namespaces, NICs, proxy, cluster adapter, env and vars, plus what `up` did. */
export interface LabState extends Pick<LabTopology, 'name' | 'scenario' | 'fixed' | 'capture' | 'namespaces' | 'nics' | 'proxy' | 'cluster' | 'env' | 'vars'> {
  readonly version: 1;
  readonly stateDir: string;
  readonly pcapFile: string | null;
  readonly createdAt: string;
  /** False while `up` is still running (or if it died half-way). */
  readonly complete: boolean;
  readonly fingerprint: string;
  /** Every VM (VM 0 first); more than one for a scale set. */
  readonly vms: readonly LabVmRecord[];
  /** The responder's control socket (imds-lab ctl --lab NAME; run it in the host namespace). */
  readonly controlSocket: string;
  /** The responder runs on a virtual clock (ctl clock advance). */
  readonly virtualClock: boolean;
  readonly dhcp: boolean;
  readonly processes: readonly LabProcessRecord[];
  /** Host-namespace interface index -> name (for traces: which link a packet came in on). */
  readonly hostInterfaces: Readonly<Record<string, string>>;
}

export const STATE_FILE = 'lab.json';

/** A VM of a running lab by name (`vm0` when omitted); a clear usage error naming the lab's VMs otherwise. */
export function findLabVm(state: LabState, vmName = 'vm0'): LabVmRecord {
  const found = state.vms.find((v) => v.name === vmName);
  if (!found) throw new LabError('ERR_LAB_USAGE', `--vm: lab ${state.name} has no VM ${JSON.stringify(vmName)} (VMs: ${state.vms.map((v) => v.name).join(', ')})`);
  return found;
}

/** A stable digest of the plan: the same command lines and VM environment give the same fingerprint (idempotent `up`). */
export function planFingerprint(steps: readonly LabStep[], env: Readonly<Record<string, string>>): string {
  const text = `${steps.map(formatStep).join('\n')}\n${JSON.stringify(Object.entries(env).sort())}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function labStateDir(stateRoot: string, name: string): string {
  return `${stateRoot.replace(/\/+$/, '')}/${name}`;
}

export function readLabState(runner: LabRunner, stateDir: string): LabState | null {
  const text = runner.readFile(`${stateDir}/${STATE_FILE}`);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as LabState;
    if (state.version !== 1 || typeof state.name !== 'string') throw new Error('unknown format');
    return state;
  } catch (error) {
    throw new LabError('ERR_LAB_STATE', `${stateDir}/${STATE_FILE}: unreadable lab state (${(error as Error).message}); run imds-lab down to clean up`);
  }
}

export function writeLabState(runner: LabRunner, state: LabState): void {
  runner.writeFile(`${state.stateDir}/${STATE_FILE}`, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function initialState(
  topology: LabTopology,
  steps: readonly LabStep[],
  stateDir: string,
  pcapFile: string | null,
  now: Date,
  virtualClock = false,
): LabState {
  return {
    version: 1,
    name: topology.name,
    scenario: topology.scenario,
    fixed: topology.fixed,
    capture: topology.capture,
    stateDir,
    pcapFile,
    createdAt: now.toISOString(),
    complete: false,
    fingerprint: planFingerprint(steps, topology.env),
    namespaces: topology.namespaces,
    nics: topology.nics,
    vms: topology.vms.map((vm) => ({
      name: vm.name,
      namespace: vm.namespace,
      ip: vm.nic.ips[0]!,
      mac: vm.nic.mac,
      computeName: String(vm.profile.instance.compute['name'] ?? ''),
      vmId: String(vm.profile.instance.compute['vmId'] ?? ''),
    })),
    controlSocket: controlSocketOf(stateDir),
    virtualClock,
    proxy: topology.proxy,
    cluster: topology.cluster,
    dhcp: topology.dhcpRoutes !== null,
    env: topology.env,
    vars: topology.vars,
    processes: [],
    hostInterfaces: {},
  };
}
