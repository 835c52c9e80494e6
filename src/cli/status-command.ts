// `imds-lab status`: what a lab is (scenario, namespaces, addresses, processes) and whether it still runs.
import { labStateDir, readLabState } from '../lab/lab-state.ts';
import { labIsHealthy } from '../lab/lab-up.ts';
import { processRunner } from '../process/process-runner.ts';
import { existingLabNamespaces } from '../lab/teardown.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { JSON_FLAG, NAME_FLAG, parseFlags } from './cli-options.ts';
import { requireRoot, stateRoot } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';
import { describeLab } from './up-command.ts';

const HELP = `Usage: imds-lab status [--name N] [--json]

Shows the lab N (default imds): scenario, namespaces, addresses, the processes it started and whether they
still run (needs root, like the other lab commands: the lab state is readable by root only).
Exit code 0 when the lab is up and healthy, 1 when it is broken, 3 when there is no lab.`;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, { ...NAME_FLAG, ...JSON_FLAG });
  const name = parseName(values.name);
  // The lab state is 0600 root: without root a healthy lab would look absent, so say what is needed instead.
  requireRoot('imds-lab status');
  const state = readLabState(processRunner, labStateDir(stateRoot(io.env), name));
  if (!state) {
    const leftovers = await existingLabNamespaces(processRunner, name);
    if (values.json) io.stdout.write(`${JSON.stringify({ name, up: false, leftoverNamespaces: leftovers })}\n`);
    else io.stdout.write(`lab ${name}: not up${leftovers.length ? ` (leftover namespaces: ${leftovers.join(', ')}; run imds-lab down --name ${name})` : ''}\n`);
    return 3;
  }
  const health = await labIsHealthy(processRunner, state);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ name, up: true, healthy: health.healthy, problems: health.problems, state }, null, 2)}\n`);
  } else {
    io.stdout.write(describeLab(state));
    for (const p of state.processes) io.stdout.write(`  process        ${p.id} pid ${p.pid} ${processRunner.isAlive(p.pid) ? 'running' : 'NOT RUNNING'} (log ${p.log})\n`);
    io.stdout.write(health.healthy ? '  health         ok\n' : `  health         BROKEN: ${health.problems.join('; ')}\n`);
  }
  return health.healthy ? 0 : 1;
}

export const statusCommand: CliCommand = { name: 'status', help: HELP, run };
