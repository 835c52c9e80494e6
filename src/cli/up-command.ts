// `imds-lab up`: creates the VM and host namespaces (plus the scenario's extras) and starts the responder;
// `--dry-run` prints the exact commands, one per line, without running anything.
import { formatStep } from '../lab/lab-step.ts';
import { bringUp } from '../lab/lab-up.ts';
import { LabError } from '../lab/lab-error.ts';
import { processRunner } from '../process/process-runner.ts';
import { teardownLab } from '../lab/teardown.ts';
import { loadTunAddon } from '../link/tun.ts';
import type { LabState } from '../lab/lab-state.ts';
import { findScenario } from '../lab/lab-data-files.ts';
import { renderTemplate } from '../lab/lab-naming.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { cliInvocation } from './cli-invocation.ts';
import { LAB_UP_FLAGS, labUpArguments, parseFlags } from './cli-options.ts';
import { buildPlan, requireRoot, type LabUpArguments } from '../lab/lab-setup.ts';
import { clearProgress, progressReporter } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab up [options]

Creates a lab: network namespaces <name>-vm (the "VM": eth0 = primary NIC with the profile's IP, MAC and
Azure's routes) and <name>-host (the gateway side and the IMDS responder), plus what the scenario needs.
Nothing is connected to the root namespace. Run programs in the VM with: imds-lab exec -- CMD.

Options:
  --name N            Lab name (default imds); several labs with different names run side by side.
  --profile FILE      VM profile (JSON/YAML); default: the embedded example VM. Repeat for a scale set:
                      the 2nd, 3rd … file is the profile of vm1, vm2 …
  --vms N             A scale set of N VMs (namespaces <name>-vm0 … <name>-vm<N-1>) on the primary subnet,
                      answered by one responder by source IP; VMs without a --profile are derived from the
                      first (own vmId, name, IP, MAC, system identity). The scenario applies to vm0.
  --scenario S        Failure scenario (default healthy); list them with: imds-lab scenario list
  --fixed             Apply the scenario's documented fix.
  --capture MODE      tun (TUN device + userspace TCP) or socket (node:net on 169.254.169.254:80 in the
                      host namespace). Default tun.
  --pcap FILE         Record the IMDS traffic seen in the host namespace (tcpdump) for imds-lab trace.
  --virtual-clock     Run the responder on a virtual clock: IMDS time (timelines, fault delays, tokens,
                      scheduled events) moves only with imds-lab ctl --lab N clock advance.
  --no-rate-limit     Turn off Azure's per-VM rate limits (on by default: 5 requests/s; identity 20/s
                      and 5 concurrent), e.g. for load tests.
  --dry-run           Print the commands, one per line, and exit.
  -v, --verbose       Print every step as it runs.

