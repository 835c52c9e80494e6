// Request-target parsing: path vs query, decoding, duplicates, absolute-form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery, parseRequestTarget } from './request-target.ts';

describe('parseRequestTarget', () => {
  it('splits the path and decodes the query, keeping order and duplicates', () => {
    const t = parseRequestTarget('/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F&a=1&a=2&b&a=3');
    assert.equal(t.path, '/metadata/identity/oauth2/token');
    assert.equal(t.query.first.get('resource'), 'https://management.azure.com/');
    assert.equal(t.query.first.get('a'), '1');
    assert.equal(t.query.first.get('b'), '');
    assert.deepEqual(t.query.duplicates, ['a']);
    assert.equal(t.query.entries.length, 6);
  });

  it('handles absolute-form targets, fragments, no query and an empty path', () => {
    assert.equal(parseRequestTarget('http://169.254.169.254/metadata/versions?x=1').path, '/metadata/versions');
    assert.equal(parseRequestTarget('http://169.254.169.254').path, '/');
    assert.equal(parseRequestTarget('/metadata/instance#frag').path, '/metadata/instance');
    assert.equal(parseRequestTarget('/metadata/instance').query.entries.length, 0);
  });

  it('does not treat names differing in case as duplicates', () => {
    assert.deepEqual(parseRequestTarget('/x?api-version=1&API-VERSION=2').query.duplicates, []);
  });
});

describe('parseQuery', () => {
  it('decodes exactly as URLSearchParams does, also for odd and malformed input', () => {
    const inputs = [
      '', '?', '?a=1', 'a=1&&b=2&', '&&', 'a', 'a=', '=b', '=', 'a==b', 'a=b=c', 'a+b=c+d', 'a%20b=%2B%26',
      'x=%', 'x=%2', 'x=%zz', 'x=%E2%82%AC', 'x=%E2%82', 'x=%ED%A0%80', 'x=%C3%28', '%=1', 'x=a%2', 'x=%25%32%35',
      'resource=https%3A%2F%2Fmanagement.azure.com%2F&api-version=2018-02-01', 'a=1&a=2&A=3&a=4&b&b', 'é=ü&x=%F0%9F%98%80',
    ];
    for (const input of inputs) {
      const ours = parseQuery(input);
      assert.deepEqual(ours.entries, [...new URLSearchParams(input)], input);
    }
  });
});
