// Tests for format=text rendering and sorted compact JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderText } from './instance-text.ts';
import { toSortedCompactJson } from './instance-json.ts';

test('renderText: leaves raw, objects as sorted names with / for containers, arrays as indexes', () => {
  assert.equal(renderText('a b\nc'), 'a b\nc');
  assert.equal(renderText(''), '');
  assert.equal(renderText(false), 'false');
  assert.equal(renderText({ b: '1', a: { x: '' }, c: [] }), 'a/\nb\nc/');
  assert.equal(renderText([{ a: '1' }, { a: '2' }]), '0/\n1/');
  assert.equal(renderText(['x', 'y', 'z']), '0\n1\n2');
  assert.equal(renderText([['x']]), '0/');
  assert.equal(renderText([]), '');
  assert.equal(renderText({}), '');
});

test('toSortedCompactJson: sorted keys at every level, no whitespace, JSON escaping', () => {
  assert.equal(toSortedCompactJson({ b: [{ z: '1', y: true }], a: 'x"\n' }), '{"a":"x\\"\\n","b":[{"y":true,"z":"1"}]}');
  assert.equal(toSortedCompactJson({ port: 80, none: null, skip: undefined }), '{"none":null,"port":80}');
  assert.equal(toSortedCompactJson([]), '[]');
  assert.equal(toSortedCompactJson({ B: '', a: '', _: '' }), '{"B":"","_":"","a":""}', 'ordinal (code unit) order');
  assert.throws(() => toSortedCompactJson(() => 1), TypeError);
});

test('toSortedCompactJson: frozen values are memoised, mutable ones re-serialised', () => {
  const frozen = Object.freeze({ b: '1', a: Object.freeze(['x']) });
  assert.equal(toSortedCompactJson(frozen), '{"a":["x"],"b":"1"}');
  assert.equal(toSortedCompactJson(frozen), '{"a":["x"],"b":"1"}');
  // Memoised means the second call does not read the object again: count reads through a getter.
  let reads = 0;
  const watched = Object.freeze({
    get a(): string {
      reads++;
      return 'x';
    },
  });
  assert.equal(toSortedCompactJson(watched), '{"a":"x"}');
  const afterFirst = reads;
  assert.ok(afterFirst > 0, 'the first call reads the object');
  assert.equal(toSortedCompactJson(watched), '{"a":"x"}');
  assert.equal(reads, afterFirst, 'the second call is served from the memo');
  const mutable: Record<string, string> = { a: '1' };
  assert.equal(toSortedCompactJson(mutable), '{"a":"1"}');
  mutable.a = '2';
  assert.equal(toSortedCompactJson(mutable), '{"a":"2"}');
});
