// The CLI's subcommands: one line per command; each command lives in its own file under src/cli/.
import type { CliCommand } from './cli-command.ts';
import { profileCommand } from './profile-command.ts';
import { serveCommand } from './serve-command.ts';
import { ctlCommand } from './ctl-command.ts';
import { upCommand } from './up-command.ts';
import { downCommand } from './down-command.ts';
import { statusCommand } from './status-command.ts';
import { execCommand } from './exec-command.ts';
import { runCommand } from './run-command.ts';
import { doctorCommand } from './doctor-command.ts';
import { scenarioCommand } from './scenario-command.ts';
import { traceCommand } from './trace-command.ts';
import { demoCommand } from './demo-command.ts';
import { caCommand } from './ca-command.ts';
import { personaCommand } from './persona-command.ts';
import { checkCommand } from './check-command.ts';

export const commands: readonly CliCommand[] = [
  profileCommand,
  serveCommand,
  ctlCommand,
  upCommand,
  downCommand,
  statusCommand,
  execCommand,
  runCommand,
  doctorCommand,
  scenarioCommand,
  traceCommand,
  demoCommand,
  caCommand,
  personaCommand,
  checkCommand,
];
