// Runs `ip` (iproute2) for the TUN route step through the process runner (src/process: the one place
// that spawns programs, argv arrays only), turning a non-zero exit into an ImdsLabError with ip's stderr.
import type { LabRunner } from '../process/lab-runner.ts';
import { processRunner } from '../process/process-runner.ts';
import { ImdsLabError } from '../util/errors.ts';

/** Runs `ip` with an argv array. Rejects on a non-zero exit. */
export type IpRunner = (argv: readonly string[]) => Promise<void>;

/** An IpRunner over `runner` (the real process runner by default). */
export function ipRunnerOver(runner: LabRunner): IpRunner {
  return async (argv) => {
    const result = await runner.run(['ip', ...argv], { timeoutMs: 10_000 });
    if (result.code !== 0) {
      throw new ImdsLabError('ERR_IP_COMMAND', `ip ${argv.join(' ')}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }
  };
}

export const runIp = ipRunnerOver(processRunner);
