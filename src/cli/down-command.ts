// `imds-lab down`: removes a lab by name: kills its programs, deletes its namespaces and state, even when
// `up` died half-way or the responder was killed with SIGKILL.
import { labStateDir } from '../lab/lab-state.ts';
import { processRunner } from '../process/process-runner.ts';
import { teardownLab } from '../lab/teardown.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { NAME_FLAG, parseFlags } from './cli-options.ts';
import { requireRoot, stateRoot } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab down [--name N]

Removes the lab N (default imds): stops every process in its namespaces (<N>-vm, <N>-host, <N>-proxy,
<N>-dead) and the PIDs recorded in its state file, deletes the namespaces and the state directory.
What to remove is derived from the name, so it also cleans up after a crash. Safe to run twice.`;

/** All names for a small lab; a count and the first and last few for a scale set (250 VMs fit one line). */
function namespaceList(namespaces: readonly string[]): string {
  if (namespaces.length === 0) return 'no namespaces';
  if (namespaces.length <= 8) return namespaces.join(', ');
  return `${namespaces.length} namespaces (${namespaces.slice(0, 3).join(', ')}, …, ${namespaces.slice(-2).join(', ')})`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(argv, NAME_FLAG);
  const name = parseName(values.name);
  requireRoot('imds-lab down');
  const report = await teardownLab(processRunner, name, labStateDir(stateRoot(io.env), name));
  for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (report.namespaces.length === 0 && !report.hadState) {
    io.stdout.write(`lab ${name}: nothing to remove\n`);
  } else {
    io.stdout.write(`lab ${name}: removed ${namespaceList(report.namespaces)}; stopped ${report.killed.length} process(es)\n`);
  }
  return report.warnings.some((w) => w.includes('survived')) ? 1 : 0;
}

export const downCommand: CliCommand = { name: 'down', help: HELP, run };
