// What the lab commands (up, down, status, exec, run, doctor, demo) share: option parsing helpers, the
// state root, the command that re-runs this CLI inside a namespace, profile loading, progress on a TTY.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { loadProfile } from '../config/load-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import type { ExecutorEvent } from '../lab/executor.ts';
import { findScenario, loadBaseTopology, netnsDirectory } from '../lab/lab-data-files.ts';
import { LabError } from '../lab/lab-error.ts';
import { findLabVm, labStateDir, readLabState, type LabState } from '../lab/lab-state.ts';
import { formatStep } from '../lab/lab-step.ts';
import { CAPTURE_MODES, checkLabName, type CaptureMode } from '../lab/lab-naming.ts';
import { planLab, type LabPlan } from '../lab/plan-lab.ts';
import { MAX_LAB_VMS } from '../lab/lab-scale-set.ts';
import { processRunner } from '../process/process-runner.ts';
import type { CliIo } from './cli-command.ts';

export const DEFAULT_LAB_NAME = 'imds';
export const DEFAULT_CAPTURE: CaptureMode = 'tun';

/** Root of the labs' state directories: $IMDS_LAB_RUN_DIR, else /run/imds-lab. */
export function stateRoot(env: NodeJS.ProcessEnv): string {
  return resolve(env['IMDS_LAB_RUN_DIR'] ?? '/run/imds-lab');
}

/** The argv prefix that runs this CLI again (from source with tsx, or the built JavaScript). */
export function selfCommand(): string[] {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./main.ts', here))];
  }
  return [process.execPath, fileURLToPath(new URL('./main.js', here))];
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new LabError('ERR_LAB_ROOT', `${what} needs root (network namespaces); run it with sudo`);
}

export function parseCapture(value: string | undefined): CaptureMode {
  const capture = value ?? DEFAULT_CAPTURE;
  if (!(CAPTURE_MODES as readonly string[]).includes(capture)) throw new LabError('ERR_LAB_USAGE', `--capture: expected tun or socket, got ${JSON.stringify(capture)}`);
  return capture as CaptureMode;
}

export function parseName(value: string | undefined): string {
  const name = value ?? DEFAULT_LAB_NAME;
  checkLabName(name);
  return name;
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
}

/** Parses --vms N. */
export function parseVmCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LAB_VMS) throw new LabError('ERR_LAB_USAGE', `--vms: expected 1..${MAX_LAB_VMS}, got ${JSON.stringify(value)}`);
  return n;
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

/** Progress for slow steps: a single rewritten line on a TTY, nothing otherwise (unless verbose). */
export function progressReporter(io: CliIo, verbose: boolean): (event: ExecutorEvent) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  return (event) => {
    let line = '';
    if (event.type === 'step') line = `[${event.index + 1}/${event.total}] ${formatStep(event.step)}`;
    else if (event.type === 'waiting') line = `  waiting for ${event.id} … ${(event.elapsedMs / 1000).toFixed(1)} s`;
    else line = `setup failed: rolling back ${event.steps} step(s)`;
    if (verbose && event.type !== 'waiting') io.stderr.write(`${line}\n`);
    else if (tty) {
      const width = (io.stderr as NodeJS.WriteStream).columns ?? 100;
      const text = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
      io.stderr.write(`\r\x1b[K${text}`);
    }
    if (tty && !verbose && event.type === 'rollback') io.stderr.write('\n');
  };
}

export function clearProgress(io: CliIo): void {
  if ((io.stderr as NodeJS.WriteStream).isTTY === true) io.stderr.write('\r\x1b[K');
}
