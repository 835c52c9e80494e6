// `imds-lab run -- CMD…`: brings a lab up, runs CMD in the VM namespace with the scenario's environment,
// tears the lab down and returns CMD's exit code (how a test suite checks an unmodified app).
import { labStateDir } from '../lab/lab-state.ts';
import { processRunner } from '../process/process-runner.ts';
import { teardownLab } from '../lab/teardown.ts';
import { execInNamespace } from '../lab/vm-exec.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { LAB_UP_FLAGS, labUpArguments, labUsageError, parseFlags } from './cli-options.ts';
import { runWithReport } from './check-command.ts';
import { commandProblem, splitCommand } from './exec-command.ts';
import { HTML_FLAG, RunHtmlRecorder } from './html-view-io.ts';
import { requireRoot, stateRoot, vmEnvironment } from '../lab/lab-setup.ts';
import { runUp } from './up-command.ts';

const HELP = `Usage: imds-lab run [options] -- CMD [ARGS…]

Creates a lab, runs CMD in its VM namespace (with the scenario's environment), removes the lab and exits
with CMD's exit code (127: CMD not found, 126: not executable; checked before the lab is made).
Setup problems exit 125.

Options:
  --name N          Lab name (default: run<PID>, so parallel runs do not collide).
  --scenario S      Failure scenario (default healthy).
  --fixed           Apply the scenario's documented fix.
  --profile FILE    VM profile (default: the embedded example VM); repeat for the VMs of a scale set.
  --vms N           A scale set of N VMs (see imds-lab up --help); CMD runs on vm0.
  --virtual-clock   Run the responder on a virtual clock (imds-lab ctl --lab N clock advance).
  --capture MODE    tun or socket (default tun).
  --pcap FILE       Record the IMDS traffic for imds-lab trace.
  --keep            Leave the lab up afterwards (remove it with imds-lab down --name N).
  --html FILE       Write a self-contained page of the run: the path to 169.254.169.254 (and with
                    --fixed) and each of the run's connections as a ladder diagram.
  --report          Print a behaviour summary instead of CMD's output: its IMDS requests (time, status,
                    rule, Metadata header), the busiest second, SYNs from the wire, exit, duration, the
                    stderr tail (no grading; imds-lab check grades). Not with --keep, --vms,
                    --virtual-clock, --pcap or --capture socket.`;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { options, command } = splitCommand(argv);
  const values = parseFlags(options, { ...LAB_UP_FLAGS, keep: { type: 'boolean' }, ...HTML_FLAG, report: { type: 'boolean' } });
  requireRoot('imds-lab run');
  const problem = commandProblem(command[0]!, io.env);
  if (problem) {
    io.stderr.write(`imds-lab run: ${problem.message}\n`);
    return problem.code;
  }
  const html = values.html === undefined ? null : new RunHtmlRecorder(values.html, values.pcap);
  const args = { ...labUpArguments(values, `run${process.pid % 100000}`), ...(html ? { pcap: html.pcap } : {}), dryRun: false, verbose: false };
  const { name } = args;
  if (values.report) {
    const unsupported = (['keep', 'vms', 'virtual-clock', 'pcap'] as const).filter((f) => values[f] !== undefined);
    if (unsupported.length > 0 || args.capture !== 'tun' || (args.vmProfiles?.length ?? 0) > 0) throw labUsageError(`--report needs one VM with tun capture; not with ${unsupported.map((f) => `--${f}`).join(', ') || '--capture socket or several --profile'}`);
    return runWithReport(command, { name, scenario: args.scenario, fixed: args.fixed, profile: args.profile }, io);
  }
  let state;
  try {
    state = await runUp(args, io);
  } catch (error) {
    io.stderr.write(`imds-lab run: ${(error as Error).message}\n`);
    html?.discard();
    return 125;
  }
  let exitCode = 125;
  try {
    exitCode = await execInNamespace(state.namespaces.vm!, command, vmEnvironment(io.env, state), { stdout: io.stdout, stderr: io.stderr });
    await html?.beforeTeardown(state, vmEnvironment(io.env, state));
    return exitCode;
  } finally {
    if (!values.keep) {
      const report = await teardownLab(processRunner, name, labStateDir(stateRoot(io.env), name));
      for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
    }
    await html?.write(command, exitCode, io.stderr);
  }
}

export const runCommand: CliCommand = { name: 'run', help: HELP, run };
