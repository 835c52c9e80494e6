// `imds-lab exec -- CMD…`: runs an unmodified program in the lab's VM namespace with the scenario's environment.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { LabError } from '../lab/lab-error.ts';
import { execInNamespace } from '../lab/vm-exec.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { NAME_FLAG, parseFlags } from './cli-options.ts';
import { readRunningLab, requireRoot, vmEnvironment, vmNamespace } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab exec [--name N] [--vm VM | --container] -- CMD [ARGS…]

Runs CMD inside the VM namespace of lab N (default imds), with your environment plus the scenario's
variables (e.g. HTTP_PROXY in proxy-leak). Exits with CMD's exit code: 127 when CMD is not found, 126 when
it is not executable (as env and shells do).
In a scale set (up --vms N), --vm vm1 … picks the VM (default vm0); the scenario's variables apply to vm0 only.
--container runs CMD in the container inside the VM (the container-*, netpol-* and pod-agent-* scenarios).`;

/** Splits `[options] -- CMD…`. */
export function splitCommand(argv: readonly string[]): { options: string[]; command: string[] } {
  const i = argv.indexOf('--');
  if (i < 0) throw new LabError('ERR_LAB_USAGE', 'expected -- before the command, e.g. imds-lab exec -- curl -s http://169.254.169.254/metadata/versions');
  const command = argv.slice(i + 1);
  if (command.length === 0) throw new LabError('ERR_LAB_USAGE', 'no command after --');
  return { options: argv.slice(0, i), command };
}

/** Why CMD cannot be executed (127 not found, 126 not executable), checked before anything runs, like env(1). */
export function commandProblem(command: string, env: NodeJS.ProcessEnv): { code: 126 | 127; message: string } | undefined {
  const executable = (path: string): 'ok' | 'missing' | 'denied' => {
    try {
      if (!statSync(path).isFile()) return 'denied';
      accessSync(path, constants.X_OK);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'missing' : 'denied';
    }
  };
  if (command.includes('/')) {
    const verdict = executable(resolve(command));
    if (verdict === 'missing') return { code: 127, message: `${command}: No such file or directory` };
    if (verdict === 'denied') return { code: 126, message: `${command}: Permission denied (not an executable file)` };
    return undefined;
  }
  let denied: string | undefined;
  for (const dir of (env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const verdict = executable(join(dir || '.', command));
    if (verdict === 'ok') return undefined;
    if (verdict === 'denied' && denied === undefined) denied = join(dir || '.', command);
  }
  if (denied !== undefined) return { code: 126, message: `${denied}: Permission denied (not an executable file)` };
  return { code: 127, message: `${command}: command not found` };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { options, command } = splitCommand(argv);
  const values = parseFlags(options, { ...NAME_FLAG, vm: { type: 'string' }, container: { type: 'boolean' } });
  if (values.container && values.vm !== undefined) throw new LabError('ERR_LAB_USAGE', '--container and --vm: the container lives in vm0; give one of them');
  requireRoot('imds-lab exec');
  const state = readRunningLab(io.env, parseName(values.name));
  const container = state.namespaces.ctr;
  if (values.container && container === undefined) throw new LabError('ERR_LAB_USAGE', `--container: lab ${state.name} (scenario ${state.scenario}) has no container`);
  const namespace = values.container ? container! : vmNamespace(state, values.vm);
  const env = vmEnvironment(io.env, state, values.vm);
  const problem = commandProblem(command[0]!, env);
  if (problem) {
    io.stderr.write(`imds-lab exec: ${problem.message}\n`);
    return problem.code;
  }
  return execInNamespace(namespace, command, env, { stdout: io.stdout, stderr: io.stderr, inheritStdin: io.stdout === process.stdout });
}

export const execCommand: CliCommand = { name: 'exec', help: HELP, run };
