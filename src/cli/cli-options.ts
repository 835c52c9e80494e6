// Shared command-line parsing for the CLI commands: strict node:util parseArgs whose errors become the
// command's usage error, and the flags (with their parsers) of the commands that bring a lab up (up, run).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LabError } from '../lab/lab-error.ts';
import type { LabUpArguments } from '../lab/lab-setup.ts';
import { parseCapture, parseName, parseVmCount } from './lab-cli-support.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionsConfig, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>>;

/** The usage error of the lab commands. */
export function labUsageError(message: string): Error {
  return new LabError('ERR_LAB_USAGE', message);
}

/** Strict parseArgs without positionals; a parse error is thrown as usageError(message). */
export function parseFlags<const O extends OptionsConfig>(argv: readonly string[], options: O, usageError: (message: string) => Error = labUsageError): Parsed<O, false>['values'] {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** Strict parseArgs with positionals (sub-commands, file names); a parse error is thrown as usageError(message). */
export function parseFlagsAndWords<const O extends OptionsConfig>(argv: readonly string[], options: O, usageError: (message: string) => Error = labUsageError): { values: Parsed<O, true>['values']; words: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values, words: positionals };
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** --name N: the lab. */
export const NAME_FLAG = { name: { type: 'string' } } as const;
/** --json: machine-readable output. */
export const JSON_FLAG = { json: { type: 'boolean' } } as const;

/** The flags of the commands that bring a lab up (up and run); see `imds-lab up --help`. */
export const LAB_UP_FLAGS = {
  ...NAME_FLAG,
  profile: { type: 'string', multiple: true },
  vms: { type: 'string' },
  'virtual-clock': { type: 'boolean' },
  scenario: { type: 'string' },
  fixed: { type: 'boolean' },
  capture: { type: 'string' },
  pcap: { type: 'string' },
} as const;

export interface LabUpFlagValues {
  readonly name?: string | undefined;
  readonly profile?: readonly string[] | undefined;
  readonly vms?: string | undefined;
  readonly 'virtual-clock'?: boolean | undefined;
  readonly scenario?: string | undefined;
  readonly fixed?: boolean | undefined;
  readonly capture?: string | undefined;
  readonly pcap?: string | undefined;
}

/** Checks the LAB_UP_FLAGS values (name, --vms, --capture) and fills in the defaults. */
export function labUpArguments(values: LabUpFlagValues, defaultName?: string): LabUpArguments {
  return {
    name: parseName(values.name ?? defaultName),
    profile: values.profile?.[0],
    vmProfiles: (values.profile ?? []).slice(1),
    vms: parseVmCount(values.vms),
    virtualClock: values['virtual-clock'] ?? false,
    scenario: values.scenario ?? 'healthy',
    fixed: values.fixed ?? false,
    capture: parseCapture(values.capture),
    pcap: values.pcap,
  };
}
