// Modulo-2^32 sequence arithmetic, including comparisons across the wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './seq.ts';

// The functions under test, taking plain numbers made Seq by S.seq (the one way into the type).
const lt = (a: number, b: number): boolean => S.lt(S.seq(a), S.seq(b));
const le = (a: number, b: number): boolean => S.le(S.seq(a), S.seq(b));
const gt = (a: number, b: number): boolean => S.gt(S.seq(a), S.seq(b));
const ge = (a: number, b: number): boolean => S.ge(S.seq(a), S.seq(b));
const add = (a: number, n: number): number => S.add(S.seq(a), n);
const sub = (a: number, b: number): number => S.sub(S.seq(a), S.seq(b));
const inWindow = (x: number, start: number, size: number): boolean => S.inWindow(S.seq(x), S.seq(start), size);
const seqMax = (a: number, b: number): number => S.seqMax(S.seq(a), S.seq(b));
const seqMin = (a: number, b: number): number => S.seqMin(S.seq(a), S.seq(b));

test('seq() normalises any integer to unsigned 32 bits', () => {
  assert.deepEqual([S.seq(-1), S.seq(2 ** 32), S.seq(2 ** 32 + 5), S.seq(0x80000000)], [0xffffffff, 0, 5, 0x80000000]);
});

test('comparisons follow serial-number order across the wrap', () => {
  assert.ok(lt(0xfffffff0, 0x10));
  assert.ok(gt(0x10, 0xfffffff0));
  assert.ok(le(5, 5) && ge(5, 5) && !lt(5, 5) && !gt(5, 5));
  assert.ok(lt(0x7ffffffe, 0x7fffffff));
  assert.ok(lt(0, 0x7fffffff));
  assert.ok(gt(0, 0x80000001)); // distance just under 2^31 the other way
});

test('add and sub wrap modulo 2^32', () => {
  assert.equal(add(0xffffffff, 1), 0);
  assert.equal(add(0xffffff00, 0x200), 0x100);
  assert.equal(add(5, -10), 0xfffffffb);
  assert.equal(sub(0x100, 0xffffff00), 0x200);
  assert.equal(sub(0xffffff00, 0x100), -0x200);
  assert.ok(add(1, 2) >= 0 && Number.isInteger(add(0x7fffffff, 0x7fffffff)));
});

test('inWindow is half-open and handles the wrap and empty windows', () => {
  assert.ok(inWindow(0xffffffff, 0xfffffff0, 0x20));
  assert.ok(inWindow(0x0f, 0xfffffff0, 0x20));
  assert.ok(!inWindow(0x10, 0xfffffff0, 0x20));
  assert.ok(!inWindow(0xffffffef, 0xfffffff0, 0x20));
  assert.ok(!inWindow(7, 7, 0));
  assert.ok(inWindow(7, 7, 1));
});

test('seqMax and seqMin pick by sequence order, not numeric order', () => {
  assert.equal(seqMax(0xfffffff0, 3), 3);
  assert.equal(seqMin(0xfffffff0, 3), 0xfffffff0);
});
