// The package entry (`import { startLab } from 'imds-lab'`, docs/library.md): startLab brings a lab up and
// returns a handle (exec/run in a VM, a ControlClient via a host-namespace relay, the request log, close()).
// As an entry point it reads process.env only as a default: of StartLabOptions.env (and CheckOptions.env).
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { buildPlan, requireRoot, selfCommand, vmEnvironment, vmNamespace } from './lab/lab-setup.ts';
import { runCheck, type CheckOptions } from './check/run-check.ts';
import type { CheckReport } from './check/check-report.ts';
import { ControlClient } from './control/control-client.ts';
import type { LoggedRequest } from './control/request-log-buffer.ts';
import { LabError } from './lab/lab-error.ts';
import type { LabState, LabVmRecord } from './lab/lab-state.ts';
import type { CaptureMode } from './lab/lab-naming.ts';
import { bringUp } from './lab/lab-up.ts';
import { processRunner } from './process/process-runner.ts';
import { teardownLab } from './lab/teardown.ts';
import { captureInNamespace, spawnInNamespace, type CapturedRun } from './lab/vm-exec.ts';

export { ControlClient } from './control/control-client.ts';
export { ControlRequestError } from './control/control-error.ts';
export type { ClockView, FaultInput, IdentityInput, IdentitySelector, PhaseInput, ScheduledEventInput, TimelineInput, VmInfo } from './control/control-client.ts';
export type { LoggedRequest } from './control/request-log-buffer.ts';
export type { LabState, LabVmRecord } from './lab/lab-state.ts';
export type { CapturedRun as ExecResult } from './lab/vm-exec.ts';
export { startDaemon, type DaemonHandle, type DaemonOptions } from './daemon/start-daemon.ts';
export { FakeClock, systemClock, type Clock } from './util/clock.ts';
export type { CaseReport, CheckReport, ReportRequest, ReportSyns, RuleId, RuleStatus, RuleSummary, RuleVerdict } from './check/check-report.ts';
export type { CheckOptions } from './check/run-check.ts';

