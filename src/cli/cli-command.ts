// The shape of a CLI subcommand (name, help text and an async run returning the exit code) and of its line in the
// command table (name, one-line summary, and how to load the command's module).
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  readonly name: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A command table line: enough for the usage text; the command's module is imported only to run it or print its help. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}
