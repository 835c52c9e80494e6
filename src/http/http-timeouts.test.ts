// Timeout settings: defaults, validation naming the field, and starting node:http's connection tracking on a
// server that never listens (the deadlines themselves: test/http-timeouts.test.ts in both capture modes).
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { duplexPair } from '../../test/helpers/duplex-pair.ts';
import { DEFAULT_HTTP_TIMEOUTS, HttpTimeoutsError, parseHttpTimeoutsSpec, resolveHttpTimeouts, serverTimeoutOptions, trackConnectionsWithoutListening } from './http-timeouts.ts';

describe('http timeouts', () => {
  it('defaults: 10 s head, 30 s request, 5 s keep-alive, checked every second', () => {
    assert.deepEqual(resolveHttpTimeouts(), { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });
    assert.deepEqual(resolveHttpTimeouts({ headersMs: 200 }), { ...DEFAULT_HTTP_TIMEOUTS, headersMs: 200 });
    const server = http.createServer(serverTimeoutOptions(resolveHttpTimeouts({ keepAliveMs: 7 })));
    assert.deepEqual([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout], [10_000, 30_000, 7]);
  });

  it('rejects bad values, naming the field', () => {
    assert.throws(() => resolveHttpTimeouts({ headersMs: -1 }), (e: unknown) => e instanceof HttpTimeoutsError && /timeouts\.headersMs: expected a whole number/.test(e.message));
    assert.throws(() => resolveHttpTimeouts({ requestMs: 1.5 }), /timeouts\.requestMs/);
    assert.throws(() => resolveHttpTimeouts({ checkIntervalMs: 0 }), /timeouts\.checkIntervalMs: expected a whole number of milliseconds >= 1/);
    assert.throws(() => resolveHttpTimeouts({ headersMs: 5000, requestMs: 1000 }), /headersMs \(5000\) must not exceed timeouts\.requestMs \(1000\)/);
    assert.doesNotThrow(() => resolveHttpTimeouts({ headersMs: 5000, requestMs: 0 }), 'requestMs 0 turns the request limit off');
  });

  it("starts node:http's connection list without listening (closeIdleConnections sees emitted connections)", async () => {
    const server = http.createServer({ keepAliveTimeout: 60_000 });
    trackConnectionsWithoutListening(server);
    trackConnectionsWithoutListening(server); // idempotent
    server.on('request', (_req, res) => res.end('ok'));
    const pair = duplexPair({ address: '10.1.0.4', port: 40000 });
    server.emit('connection', pair.server);
    const closed = new Promise((resolve) => pair.server.once('close', resolve));
    const answered = new Promise((resolve) => pair.client.once('data', resolve));
    pair.client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered;
    // An idle keep-alive connection: only a tracked connection is found and closed here.
    server.closeIdleConnections();
    await closed;
    server.close();
  });

  it('says so clearly when node:http no longer has the tracking hook', () => {
    const server = http.createServer();
    server.removeAllListeners('listening');
    assert.throws(() => trackConnectionsWithoutListening(server), (e: unknown) => e instanceof HttpTimeoutsError && e.code === 'ERR_HTTP_TRACKING');
  });
});

describe('--http-timeouts SPEC', () => {
  it('parses any subset of headers, request, keep-alive and check', () => {
    assert.deepEqual(parseHttpTimeoutsSpec('headers=2000,request=4000'), { headersMs: 2000, requestMs: 4000 });
    assert.deepEqual(parseHttpTimeoutsSpec('keep-alive=0, check=250'), { keepAliveMs: 0, checkIntervalMs: 250 });
  });
  it('refuses unknown names, non-numbers and inconsistent values, naming the flag', () => {
    assert.throws(() => parseHttpTimeoutsSpec('header=5'), /--http-timeouts: expected NAME=MS pairs with NAME one of headers, request, keep-alive, check, got "header=5"/);
    assert.throws(() => parseHttpTimeoutsSpec('headers=5s'), /got "headers=5s"/);
    assert.throws(() => parseHttpTimeoutsSpec('headers=1=2'), /got "headers=1=2"/);
    assert.throws(() => parseHttpTimeoutsSpec('headers=40000'), /--http-timeouts\.headersMs \(40000\) must not exceed --http-timeouts\.requestMs \(30000\)/);
    assert.throws(() => parseHttpTimeoutsSpec('check=0'), /--http-timeouts\.checkIntervalMs/);
  });
});
