// `imds-lab scenario list|show NAME`: the failure scenarios (netns/scenarios/*.yaml) with symptom,
// explanation and fix, rendered for the default VM profile (or --profile).
import { loadBaseTopology, loadScenarios } from '../lab/lab-data-files.ts';
import { LabError } from '../lab/lab-error.ts';
import { renderTemplate } from '../lab/lab-naming.ts';
import { buildTopology } from '../lab/lab-topology.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { JSON_FLAG, parseFlagsAndWords } from './cli-options.ts';
import { loadLabProfile } from '../lab/lab-setup.ts';

const HELP = `Usage: imds-lab scenario list [--json]
       imds-lab scenario show NAME [--profile FILE]

Lists the lab's failure scenarios, or shows one: the symptom seen from the VM, the explanation and the
documented fix (imds-lab up --scenario NAME [--fixed]).`;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndWords(argv, { ...JSON_FLAG, profile: { type: 'string' } });
  const [action, name] = parsed.words;
  const scenarios = loadScenarios();
  if (action === 'list' || action === undefined) {
    if (parsed.values.json) {
      io.stdout.write(`${JSON.stringify(scenarios.map((s) => ({ name: s.name, title: s.title, fixKind: s.fixKind, expect: s.expect, doctorCause: s.doctorCause })), null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const s of scenarios) io.stdout.write(`${s.name.padEnd(width)}  ${s.title}\n`);
    return 0;
  }
  if (action !== 'show' || !name) throw new LabError('ERR_LAB_USAGE', 'expected: scenario list | scenario show NAME');
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new LabError('ERR_LAB_SCENARIO', `unknown scenario ${JSON.stringify(name)} (known: ${scenarios.map((s) => s.name).join(', ')})`);
  const profile = await loadLabProfile(parsed.values.profile);
  const { vars } = buildTopology(profile, { name: 'imds', scenario, base: loadBaseTopology(), fixed: false, capture: 'socket' });
  const r = (text: string): string => renderTemplate(text, vars);
  io.stdout.write(
    [
      `${scenario.name}: ${scenario.title}`,
      `symptom:     ${r(scenario.symptom)}`,
      `explanation: ${r(scenario.explanation)}`,
      `fix:         ${r(scenario.fix)}${scenario.fixKind === 'client' ? ' (client-side: --fixed changes nothing in the lab)' : ''}`,
      `expected:    ${scenario.expect.broken} (fixed: ${scenario.expect.fixed}); doctor names: ${scenario.doctorCause}`,
      scenario.reports.length ? `reports:     ${scenario.reports.join(', ')}` : '',
      `try:         imds-lab up --scenario ${scenario.name}   (then imds-lab doctor; imds-lab up --scenario ${scenario.name} --fixed)`,
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n',
  );
  return 0;
}

export const scenarioCommand: CliCommand = { name: 'scenario', help: HELP, run };
