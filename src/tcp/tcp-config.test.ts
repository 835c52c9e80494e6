// Config defaults and validation errors that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultTcpConfig, resolveTcpConfig } from './tcp-config.ts';

test('defaults resolve and are frozen', () => {
  const config = resolveTcpConfig();
  assert.deepEqual(config, defaultTcpConfig);
  assert.ok(Object.isFrozen(config));
  assert.equal(resolveTcpConfig({ mslMs: 10 }).mslMs, 10);
});

test('bad values are rejected with the field name', () => {
  assert.throws(() => resolveTcpConfig({ mss: 0 }), /mss must be an integer/);
  assert.throws(() => resolveTcpConfig({ receiveBufferSize: 1.5 }), /receiveBufferSize/);
  assert.throws(() => resolveTcpConfig({ nagle: 1 as unknown as boolean }), /nagle must be a boolean/);
  assert.throws(() => resolveTcpConfig({ bogus: 1 } as never), /unknown field bogus/);
  assert.throws(() => resolveTcpConfig({ rtoMinMs: 5000, rtoMaxMs: 1000 }), /rtoMinMs must not exceed/);
});
