// Test kit for the wire codecs: round-trip at a non-zero offset (dns-packet testEncoder style),
// out-of-bounds-read guards, seeded packet mutation and a "only WireError" fuzz loop, hex and pcap helpers,
// and the known Linux SYN fixture (bytes and segment value).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Random } from '../../src/util/seeded-random.ts';
import { TcpFlags, type TcpSegment } from '../../src/wire/tcp-segment.ts';
import { WireError } from '../../src/wire/wire-error.ts';

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, '');
  assert.equal(clean.length % 2, 0, 'hex string of odd length');
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A Linux SYN 10.1.0.4:43210 -> 169.254.169.254:80 (id 0x8d3c, DF, ttl 64, seq 123, win 64240, options
 * mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7), laid out from RFC 791 / RFC 9293 with checksums
 * computed by an independent Python script; `tcpdump -vv` reports both checksums correct.
 */
export const LINUX_SYN_HEX =
  '4500003c8d3c400040064f7e0a010004a9fea9fe' +
  'a8ca00500000007b00000000a002faf045770000020405b40402080a000000010000000001030307';
export const LINUX_SYN = hex(LINUX_SYN_HEX);
/** LINUX_SYN's addresses: the VM (10.1.0.4) and IMDS (169.254.169.254). */
export const LINUX_SYN_SRC = 0x0a010004;
export const LINUX_SYN_DST = 0xa9fea9fe;
/** LINUX_SYN's TCP segment as a value, written out by hand (not parsed from the bytes). */
export const LINUX_SYN_SEGMENT: TcpSegment = Object.freeze({
  srcPort: 43210,
  dstPort: 80,
  seq: 123,
  ack: 0,
  flags: TcpFlags.SYN,
  window: 64240,
  urgentPointer: 0,
  options: Object.freeze({ mss: 1460, sackPermitted: true, timestamps: Object.freeze({ tsVal: 1, tsEcr: 0 }), windowScale: 7 }),
  payload: new Uint8Array(0),
});

const SENTINEL = 0xa5;

/**
 * Writes `value` at a non-zero offset inside a sentinel-filled buffer, checks the reported length, that
 * nothing outside [offset, offset + n) changed, that parse gives back `expected` (default: value), and
 * that writing the parsed value again yields the same bytes. Returns the written bytes.
 */
export function testRoundTrip<T>(
  write: (value: T, buf: Uint8Array, offset: number) => number,
  parse: (bytes: Uint8Array) => T,
  value: T,
  options: { expected?: unknown; length?: number; offset?: number; compare?: (parsed: T) => unknown } = {},
): Uint8Array {
  const offset = options.offset ?? 7;
  const room = 70_000;
  const buf = new Uint8Array(offset + room + 5).fill(SENTINEL);
  const n = write(value, buf, offset);
  if (options.length !== undefined) assert.equal(n, options.length, 'bytes written');
  for (let i = 0; i < offset; i++) assert.equal(buf[i], SENTINEL, `byte ${i} before the offset was touched`);
  for (let i = offset + n; i < buf.length; i++) if (buf[i] !== SENTINEL) assert.fail(`byte ${i} after the end was touched`);
  const written = buf.slice(offset, offset + n);
  const parsed = parse(buf.subarray(offset, offset + n));
  const compare = options.compare ?? ((x: T) => x);
  assert.deepStrictEqual(compare(parsed), options.expected ?? compare(value));
  const again = new Uint8Array(n + 3);
  assert.equal(write(parsed, again, 3), n, 'rewriting the parsed value changed its length');
  assert.deepStrictEqual(again.subarray(3), written, 'rewriting the parsed value changed its bytes');
  return written;
}

export class OutOfBoundsRead extends Error {}

/** A view of `bytes` that throws OutOfBoundsRead (not a WireError) on any index read outside its length. */
export function guardedBytes(bytes: Uint8Array): Uint8Array {
  return new Proxy(bytes, {
    get(target, prop) {
      if (typeof prop === 'string') {
        const index = Number(prop);
        if (prop !== '' && Number.isInteger(index) && String(index) === prop) {
          if (index < 0 || index >= target.length) throw new OutOfBoundsRead(`read of index ${index}, length ${target.length}`);
          return target[index];
        }
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Runs `fn` and returns the code of the WireError it throws ('no error' if none); any other throw fails. */
export function wireErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WireError, `expected WireError, got ${String(error)}`);
    return error.code;
  }
  return 'no error';
}

export function randomInt(rng: Random, below: number): number {
  return Math.floor(rng() * below);
}

export function randomBytes(rng: Random, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

/** One random mutation of a valid packet: bit flips, byte sets, truncation, extension or a zeroed run. */
export function mutate(rng: Random, bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (randomInt(rng, 5)) {
    case 0: {
      const flips = 1 + randomInt(rng, 3);
      for (let k = 0; k < flips && out.length > 0; k++) out[randomInt(rng, out.length)]! ^= 1 << randomInt(rng, 8);
      return out;
    }
    case 1:
      if (out.length > 0) out[randomInt(rng, out.length)] = randomInt(rng, 256);
      return out;
    case 2:
      return out.slice(0, randomInt(rng, out.length + 1));
    case 3: {
      const extended = new Uint8Array(out.length + 1 + randomInt(rng, 16));
      extended.set(out);
      extended.set(randomBytes(rng, extended.length - out.length), out.length);
      return extended;
    }
    default: {
      const at = randomInt(rng, out.length + 1);
      out.fill(0, at, at + 1 + randomInt(rng, 8));
      return out;
    }
  }
}

/** Runs parse on every input through guardedBytes; anything thrown other than WireError fails the test. */
export function assertOnlyWireErrors(
  inputs: Iterable<Uint8Array>,
  parse: (bytes: Uint8Array) => unknown,
): { ok: number; rejected: Map<string, number> } {
  let ok = 0;
  const rejected = new Map<string, number>();
  for (const input of inputs) {
    try {
      parse(guardedBytes(input));
      ok++;
    } catch (error) {
      if (!(error instanceof WireError)) {
        assert.fail(`non-WireError ${String(error)} for input ${toHex(input)}`);
      }
      rejected.set(error.code, (rejected.get(error.code) ?? 0) + 1);
    }
  }
  return { ok, rejected };
}

/** Writes raw IPv4 packets as a pcap file (LINKTYPE_RAW) for tcpdump to read. */
export function writeRawPcap(path: string, packets: readonly Uint8Array[]): void {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b2c3d4, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 65535, true);
  header.setUint32(20, 101, true);
  parts.push(new Uint8Array(header.buffer));
  for (const packet of packets) {
    const record = new DataView(new ArrayBuffer(16));
    record.setUint32(8, packet.length, true);
    record.setUint32(12, packet.length, true);
    parts.push(new Uint8Array(record.buffer), packet);
  }
  writeFileSync(path, Buffer.concat(parts));
}
