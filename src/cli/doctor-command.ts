// `imds-lab doctor`: looks from inside the VM namespace (route, interface, source, proxies, a probe) and, in a
// lab with a container, from the container too (the VM's NAT and egress rules for it); says in plain words
// what is wrong and how to fix it; --json for scripts.
import { analyzeDoctorFacts, type DoctorReport } from '../lab/doctor-analysis.ts';
import { analyzeContainerFacts, combineDoctorReports } from '../lab/doctor-container-analysis.ts';
import { gatherContainerFacts } from '../lab/doctor-container-facts.ts';
import { doctorTarget, gatherDoctorFacts } from '../lab/doctor-facts.ts';
import { LabError } from '../lab/lab-error.ts';
import { processRunner } from '../process/process-runner.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { JSON_FLAG, NAME_FLAG, parseFlags } from './cli-options.ts';
import { HTML_FLAG, writeDoctorHtml } from './html-view-io.ts';
import { readRunningLab, requireRoot, vmEnvironment } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab doctor [--name N] [--vm VM | --container] [--json] [--html FILE]

Checks, from inside the VM namespace of lab N (default imds): the route to 169.254.169.254 (outgoing
interface, gateway, source IP), whether that is the primary NIC and primary IP, the proxy variables of the
scenario's environment, and a probe with the Metadata header (2 s timeout). Prints a verdict and the fix.
In a lab with a container (the container-*, netpol-* and pod-agent-* scenarios) it also looks from the
container <N>-ctr: its route, what the VM's nftables rules do to its request (a DNAT of 169.254.169.254:80
to a node agent and who listens there, an egress drop or reject, MASQUERADE or not, so which source IMDS
sees) and probes from the container (metadata, and a token request). Both paths are printed; the verdict is
the VM's problem if it has one (the container's traffic crosses the VM), else the container's.
--container looks from the container only (an error when the lab has none).
In a scale set (up --vms N), --vm vm1 … looks from that VM (default vm0; the scenario's variables apply to
vm0 only, as with exec).
--html FILE also writes a self-contained page: the path (interfaces, routes, gateway, proxy, where the
request stops), the same with --fixed side by side, and each captured connection (labs up with --pcap).
Exit code 0 when IMDS answers normally, 1 when a problem was found.`;

function formatFindings(report: DoctorReport): string[] {
  return report.findings.map((f) => `  ${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}`);
}

function formatVerdict(report: DoctorReport): string[] {
  const lines = ['', `verdict: ${report.healthy ? 'healthy' : `problem (${report.cause})`}`, `  ${report.summary}`];
  if (!report.healthy) lines.push(`fix: ${report.fix}`);
  return lines;
}

export function formatDoctorReport(report: DoctorReport): string {
  return `${[...formatFindings(report), ...formatVerdict(report)].join('\n')}\n`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, { ...NAME_FLAG, ...JSON_FLAG, ...HTML_FLAG, vm: { type: 'string' }, container: { type: 'boolean' } });
  if (values.container && values.vm !== undefined) throw new LabError('ERR_LAB_USAGE', '--container and --vm: the container lives in vm0; give one of them');
  requireRoot('imds-lab doctor');
  const state = readRunningLab(io.env, parseName(values.name));
  if (values.container && state.namespaces.ctr === undefined) throw new LabError('ERR_LAB_USAGE', `--container: lab ${state.name} (scenario ${state.scenario}) has no container`);
  const target = doctorTarget(state, values.vm);
  const env = vmEnvironment(io.env, state, target.vm);
  const title = `doctor for lab ${state.name} (scenario ${state.scenario}${state.fixed ? ', fixed' : ''})`;
  // The container lives in vm0; a look from another VM of a scale set does not include it.
  const withContainer = state.namespaces.ctr !== undefined && target.vm === state.vms[0]?.name;
  const [facts, containerFacts] = await Promise.all([
    values.container ? Promise.resolve(null) : gatherDoctorFacts(processRunner, state, env, target),
    withContainer ? gatherContainerFacts(processRunner, state, target.namespace, env) : Promise.resolve(null),
  ]);
  const containerReport = containerFacts ? analyzeContainerFacts(containerFacts, target.primary) : null;
  const containerHeading = containerFacts ? `from ${containerFacts.namespace} (the container, ${containerFacts.address}; its requests cross ${target.namespace}):` : '';

  if (!facts) {
    // --container: the container's path alone.
    const report = containerReport!;
    if (values.json) io.stdout.write(`${JSON.stringify({ ...report, facts: { container: containerFacts } }, null, 2)}\n`);
    else io.stdout.write(`${title}, ${containerHeading}\n${formatDoctorReport(report)}`);
    return report.healthy ? 0 : 1;
  }
  const vmReport = analyzeDoctorFacts(facts);
  const report = containerReport ? combineDoctorReports(vmReport, containerReport) : vmReport;
  if (values.html !== undefined) {
    const checks = [{ heading: `from ${target.namespace} (the VM)`, findings: vmReport.findings }];
    if (containerReport) checks.push({ heading: containerHeading.replace(/:$/, ''), findings: containerReport.findings });
    await writeDoctorHtml(values.html, state, target, facts, report, checks);
  }
  if (values.json) io.stdout.write(`${JSON.stringify({ ...report, facts: containerFacts ? { ...facts, container: containerFacts } : facts }, null, 2)}\n`);
  else {
    const lines = [`${title}, from ${target.namespace}:`, ...formatFindings(vmReport)];
    if (containerReport) lines.push(containerHeading, ...formatFindings(containerReport));
    io.stdout.write(`${[...lines, ...formatVerdict(report)].join('\n')}\n`);
  }
  return report.healthy ? 0 : 1;
}

export const doctorCommand: CliCommand = { name: 'doctor', help: HELP, run };
