// `imds-lab doctor`: looks from inside the VM namespace (route, interface, source, proxies, a probe) and
// says in plain words what is wrong and how to fix it; --json for scripts.
import { analyzeDoctorFacts, type DoctorReport } from '../lab/doctor-analysis.ts';
import { doctorTarget, gatherDoctorFacts } from '../lab/doctor-facts.ts';
import { processRunner } from '../process/process-runner.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { JSON_FLAG, NAME_FLAG, parseFlags } from './cli-options.ts';
import { HTML_FLAG, writeDoctorHtml } from './html-view-io.ts';
import { readRunningLab, requireRoot, vmEnvironment } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab doctor [--name N] [--vm VM] [--json] [--html FILE]

Checks, from inside the VM namespace of lab N (default imds): the route to 169.254.169.254 (outgoing
interface, gateway, source IP), whether that is the primary NIC and primary IP, the proxy variables of the
scenario's environment, and a probe with the Metadata header (2 s timeout). Prints a verdict and the fix.
In a scale set (up --vms N), --vm vm1 … looks from that VM (default vm0; the scenario's variables apply to
vm0 only, as with exec).
--html FILE also writes a self-contained page: the path (interfaces, routes, gateway, proxy, where the
request stops), the same with --fixed side by side, and each captured connection (labs up with --pcap).
Exit code 0 when IMDS answers normally, 1 when a problem was found.`;

export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.findings.map((f) => `  ${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}`);
  lines.push('', `verdict: ${report.healthy ? 'healthy' : `problem (${report.cause})`}`, `  ${report.summary}`);
  if (!report.healthy) lines.push(`fix: ${report.fix}`);
  return `${lines.join('\n')}\n`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, { ...NAME_FLAG, ...JSON_FLAG, ...HTML_FLAG, vm: { type: 'string' } });
  requireRoot('imds-lab doctor');
  const state = readRunningLab(io.env, parseName(values.name));
  const target = doctorTarget(state, values.vm);
  const facts = await gatherDoctorFacts(processRunner, state, vmEnvironment(io.env, state, target.vm), target);
  const report = analyzeDoctorFacts(facts);
  if (values.html !== undefined) await writeDoctorHtml(values.html, state, target, facts, report);
  if (values.json) io.stdout.write(`${JSON.stringify({ ...report, facts }, null, 2)}\n`);
  else io.stdout.write(`doctor for lab ${state.name} (scenario ${state.scenario}${state.fixed ? ', fixed' : ''}), from ${target.namespace}:\n${formatDoctorReport(report)}`);
  return report.healthy ? 0 : 1;
}

export const doctorCommand: CliCommand = { name: 'doctor', summary: 'diagnose IMDS access from inside the VM namespace, with the fix', help: HELP, run };
