// The CLI's subcommands: one line per command; each command lives in its own file under src/cli/.
import type { CliCommand } from './cli-command.ts';

export const commands: readonly CliCommand[] = [];
