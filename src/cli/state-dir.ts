// Where imds-lab keeps persistent state (the emulator PKI): one resolution rule shared by ca, serve and lab.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * --state-dir DIR, else $IMDS_LAB_STATE_DIR, else $XDG_STATE_HOME/imds-lab (XDG Base Directory spec: only an
 * absolute XDG_STATE_HOME counts), else ~/.local/state/imds-lab. Always an absolute path.
 */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  const explicit = env['IMDS_LAB_STATE_DIR'];
  if (explicit) return resolve(explicit);
  const xdg = env['XDG_STATE_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'imds-lab');
  return join(env['HOME'] || homedir(), '.local', 'state', 'imds-lab');
}
