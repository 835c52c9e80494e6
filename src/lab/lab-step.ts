// A lab plan is a list of steps, each an argv (never a shell string) with its undo; this file holds the
// step types and their one-line rendering for `imds-lab up --dry-run`.

/** Wait until a program answers: `argv` exits 0 and (if given) its stdout matches `match`; or the log matches. */
export type Readiness =
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly match?: string }
  | { readonly kind: 'log'; readonly match: string };

export type LabStep =
  | {
      readonly kind: 'run';
      readonly argv: readonly string[];
      /** Argv that reverses this step; null when deleting the namespace undoes it anyway. */
      readonly undo: readonly string[] | null;
    }
  | {
      /** Writes a configuration file under the lab's state directory (undo removes it). */
      readonly kind: 'write-file';
      readonly path: string;
      readonly content: string;
      readonly mode?: number;
      /** What undo removes instead of `path` (a directory made for the file, e.g. /etc/netns/<ns>). */
      readonly removeOnUndo?: string;
    }
  | {
      /** Starts a long-running program (in a namespace via `ip netns exec`); undo kills it by PID. */
      readonly kind: 'spawn';
      readonly id: string;
      readonly argv: readonly string[];
      /** File receiving the program's stdout and stderr. */
      readonly log: string;
      readonly ready: Readiness;
      readonly readyTimeoutMs: number;
    };

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument the way a POSIX shell would need it (for display only; nothing runs through a shell). */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** One line per step, exactly what the executor runs (a comment for files written). */
export function formatStep(step: LabStep): string {
  switch (step.kind) {
    case 'run':
      return formatArgv(step.argv);
    case 'write-file':
      return `# write ${step.path} (${step.content.split('\n').filter((l) => l !== '').length} lines)`;
    case 'spawn':
      return `${formatArgv(step.argv)} >${quoteArg(step.log)} 2>&1 &   # ${step.id}, background`;
  }
}
