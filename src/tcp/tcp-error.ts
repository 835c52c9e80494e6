// Errors thrown by the TCP core on misuse (writing after close etc.), with stable codes.
import { ImdsLabError } from '../util/errors.ts';

export class TcpError extends ImdsLabError {}
