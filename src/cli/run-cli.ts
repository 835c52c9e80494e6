// The CLI dispatcher: finds the subcommand in command-table.ts, prints usage and per-command help.
import { commands } from './command-table.ts';
import type { CliIo } from './cli-command.ts';
import { ImdsLabError } from '../util/errors.ts';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: imds-lab <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'imds-lab <command> --help' for a command's options.\n`;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`imds-lab: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof ImdsLabError) {
      io.stderr.write(`imds-lab ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

