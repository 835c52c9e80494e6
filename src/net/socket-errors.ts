// Socket errors shaped like Node's libuv errors (code, errno, syscall), so node:http and clients
// treat a userspace-TCP failure exactly like a kernel one.
import { constants } from 'node:os';

export type SocketErrorCode = 'ECONNRESET' | 'ETIMEDOUT' | 'EPIPE' | 'ECONNABORTED' | 'ECONNREFUSED';

export interface SocketError extends Error {
  code: SocketErrorCode;
  errno: number;
  syscall: string;
}

/** An Error like Node's `read ECONNRESET`: message "<syscall> <code>", negative errno. */
export function socketError(code: SocketErrorCode, syscall: 'read' | 'write' | 'connect'): SocketError {
  const error = new Error(`${syscall} ${code}`) as SocketError;
  error.code = code;
  error.errno = -(constants.errno[code] ?? 0);
  error.syscall = syscall;
  return error;
}
