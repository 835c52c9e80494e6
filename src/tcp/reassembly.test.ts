// Out-of-order reassembly: overlap trimming, draining, FIN, bounds, wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reassembly } from './reassembly.ts';
import { seq } from './seq.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const joined = (chunks: Uint8Array[]): string => chunks.map((c) => new TextDecoder().decode(c)).join('');

test('out-of-order ranges drain in order once the hole is filled', () => {
  const r = new Reassembly(1000, 10);
  assert.equal(r.insert(seq(105), text('fghij')), 5);
  assert.equal(r.insert(seq(115), text('pq')), 2);
  assert.equal(r.runCount, 2);
  assert.deepEqual(r.drain(seq(100)), { chunks: [], fin: false });
  const drained = r.drain(seq(105));
  assert.equal(joined(drained.chunks), 'fghij');
  assert.equal(r.bufferedBytes, 2);
});

test('duplicates and overlaps are trimmed; bytes already held win', () => {
  const r = new Reassembly(1000, 10);
  r.insert(seq(10), text('CDEF'));
  assert.equal(r.insert(seq(10), text('XXXX')), 0);
  assert.equal(r.insert(seq(8), text('abxxxxgh')), 4); // a b before, g h after
  assert.equal(r.runCount, 1);
  assert.equal(joined(r.drain(seq(8)).chunks), 'abCDEFgh');
  assert.ok(r.isEmpty);
});

test('a range straddling rcvNxt is trimmed and ranges before it are discarded', () => {
  const r = new Reassembly(1000, 10);
  r.insert(seq(0), text('old'));
  r.insert(seq(10), text('0123456789'));
  assert.equal(joined(r.drain(seq(15)).chunks), '56789');
});

test('bounds: too many runs or bytes drop the highest runs', () => {
  const r = new Reassembly(10, 2);
  r.insert(seq(10), text('a'));
  r.insert(seq(20), text('b'));
  r.insert(seq(30), text('c'));
  assert.equal(r.runCount, 2);
  assert.equal(r.insert(seq(40), text('toolongtoolong')), 0);
  assert.equal(r.bufferedBytes, 2);
  assert.equal(joined(r.drain(seq(10)).chunks), 'a');
  // Full with 'b' at 20 and 'c' at 30: a lower newcomer is kept and the highest run ('c') goes.
  const full = new Reassembly(10, 2);
  full.insert(seq(20), text('b'));
  full.insert(seq(30), text('c'));
  assert.equal(full.insert(seq(10), text('a')), 1, 'the newcomer is kept');
  assert.equal(full.runCount, 2);
  assert.equal(joined(full.drain(seq(10)).chunks), 'a');
  assert.equal(joined(full.drain(seq(20)).chunks), 'b');
  assert.ok(full.isEmpty, "'c' was dropped");
  const merged = new Reassembly(3, 10);
  merged.insert(seq(12), text('cd'));
  assert.equal(merged.insert(seq(10), text('ab')), 0, 'joined to the run above, over the byte bound, dropped with it');
  assert.ok(merged.isEmpty);
  const none = new Reassembly(0, 0);
  assert.equal(none.insert(seq(1), text('x')), 0);
});

test('an out-of-order FIN is reported when the data before it drains', () => {
  const r = new Reassembly(1000, 10);
  r.insert(seq(5), text('xyz'));
  r.setFin(seq(8));
  assert.equal(r.drain(seq(4)).fin, false);
  const drained = r.drain(seq(5));
  assert.equal(joined(drained.chunks), 'xyz');
  assert.equal(drained.fin, true);
});

test('works across the 2^32 wrap and coalesces many adjacent runs', () => {
  const r = new Reassembly(100_000, 4);
  r.insert(seq(0xfffffffe), text('ab'));
  r.insert(seq(0), text('cd'));
  assert.equal(r.runCount, 1);
  assert.equal(joined(r.drain(seq(0xfffffffe)).chunks), 'abcd');
  const many = new Reassembly(100_000, 4);
  for (let i = 1; i < 200; i++) many.insert(seq(i), text(String.fromCharCode(65 + (i % 26))));
  assert.equal(many.runCount, 1);
  assert.equal(many.drain(seq(0)).chunks.length, 0);
  assert.equal(many.drain(seq(1)).chunks.reduce((n, c) => n + c.length, 0), 199);
});
