// ControlError: what the control plane answers for a bad or failed command — a stable code and, for bad
// input, the field path at fault (e.g. `fault.status`), so a client can say exactly what to fix.
import { ImdsLabError } from '../util/errors.ts';

export const CONTROL_ERROR_CODES = {
  json: 'ERR_CONTROL_JSON',
  field: 'ERR_CONTROL_FIELD',
  unknownOp: 'ERR_CONTROL_UNKNOWN_OP',
  unknownVm: 'ERR_CONTROL_UNKNOWN_VM',
  notFound: 'ERR_CONTROL_NOT_FOUND',
  unsupported: 'ERR_CONTROL_UNSUPPORTED',
  conflict: 'ERR_CONTROL_CONFLICT',
  namespace: 'ERR_CONTROL_NAMESPACE',
  tooLarge: 'ERR_CONTROL_TOO_LARGE',
  connection: 'ERR_CONTROL_CONNECTION',
  internal: 'ERR_CONTROL_INTERNAL',
} as const;

export class ControlError extends ImdsLabError {
  /** The request field at fault (dotted path), when the error is about one field. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options?: { field?: string; cause?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.field = options?.field;
  }
}

/** An error answer of the daemon to a client's request (what ControlClient methods reject with). */
export class ControlRequestError extends ControlError {}

/** A bad request field: `field: reason`. */
export function fieldError(field: string, reason: string): ControlError {
  return new ControlError(CONTROL_ERROR_CODES.field, `${field}: ${reason}`, { field });
}

/** The wire form of an error. */
export interface ControlErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** Any thrown value as a wire error; ImdsLabErrors keep their code, anything else is ERR_CONTROL_INTERNAL. */
export function toErrorBody(error: unknown): ControlErrorBody {
  if (error instanceof ControlError) return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
  if (error instanceof ImdsLabError) return { code: error.code, message: error.message };
  return { code: CONTROL_ERROR_CODES.internal, message: error instanceof Error ? error.message : String(error) };
}
