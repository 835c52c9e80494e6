// Lab set-up helpers shared by the CLI's lab commands and the library entry (src/lib.ts): the state root,
// the command that re-runs the CLI inside a namespace, root check, profile loading, the plan of a lab, a
// running lab's state, and the environment and namespace of a VM.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { loadProfile } from '../config/load-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { processRunner } from '../process/process-runner.ts';
import { findScenario, loadBaseTopology, netnsDirectory } from './lab-data-files.ts';
import { LabError } from './lab-error.ts';
import type { CaptureMode } from './lab-naming.ts';
import { findLabVm, labStateDir, readLabState, type LabState } from './lab-state.ts';
import { planLab, type LabPlan } from './plan-lab.ts';

/** Root of the labs' state directories: $IMDS_LAB_RUN_DIR, else /run/imds-lab. */
export function stateRoot(env: NodeJS.ProcessEnv): string {
  return resolve(env['IMDS_LAB_RUN_DIR'] ?? '/run/imds-lab');
}

/** The argv prefix that runs this CLI again (from source with tsx, or the built JavaScript). */
export function selfCommand(): string[] {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../cli/main.ts', here))];
  }
  return [process.execPath, fileURLToPath(new URL('../cli/main.js', here))];
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new LabError('ERR_LAB_ROOT', `${what} needs root (network namespaces); run it with sudo`);
}

export async function loadLabProfile(file: string | undefined): Promise<VmProfile> {
  return file === undefined ? DEFAULT_PROFILE : loadProfile(file);
}

export interface LabUpArguments {
  readonly name: string;
  readonly profile: string | undefined;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly capture: CaptureMode;
  readonly pcap: string | undefined;
  /** Number of VMs (a scale set when > 1); default 1 or what the scenario needs. */
  readonly vms?: number | undefined;
  /** Profiles of VMs 1, 2, … (the second, third … --profile). */
  readonly vmProfiles?: readonly string[];
  /** The responder runs on a virtual clock (ctl clock advance). */
  readonly virtualClock?: boolean;
  /** Azure's per-VM rate limits (default true; up --no-rate-limit). */
  readonly rateLimit?: boolean;
}

/** The namespace of VM `vm` (vm0, vm1, …; default vm0) of a running lab. */
export function vmNamespace(state: LabState, vm: string | undefined): string {
  return findLabVm(state, vm).namespace;
}

export async function buildPlan(args: LabUpArguments, env: NodeJS.ProcessEnv): Promise<{ plan: LabPlan; stateDir: string; pcapFile: string | null }> {
  const profile = await loadLabProfile(args.profile);
  const vmProfiles = await Promise.all((args.vmProfiles ?? []).map((file) => loadProfile(file)));
  const root = stateRoot(env);
  const stateDir = labStateDir(root, args.name);
  const pcapFile = args.pcap === undefined ? null : resolve(args.pcap);
  const plan = planLab(profile, {
    name: args.name,
    scenario: findScenario(args.scenario),
    base: loadBaseTopology(),
    fixed: args.fixed,
    capture: args.capture,
    stateDir,
    serveStateDir: `${root}/.responder`,
    selfCommand: selfCommand(),
    profileFile: args.profile === undefined ? null : resolve(args.profile),
    pcapFile,
    dhclientScript: `${netnsDirectory()}dhclient-script`,
    ...(args.vms !== undefined ? { vmCount: args.vms } : {}),
    vmProfiles,
    virtualClock: args.virtualClock ?? false,
    rateLimit: args.rateLimit ?? true,
  });
  return { plan, stateDir, pcapFile };
}

export function readRunningLab(env: NodeJS.ProcessEnv, name: string): LabState {
  const state = readLabState(processRunner, labStateDir(stateRoot(env), name));
  if (!state) throw new LabError('ERR_LAB_NOT_UP', `no lab named ${JSON.stringify(name)} is up (start one with: imds-lab up --name ${name})`);
  return state;
}

/** What programs in VM `vm` (default vm0) see: the caller's environment plus the scenario's variables, which apply to vm0 only. */
export function vmEnvironment(callerEnv: NodeJS.ProcessEnv, state: Pick<LabState, 'env'>, vm = 'vm0'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(callerEnv)) if (v !== undefined) env[k] = v;
  return vm === 'vm0' ? { ...env, ...state.env } : env;
}
