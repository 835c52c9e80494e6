// Tearing a lab down from its name alone: kill what runs in `<name>-{vm,host,proxy,dead}` and the PIDs in
// the state file (checked against their recorded command line), delete the namespaces, remove the state dir.
// Works after `up` died half-way or the responder was killed with SIGKILL. A few processes however many VMs:
// one `ip -batch` lists the namespaces' PIDs, one deletes the namespaces.
import type { LabRunner } from '../process/lab-runner.ts';
import { stopProcess } from '../process/lab-runner.ts';
import { readLabState } from './lab-state.ts';
import { LAB_ROLES } from './lab-naming.ts';
import { ETC_NETNS } from './lab-dns.ts';
import { batchArgv, batchInput } from './lab-step.ts';

export interface TeardownReport {
  readonly namespaces: readonly string[];
  readonly killed: readonly number[];
  readonly warnings: readonly string[];
  readonly hadState: boolean;
}

/** Lab namespaces of `name` that exist now (exact names only: `imds` never matches `imds2-vm`). */
export async function existingLabNamespaces(runner: LabRunner, name: string): Promise<string[]> {
  const result = await runner.run(['ip', 'netns', 'list']);
  if (result.code !== 0) return [];
  const wanted = new Set(LAB_ROLES.map((role) => `${name}-${role}`));
  // Scale-set VMs: <name>-vm0, <name>-vm1, …
  const scaleSetVm = new RegExp(`^${name.replace(/[^a-z0-9]/g, '\\$&')}-vm[0-9]+$`);
  return result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((ns) => wanted.has(ns) || scaleSetVm.test(ns));
}

/** PIDs of the programs in any of `namespaces`: one `ip -force -batch` of `netns pids` (the union is all `down` needs). */
async function namespacePids(runner: LabRunner, namespaces: readonly string[]): Promise<number[]> {
  if (namespaces.length === 0) return [];
  const result = await runner.run(batchArgv(null, true), { input: batchInput(namespaces.map((ns) => ['netns', 'pids', ns])) });
  return result.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function cmdlineMatches(runner: LabRunner, pid: number, argv: readonly string[]): boolean {
  const cmdline = runner.readFile(`/proc/${pid}/cmdline`);
  if (cmdline === null) return false;
  return cmdline.split('\0').filter((s) => s !== '').join('\0') === argv.join('\0');
}

export async function teardownLab(runner: LabRunner, name: string, stateDir: string): Promise<TeardownReport> {
  const warnings: string[] = [];
  const killed: number[] = [];
  let state = null;
  try {
    state = readLabState(runner, stateDir);
  } catch (error) {
    warnings.push((error as Error).message);
  }
  const namespaces = await existingLabNamespaces(runner, name);

  const targets = new Set<number>();
  for (const record of state?.processes ?? []) {
    if (runner.isAlive(record.pid) && cmdlineMatches(runner, record.pid, record.argv)) targets.add(record.pid);
  }
  for (const pid of await namespacePids(runner, namespaces)) targets.add(pid);
  await Promise.all(
    [...targets].map(async (pid) => {
      await stopProcess(runner, pid);
      if (runner.isAlive(pid)) warnings.push(`process ${pid} survived SIGKILL`);
      else killed.push(pid);
    }),
  );

  if (namespaces.length > 0) {
    // Deleting a namespace deletes its interfaces (and a veth's peer); -force: go on past one that fails.
    const result = await runner.run(batchArgv(null, true), { input: batchInput(namespaces.map((ns) => ['netns', 'del', ns])) });
    if (result.code !== 0) warnings.push(`ip -force -batch - (netns del ${namespaces.join(' ')}): ${result.stderr.trim()}`);
  }
  // The VMs' resolv.conf lives in /etc/netns/<ns>/ (bind-mounted by ip netns exec): remove the lab's folders.
  const etcNames = new Set([...namespaces, ...LAB_ROLES.map((role) => `${name}-${role}`), ...Object.values(state?.namespaces ?? {}), ...(state?.vms ?? []).map((vm) => vm.namespace)]);
  for (const ns of etcNames) if (ns) runner.removeFile(`${ETC_NETNS}/${ns}`);
  if (state?.pcapFile) {
    // Keep the responder's request log beside the capture for `imds-lab trace` (which rule decided).
    const responderLog = runner.readFile(`${stateDir}/responder.log`);
    if (responderLog !== null) runner.writeFile(`${state.pcapFile}.requests.log`, responderLog);
  }
  runner.removeFile(stateDir);
  return { namespaces, killed: killed.sort((a, b) => a - b), warnings, hadState: state !== null };
}
