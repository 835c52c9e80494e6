// TCP options codec (RFC 9293 §3.2, RFC 7323, RFC 2018): parse the option list, size and write it in Linux order.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.ts';
import type { TcpOptions } from './tcp-segment.ts';
import { assertField, assertRoom, WireError } from './wire-error.ts';

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
} as const;
export type TcpOptionKind = (typeof TcpOptionKind)[keyof typeof TcpOptionKind];

/** RFC 7323 §2.3: a shift count above 14 is treated as 14. */
export const MAX_WINDOW_SCALE = 14;
/** Options fit in data offset 15 minus the 20-byte fixed header. */
export const MAX_TCP_OPTIONS_LENGTH = 40;

type MutableSackBlock = { left: number; right: number };

/**
 * Parsed options always carry all five keys (undefined when absent) so every result has one shape.
 * This object is shared: it is returned for segments without options and must not be mutated.
 */
export const NO_TCP_OPTIONS: TcpOptions = Object.freeze({
  mss: undefined,
  windowScale: undefined,
  sackPermitted: undefined,
  sackBlocks: undefined,
  timestamps: undefined,
});

/**
 * Parses the options in bytes[start, end) (RFC 9293 §3.2). EOL ends the list, NOP is skipped, unknown
 * kinds are skipped by their length; a length below 2 or past the header is ERR_TCP_OPTION_LENGTH and a
 * known kind with the wrong length gets its own code. A later duplicate overrides an earlier one (as Linux).
 * MSS 0 is returned as 0: clamping is the TCP core's policy (it treats MSS < 64 as clamped), rejecting the
 * whole SYN would be harsher than Linux, which ignores such a value.
 */
export function parseTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOptions {
  if (start >= end) return NO_TCP_OPTIONS;
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted: boolean | undefined;
  let sackBlocks: MutableSackBlock[] | undefined;
  let timestamps: { tsVal: number; tsEcr: number } | undefined;
  let i = start;
  while (i < end) {
    const kind = bytes[i]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) throw new WireError('ERR_TCP_OPTION_LENGTH', `TCP option ${kind} at byte ${i - start} has no length byte`);
    const length = bytes[i + 1]!;
    if (length < 2 || i + length > end) {
      throw new WireError('ERR_TCP_OPTION_LENGTH', `TCP option ${kind} length ${length} is below 2 or overruns the header`);
    }
    switch (kind) {
      case TcpOptionKind.MSS:
        if (length !== 4) throw new WireError('ERR_TCP_OPTION_MSS', `TCP MSS option length ${length}, must be 4`);
        mss = readU16(bytes, i + 2);
        break;
      case TcpOptionKind.WINDOW_SCALE:
        if (length !== 3) throw new WireError('ERR_TCP_OPTION_WSCALE', `TCP window scale option length ${length}, must be 3`);
        windowScale = Math.min(bytes[i + 2]!, MAX_WINDOW_SCALE);
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (length !== 2) {
          throw new WireError('ERR_TCP_OPTION_SACK_PERMITTED', `TCP SACK-permitted option length ${length}, must be 2`);
        }
        sackPermitted = true;
        break;
      case TcpOptionKind.SACK: {
        if (length < 10 || (length - 2) % 8 !== 0) {
          throw new WireError('ERR_TCP_OPTION_SACK', `TCP SACK option length ${length}, must be 2 + 8n with n ≥ 1`);
        }
        sackBlocks = [];
        for (let j = i + 2; j < i + length; j += 8) sackBlocks.push({ left: readU32(bytes, j), right: readU32(bytes, j + 4) });
        break;
      }
      case TcpOptionKind.TIMESTAMPS:
        if (length !== 10) throw new WireError('ERR_TCP_OPTION_TIMESTAMPS', `TCP timestamps option length ${length}, must be 10`);
        timestamps = { tsVal: readU32(bytes, i + 2), tsEcr: readU32(bytes, i + 6) };
        break;
      default:
        break;
    }
    i += length;
  }
  return { mss, windowScale, sackPermitted, sackBlocks, timestamps };
}

