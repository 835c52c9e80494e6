// SigningError: the emulator PKI's state directory or key material is unusable (names the file and reason).
import { ImdsLabError } from '../util/errors.ts';

export class SigningError extends ImdsLabError {}
