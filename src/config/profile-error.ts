// ProfileError (code ERR_PROFILE): every problem found in a VM profile, each naming its field path.
import { ImdsLabError } from '../util/errors.ts';

export interface ProfileProblem {
  /** Field path, e.g. `instance.compute.tagsList[1].value` (empty for the document itself). */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: ProfileProblem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

export class ProfileError extends ImdsLabError {
  readonly problems: readonly ProfileProblem[];
  /** The file (or other source name) the profile came from. */
  readonly source: string;

  constructor(source: string, problems: readonly ProfileProblem[], options?: { cause?: unknown }) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super('ERR_PROFILE', `invalid VM profile ${source} (${count}):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, options);
    this.problems = problems;
    this.source = source;
  }
}
