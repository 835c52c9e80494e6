// WireError: the one error the codecs throw, with a stable code per reason so the stack can count drops per code.
import { ImdsLabError } from '../util/errors.ts';

/** Every code a codec may throw. Parse codes name a malformed packet; write codes name a caller bug. */
export const WIRE_ERROR_CODES = [
  'ERR_IPV4_TRUNCATED',
  'ERR_IPV4_VERSION',
  'ERR_IPV4_HEADER_LENGTH',
  'ERR_IPV4_TOTAL_LENGTH',
  'ERR_IPV4_CHECKSUM',
  'ERR_IPV4_FRAGMENT',
  'ERR_IPV4_PROTOCOL',
  'ERR_TCP_TRUNCATED',
  'ERR_TCP_DATA_OFFSET',
  'ERR_TCP_CHECKSUM',
  'ERR_TCP_OPTION_LENGTH',
  'ERR_TCP_OPTION_MSS',
  'ERR_TCP_OPTION_WSCALE',
  'ERR_TCP_OPTION_SACK_PERMITTED',
  'ERR_TCP_OPTION_SACK',
  'ERR_TCP_OPTION_TIMESTAMPS',
  'ERR_TCP_OPTIONS_TOO_LONG',
  'ERR_ICMP_TRUNCATED',
  'ERR_ICMP_CHECKSUM',
  'ERR_WIRE_BUFFER_TOO_SMALL',
  'ERR_WIRE_FIELD_RANGE',
] as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export class WireError extends ImdsLabError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(code, message);
  }
}

export function isWireError(error: unknown): error is WireError {
  return error instanceof WireError;
}

/** Throws ERR_WIRE_BUFFER_TOO_SMALL unless buf[offset, offset + needed) exists. */
export function assertRoom(buf: Uint8Array, offset: number, needed: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + needed > buf.length) {
    throw new WireError(
      'ERR_WIRE_BUFFER_TOO_SMALL',
      `${what}: needs ${needed} bytes at offset ${offset}, buffer holds ${buf.length}`,
    );
  }
}

/** Throws ERR_WIRE_FIELD_RANGE unless value is an integer in [0, max]. */
export function assertField(value: number, max: number, field: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new WireError('ERR_WIRE_FIELD_RANGE', `${field} must be an integer in 0..${max}, got ${String(value)}`);
  }
}
