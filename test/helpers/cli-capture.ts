// Runs the imds-lab CLI in-process (runCli) with captured stdout/stderr, for the CLI commands' tests.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** runCli(argv) with `env` (default: empty) and both output streams collected as text. */
export async function runCliCaptured(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
