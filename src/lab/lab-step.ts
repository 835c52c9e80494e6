// A lab plan is a list of steps, each an argv (never a shell string) with its undo, or a batch of `ip` lines
// each with its undo; this file holds the step types and their rendering for `imds-lab up --dry-run`.

/** Wait until a program answers: `argv` exits 0 and (if given) its stdout matches `match`; or the log matches. */
export type Readiness =
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly match?: string }
  | { readonly kind: 'log'; readonly match: string };

/** Runs `argv` to completion (optionally feeding `input` on stdin, e.g. `nft -f -`, which applies a file atomically). */
export interface RunStep {
  readonly kind: 'run';
  readonly argv: readonly string[];
  /** Argv that reverses this step; null when deleting the namespace undoes it anyway. */
  readonly undo: readonly string[] | null;
  readonly input?: string;
}

/** One command of a batch (`ip` arguments after the global options) and the command that reverses it. */
export interface BatchLine {
  readonly args: readonly string[];
  /** null when deleting the namespace undoes it anyway. */
  readonly undo: readonly string[] | null;
}

/**
 * Many `ip` commands in one process: `ip [-n NS] -batch -` reads the lines from stdin and stops at the first
 * that fails, naming it ("Command failed -:N"), so the executor knows which lines ran and undoes exactly those.
 */
export interface BatchStep {
  readonly kind: 'batch';
  /** The lab namespace the lines run in; null: the root namespace's `ip`, for `netns add|del` lines only. */
  readonly namespace: string | null;
  readonly lines: readonly BatchLine[];
}

/**
 * Independent steps (no parallel groups inside), at most `concurrency` at a time. When one fails, those
 * running finish (a program being started is recorded with its PID), no more start, and the rollback undoes
 * everything that ran.
 */
export interface ParallelStep {
  readonly kind: 'parallel';
  readonly concurrency: number;
  readonly steps: readonly Exclude<LabStep, ParallelStep>[];
}

export type LabStep =
  | RunStep
  | BatchStep
  | ParallelStep
  | {
      /** Writes a configuration file under the lab's state directory (undo removes it). */
      readonly kind: 'write-file';
      readonly path: string;
      readonly content: string;
      readonly mode?: number;
      /** What undo removes instead of `path` (a directory made for the file, e.g. /etc/netns/<ns>). */
      readonly removeOnUndo?: string;
    }
  | SpawnStep;

/** Starts a long-running program (in a namespace via `ip netns exec`); undo kills it by PID. */
export interface SpawnStep {
  readonly kind: 'spawn';
  readonly id: string;
  readonly argv: readonly string[];
  /** File receiving the program's stdout and stderr. */
  readonly log: string;
  readonly ready: Readiness;
  readonly readyTimeoutMs: number;
}

/** A token `ip -batch` reads back as exactly itself (it splits lines on blanks, honours quotes and `#`). */
const BATCH_TOKEN = /^[^\s"'\\#]+$/;

/** Whether every token of a batch line (and its undo) reads back unchanged. */
export function isBatchSafe(line: BatchLine): boolean {
  return [...line.args, ...(line.undo ?? [])].every((a) => BATCH_TOKEN.test(a));
}

/** The argv of a batch: `ip [-n NS] [-force] -batch -` (-force: go on after a failed line, for undo). */
export function batchArgv(namespace: string | null, force = false): string[] {
  return ['ip', ...(namespace === null ? [] : ['-n', namespace]), ...(force ? ['-force'] : []), '-batch', '-'];
}

/** The stdin of a batch, one command per line. */
export function batchInput(lines: readonly (readonly string[])[]): string {
  for (const args of lines) {
    if (!args.every((a) => BATCH_TOKEN.test(a))) throw new Error(`internal: ip -batch line would not read back as given: ${JSON.stringify(args)}`);
  }
  return lines.map((args) => `${args.join(' ')}\n`).join('');
}

/** The single commands a step stands for (a batch line as `ip [-n NS] LINE`), with their undo: what no-escape checks. */
export function stepCommands(step: LabStep): { readonly argv: readonly string[]; readonly undo: readonly string[] | null }[] {
  switch (step.kind) {
    case 'run':
      return [{ argv: step.argv, undo: step.undo }];
    case 'batch': {
      const prefix = ['ip', ...(step.namespace === null ? [] : ['-n', step.namespace])];
      return step.lines.map((l) => ({ argv: [...prefix, ...l.args], undo: l.undo ? [...prefix, ...l.undo] : null }));
    }
    case 'parallel':
      return step.steps.flatMap(stepCommands);
    default:
      return [];
  }
}

function heredoc(argv: readonly string[], input: string): string {
  return `${formatArgv(argv)} <<'EOF'\n${input}${input.endsWith('\n') ? '' : '\n'}EOF`;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument the way a POSIX shell would need it (for display only; nothing runs through a shell). */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** Exactly what the executor runs, as a shell would (a heredoc for stdin, a comment for files written and for parallel groups). */
export function formatStep(step: LabStep): string {
  switch (step.kind) {
    case 'run':
      return step.input === undefined ? formatArgv(step.argv) : heredoc(step.argv, step.input);
    case 'batch':
      return heredoc(batchArgv(step.namespace), batchInput(step.lines.map((l) => l.args)));
    case 'parallel':
      return [`# ${step.steps.length} independent step(s), ${step.concurrency} at a time:`, ...step.steps.map(formatStep)].join('\n');
    case 'write-file':
      return `# write ${step.path} (${step.content.split('\n').filter((l) => l !== '').length} lines)`;
    case 'spawn':
      return `${formatArgv(step.argv)} >${quoteArg(step.log)} 2>&1 &   # ${step.id}, background`;
  }
}
