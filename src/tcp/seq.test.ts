// Modulo-2^32 sequence arithmetic, including comparisons across the wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, ge, gt, inWindow, le, lt, seqMax, seqMin, sub } from './seq.ts';

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