export interface StartLabOptions {
  /** Lab name (namespaces <name>-vm, <name>-host …); default a unique `l<pid><random>`. */
  readonly name?: string;
  /** Failure scenario (default healthy; see `imds-lab scenario list`). */
  readonly scenario?: string;
  /** Apply the scenario's documented fix. */
  readonly fixed?: boolean;
  /** tun (default) or socket. */
  readonly capture?: CaptureMode;
  /** Profile file(s): one for the VM, or one per VM of a scale set (vm0, vm1, …). Default: the embedded example VM. */
  readonly profile?: string | readonly string[];
  /** Number of VMs (a scale set when > 1; VMs without a profile are derived from the first). */
  readonly vms?: number;
  /** Run the responder on a virtual clock (lab.ctl.advanceClock). */
  readonly virtualClock?: boolean;
  /** Azure's per-VM rate limits (default true; false = up --no-rate-limit). */
  readonly rateLimit?: boolean;
  /** Root of the labs' state directories (default $IMDS_LAB_RUN_DIR, else /run/imds-lab). */
  readonly runDir?: string;
  /** Record the IMDS traffic (tcpdump) into this pcap file. */
  readonly pcap?: string;
  /**
   * The caller's environment: $IMDS_LAB_RUN_DIR (unless runDir is given), the environment of the control
   * relay and the base environment of exec/run in the VMs. Default: process.env.
   */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ExecOptions {
  /** The VM (vm0, vm1, …; default vm0). */
  readonly vm?: string;
  /** Extra environment (added to StartLabOptions.env and, on vm0, the scenario's). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the command (SIGKILL, exit 137) after this many milliseconds (default 60 000). */
  readonly timeoutMs?: number;
  /** Bytes for the command's stdin. */
  readonly input?: string | Uint8Array;
}

export interface RequestFilter {
  /** Only this VM's entries (default: every VM of the lab). */
  readonly vm?: string;
  readonly path?: string;
  readonly status?: number;
  readonly rule?: string;
  /** Only entries with seq > since. */
  readonly since?: number;
}

export interface Lab {
  readonly name: string;
  /** The lab's state (namespaces, addresses, VMs, processes, control socket). */
  readonly state: LabState;
  /** The VMs (vm0 first). */
  readonly vms: readonly LabVmRecord[];
  /** The control client of the lab's responder (ctl.forVm('vm1') addresses another VM of a scale set). */
  readonly ctl: ControlClient;
  /** Runs argv in a VM namespace; resolves with exit code and output (never rejects for a non-zero exit). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<CapturedRun>;
  /** Like exec, but resolves with stdout and rejects (LabError ERR_LAB_EXEC, with the output) on a non-zero exit. */
  run(argv: readonly string[], options?: ExecOptions): Promise<string>;
  /** The responder's request log, oldest first. */
  requests(filter?: RequestFilter): Promise<LoggedRequest[]>;
  /** Removes the lab (processes, namespaces, state). Safe to call twice. */
  close(): Promise<void>;
}

function defaultName(): string {
  return `l${(process.pid % 60_000_000).toString(36).padStart(5, '0')}${randomBytes(1).toString('hex')}`;
}

/** Starts the relay (`imds-lab ctl --stdio` in <lab>-host) and connects a ControlClient through it. */
async function connectControl(state: LabState, env: NodeJS.ProcessEnv): Promise<{ ctl: ControlClient; stop: () => void }> {
  const child = spawnInNamespace(state.namespaces.host!, [...selfCommand(), 'ctl', '--socket', state.controlSocket, '--stdio'], { ...env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  try {
    const ctl = await ControlClient.overStream(stream, `${state.controlSocket} (relay in ${state.namespaces.host})`, { timeoutMs: 20_000 });
    return { ctl, stop: () => void (child.exitCode === null && child.kill('SIGTERM')) };
  } catch (error) {
    child.kill('SIGKILL');
    throw new LabError('ERR_LAB_CONTROL', `cannot reach the control socket of lab ${state.name}: ${(error as Error).message}${stderr ? ` (${stderr.trim()})` : ''}`, { cause: error });
  }
}

export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  requireRoot('startLab');
  const name = options.name ?? defaultName();
  const profiles = options.profile === undefined ? [] : typeof options.profile === 'string' ? [options.profile] : [...options.profile];
  // The one read of process.env in library mode.
  const callerEnv = options.env ?? process.env;
  const env = { ...callerEnv, ...(options.runDir !== undefined ? { IMDS_LAB_RUN_DIR: options.runDir } : {}) };
  const args = {
    name,
    profile: profiles[0],
    vmProfiles: profiles.slice(1),
    scenario: options.scenario ?? 'healthy',
    fixed: options.fixed ?? false,
    capture: options.capture ?? 'tun',
    pcap: options.pcap,
    vms: options.vms,
    virtualClock: options.virtualClock ?? false,
    rateLimit: options.rateLimit ?? true,
  };
  const { plan, stateDir, pcapFile } = await buildPlan(args, env);
  const teardown = async (): Promise<void> => {
    await teardownLab(processRunner, name, stateDir);
  };
  let state: LabState;
  try {
    state = (await bringUp(processRunner, plan, { stateDir, pcapFile })).state;
  } catch (error) {
    await teardown();
    throw error;
  }
  let control: { ctl: ControlClient; stop: () => void };
  try {
    control = await connectControl(state, callerEnv);
  } catch (error) {
    await teardown();
    throw error;
  }
  const { ctl } = control;
  const vms = state.vms ?? [];
  let closed = false;

  const exec = (argv: readonly string[], o: ExecOptions = {}): Promise<CapturedRun> => {
    const namespace = vmNamespace(state, o.vm);
    const base = vmEnvironment(callerEnv, state, o.vm);
    return captureInNamespace(namespace, argv, { ...base, ...o.env }, { timeoutMs: o.timeoutMs ?? 60_000, ...(o.input !== undefined ? { input: o.input } : {}) });
  };

  return {
    name,
    state,
    vms,
    ctl,
    exec,
    async run(argv, o) {
      const r = await exec(argv, o);
      if (r.code !== 0) throw new LabError('ERR_LAB_EXEC', `${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
      return r.stdout;
    },
    async requests(filter = {}) {
      const { vm, ...rest } = filter;
      const names = vm !== undefined ? [vm] : ctl.vms;
      const parts = await Promise.all(names.map(async (n) => (await ctl.forVm(n).queryLog(rest)).entries));
      return parts.flat().sort((a, b) => a.seq - b.seq);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await ctl.close();
      } finally {
        control.stop();
        await teardown();
      }
    },
  };
}

/**
 * Grades an unmodified app against IMDS failure cases, one fresh lab per case (docs/check.md); resolves with
 * the report (`imds-lab check --json`). The app's base environment is options.env, default process.env.
 */
export function checkClient(argv: readonly string[], options: CheckOptions = {}): Promise<CheckReport> {
  requireRoot('checkClient');
  return runCheck(argv, { ...options, env: options.env ?? process.env }, startLab);
}