An existing lab with the same name is reused when it was made from the same plan and still runs;
otherwise it is torn down and created anew. Ctrl-C (SIGINT/SIGTERM) while it is being made removes what
was made so far and exits 130.`;

export function parseUpArguments(argv: readonly string[]): LabUpArguments & { dryRun: boolean; verbose: boolean } {
  const values = parseFlags(argv, { ...LAB_UP_FLAGS, 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, 'no-rate-limit': { type: 'boolean' } });
  return {
    ...labUpArguments(values),
    rateLimit: !values['no-rate-limit'],
    dryRun: values['dry-run'] ?? false,
    verbose: values.verbose ?? false,
  };
}

/** The summary printed after `up` (and by the demo). */
export function describeLab(state: LabState): string {
  const scenario = findScenario(state.scenario);
  const lines = [
    `lab ${state.name}: scenario ${state.scenario}${state.fixed ? ' (fixed)' : ''}, capture ${state.capture}`,
    `  VM namespace   ${state.namespaces.vm}: ${state.nics.map((n) => `${n.device} ${n.ips.join(',')}/${n.prefix} (gateway ${n.gateway})`).join('; ')}${state.dhcp ? ' [addresses by DHCP]' : ''}`,
    `  host namespace ${state.namespaces.host}: gateway side, IMDS responder on 169.254.169.254:80`,
  ];
  if ((state.vms?.length ?? 1) > 1) {
    lines[1] = `  VM namespaces  ${state.vms.map((v) => `${v.name} ${v.namespace} ${v.ip}`).join('; ')} (scale set on ${state.nics[0]!.subnet}/${state.nics[0]!.prefix}; the scenario applies to vm0)`;
  }
  lines.push(`  control        ${cliInvocation()} ctl --lab ${state.name} …  (socket ${state.controlSocket}${state.virtualClock ? ', virtual clock' : ''})`);
  if (state.proxy) lines.push(`  proxy          ${state.proxy.role === 'proxy' || state.proxy.role === undefined ? state.namespaces.proxy : `on ${state.proxy.role}`}: tinyproxy on ${state.proxy.ip}:${state.proxy.port}${state.proxy.forwardedFor ? '' : ' (no X-Forwarded-For)'}`);
  if (state.cluster) lines.push(`  dead end       ${state.namespaces.dead}: peer of the VM's ${state.cluster.device} (${state.cluster.ip}/${state.cluster.prefix})`);
  if (Object.keys(state.env).length) lines.push(`  VM environment ${Object.entries(state.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (state.scenario !== 'healthy') {
    lines.push(`  symptom        ${renderTemplate(scenario.symptom, state.vars)}`);
    if (!state.fixed) lines.push(`  fix            ${renderTemplate(scenario.fix, state.vars)}`);
    else if (scenario.fixKind === 'client') lines.push('  note           this fix is in the client (retries); --fixed changes nothing in the lab');
  }
  lines.push(`  try: ${cliInvocation()} exec${state.name === 'imds' ? '' : ` --name ${state.name}`} -- curl -s -H Metadata:true 'http://169.254.169.254/metadata/instance?api-version=2021-02-01'`);
  return `${lines.join('\n')}\n`;
}

/** Exit code after SIGINT/SIGTERM interrupted `up` (128 + SIGINT, as shells report it). */
export const INTERRUPTED_EXIT = 130;

/**
 * bringUp with Ctrl-C handled: SIGINT/SIGTERM while the lab is being made let the step in flight finish,
 * then everything made so far is torn down (as a failed step is) and ERR_LAB_INTERRUPTED is thrown.
 */
export async function runUp(args: ReturnType<typeof parseUpArguments>, io: CliIo): Promise<LabState> {
  // Without the TUN addon say so (and offer --capture socket) before anything is created.
  if (args.capture === 'tun') loadTunAddon();
  const { plan, stateDir, pcapFile } = await buildPlan(args, io.env);
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupted) io.stderr.write(`\n${signal}: rolling back lab ${args.name}…\n`);
    interrupted ??= signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: Awaited<ReturnType<typeof bringUp>> | undefined;
  let failure: unknown;
  try {
    result = await bringUp(processRunner, plan, { stateDir, pcapFile, onEvent: progressReporter(io, args.verbose) });
  } catch (error) {
    failure = error;
  }
  try {
    if (interrupted) {
      clearProgress(io);
      const report = await teardownLab(processRunner, args.name, stateDir);
      throw new LabError('ERR_LAB_INTERRUPTED', `interrupted by ${interrupted}: removed ${report.namespaces.join(', ') || 'nothing yet'}; nothing of lab ${args.name} is left`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failure !== undefined || !result) throw failure;
  clearProgress(io);
  if (result.replaced) io.stderr.write(`replaced the existing lab ${args.name} (removed ${result.replaced.namespaces.join(', ') || 'its state'})\n`);
  if (result.reused) io.stderr.write(`lab ${args.name} is already up with the same plan; reusing it\n`);
  return result.state;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseUpArguments(argv);
  if (args.dryRun) {
    const { plan } = await buildPlan(args, io.env);
    io.stdout.write(plan.steps.map((s) => `${formatStep(s)}\n`).join(''));
    return 0;
  }
  requireRoot('imds-lab up');
  let state: LabState;
  try {
    state = await runUp(args, io);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_LAB_INTERRUPTED') throw error;
    io.stderr.write(`imds-lab up: ${(error as Error).message}\n`);
    return INTERRUPTED_EXIT;
  }
  io.stdout.write(describeLab(state));
  return 0;
}

export const upCommand: CliCommand = { name: 'up', help: HELP, run };
