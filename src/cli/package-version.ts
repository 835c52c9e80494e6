// The package's own version (for `imds-lab --version`), read from its package.json at run time so the
// sources (tsx) and the build (dist/src/cli) report the same number.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (json.name === 'imds-lab' && json.version) return json.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
