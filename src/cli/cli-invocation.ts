// How to run this CLI again when pasted into a shell: `imds-lab` where the package is installed; from a
// git clone (running the .ts sources) `npm run -s --prefix CLONE imds-lab --`, since `imds-lab` is not on PATH there.
import { fileURLToPath } from 'node:url';

/** The command prefix for hints (`<prefix> exec --name N -- …`). */
export function cliInvocation(): string {
  if (!import.meta.url.endsWith('.ts')) return 'imds-lab';
  const clone = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
  return `npm run -s --prefix ${/^[\w./-]+$/.test(clone) ? clone : `'${clone.replace(/'/g, `'\\''`)}'`} imds-lab --`;
}
