// Runs `ip` (iproute2) with an argv array, never a shell string, for the TUN route step.
// NOTE: the architecture reserves spawning to src/lab/; switch to the lab executor when it exists.
import { execFile } from 'node:child_process';
import { ImdsLabError } from '../util/errors.ts';

export function runIp(argv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', [...argv], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error) reject(new ImdsLabError('ERR_IP_COMMAND', `ip ${argv.join(' ')}: ${String(stderr).trim() || error.message}`, { cause: error }));
      else resolve();
    });
  });
}
