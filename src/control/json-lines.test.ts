// LineSplitter: lines across chunk boundaries (also inside a UTF-8 sequence), the size cap on partial and
// complete lines, and that a partial line is kept as chunks rather than re-joined per chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './json-lines.ts';

test('lines split across chunks, CRLF and blank lines', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}']);
  assert.deepEqual(s.push(Buffer.from(':2}\r\n\n  \n{"c":3}')), ['{"b":2}']);
  assert.equal(s.pendingBytes, 7);
  assert.deepEqual(s.push(Buffer.from('\n')), ['{"c":3}']);
  assert.equal(s.pendingBytes, 0);
});

test('a UTF-8 character split between chunks decodes once whole', () => {
  const bytes = Buffer.from('"größe €"\n', 'utf8');
  const s = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out, ['"größe €"']);
});

test('the cap applies to a partial line as soon as it passes the limit', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push(Buffer.from('12345')), []);
  assert.throws(() => s.push(Buffer.from('678901')), /longer than 10 bytes/);
});

test('the cap applies to a complete line that arrives in one chunk', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push(Buffer.from('0123456789\n')), ['0123456789']);
  assert.throws(() => s.push(Buffer.from('0123456789A\nok\n')), /longer than 10 bytes/);
});

test('many small chunks of one line are joined exactly once', () => {
  const s = new LineSplitter();
  const piece = Buffer.alloc(1024, 0x61);
  for (let i = 0; i < 1000; i++) assert.deepEqual(s.push(piece), []);
  assert.equal(s.pendingBytes, 1024 * 1000);
  const [line] = s.push(Buffer.from('\n'));
  assert.equal(line!.length, 1024 * 1000);
  assert.equal(s.pendingBytes, 0);
});
