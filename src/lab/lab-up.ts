// Bringing a lab up (idempotently): an existing lab with the same name and the same plan whose programs
// all run is reused; anything else under that name is torn down first and the lab is created anew.
import { LabError } from './lab-error.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import { countSteps, executePlan, type ExecuteOptions } from './executor.ts';
import type { LabPlan } from './plan-lab.ts';
import { initialState, planFingerprint, readLabState, writeLabState, type LabProcessRecord, type LabState } from './lab-state.ts';
import { existingLabNamespaces, teardownLab, type TeardownReport } from './teardown.ts';

export interface UpResult {
  readonly state: LabState;
  /** True when an identical running lab was found and kept. */
  readonly reused: boolean;
  /** Set when an older lab of the same name was removed first. */
  readonly replaced: TeardownReport | null;
}

export interface UpOptions extends ExecuteOptions {
  readonly stateDir: string;
  readonly pcapFile: string | null;
  readonly now?: () => Date;
}

/** Whether the recorded lab still runs: its namespaces exist and its programs are alive. */
export async function labIsHealthy(runner: LabRunner, state: LabState): Promise<{ healthy: boolean; problems: string[] }> {
  const problems: string[] = [];
  const present = new Set(await existingLabNamespaces(runner, state.name));
  for (const ns of Object.values(state.namespaces)) if (ns !== undefined && !present.has(ns)) problems.push(`namespace ${ns} is missing`);
  for (const p of state.processes) if (!runner.isAlive(p.pid)) problems.push(`${p.id} (pid ${p.pid}) is not running`);
  if (!state.complete) problems.push('setup did not complete');
  return { healthy: problems.length === 0, problems };
}

async function hostInterfaces(runner: LabRunner, ns: string): Promise<Record<string, string>> {
  const result = await runner.run(['ip', '-n', ns, '-j', 'link', 'show']);
  if (result.code !== 0) return {};
  try {
    const links = JSON.parse(result.stdout) as { ifindex: number; ifname: string }[];
    return Object.fromEntries(links.map((l) => [String(l.ifindex), l.ifname]));
  } catch {
    return {};
  }
}

export async function bringUp(runner: LabRunner, plan: LabPlan, options: UpOptions): Promise<UpResult> {
  const name = plan.topology.name;
  const now = options.now ?? (() => new Date());
  let existing: LabState | null = null;
  try {
    existing = readLabState(runner, options.stateDir);
  } catch {
    existing = null;
  }
  if (existing && existing.fingerprint === planFingerprint(plan.steps, plan.env) && existing.pcapFile === options.pcapFile) {
    const { healthy } = await labIsHealthy(runner, existing);
    if (healthy) return { state: existing, reused: true, replaced: null };
  }
  let replaced: TeardownReport | null = null;
  if (existing || (await existingLabNamespaces(runner, name)).length > 0) {
    replaced = await teardownLab(runner, name, options.stateDir);
  }

  let state: LabState = initialState(plan.topology, plan.steps, options.stateDir, options.pcapFile, now(), plan.virtualClock);
  writeLabState(runner, state);
  const done = await executePlan(runner, plan.steps, {
    ...options,
    onProgress: (steps) => {
      const processes: LabProcessRecord[] = [];
      for (const d of steps) {
        if (d.step.kind === 'spawn' && d.pid !== undefined) processes.push({ id: d.step.id, pid: d.pid, argv: d.step.argv.slice(4), log: d.step.log });
      }
      // The state file records the programs `down` must stop: rewrite it only when they change (not per step).
      if (processes.length !== state.processes.length || processes.some((p, i) => p.pid !== state.processes[i]!.pid)) {
        state = { ...state, processes };
        writeLabState(runner, state);
      }
      options.onProgress?.(steps);
    },
  }).catch((error: unknown) => {
    runner.removeFile(options.stateDir);
    throw error;
  });
  if (done.length !== countSteps(plan.steps)) throw new LabError('ERR_LAB_SETUP', 'internal: not every step ran');
  state = { ...state, complete: true, hostInterfaces: await hostInterfaces(runner, plan.topology.namespaces.host!) };
  writeLabState(runner, state);
  if (options.pcapFile) {
    const sidecar = { name, scenario: state.scenario, fixed: state.fixed, capture: state.capture, nics: state.nics, proxy: state.proxy, cluster: state.cluster, hostInterfaces: state.hostInterfaces };
    runner.writeFile(`${options.pcapFile}.lab.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  }
  return { state, reused: false, replaced };
}
