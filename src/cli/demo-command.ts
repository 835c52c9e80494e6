// `imds-lab demo`: the guided tour. Brings a lab up with the embedded default profile, makes a few requests
// from the VM namespace with curl, then shows a broken scenario, the doctor's verdict and the fix, and
// tears everything down.
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { analyzeDoctorFacts } from '../lab/doctor-analysis.ts';
import { gatherDoctorFacts, probeImds } from '../lab/doctor-facts.ts';
import { executePlan } from '../lab/executor.ts';
import { findScenario, loadBaseTopology } from '../lab/lab-data-files.ts';
import { LabError } from '../lab/lab-error.ts';
import { labStateDir, type LabState } from '../lab/lab-state.ts';
import { formatStep } from '../lab/lab-step.ts';
import { renderTemplate } from '../lab/lab-naming.ts';
import { buildTopology } from '../lab/lab-topology.ts';
import { planFix } from '../lab/plan-lab.ts';
import { processRunner } from '../process/process-runner.ts';
import { teardownLab } from '../lab/teardown.ts';
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { cliInvocation } from './cli-invocation.ts';
import { NAME_FLAG, parseFlags } from './cli-options.ts';
import { requireRoot, stateRoot, vmEnvironment } from '../lab/lab-setup.ts';
import { parseCapture, parseName } from './lab-cli-support.ts';
import { describeLab, runUp } from './up-command.ts';

const HELP = `Usage: imds-lab demo [--name N] [--capture tun|socket] [--scenario S]

A guided tour (needs root): creates a lab with the embedded example VM, asks IMDS for an instance leaf,
a managed-identity token and the attested document from inside the VM namespace with curl, then breaks
the network the way scenario S does (default secondary-nic), lets the doctor explain it, applies the
documented fix and asks again. Everything is removed at the end.`;

const IMDS = `http://${IMDS_ADDRESS}`;

function shorten(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length} bytes)` : flat;
}

async function ask(io: CliIo, state: LabState, title: string, path: string): Promise<void> {
  io.stdout.write(`\n$ ${cliInvocation()} exec --name ${state.name} -- curl -s -H Metadata:true '${IMDS}${path}'   # ${title}\n`);
  const probe = await probeImds(processRunner, state.namespaces.vm!, vmEnvironment(io.env, state), { bypassProxy: false, timeoutSeconds: 2, url: `${IMDS}${path}` });
  if (probe.status === null) io.stdout.write(`  curl failed (exit ${probe.exitCode}) after ${probe.timeMs} ms: ${probe.error}\n`);
  else io.stdout.write(`  HTTP ${probe.status} in ${probe.timeMs} ms: ${shorten(probe.body)}\n`);
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, { ...NAME_FLAG, capture: { type: 'string' }, scenario: { type: 'string' } });
  requireRoot('imds-lab demo');
  const name = parseName(values.name ?? 'demo');
  const capture = parseCapture(values.capture);
  const broken = values.scenario ?? 'secondary-nic';
  const scenario = findScenario(broken);
  if (scenario.fixKind !== 'environment') throw new LabError('ERR_LAB_USAGE', `the demo shows a fix in the lab; ${broken} is fixed in the client — pick another scenario`);
  const base = { name, profile: undefined, fixed: false, capture, pcap: undefined, dryRun: false, verbose: false };
  const say = (text: string): void => void io.stdout.write(`\n== ${text}\n`);
  try {
    say('1. A VM as on Azure: two network namespaces, no way out to this machine or the internet');
    let state = await runUp({ ...base, scenario: 'healthy' }, io);
    io.stdout.write(describeLab(state));

    say('2. Unmodified curl inside the VM namespace talks to 169.254.169.254');
    await ask(io, state, 'an instance leaf as text', '/metadata/instance/compute/vmId?api-version=2021-02-01&format=text');
    await ask(io, state, 'a managed-identity token', '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F');
    await ask(io, state, 'the attested document (PKCS#7 signed)', '/metadata/attested/document?api-version=2020-09-01&nonce=1234567890');

    say(`3. Break it: scenario ${scenario.name} — ${scenario.title}`);
    state = await runUp({ ...base, scenario: scenario.name }, io);
    const vars = state.vars;
    io.stdout.write(`${renderTemplate(scenario.explanation, vars)}\n`);
    await ask(io, state, 'the same request', '/metadata/instance/compute/vmId?api-version=2021-02-01&format=text');

    say('4. imds-lab doctor looks from inside the VM');
    const report = analyzeDoctorFacts(await gatherDoctorFacts(processRunner, state, vmEnvironment(io.env, state)));
    for (const f of report.findings) io.stdout.write(`  ${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}\n`);
    io.stdout.write(`verdict: ${report.cause}: ${report.summary}\nfix: ${report.fix}\n`);

    say('5. Apply the documented fix inside the VM namespace');
    const topology = buildTopology(DEFAULT_PROFILE, { name, scenario, base: loadBaseTopology(), fixed: true, capture });
    const fix = planFix(topology);
    for (const step of fix) io.stdout.write(`$ ${formatStep(step)}\n`);
    await executePlan(processRunner, fix);
    state = { ...state, env: topology.env };
    await ask(io, state, 'the same request again', '/metadata/instance/compute/vmId?api-version=2021-02-01&format=text');
    const cli = cliInvocation();
    io.stdout.write(`\nMore: ${cli} scenario list; ${cli} up --scenario NAME; ${cli} doctor; docs/lab.md\n`);
    return 0;
  } finally {
    say('6. Tear down');
    const report = await teardownLab(processRunner, name, labStateDir(stateRoot(io.env), name));
    io.stdout.write(`removed ${report.namespaces.join(', ') || 'nothing'}; stopped ${report.killed.length} process(es)\n`);
  }
}

export const demoCommand: CliCommand = { name: 'demo', help: HELP, run };
