// SYN cookies (RFC 4987 §3.6): round trip of the MSS index, the two-period lifetime, binding to the 4-tuple
// and the peer's ISN, and the options carried in the timestamp's low bits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sipHashKeyedHash } from './isn.ts';
import {
  COOKIE_MSS_TABLE,
  COOKIE_PERIOD_MS,
  cookieMssIndex,
  createSynCookies,
  decodeCookieOptions,
  encodeCookieTimestamp,
} from './syn-cookie.ts';

const cookies = createSynCookies(sipHashKeyedHash(new Uint8Array(16).fill(9)));
const tuple = { localAddress: 0xa9fea9fe, localPort: 80, remoteAddress: 0x0a010004, remotePort: 40000 };

describe('SYN cookies', () => {
  test('the ACK of a cookie SYN-ACK yields the largest table MSS not above the peer MSS', () => {
    for (const [peerMss, expected] of [[1460, 1460], [9000, 1460], [1448, 1440], [1400, 1300], [1000, 536], [100, 536]] as const) {
      const peerIsn = 0xfffffff0; // the ACK's seq (peerIsn + 1) crosses 2^32
      const isn = cookies.isn(tuple, peerIsn, peerMss, 5000);
      assert.equal(cookies.check(tuple, (peerIsn + 1) >>> 0, (isn + 1) >>> 0, 5100), expected, `peer MSS ${peerMss}`);
    }
    assert.deepEqual(COOKIE_MSS_TABLE.map(cookieMssIndex), [0, 1, 2, 3]);
  });

  test('valid in its period and the next, refused after that', () => {
    const made = 10 * COOKIE_PERIOD_MS + 59_000;
    const isn = cookies.isn(tuple, 1000, 1460, made);
    assert.equal(cookies.check(tuple, 1001, isn + 1, made + 1000), 1460, 'next period');
    assert.equal(cookies.check(tuple, 1001, isn + 1, made + COOKIE_PERIOD_MS), 1460, 'still the next period');
    assert.equal(cookies.check(tuple, 1001, isn + 1, made + 2 * COOKIE_PERIOD_MS), undefined, 'two periods on');
  });

  test('bound to the 4-tuple, the peer ISN and the key', () => {
    const isn = cookies.isn(tuple, 1000, 1460, 0);
    assert.equal(cookies.check({ ...tuple, remotePort: 40001 }, 1001, isn + 1, 0), undefined);
    assert.equal(cookies.check({ ...tuple, remoteAddress: 0x0a010005 }, 1001, isn + 1, 0), undefined);
    assert.equal(cookies.check(tuple, 1001 + 0x1000000, isn + 1, 0), undefined, 'another peer ISN');
    assert.equal(cookies.check(tuple, 1001, isn + 2, 0), undefined, 'another cookie');
    const other = createSynCookies(sipHashKeyedHash(new Uint8Array(16).fill(8)));
    assert.equal(other.check(tuple, 1001, isn + 1, 0), undefined, 'another key');
  });

  test('guessed cookies almost never pass (a blind ACK flood opens nothing)', () => {
    let passed = 0;
    for (let i = 0; i < 20_000; i++) if (cookies.check({ ...tuple, remotePort: i & 0xffff }, 1001, (i * 2654435761) >>> 0, 0) !== undefined) passed++;
    assert.equal(passed, 0);
  });

  test('options ride in the timestamp low 6 bits, never later than the clock', () => {
    for (const [now, wscale, sack] of [[1_000_000, 7, true], [1_000_063, undefined, false], [64, 14, false], [0xffffffff, 0, true]] as const) {
      const ts = encodeCookieTimestamp(now, wscale, sack);
      assert.ok(((ts - now) | 0) <= 0 && ((now - ts) | 0) < 128, `ts ${ts} near and not after ${now}`);
      assert.deepEqual(decodeCookieOptions(1460, ts), { mss: 1460, windowScale: wscale, sackPermitted: sack, timestamps: true });
    }
    assert.deepEqual(decodeCookieOptions(536, undefined), { mss: 536, windowScale: undefined, sackPermitted: false, timestamps: false });
    assert.equal(decodeCookieOptions(536, 0b001111).windowScale, undefined, '15: no window scaling');
  });
});
