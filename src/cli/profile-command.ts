// `imds-lab profile init|check|show`: write the default VM profile for editing, validate a profile file,
// print the effective profile (defaults filled in).
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { CliCommand, CliIo } from './cli-command.ts';
import { DEFAULT_PROFILE, defaultProfileDocument } from '../config/default-profile.ts';
import { loadProfile } from '../config/load-profile.ts';
import { ProfileError, formatProblem } from '../config/profile-error.ts';
import type { VmProfile } from '../config/vm-profile.ts';

const HELP = `Usage:
  imds-lab profile init FILE [--force] [--yaml]   write the default profile to FILE for editing
  imds-lab profile check FILE                     validate FILE: prints "ok", or every problem (exit 1)
  imds-lab profile show [FILE] [--yaml]           print the effective profile (FILE, or the default)

FILE is JSON or YAML (by extension .json/.yaml/.yml, else by content). init writes YAML for
--yaml or a .yaml/.yml name, JSON otherwise, and refuses to overwrite FILE without --force.
Reference: docs/profile.md`;

function render(profile: VmProfile, yaml: boolean): string {
  if (!yaml) return `${JSON.stringify(profile, null, 2)}\n`;
  return `# imds-lab VM profile (reference: docs/profile.md)\n${stringify(profile, { lineWidth: 0 })}`;
}

function wantsYaml(file: string | undefined, flag: boolean | undefined): boolean {
  if (flag) return true;
  const ext = file ? extname(file).toLowerCase() : '';
  return ext === '.yaml' || ext === '.yml';
}

async function init(file: string, force: boolean, yaml: boolean, io: CliIo): Promise<number> {
  try {
    await writeFile(file, render(defaultProfileDocument(), yaml), { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      io.stderr.write(`imds-lab profile init: ${file} exists (use --force to overwrite)\n`);
      return 1;
    }
    throw error;
  }
  io.stdout.write(`wrote the default profile to ${file} (${yaml ? 'YAML' : 'JSON'})\n`);
  return 0;
}

async function check(file: string, io: CliIo): Promise<number> {
  try {
    await loadProfile(file);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    const count = error.problems.length === 1 ? '1 problem' : `${error.problems.length} problems`;
    io.stdout.write(`${file}: ${count}\n${error.problems.map((p) => `  ${formatProblem(p)}\n`).join('')}`);
    return 1;
  }
  io.stdout.write('ok\n');
  return 0;
}

export const profileCommand: CliCommand = {
  name: 'profile',
  help: HELP,
  async run(argv, io) {
    // A parse error propagates as a usage error (exit 2): the dispatcher names the closest option.
    const parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { force: { type: 'boolean' }, yaml: { type: 'boolean' } },
    });
    const [action, file, ...extra] = parsed.positionals;
    const { force, yaml } = parsed.values;
    const usage = (message: string): number => {
      io.stderr.write(`imds-lab profile: ${message}\n\n${HELP}\n`);
      return 2;
    };
    if (extra.length > 0) return usage(`unexpected argument '${extra[0]}'`);
    switch (action) {
      case 'init':
        if (!file) return usage('init needs a FILE');
        return init(file, force === true, wantsYaml(file, yaml), io);
      case 'check':
        if (!file) return usage('check needs a FILE');
        if (force || yaml) return usage('check takes no options');
        return check(file, io);
      case 'show':
        if (force) return usage('show does not take --force');
        io.stdout.write(render(file ? await loadProfile(file) : DEFAULT_PROFILE, yaml === true));
        return 0;
      case undefined:
        return usage('missing action (init, check or show)');
      default:
        return usage(`unknown action '${action}'`);
    }
  },
};
