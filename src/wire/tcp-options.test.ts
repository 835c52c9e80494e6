// Tests for the TCP options codec: each kind, the Linux layout, clamping, every option error, fuzzing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/seeded-random.ts';
import { assertOnlyWireErrors, hex, mutate, randomBytes, randomInt, testRoundTrip, wireErrorCode } from '../../test/helpers/wire-test-kit.ts';
import { NO_TCP_OPTIONS, parseTcpOptions, tcpOptionsLength, writeTcpOptions } from './tcp-options.ts';
import type { TcpOptions } from './tcp-segment.ts';
import { WireError } from './wire-error.ts';

function parse(text: string): TcpOptions {
  const bytes = hex(text);
  return parseTcpOptions(bytes, 0, bytes.length);
}

function code(text: string): string {
  return wireErrorCode(() => parse(text));
}

/** Drops undefined keys so expectations can be written as plain literals. */
function present(options: TcpOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

test('parses the Linux SYN options: mss, sackOK, TS, nop, wscale', () => {
  assert.deepStrictEqual(present(parse('020405b4 0402 080a 00000001 00000000 01 030307')), {
    mss: 1460,
    sackPermitted: true,
    timestamps: { tsVal: 1, tsEcr: 0 },
    windowScale: 7,
  });
});

test('every parsed result has the same five keys; no options returns the shared frozen object', () => {
  assert.deepStrictEqual(Object.keys(parse('020405b4')), ['mss', 'windowScale', 'sackPermitted', 'sackBlocks', 'timestamps']);
  assert.equal(parseTcpOptions(new Uint8Array(4), 2, 2), NO_TCP_OPTIONS);
  assert.ok(Object.isFrozen(NO_TCP_OPTIONS));
});

test('EOL ends the list (later bytes ignored), NOPs are skipped, unknown kinds skipped by length', () => {
  assert.deepStrictEqual(present(parse('01 01 00 020405b4')), {});
  assert.deepStrictEqual(present(parse('1e 06 aabbccdd 01 030302 00 00 00')), { windowScale: 2 });
  assert.deepStrictEqual(present(parse('fe 02 0402')), { sackPermitted: true });
});

test('SACK blocks (RFC 2018) parse as unsigned 32-bit edges, 1 to 4 blocks', () => {
  assert.deepStrictEqual(parse('0101 050a ffffffff 00000010').sackBlocks, [{ left: 0xffffffff, right: 16 }]);
  const four = parse('0522' + '00000001000000020000000300000004000000050000000600000007' + '00000008');
  assert.deepStrictEqual(four.sackBlocks, [
    { left: 1, right: 2 },
    { left: 3, right: 4 },
    { left: 5, right: 6 },
    { left: 7, right: 8 },
  ]);
});

test('window scale above 14 is clamped to 14 (RFC 7323 §2.3); MSS 0 is reported as 0 for TCP to clamp', () => {
  assert.equal(parse('03030f').windowScale, 14);
  assert.equal(parse('0303ff').windowScale, 14);
  assert.equal(parse('03030e').windowScale, 14);
  assert.equal(parse('030300').windowScale, 0);
  assert.equal(parse('02040000').mss, 0);
  assert.equal(parse('0204ffff').mss, 65535);
});

test('a later duplicate option overrides an earlier one', () => {
  assert.equal(parse('02040218 020405b4').mss, 1460);
});

test('every option error code is triggered', () => {
  assert.equal(code('0201'), 'ERR_TCP_OPTION_LENGTH', 'length below 2');
  assert.equal(code('fe00'), 'ERR_TCP_OPTION_LENGTH', 'zero length would loop forever');
  assert.equal(code('02'), 'ERR_TCP_OPTION_LENGTH', 'no length byte');
  assert.equal(code('020605b4'), 'ERR_TCP_OPTION_LENGTH', 'overruns the header');
  assert.equal(code('fe0a0000'), 'ERR_TCP_OPTION_LENGTH', 'unknown kind overruns');
  assert.equal(code('020305'), 'ERR_TCP_OPTION_MSS');
  assert.equal(code('02050000ff'), 'ERR_TCP_OPTION_MSS');
  assert.equal(code('03020101'), 'ERR_TCP_OPTION_WSCALE');
  assert.equal(code('0304010101'), 'ERR_TCP_OPTION_WSCALE');
  assert.equal(code('040300'), 'ERR_TCP_OPTION_SACK_PERMITTED');
  assert.equal(code('0502'), 'ERR_TCP_OPTION_SACK');
  assert.equal(code('050b' + '00'.repeat(9)), 'ERR_TCP_OPTION_SACK');
  assert.equal(code('0806' + '00'.repeat(4)), 'ERR_TCP_OPTION_TIMESTAMPS');
  assert.equal(code('080c' + '00'.repeat(10)), 'ERR_TCP_OPTION_TIMESTAMPS');
});

test('writes the exact Linux layouts (tcp_options_write)', () => {
  const write = (o: TcpOptions): string => {
    const buf = new Uint8Array(tcpOptionsLength(o));
    assert.equal(writeTcpOptions(o, buf, 0), buf.length);
    return Buffer.from(buf).toString('hex');
  };
  assert.equal(
    write({ mss: 1460, sackPermitted: true, timestamps: { tsVal: 1, tsEcr: 0 }, windowScale: 7 }),
    '020405b40402080a000000010000000001030307',
  );
  assert.equal(write({ mss: 1460, sackPermitted: true, windowScale: 7 }), '020405b40103030701010402');
  assert.equal(write({ timestamps: { tsVal: 0xffffffff, tsEcr: 2 } }), '0101080affffffff00000002');
  assert.equal(write({ sackBlocks: [{ left: 1, right: 2 }] }), '0101050a0000000100000002');
  assert.equal(write({}), '');
  assert.equal(write({ sackBlocks: [] }), '');
  assert.equal(tcpOptionsLength({ mss: 1, timestamps: { tsVal: 0, tsEcr: 0 }, windowScale: 0, sackPermitted: true }), 20);
});

test('round trips at a non-zero offset', () => {
  const cases: TcpOptions[] = [
    { mss: 1460, sackPermitted: true, timestamps: { tsVal: 1, tsEcr: 0 }, windowScale: 7 },
    { mss: 0, windowScale: 14, sackPermitted: true },
    { timestamps: { tsVal: 0xffffffff, tsEcr: 0x80000000 }, sackBlocks: [{ left: 10, right: 20 }, { left: 30, right: 40 }, { left: 50, right: 60 }] },
    { sackBlocks: [{ left: 1, right: 2 }, { left: 3, right: 4 }, { left: 5, right: 6 }, { left: 0xfffffff0, right: 4 }] },
  ];
  for (const options of cases) {
    testRoundTrip<TcpOptions>(writeTcpOptions, (bytes) => parseTcpOptions(bytes, 0, bytes.length), options, {
      offset: 9,
      length: tcpOptionsLength(options),
      compare: present,
    });
  }
});

test('writeTcpOptions rejects out-of-range values and more than 40 bytes', () => {
  const codeOf = (o: TcpOptions, size = 64): string => {
    try {
      writeTcpOptions(o, new Uint8Array(size), 0);
    } catch (error) {
      assert.ok(error instanceof WireError);
      return error.code;
    }
    return 'no error';
  };
  assert.equal(codeOf({ mss: 65536 }), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(codeOf({ windowScale: 15 }), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(codeOf({ timestamps: { tsVal: -1, tsEcr: 0 } }), 'ERR_WIRE_FIELD_RANGE');
  assert.equal(codeOf({ sackBlocks: [{ left: 0, right: 2 ** 32 }] }), 'ERR_WIRE_FIELD_RANGE');
  const block = { left: 1, right: 2 };
  assert.equal(codeOf({ timestamps: { tsVal: 0, tsEcr: 0 }, sackBlocks: [block, block, block, block] }), 'ERR_TCP_OPTIONS_TOO_LONG');
  assert.equal(codeOf({ mss: 1 }, 3), 'ERR_WIRE_BUFFER_TOO_SMALL');
});

test('fuzz: random and mutated option lists only raise WireError, stay in bounds, and respect limits', () => {
  const rng = seededRandom(2018);
  const valid = [hex('020405b40402080a000000010000000001030307'), hex('0101080a0000000100000002 0101051200000001000000020000000300000004')];
  const inputs: Uint8Array[] = [];
  for (let i = 0; i < 6000; i++) {
    inputs.push(i % 3 === 0 ? randomBytes(rng, randomInt(rng, 41)) : mutate(rng, valid[i % valid.length]!));
  }
  const { ok, rejected } = assertOnlyWireErrors(inputs, (bytes) => {
    const o = parseTcpOptions(bytes, 0, bytes.length);
    if (o.windowScale !== undefined) assert.ok(o.windowScale <= 14);
    if (o.mss !== undefined) assert.ok(o.mss >= 0 && o.mss <= 0xffff);
  });
  assert.ok(ok > 500, `${ok} accepted`);
  assert.ok(rejected.size >= 4, `reached ${[...rejected.keys()].join(', ')}`);
});