/** Bytes writeTcpOptions will emit for `options` (a multiple of 4; 0 when none are set). */
export function tcpOptionsLength(options: TcpOptions): number {
  let n = 0;
  if (options.mss !== undefined) n += 4;
  if (options.timestamps !== undefined) n += 12;
  if (options.windowScale !== undefined) n += 4;
  if (options.sackPermitted && options.timestamps === undefined) n += 4;
  const blocks = options.sackBlocks?.length ?? 0;
  if (blocks > 0) n += 4 + 8 * blocks;
  return n;
}

/**
 * Writes options at buf[offset] in the order and NOP padding Linux uses (tcp_options_write): MSS,
 * SACK-permitted+timestamps (or NOP NOP timestamps), NOP wscale, NOP NOP SACK-permitted, NOP NOP SACK.
 * Every item is 4-byte aligned so no trailing padding is needed. Returns the bytes written.
 */
export function writeTcpOptions(options: TcpOptions, buf: Uint8Array, offset: number): number {
  const length = tcpOptionsLength(options);
  if (length === 0) return 0;
  if (length > MAX_TCP_OPTIONS_LENGTH) {
    throw new WireError('ERR_TCP_OPTIONS_TOO_LONG', `TCP options need ${length} bytes, at most 40 fit`);
  }
  assertRoom(buf, offset, length, 'TCP options');
  const { mss, windowScale, timestamps, sackBlocks } = options;
  let i = offset;
  if (mss !== undefined) {
    assertField(mss, 0xffff, 'TCP option mss');
    buf[i] = TcpOptionKind.MSS;
    buf[i + 1] = 4;
    writeU16(buf, i + 2, mss);
    i += 4;
  }
  if (timestamps !== undefined) {
    assertField(timestamps.tsVal, 0xffffffff, 'TCP option tsVal');
    assertField(timestamps.tsEcr, 0xffffffff, 'TCP option tsEcr');
    if (options.sackPermitted) {
      buf[i] = TcpOptionKind.SACK_PERMITTED;
      buf[i + 1] = 2;
    } else {
      buf[i] = TcpOptionKind.NOP;
      buf[i + 1] = TcpOptionKind.NOP;
    }
    buf[i + 2] = TcpOptionKind.TIMESTAMPS;
    buf[i + 3] = 10;
    writeU32(buf, i + 4, timestamps.tsVal);
    writeU32(buf, i + 8, timestamps.tsEcr);
    i += 12;
  }
  if (windowScale !== undefined) {
    assertField(windowScale, MAX_WINDOW_SCALE, 'TCP option windowScale');
    buf[i] = TcpOptionKind.NOP;
    buf[i + 1] = TcpOptionKind.WINDOW_SCALE;
    buf[i + 2] = 3;
    buf[i + 3] = windowScale;
    i += 4;
  }
  if (options.sackPermitted && timestamps === undefined) {
    buf[i] = TcpOptionKind.NOP;
    buf[i + 1] = TcpOptionKind.NOP;
    buf[i + 2] = TcpOptionKind.SACK_PERMITTED;
    buf[i + 3] = 2;
    i += 4;
  }
  if (sackBlocks !== undefined && sackBlocks.length > 0) {
    buf[i] = TcpOptionKind.NOP;
    buf[i + 1] = TcpOptionKind.NOP;
    buf[i + 2] = TcpOptionKind.SACK;
    buf[i + 3] = 2 + 8 * sackBlocks.length;
    i += 4;
    for (const block of sackBlocks) {
      assertField(block.left, 0xffffffff, 'TCP SACK block left');
      assertField(block.right, 0xffffffff, 'TCP SACK block right');
      writeU32(buf, i, block.left);
      writeU32(buf, i + 4, block.right);
      i += 8;
    }
  }
  return i - offset;
}
