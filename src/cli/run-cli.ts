// The CLI dispatcher: finds the subcommand in command-table.ts, prints usage, per-command help and the
// version, and maps errors to exit codes (usage errors 2, with the closest valid option named).
import { commands } from './command-table.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { packageVersion } from './package-version.ts';
import { ImdsLabError } from '../util/errors.ts';

/** Exit code of a usage error (bad flag, missing argument), as getopt-style tools do. */
export const USAGE_EXIT = 2;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: imds-lab <command> [options]\n       imds-lab --version | help [COMMAND]\n\nCommands:\n${lines.join('\n')}\n\nRun 'imds-lab help <command>' (or 'imds-lab <command> --help') for a command's options.\n`;
}

function printHelp(command: CliCommand, io: CliIo): number {
  io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
  return 0;
}

/** True for the errors that mean "the command line is wrong" (exit 2). */
export function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.endsWith('_USAGE') || code === 'ERR_USAGE' || code.startsWith('ERR_PARSE_ARGS_'));
}

/** Levenshtein distance (small strings: option names). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The valid option closest to `given` among the --flags a command's help lists, when one is close enough. */
export function closestOption(given: string, help: string): string | undefined {
  const options = [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])].filter((o) => o !== '--help');
  const bare = given.replace(/=.*$/, '');
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = option.startsWith(bare) && bare.length > 3 ? 0 : distance(bare, option);
    if (!best || d < best.d) best = { option, d };
  }
  return best && best.d <= Math.max(2, Math.floor(bare.length / 3)) ? best.option : undefined;
}

/** Adds "did you mean --x?" and where the options are listed to a usage error's message. */
function explainUsage(name: string, command: CliCommand, message: string): string {
  const synopsis = /^Usage:.*$/m.exec(command.help)?.[0];
  const unknown = /Unknown option '([^']+)'/.exec(message);
  const closest = unknown ? closestOption(unknown[1]!, command.help) : undefined;
  const first = unknown ? `unknown option ${unknown[1]}${closest ? ` (did you mean ${closest}?)` : ''}; see imds-lab ${name} --help for the options` : `${message}\n(see imds-lab ${name} --help)`;
  return synopsis ? `${first}\n${synopsis}` : first;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(usage());
    return name ? 0 : USAGE_EXIT;
  }
  if (name === 'help') {
    const entry = commands.find((c) => c.name === rest[0]);
    if (entry) return printHelp(await entry.load(), io);
    io.stderr.write(`imds-lab help: unknown command '${rest[0]}'\n\n${usage()}`);
    return USAGE_EXIT;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    const closest = commands.map((c) => ({ c, d: distance(name, c.name) })).sort((a, b) => a.d - b.d)[0];
    const hint = closest && closest.d <= 2 ? ` (did you mean ${closest.c.name}?)` : '';
    io.stderr.write(`imds-lab: unknown command '${name}'${hint}\n\n${usage()}`);
    return USAGE_EXIT;
  }
  const dashdash = rest.indexOf('--');
  const own = dashdash < 0 ? rest : rest.slice(0, dashdash);
  const command = await entry.load();
  if (own.includes('--help') || own.includes('-h')) return printHelp(command, io);
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr.write(`imds-lab ${name}: ${explainUsage(name, command, (error as Error).message)}\n`);
      return USAGE_EXIT;
    }
    if (error instanceof ImdsLabError) {
      io.stderr.write(`imds-lab ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
