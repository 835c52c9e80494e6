#!/usr/bin/env node
// imds-lab command-line entry point (the package's bin): runs the CLI with the process's argv and streams.
// Output into a closed pipe (`imds-lab scenario list --json | head -1`) ends the process quietly, as cat does.
import { runCli } from './run-cli.ts';

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`imds-lab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
