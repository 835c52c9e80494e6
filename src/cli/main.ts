#!/usr/bin/env node
// imds-lab command-line entry point (the package's bin): runs the CLI with the process's argv and streams.
import { runCli } from './run-cli.ts';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`imds-lab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
