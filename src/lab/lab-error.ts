// Errors raised by the lab (planner, executor, teardown, doctor): one class with a stable `code`.
import { ImdsLabError } from '../util/errors.ts';

export class LabError extends ImdsLabError {}
